#include "search-service/query/search_filters.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "search-service/query/query_parser.h"
#include "search-service/query/utf8.h"
#include "search-service/schema/schema.h"

namespace newsearch::search::query_internal {
namespace {

constexpr int kMaxSources = 100;
// Timestamp limits of google.protobuf.Timestamp (0001-01-01 .. 9999-12-31).
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

absl::Status ValidateTimestamp(const google::protobuf::Timestamp& t, absl::string_view field) {
  if (t.seconds() < kMinTimestampSeconds || t.seconds() > kMaxTimestampSeconds ||
      t.nanos() < 0 || t.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a valid timestamp (seconds=",
                                                   t.seconds(), ", nanos=", t.nanos(), ")"));
  }
  return absl::OkStatus();
}

std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FormatTime(absl::RFC3339_full,
                          absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
                          absl::UTCTimeZone());
}

// Parses "2018" (years) or "2018-04"/"2018-4" (months) into the filter term.
absl::StatusOr<std::string> CalendarFilterTerm(absl::string_view value, bool month,
                                               absl::string_view field) {
  const std::vector<absl::string_view> parts = absl::StrSplit(value, '-');
  int year = 0;
  int m = 0;
  const bool ok = parts.size() == (month ? 2u : 1u) && parts[0].size() == 4 &&
                  absl::SimpleAtoi(parts[0], &year) && year >= 1 &&
                  (!month || (parts[1].size() <= 2 && !parts[1].empty() &&
                              absl::SimpleAtoi(parts[1], &m) && m >= 1 && m <= 12));
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is '", Truncated(value), "'; expected ",
                     month ? "a month like 2018-04" : "a year like 2018"));
  }
  return month ? absl::StrFormat("%s%04d%02d", schema::kMonthPrefix, year, m)
               : absl::StrFormat("%s%04d", schema::kYearPrefix, year);
}

}  // namespace

absl::StatusOr<Xapian::Query> BuildFilter(const v1::SearchRequest& request,
                                          const analysis::Analyzer& analyzer,
                                          std::vector<std::string>* descriptions) {
  std::vector<Xapian::Query> parts;
  for (const bool month : {false, true}) {
    const auto& values = month ? request.months() : request.years();
    const char* name = month ? "months" : "years";
    if (values.size() > kMaxSources) {
      return absl::InvalidArgumentError(absl::StrCat(name, " has ", values.size(),
                                                     " entries; at most ", kMaxSources,
                                                     " are allowed"));
    }
    if (values.empty()) continue;
    std::vector<Xapian::Query> terms;
    for (int i = 0; i < values.size(); ++i) {
      NEWSEARCH_RETURN_IF_ERROR(ValidateUtf8(values[i], absl::StrCat(name, "[", i, "]")));
      NEWSEARCH_ASSIGN_OR_RETURN(
          std::string term,
          CalendarFilterTerm(values[i], month, absl::StrCat(name, "[", i, "]")));
      terms.emplace_back(term);
    }
    parts.emplace_back(Xapian::Query::OP_OR, terms.begin(), terms.end());
    descriptions->push_back(absl::StrCat(name, " in [", absl::StrJoin(values, ", "), "]"));
  }
  if (request.sources_size() > kMaxSources) {
    return absl::InvalidArgumentError(absl::StrCat("sources has ", request.sources_size(),
                                                   " entries; at most ", kMaxSources,
                                                   " are allowed"));
  }
  if (request.sources_size() > 0) {
    std::vector<Xapian::Query> sources;
    for (int i = 0; i < request.sources_size(); ++i) {
      const std::string& source = request.sources(i);
      const std::string field = absl::StrCat("sources[", i, "]");
      NEWSEARCH_RETURN_IF_ERROR(ValidateUtf8(source, field));
      if (absl::StripAsciiWhitespace(source).empty()) {
        return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
      }
      sources.emplace_back(schema::SourceFilterTerm(analyzer, source));
    }
    parts.emplace_back(Xapian::Query::OP_OR, sources.begin(), sources.end());
    descriptions->push_back(
        absl::StrCat("sources in [", absl::StrJoin(request.sources(), ", "), "]"));
  }

  const bool has_after = request.has_published_after();
  const bool has_before = request.has_published_before();
  if (has_after) NEWSEARCH_RETURN_IF_ERROR(ValidateTimestamp(request.published_after(), "published_after"));
  if (has_before) NEWSEARCH_RETURN_IF_ERROR(ValidateTimestamp(request.published_before(), "published_before"));
  if (has_after && has_before) {
    const auto& a = request.published_after();
    const auto& b = request.published_before();
    if (std::make_pair(a.seconds(), a.nanos()) >= std::make_pair(b.seconds(), b.nanos())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "published_after (", FormatTimestamp(a), ") must be earlier than published_before (",
          FormatTimestamp(b), ")"));
    }
  }
  // The slot holds whole unix seconds: [after, before) becomes the closed
  // range [ceil(after), ceil(before) - 1].
  if (has_after) {
    descriptions->push_back(
        absl::StrCat("published_after ", FormatTimestamp(request.published_after())));
  }
  if (has_before) {
    descriptions->push_back(
        absl::StrCat("published_before ", FormatTimestamp(request.published_before())));
  }
  if (has_after || has_before) {
    const auto& a = request.published_after();
    const auto& b = request.published_before();
    const int64_t lower = a.seconds() + (a.nanos() > 0 ? 1 : 0);
    const int64_t upper = b.seconds() + (b.nanos() > 0 ? 1 : 0) - 1;
    if (has_after && has_before) {
      if (lower > upper) {
        parts.push_back(Xapian::Query::MatchNothing);
      } else {
        parts.emplace_back(Xapian::Query::OP_VALUE_RANGE, schema::kPublishedSlot,
                           Xapian::sortable_serialise(static_cast<double>(lower)),
                           Xapian::sortable_serialise(static_cast<double>(upper)));
      }
    } else if (has_after) {
      parts.emplace_back(Xapian::Query::OP_VALUE_GE, schema::kPublishedSlot,
                         Xapian::sortable_serialise(static_cast<double>(lower)));
    } else {
      parts.emplace_back(Xapian::Query::OP_VALUE_LE, schema::kPublishedSlot,
                         Xapian::sortable_serialise(static_cast<double>(upper)));
    }
  }
  if (parts.empty()) return Xapian::Query();
  if (parts.size() == 1) return parts[0];
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

}  // namespace newsearch::search::query_internal
