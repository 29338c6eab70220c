// Date expressions in a query (query_parser.h, "A term that is a date
// expression"): parsing `2018年4月`, `2018-04-23`, `FROM..TO` into a range of
// calendar days, describing a date node, and the two ways a date node
// matches: the published-date filter and the date as written in Chinese
// text. Internal to newsearch_query.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_DATES_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_DATES_H_

#include <string>

#include <xapian.h>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "search-service/query/query_parser.h"

namespace newsearch::search::query_internal {

// A parsed date expression: the inclusive day range it covers.
struct DateRange {
  bool has_first = false;
  bool has_last = false;
  absl::CivilDay first;
  absl::CivilDay last;
};

enum class DateParse { kNotDate, kDate, kBadDate };

// Parses a whole term as a date expression: a point or FROM..TO with either
// end open. kNotDate when it is text; kBadDate, with *error saying why, when
// it has a date's shape but names no such day or a reversed range.
DateParse ParseDateExpression(absl::string_view text, DateRange* range, std::string* error);

// Returns a date node as `date:[2018-01-01..2018-06-30]` (an open end empty).
std::string DescribeDate(const QueryNode& node);

// The published-date filter of a date node: [first day 00:00, day after last
// 00:00) in China Standard Time, as whole seconds in the value slot.
Xapian::Query DateQuery(const QueryNode& node);

// The ways a date point is written in Chinese text: `2018年`, `2018年4月`,
// `2018年4月23日`; none for a range or an open end.
std::string DateText(const QueryNode& node);

}  // namespace newsearch::search::query_internal

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_DATES_H_
