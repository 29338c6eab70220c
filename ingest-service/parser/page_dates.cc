#include "ingest-service/parser/page_dates.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {

int YearFromUrl(absl::string_view url) {
  // Only the path: a host such as `news2019.example.cn` names no date.
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == absl::string_view::npos ? 0 : scheme + 3);
  if (path == absl::string_view::npos) return 0;
  url.remove_prefix(path);
  for (size_t i = 0; i < url.size();) {
    if (!absl::ascii_isdigit(url[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < url.size() && absl::ascii_isdigit(url[j])) ++j;
    const absl::string_view run = url.substr(i, j - i);
    const char before = i > 0 ? url[i - 1] : '/';
    const bool bounded = !absl::ascii_isalnum(before) || before == 't';
    if (bounded && (run.size() == 4 || run.size() == 6 || run.size() == 8)) {
      const int year =
          (run[0] - '0') * 1000 + (run[1] - '0') * 100 + (run[2] - '0') * 10 + (run[3] - '0');
      const int month = run.size() >= 6 ? (run[4] - '0') * 10 + (run[5] - '0') : 1;
      const bool dated_segment =
          run.size() > 4 || (j < url.size() && (url[j] == '/' || url[j] == '-'));
      if (year >= 1990 && year <= 2100 && month >= 1 && month <= 12 && dated_segment) {
        return year;
      }
    }
    i = j;
  }
  return 0;
}

std::optional<DateMatch> DatelineDate(absl::string_view paragraph) {
  constexpr size_t kMaxDatelineCodePoints = 40;
  size_t end = 0;
  for (size_t n = 0; n < kMaxDatelineCodePoints && end < paragraph.size(); ++n) {
    text::NextCodePoint(paragraph, &end);
  }
  const absl::string_view head = paragraph.substr(0, end);
  // A dateline names its agency or paper before the date and ends with 电
  // or a comma right after it.
  const bool wire = absl::StrContains(head, "社") || absl::StrContains(head, "网") ||
                    absl::StrContains(head, "網") || absl::StrContains(head, "讯") ||
                    absl::StrContains(head, "訊") || absl::StrContains(head, "报") ||
                    absl::StrContains(head, "報");
  if (!wire) return std::nullopt;
  std::optional<DateMatch> date = FindDate(head);
  if (!date) date = FindMonthDay(head);
  if (!date) return std::nullopt;
  const std::string folded = text::FoldFullWidth(head);
  const absl::string_view after = absl::string_view(folded).substr(date->end);
  for (const char* end_mark : {"电", "電", ",", "，", " "}) {
    if (absl::StartsWith(after, end_mark)) return date;
  }
  return std::nullopt;
}

}  // namespace newsearch::ingest
