// Dates a page states outside its date line: the year in its URL (for a
// date printed without one, `十二月二十日`), a wire dateline at the start of
// the body (`新华社北京12月20日电`), and the markup's publication time
// (`<meta property="article:published_time">`). PageParser falls back on
// them in that order of need. Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_PAGE_DATES_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_PAGE_DATES_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "ingest-service/parser/metadata.h"

namespace newsearch::ingest {

// The year a URL's path is filed under (`/2019/03/05/`, `/201903/`,
// `/20190305/`, `t20190305_123.html`, `/2019-03-05/`), or 0 when none.
int YearFromUrl(absl::string_view url);

// The date of a wire or newspaper dateline at the start of a paragraph:
// `新华社北京12月20日电`, `本报讯（记者 张三）3月5日，`, `中新网上海2019年3月5日电`.
// Only the first 40 characters are read; the date may lack its year.
std::optional<DateMatch> DatelineDate(absl::string_view paragraph);

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_PAGE_DATES_H_
