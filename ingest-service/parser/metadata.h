// Reads article metadata printed as free text on scraped pages: dates
// (`2018-04-23 07:36:02`, `2014年07月29日`, `２０１８年４月２３日`), `来源:`
// lines, bylines (`□本报记者 宋爽`, `作者: 本刊记者 朱诗意`) and editors
// (`责任编辑:丁楚兰`). PageParser removes the lines recognised here from the
// body. Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_METADATA_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_METADATA_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace newsearch::ingest {

struct DateMatch {
  absl::CivilSecond civil;
  // False when the page printed only the day (time is then 00:00:00).
  bool has_time = false;
  // False for a month and day without a year (`十二月二十日`): the year in
  // `civil` is a placeholder until SetYear() gives the page's year.
  bool has_year = true;
  // Byte range of the match in the string that was searched.
  size_t begin = 0;
  size_t end = 0;
};

// Finds the first complete calendar date in `s`: `YYYY-M-D`, `YYYY/M/D`,
// `YYYY.M.D`, `YYYY年M月D日` (also `号`) or `二〇一九年三月五日` (〇, ○, 零,
// 十), optionally followed by a weekday and a time `H:MM[:SS]` or `H时MM分`;
// an ISO zone (`Z`, `+00:00`) is converted to China time. Full-width digits
// are accepted. Rejects
// impossible dates (2018-02-30) and years outside 1900..2100.
std::optional<DateMatch> FindDate(absl::string_view s);

// Finds the first month and day printed without a year: `12月20日`,
// `十二月二十日`, `十二月二十日 10:30`. Its `has_year` is false.
std::optional<DateMatch> FindMonthDay(absl::string_view s);

// Gives a yearless date its year; false when that day does not exist then
// (2月29日 in 2019). No-op on a date that has its year.
bool SetYear(int year, DateMatch* date);

// Returns the instant of `civil` read as China Standard Time (UTC+8).
absl::Time ChinaTimeToInstant(absl::CivilSecond civil);

// Returns `s` without pinyin glosses glued to hanzi (`烏鎮(zhèn)` ->
// `烏鎮`). Only a parenthesised run of up to 7 lowercase Latin letters with
// at least one tone mark (or ü) right after a Han character is removed, so
// `中国(china)` stays. Adds the number removed to `*removed` when given.
std::string StripPinyinGlosses(absl::string_view s, int* removed = nullptr);

struct LineMetadata {
  std::optional<DateMatch> date;
  std::string source;
  std::vector<std::string> authors;
  std::vector<std::string> editors;
};

// Parses one trimmed line. Returns the metadata it carries when the whole
// line is metadata (a date line, a labelled `来源:`/`作者:`/`编辑:`/`责任编辑:`
// line, possibly several fields on one line, or a byline such as
// `□本报记者 宋爽` or `□宋爽`); nullopt for body text, even body text that
// mentions a date or a reporter.
std::optional<LineMetadata> ParseMetadataLine(absl::string_view line);

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_METADATA_H_
