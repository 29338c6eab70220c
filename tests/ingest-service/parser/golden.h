// Golden parses for the parser's test pages: a small reviewed text format
// kept beside each page (`name.golden`), the code that renders a ParsedPage
// in it, and the field-by-field comparison used by the golden tests and the
// parse-quality report.
//
// Format (one `key: value` per line, `#` comments; `==` starts an article):
//   status: ok                      or `status: rejected` + `error: <substring>`
//   encoding: GB18030
//   kind: chrome                    (repeatable; the kinds of mess the page shows,
//                                    for the per-kind breakdown of the quality report)
//   == article
//   title: ...                      subtitle:, published: (YYYY-MM-DD HH:MM in
//   source: ...                     UTC+8, or none), authors: / editors:
//   authors: 宋爽, 郝雪莲            (comma-separated), script:, paragraphs: N
//   must: phrase in the body        (repeatable)
//   must_not: phrase not in the body (repeatable)
//   warning: kind                   (repeatable; a warning of that kind)
//   no_warning: kind                (repeatable; no warning of that kind: it
//                                    would not be true)
#ifndef NEWSEARCH_TESTS_INGEST_SERVICE_PARSER_GOLDEN_H_
#define NEWSEARCH_TESTS_INGEST_SERVICE_PARSER_GOLDEN_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest-service/parser/page_parser.h"

namespace newsearch::ingest::golden {

struct GoldenArticle {
  std::map<std::string, std::string> fields;  // title, subtitle, published, ...
  std::vector<std::string> must, must_not, warnings, no_warnings;
};

struct Golden {
  bool rejected = false;
  std::string error;     // Substring of the rejection message.
  std::string encoding;  // Empty: not checked.
  std::vector<std::string> kinds;  // Kinds of mess the page shows (`kind:` lines).
  std::vector<GoldenArticle> articles;
};

// Fields compared one by one (and reported by the quality test).
const std::vector<std::string>& FieldNames();

absl::StatusOr<Golden> ParseGolden(const std::string& text);

// Renders a parse (or its error) in the golden format; `must` lines are
// drafted from each article's first and last paragraph.
std::string FormatGolden(const absl::StatusOr<ParsedPage>& page);

// "YYYY-MM-DD HH:MM" in China Standard Time, or "none".
std::string FormatPublished(const v1::Article& article);

struct FieldResult {
  std::string field;
  bool ok = true;
  std::string detail;  // Want/got when !ok.
};

// Compares a parse with its golden: one result per field per golden
// article, plus `status`, `encoding`, `articles` (count), `body` (every
// must/must_not) and `warnings`.
std::vector<FieldResult> Compare(const Golden& golden, const absl::StatusOr<ParsedPage>& page);

// Reads a file as bytes; empty when missing.
std::string ReadFile(const std::string& path);

// $NEWSEARCH_SOURCE_DIR/tests/testdata/pages.
std::string PagesDir();

}  // namespace newsearch::ingest::golden

#endif  // NEWSEARCH_TESTS_INGEST_SERVICE_PARSER_GOLDEN_H_
