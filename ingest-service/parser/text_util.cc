#include "ingest-service/parser/text_util.h"

#include <unicode/utf8.h>

namespace newsearch::ingest::text {

char32_t NextCodePoint(absl::string_view s, size_t* pos) {
  // ICU checks every trail byte and rejects overlong forms, surrogates and
  // values above U+10FFFF; an ill-formed sequence yields U+FFFD and is
  // skipped as a whole (at least one byte).
  UChar32 cp;
  U8_NEXT_OR_FFFD(reinterpret_cast<const uint8_t*>(s.data()), *pos, s.size(), cp);
  return static_cast<char32_t>(cp);
}

void AppendUtf8(char32_t cp, std::string* out) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
  char buffer[U8_MAX_LENGTH];
  size_t length = 0;
  U8_APPEND_UNSAFE(buffer, length, static_cast<UChar32>(cp));
  out->append(buffer, length);
}

std::u32string ToCodePoints(absl::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(NextCodePoint(s, &pos));
  return out;
}

std::string FromCodePoints(const std::u32string& cps) {
  std::string out;
  out.reserve(cps.size() * 3);
  for (char32_t cp : cps) AppendUtf8(cp, &out);
  return out;
}

size_t CodePointCount(absl::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool IsSpace(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' ||
         cp == '\v' || cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200B) ||
         cp == 0x202F || cp == 0x205F || cp == 0xFEFF;
}

bool IsHan(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F);
}

absl::string_view Trim(absl::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t next = begin;
    if (!IsSpace(NextCodePoint(s, &next))) break;
    begin = next;
  }
  // Back from the end, so a long text is not decoded to find its last
  // letter. A well-formed sequence is read the same from either side (an
  // ill-formed one never swallows a lead byte), and no ill-formed one is a
  // space.
  size_t end = s.size();
  while (end > begin) {
    size_t at = end - 1;
    while (at > begin && end - at < 4 && (static_cast<uint8_t>(s[at]) & 0xC0) == 0x80) --at;
    size_t next = at;
    if (!IsSpace(NextCodePoint(s, &next)) || next != end) break;
    end = at;
  }
  return s.substr(begin, end - begin);
}

size_t HanCount(absl::string_view s) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    if (IsHan(NextCodePoint(s, &pos))) ++n;
  }
  return n;
}

std::string FoldFullWidth(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = NextCodePoint(s, &pos);
    // U+FF01..U+FF5E mirror ASCII 0x21..0x7E.
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp = cp - 0xFF01 + 0x21;
    AppendUtf8(cp, &out);
  }
  return out;
}

std::string CollapseSpaces(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = NextCodePoint(s, &pos);
    if (IsSpace(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    AppendUtf8(cp, &out);
  }
  return out;
}

std::vector<std::string> SplitOnSpaces(absl::string_view s) {
  std::vector<std::string> pieces;
  std::string current;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = NextCodePoint(s, &pos);
    if (IsSpace(cp)) {
      if (!current.empty()) pieces.push_back(std::move(current));
      current.clear();
    } else {
      AppendUtf8(cp, &current);
    }
  }
  if (!current.empty()) pieces.push_back(std::move(current));
  return pieces;
}

}  // namespace newsearch::ingest::text
