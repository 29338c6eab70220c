// Small UTF-8 helpers shared by the parser's stages: code point iteration,
// whitespace trimming that knows the full-width and no-break spaces of
// Chinese pages, full-width digit folding and Han character counting.
// Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_TEXT_UTIL_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_TEXT_UTIL_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace newsearch::ingest::text {

// Decodes the code point starting at `*pos` in valid UTF-8 `s` and advances
// `*pos` past it (ICU's U8_NEXT). Returns U+FFFD on a malformed sequence,
// advancing past it (at least one byte), so callers never loop forever on
// bad input.
char32_t NextCodePoint(absl::string_view s, size_t* pos);

// Appends `cp` to `out` as UTF-8 (U+FFFD for surrogates and values beyond
// U+10FFFF).
void AppendUtf8(char32_t cp, std::string* out);

// Returns the code points of `s`.
std::u32string ToCodePoints(absl::string_view s);

// Returns `cps` as UTF-8.
std::string FromCodePoints(const std::u32string& cps);

// Returns the number of code points in `s`.
size_t CodePointCount(absl::string_view s);

// True for ASCII whitespace, U+00A0, U+3000, the U+2000..U+200B spaces,
// U+FEFF and U+202F.
bool IsSpace(char32_t cp);

// True for CJK unified ideographs (basic block and extensions A..G) and
// compatibility ideographs.
bool IsHan(char32_t cp);

// Returns `s` without leading and trailing IsSpace() code points.
absl::string_view Trim(absl::string_view s);

// Returns the number of Han code points in `s`.
size_t HanCount(absl::string_view s);

// Returns `s` with full-width digits, letters and the punctuation used in
// dates and labels (`：`, `－`, `／`, `．`) replaced by their ASCII forms.
std::string FoldFullWidth(absl::string_view s);

// Returns `s` with every run of IsSpace() code points collapsed to one ASCII
// space and the ends trimmed.
std::string CollapseSpaces(absl::string_view s);

// Splits `s` on runs of IsSpace() code points, dropping empty pieces.
std::vector<std::string> SplitOnSpaces(absl::string_view s);

// True when `s` starts with `prefix`.
inline bool StartsWith(absl::string_view s, absl::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// True when `s` ends with `suffix`.
inline bool EndsWith(absl::string_view s, absl::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace newsearch::ingest::text

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_TEXT_UTIL_H_
