// Cutting UTF-8 text to a byte budget without splitting a character, for
// log fields, status messages, index terms and echoed request values.
#ifndef NEWSEARCH_COMMON_BASE_UTF8_TRUNCATE_H_
#define NEWSEARCH_COMMON_BASE_UTF8_TRUNCATE_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace newsearch {

// At most `max_bytes` of `text`, cut before a UTF-8 continuation byte so the
// result stays valid UTF-8 when `text` is.
inline absl::string_view TruncateUtf8(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace newsearch

#endif  // NEWSEARCH_COMMON_BASE_UTF8_TRUNCATE_H_
