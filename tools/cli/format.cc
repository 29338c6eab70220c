#include "tools/cli/format.h"

#include <algorithm>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace newsearch::cli {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Returns the byte length of the UTF-8 sequence at text[i]; 1 for a byte that
// does not start a complete, well-formed sequence.
size_t SequenceLength(absl::string_view text, size_t i) {
  const unsigned char lead = static_cast<unsigned char>(text[i]);
  size_t len = 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
  }
  if (i + len > text.size()) return 1;
  for (size_t k = 1; k < len; ++k) {
    if (!IsContinuation(static_cast<unsigned char>(text[i + k]))) return 1;
  }
  return len;
}

// Byte offset of every code point boundary: offsets[k] is where code point k
// starts; the last entry is text.size().
std::vector<size_t> CodePointOffsets(absl::string_view text) {
  std::vector<size_t> offsets;
  offsets.reserve(text.size() + 1);
  for (size_t i = 0; i < text.size(); i += SequenceLength(text, i)) offsets.push_back(i);
  offsets.push_back(text.size());
  return offsets;
}

// Folds line breaks and tabs to spaces so each hit stays in its indented block.
std::string OneLine(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}, {"\t", " "}});
}

std::string DateOrDash(bool has, const google::protobuf::Timestamp& ts) {
  return has ? FormatCst(FromTimestamp(ts)) : "-";
}

}  // namespace

HighlightStyle BracketHighlightStyle() { return {"【", "】"}; }
HighlightStyle AnsiBoldHighlightStyle() { return {"\033[1m", "\033[0m"}; }

std::string RenderHighlights(absl::string_view text, const std::vector<CodePointSpan>& spans,
                             const HighlightStyle& style) {
  const std::vector<size_t> offsets = CodePointOffsets(text);
  const int64_t count = static_cast<int64_t>(offsets.size()) - 1;
  std::string out;
  out.reserve(text.size() + spans.size() * (style.open.size() + style.close.size()));
  int64_t written = 0;  // Code points already copied to `out`.
  for (const CodePointSpan& span : spans) {
    const int64_t start = std::clamp<int64_t>(span.first, 0, count);
    const int64_t end = std::clamp<int64_t>(span.second, 0, count);
    if (start >= end || start < written) continue;
    absl::StrAppend(&out, text.substr(offsets[written], offsets[start] - offsets[written]),
                    style.open, text.substr(offsets[start], offsets[end] - offsets[start]),
                    style.close);
    written = end;
  }
  absl::StrAppend(&out, text.substr(offsets[written]));
  return out;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string FormatCst(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M", t, absl::FixedTimeZone(8 * 60 * 60));
}

std::string FormatSearchResponse(const newsearch::v1::SearchResponse& response,
                                 const HighlightStyle& style) {
  std::string out = absl::StrCat("total ~", response.total_estimate(),
                                 response.partial() ? " (partial: time limit reached)" : "", "\n");
  if (response.revision_changed()) {
    absl::StrAppend(&out, "note: the index changed since the previous page (now at applied_seq ",
                    response.applied_seq(),
                    "); hits may repeat or be missing across pages: search again without "
                    "--page_token for a consistent list\n");
  }
  if (response.has_debug()) {
    const newsearch::v1::QueryDebug& debug = response.debug();
    absl::StrAppend(&out, "parsed:  ", debug.parsed_query(), "\n");
    absl::StrAppend(&out, "xapian:  ", debug.xapian_query(), "\n");
    absl::StrAppend(&out, "terms:   ", absl::StrJoin(debug.terms(), " "), "\n");
    absl::StrAppend(&out, "filters: ",
                    debug.filters().empty() ? "-" : absl::StrJoin(debug.filters(), "; "), "\n");
    if (!debug.words().empty()) {
      absl::StrAppend(&out, "strict:  ", debug.strict_matches(), " articles match every word\n");
    }
    for (const newsearch::v1::QueryWord& word : debug.words()) {
      std::string status = newsearch::v1::TermStatus_Name(word.status());
      if (absl::StartsWith(status, "TERM_STATUS_")) status = status.substr(12);
      absl::AsciiStrToLower(&status);
      absl::StrReplaceAll({{"_", "-"}}, &status);
      absl::StrAppend(&out, "  word ", OneLine(word.text()), ": ", status,
                      word.detail().empty() ? "" : absl::StrCat(" (", OneLine(word.detail()), ")"),
                      "\n");
    }
  }
  if (response.relaxed()) {
    absl::StrAppend(&out, "relaxed: too few articles match every word; after them come those ",
                    "matching most words",
                    response.dropped_terms().empty()
                        ? ""
                        : absl::StrCat(" (dropped here: ",
                                       absl::StrJoin(response.dropped_terms(), " "), ")"),
                    "\n");
  }
  for (const newsearch::v1::Facet& facet : response.facets()) {
    std::vector<std::string> values;
    for (const newsearch::v1::FacetValue& v : facet.values()) {
      // Stories as the hits show them; more articles when copies matched.
      values.push_back(absl::StrCat(OneLine(v.value()), " ", v.count(),
                                    v.article_count() > v.count()
                                        ? absl::StrCat(" (", v.article_count(), " articles)")
                                        : ""));
    }
    absl::StrAppend(&out, facet.name(), response.facets_exact() ? "" : " (estimate)", ": ",
                    absl::StrJoin(values, ", "), "\n");
  }
  for (const newsearch::v1::SearchHit& hit : response.hits()) {
    absl::StrAppend(&out, "\n", hit.rank() + 1, ". ", OneLine(hit.title()), "\n");
    absl::StrAppend(&out, "   ", hit.source().empty() ? "-" : OneLine(hit.source()), " | ",
                    DateOrDash(hit.has_published_at(), hit.published_at()), " | ", hit.id(),
                    " | score ", absl::StrFormat("%.3f", hit.score()));
    if (hit.duplicate_count() > 0) absl::StrAppend(&out, " | +", hit.duplicate_count(), " copies");
    if (!hit.duplicate_of().empty()) absl::StrAppend(&out, " | copy of ", hit.duplicate_of());
    if (!hit.missing_terms().empty()) {
      absl::StrAppend(&out, " | missing ", absl::StrJoin(hit.missing_terms(), " "));
    }
    out.push_back('\n');
    if (!hit.snippet().text().empty()) {
      std::vector<CodePointSpan> spans;
      for (const newsearch::v1::Highlight& h : hit.snippet().highlights()) {
        spans.emplace_back(h.start(), h.end());
      }
      // Folding is one code point for one, so the spans stay valid.
      absl::StrAppend(&out, "   ", RenderHighlights(OneLine(hit.snippet().text()), spans, style),
                      "\n");
    }
  }
  if (!response.next_page_token().empty()) {
    absl::StrAppend(&out, "\nnext_page_token: ", response.next_page_token(), "\n");
  }
  return out;
}

std::string FormatArticle(const newsearch::v1::Article& a) {
  std::string out;
  auto line = [&out](absl::string_view name, absl::string_view value) {
    if (!value.empty()) absl::StrAppend(&out, absl::StrFormat("%-18s", name), value, "\n");
  };
  line("title:", OneLine(a.title()));
  line("subtitle:", OneLine(a.subtitle()));
  line("id:", a.id());
  line("external_id:", a.external_id());
  line("source:", a.source());
  if (a.has_published_at()) line("published_at:", FormatCst(FromTimestamp(a.published_at())) + " (UTC+8)");
  line("authors:", absl::StrJoin(a.authors(), ", "));
  line("editors:", absl::StrJoin(a.editors(), ", "));
  line("url:", a.url());
  line("script:", a.script());
  line("encoding:", a.detected_encoding());
  line("duplicate_of:", a.duplicate_of());
  line("page_id:", a.page_id());
  if (a.seq() != 0) line("seq:", absl::StrCat(a.seq()));
  if (a.has_ingested_at()) line("ingested_at:", FormatCst(FromTimestamp(a.ingested_at())) + " (UTC+8)");
  if (a.has_updated_at()) line("updated_at:", FormatCst(FromTimestamp(a.updated_at())) + " (UTC+8)");
  for (const std::string& w : a.warnings()) line("warning:", OneLine(w));
  absl::StrAppend(&out, "\n", a.body());
  if (!a.body().empty() && a.body().back() != '\n') out.push_back('\n');
  return out;
}

std::string FormatParseResult(const newsearch::v1::ParseArticleResponse& response) {
  std::string out;
  absl::StrAppend(&out, "detected_encoding: ", response.detected_encoding(), "\n");
  for (const std::string& w : response.warnings()) absl::StrAppend(&out, "warning: ", OneLine(w), "\n");
  const int n = response.articles_size();
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&out, "\n=== article ", i + 1, "/", n, " ===\n",
                    FormatArticle(response.articles(i)));
  }
  return out;
}

std::string FormatReparseProgress(const newsearch::v1::ReparseArticlesResponse& p) {
  return absl::StrCat("re-parsed ", p.pages_done(), "/", p.pages_total(), " pages: ",
                      p.articles_changed(), " changed, ", p.articles_unchanged(),
                      " unchanged, ", p.articles_deleted(), " deleted, ", p.pages_failed(),
                      p.pages_failed() == 1 ? " page" : " pages", " failed");
}

std::string FormatArticleList(const newsearch::v1::ListArticlesResponse& response) {
  std::string out;
  for (const newsearch::v1::Article& a : response.articles()) {
    absl::StrAppend(&out, a.id(), "  ", DateOrDash(a.has_published_at(), a.published_at()),
                    "  ", a.source().empty() ? "-" : OneLine(a.source()), "  ",
                    OneLine(a.title()), "\n");
  }
  if (!response.next_page_token().empty()) {
    absl::StrAppend(&out, "next_page_token: ", response.next_page_token(), "\n");
  }
  return out;
}

std::string FormatBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return absl::StrCat(bytes, " B");
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string FormatIndexStatus(const newsearch::v1::GetIndexStatusResponse& s) {
  std::string out;
  auto line = [&out](absl::string_view name, absl::string_view value) {
    absl::StrAppend(&out, absl::StrFormat("%-16s", name), value, "\n");
  };
  line("documents", absl::StrCat(s.document_count()));
  line("applied_seq", absl::StrCat(s.applied_seq()));
  line("head_seq", absl::StrCat(s.head_seq()));
  line("lag", absl::StrCat(s.lag()));
  line("following", s.following() ? "yes" : "no");
  line("ingest_address", s.ingest_address().empty() ? "-" : s.ingest_address());
  if (s.partition_count() > 1) {
    line("partition", absl::StrCat(s.partition(), "/", s.partition_count()));
  }
  line("last_commit_at", s.has_last_commit_at()
                             ? FormatCst(FromTimestamp(s.last_commit_at())) + " (UTC+8)"
                             : "-");
  line("index_size", absl::StrCat(FormatBytes(s.index_size_bytes()), " (",
                                  s.index_size_bytes(), " bytes)"));
  // Only when there is something to act on, so a healthy replica's status
  // reads as before.
  if (s.has_last_contact_at() && !s.following()) {
    line("last_contact_at", FormatCst(FromTimestamp(s.last_contact_at())) + " (UTC+8)");
  }
  if (s.stalled_at_seq() > 0) line("stalled_at_seq", absl::StrCat(s.stalled_at_seq()));
  if (!s.last_error().empty()) line("last_error", s.last_error());
  // A router: one line per partition, the missing ones saying why.
  if (s.partitions_size() > 0) line("partial", s.partial() ? "yes" : "no");
  for (const newsearch::v1::PartitionStatus& p : s.partitions()) {
    const std::string up = absl::StrCat(p.replicas_up(), "/", p.replicas(), " replicas up");
    line(absl::StrCat("partition ", p.partition()),
         p.missing() ? absl::StrCat("MISSING (", up, "): ", p.error())
                     : absl::StrCat(p.document_count(), " documents, applied_seq ",
                                    p.applied_seq(), ", index ", p.index_partition(), "/",
                                    p.index_partition_count(), ", from ", p.replica(), " (",
                                    up, ")"));
  }
  return out;
}

std::string StatusCodeName(int code) {
  if (code < 0 || code > 16) return absl::StrCat("CODE_", code);
  // absl and gRPC share google.rpc.Code numbering.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

void IngestCounts::Add(const newsearch::v1::IngestArticleResponse& response) {
  ++done_pages;
  if (response.has_error()) ++failed_pages;
  for (const newsearch::v1::IngestedArticle& a : response.articles()) {
    switch (a.outcome()) {
      case newsearch::v1::OUTCOME_CREATED:
        ++created;
        break;
      case newsearch::v1::OUTCOME_UPDATED:
        ++updated;
        break;
      case newsearch::v1::OUTCOME_UNCHANGED:
        ++unchanged;
        break;
      case newsearch::v1::OUTCOME_DELETED:
        ++deleted;
        break;
      default:
        break;
    }
  }
}

std::string FormatIngestProgress(const IngestCounts& c, absl::Duration elapsed) {
  std::string out = absl::StrCat("ingested ", c.done_pages, "/", c.total_pages,
                                 " pages (created ", c.created, ", updated ", c.updated,
                                 ", unchanged ", c.unchanged,
                                 c.deleted > 0 ? absl::StrCat(", deleted ", c.deleted) : "",
                                 ", failed ", c.failed_pages, ")");
  if (elapsed > absl::ZeroDuration()) {
    absl::StrAppend(&out, " ",
                    absl::StrFormat("%.0f", c.done_pages / absl::ToDoubleSeconds(elapsed)),
                    " pages/s");
  }
  return out;
}

bool ProgressThrottle::ShouldPrint(int64_t done_pages, absl::Time now) {
  if (is_tty_) {
    if (now - last_print_ < absl::Milliseconds(200)) return false;
    last_print_ = now;
    return true;
  }
  if (done_pages / 1000 == last_pages_ / 1000) return false;
  last_pages_ = done_pages;
  return true;
}

}  // namespace newsearch::cli
