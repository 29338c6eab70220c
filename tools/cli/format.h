// Human-readable output of the `newsearch` client: search hits with
// highlighted snippets, articles, index status, ingest progress lines and
// gRPC error names. Pure functions of their inputs (no I/O, no clock), so the
// commands in commands.h stay thin and the formatting is unit-tested.
#ifndef NEWSEARCH_TOOLS_CLI_FORMAT_H_
#define NEWSEARCH_TOOLS_CLI_FORMAT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "newsearch/v1/article.pb.h"
#include "newsearch/v1/ingest.pb.h"
#include "newsearch/v1/search.pb.h"

namespace newsearch::cli {

// How highlighted spans are marked.
struct HighlightStyle {
  std::string open;
  std::string close;
};
// 【…】: for pipes and files.
HighlightStyle BracketHighlightStyle();
// ANSI bold: for terminals.
HighlightStyle AnsiBoldHighlightStyle();

// A half-open range [start, end) of Unicode code points.
using CodePointSpan = std::pair<int32_t, int32_t>;

// Returns `text` with each span wrapped in style.open/style.close. Spans are
// code point offsets (not bytes) into `text`. Defensive against a bad server
// reply: spans are clamped to the text, empty spans, spans out of order and
// spans overlapping an earlier one are skipped. A byte that does not start a
// valid UTF-8 sequence counts as one code point.
std::string RenderHighlights(absl::string_view text, const std::vector<CodePointSpan>& spans,
                             const HighlightStyle& style);

// Converts a proto Timestamp to absl::Time.
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);
// Formats `t` as `YYYY-MM-DD HH:MM` in China Standard Time (UTC+8).
std::string FormatCst(absl::Time t);

// Formats a search response: `total ~N`, then per hit its 1-based rank and
// title, a line with source, date (UTC+8), id and score, and the snippet
// (newlines folded to spaces, highlights marked with `style`); the
// next_page_token last when there is one.
std::string FormatSearchResponse(const newsearch::v1::SearchResponse& response,
                                 const HighlightStyle& style);
// Formats every set field of an article, metadata first, body last.
std::string FormatArticle(const newsearch::v1::Article& article);
// One line per article: id, date, source, title; then the next_page_token.
std::string FormatArticleList(const newsearch::v1::ListArticlesResponse& response);
// Formats GetIndexStatusResponse as aligned `name value` lines.
std::string FormatIndexStatus(const newsearch::v1::GetIndexStatusResponse& status);
// Formats a ParseArticle dry run: detected encoding and page warnings, then
// each article as FormatArticle does under an `article i/n` heading.
std::string FormatParseResult(const newsearch::v1::ParseArticleResponse& response);
// `re-parsed 120/500 pages: 30 changed, 200 unchanged, 2 deleted, 1 page failed`.
std::string FormatReparseProgress(const newsearch::v1::ReparseArticlesResponse& progress);
// Formats a byte count as "12.3 MiB".
std::string FormatBytes(int64_t bytes);

// Returns the canonical name of a gRPC/google.rpc status code
// ("INVALID_ARGUMENT"), or "CODE_<n>" for an unknown number.
std::string StatusCodeName(int code);

// Counters of one `newsearch ingest` run.
struct IngestCounts {
  int64_t total_pages = 0;  // Files to send.
  int64_t done_pages = 0;   // Pages answered (or failed locally).
  int64_t failed_pages = 0;
  // Per article (a page may carry several, e.g. a newspaper page).
  int64_t created = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  // Articles a re-ingested page no longer yields (OUTCOME_DELETED).
  int64_t deleted = 0;

  // Adds one response's articles and failure to the counters.
  void Add(const newsearch::v1::IngestArticleResponse& response);
};

// `ingested 1200/5000 pages (created 1100, updated 50, unchanged 40, failed 10) 850 pages/s`;
// the rate is omitted when `elapsed` is zero.
std::string FormatIngestProgress(const IngestCounts& counts, absl::Duration elapsed);

// Decides when to print an ingest progress line: on a terminal at most every
// 200 ms (the line is redrawn in place); otherwise once per 1000 pages.
class ProgressThrottle {
 public:
  explicit ProgressThrottle(bool is_tty) : is_tty_(is_tty) {}
  // Returns true when a line should be printed now for `done_pages`.
  bool ShouldPrint(int64_t done_pages, absl::Time now);

 private:
  bool is_tty_;
  absl::Time last_print_ = absl::InfinitePast();
  int64_t last_pages_ = 0;
};

}  // namespace newsearch::cli

#endif  // NEWSEARCH_TOOLS_CLI_FORMAT_H_
