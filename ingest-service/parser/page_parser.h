// Turns the raw bytes of one scraped page into clean articles: decodes the
// charset, strips HTML and site chrome, and reads title, date, source,
// authors, editors and body. The first stage of the ingest pipeline; it
// knows nothing of storage.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_PAGE_PARSER_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_PAGE_PARSER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "newsearch/v1/article.pb.h"

namespace newsearch::ingest {

struct PageInput {
  // Raw page bytes (not necessarily UTF-8).
  absl::string_view content;
  std::string url;
  // MIME type hint, e.g. "text/html; charset=gbk"; may be empty.
  std::string content_type;
  // Source name used when the page names none.
  std::string source_hint;
};

struct ParsedPage {
  // Articles in page order (one for now). Each has title, body, script and
  // detected_encoding set; published_at, source, authors, editors, subtitle
  // and warnings when found. `id` and `seq` are left empty for the store.
  std::vector<v1::Article> articles;
  // `UTF-8`, `GB18030`, `Big5`, `UTF-16LE`, `UTF-16BE`.
  std::string detected_encoding;
  // Page-level warnings (also copied to each article's warnings).
  std::vector<std::string> warnings;
};

// Thread-safe after Create(); share one instance.
class PageParser {
 public:
  static absl::StatusOr<std::unique_ptr<PageParser>> Create();
  ~PageParser();

  // Parses one page. INVALID_ARGUMENT when the page is empty, cannot be
  // decoded (the message gives the byte offset), or holds no article (the
  // message gives the reason: no title, no body, navigation only...).
  absl::StatusOr<ParsedPage> Parse(const PageInput& input) const;

 private:
  PageParser();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_PAGE_PARSER_H_
