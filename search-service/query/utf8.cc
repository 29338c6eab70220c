#include "search-service/query/utf8.h"

#include <unicode/utf8.h>

#include "absl/strings/str_cat.h"
#include "common/base/utf8_truncate.h"

namespace newsearch::search {

int64_t FindInvalidUtf8(absl::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int64_t length = static_cast<int64_t>(text.size());
  int64_t i = 0;
  while (i < length) {
    const int64_t start = i;
    UChar32 c;
    // ICU's U8_NEXT rejects overlong forms, surrogates and > U+10FFFF.
    U8_NEXT(s, i, length, c);
    if (c < 0) return start;
  }
  return -1;
}

std::vector<char32_t> DecodeUtf8(absl::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int64_t length = static_cast<int64_t>(text.size());
  int64_t i = 0;
  while (i < length) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    out.push_back(c < 0 ? U'\uFFFD' : static_cast<char32_t>(c));
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  uint8_t buf[U8_MAX_LENGTH];
  int32_t n = 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = U'\uFFFD';
  U8_APPEND_UNSAFE(buf, n, static_cast<UChar32>(cp));
  out->append(reinterpret_cast<const char*>(buf), n);
}

std::string EncodeUtf8(const std::vector<char32_t>& cps, size_t begin, size_t end) {
  std::string out;
  if (end > cps.size()) end = cps.size();
  for (size_t i = begin; i < end; ++i) AppendUtf8(cps[i], &out);
  return out;
}

std::string Truncated(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  return absl::StrCat(TruncateUtf8(s, max_bytes), "…");
}

}  // namespace newsearch::search
