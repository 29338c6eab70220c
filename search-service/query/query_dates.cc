#include "search-service/query/query_dates.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search-service/schema/schema.h"

namespace newsearch::search::query_internal {
namespace {

// Reads 1..max_digits ASCII digits at *pos.
bool ReadNumber(absl::string_view s, size_t* pos, size_t max_digits, int* out) {
  size_t n = 0;
  int value = 0;
  while (*pos + n < s.size() && n < max_digits && absl::ascii_isdigit(s[*pos + n])) {
    value = value * 10 + (s[*pos + n] - '0');
    ++n;
  }
  if (n == 0 || (*pos + n < s.size() && absl::ascii_isdigit(s[*pos + n]))) return false;
  *pos += n;
  *out = value;
  return true;
}

bool Consume(absl::string_view s, size_t* pos, absl::string_view what) {
  if (s.substr(*pos, what.size()) != what) return false;
  *pos += what.size();
  return true;
}

// Parses one date point: `2018年[4月[23日]]` or `2018-04-23`/`2018/4/23`;
// as the end of a range also `2018` and `2018-04`/`2018/4`. `[first, last]` is the day range it
// names. kBadDate (with *error) when it has a date's shape but no such day.
DateParse ParseDatePoint(absl::string_view s, bool range_end, absl::CivilDay* first,
                         absl::CivilDay* last, std::string* error) {
  size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  if (s.size() < 4 || !ReadNumber(s, &pos, 4, &year) || pos != 4) return DateParse::kNotDate;
  int parts = 1;
  if (Consume(s, &pos, "年")) {
    if (ReadNumber(s, &pos, 2, &month)) {
      if (!Consume(s, &pos, "月")) return DateParse::kNotDate;
      parts = 2;
      if (ReadNumber(s, &pos, 2, &day)) {
        if (!Consume(s, &pos, "日") && !Consume(s, &pos, "号")) return DateParse::kNotDate;
        parts = 3;
      }
    }
  } else if (pos < s.size() && (s[pos] == '-' || s[pos] == '/')) {
    const char sep = s[pos++];
    if (!ReadNumber(s, &pos, 2, &month)) return DateParse::kNotDate;
    parts = 2;
    if (pos < s.size() && s[pos] == sep) {
      ++pos;
      if (!ReadNumber(s, &pos, 2, &day)) return DateParse::kNotDate;
      parts = 3;
    }
    // `2018-04` alone is too often something else (a model or a season).
    if (parts == 2 && !range_end) return DateParse::kNotDate;
  } else if (!range_end) {
    return DateParse::kNotDate;  // a bare number is text
  }
  if (pos != s.size()) return DateParse::kNotDate;
  if (year < 1 || (parts >= 2 && (month < 1 || month > 12))) {
    *error = absl::StrCat("'", s, "' is not a valid date (month must be 1 to 12)");
    return DateParse::kBadDate;
  }
  if (parts == 1) {
    *first = absl::CivilDay(year, 1, 1);
    *last = absl::CivilDay(year, 12, 31);
  } else if (parts == 2) {
    *first = absl::CivilDay(year, month, 1);
    *last = absl::CivilDay(absl::CivilMonth(year, month) + 1) - 1;
  } else {
    *first = absl::CivilDay(year, month, day);
    if (day < 1 || first->day() != day) {
      *error = absl::StrCat("'", s, "' is not a valid date (", year, "-", month, " has no day ",
                            day, ")");
      return DateParse::kBadDate;
    }
    *last = *first;
  }
  return DateParse::kDate;
}

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

}  // namespace

DateParse ParseDateExpression(absl::string_view text, DateRange* range, std::string* error) {
  const size_t dots = text.find("..");
  if (dots == absl::string_view::npos) {
    const DateParse p = ParseDatePoint(text, false, &range->first, &range->last, error);
    range->has_first = range->has_last = p == DateParse::kDate;
    return p;
  }
  const absl::string_view from = text.substr(0, dots);
  const absl::string_view to = text.substr(dots + 2);
  if (from.empty() && to.empty()) return DateParse::kNotDate;
  absl::CivilDay unused;
  DateParse from_parse = DateParse::kDate;
  DateParse to_parse = DateParse::kDate;
  if (!from.empty()) from_parse = ParseDatePoint(from, true, &range->first, &unused, error);
  if (from_parse == DateParse::kBadDate) return from_parse;
  if (!to.empty()) to_parse = ParseDatePoint(to, true, &unused, &range->last, error);
  if (to_parse == DateParse::kBadDate) return to_parse;
  if (from_parse == DateParse::kNotDate && to_parse == DateParse::kNotDate) {
    return DateParse::kNotDate;  // `a..b` is text
  }
  if (from_parse == DateParse::kNotDate || to_parse == DateParse::kNotDate) {
    *error = absl::StrCat("date range '", text, "' has an end that is not a date (use forms like ",
                          "2018-01-01, 2018-04, 2018, 2018年4月)");
    return DateParse::kBadDate;
  }
  range->has_first = !from.empty();
  range->has_last = !to.empty();
  if (range->has_first && range->has_last && range->first > range->last) {
    *error = absl::StrCat("date range '", text, "' ends before it starts");
    return DateParse::kBadDate;
  }
  return DateParse::kDate;
}

std::string DescribeDate(const QueryNode& node) {
  return absl::StrCat("date:[", node.has_first ? FormatDay(node.first) : "", "..",
                      node.has_last ? FormatDay(node.last) : "", "]");
}

Xapian::Query DateQuery(const QueryNode& node) {
  const auto bound = [](int64_t seconds) {
    return Xapian::sortable_serialise(static_cast<double>(seconds));
  };
  const int64_t lower = node.has_first ? schema::DayStartSeconds(node.first) : 0;
  const int64_t upper = node.has_last ? schema::DayStartSeconds(node.last + 1) - 1 : 0;
  if (node.has_first && node.has_last) {
    return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, schema::kPublishedSlot, bound(lower),
                         bound(upper));
  }
  if (node.has_first) {
    return Xapian::Query(Xapian::Query::OP_VALUE_GE, schema::kPublishedSlot, bound(lower));
  }
  return Xapian::Query(Xapian::Query::OP_VALUE_LE, schema::kPublishedSlot, bound(upper));
}

std::string DateText(const QueryNode& node) {
  if (!node.has_first || !node.has_last) return "";
  const absl::CivilDay f = node.first;
  const absl::CivilDay l = node.last;
  if (f == l) return absl::StrFormat("%d年%d月%d日", f.year(), f.month(), f.day());
  if (f.day() == 1 && absl::CivilMonth(f) == absl::CivilMonth(l) && l + 1 == absl::CivilDay(absl::CivilMonth(f) + 1)) {
    return absl::StrFormat("%d年%d月", f.year(), f.month());
  }
  if (f == absl::CivilDay(f.year(), 1, 1) && l == absl::CivilDay(f.year(), 12, 31)) {
    return absl::StrFormat("%d年", f.year());
  }
  return "";
}

}  // namespace newsearch::search::query_internal
