// Small UTF-8 helpers for the query folder: validation with the byte offset
// of the first bad sequence, and conversion between UTF-8 and code points
// (the unit of every offset the search API reports).
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_UTF8_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_UTF8_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace newsearch::search {

// Returns the byte offset of the first ill-formed sequence (overlong forms,
// surrogates and values above U+10FFFF are ill-formed), or -1 when `text` is
// valid UTF-8.
int64_t FindInvalidUtf8(absl::string_view text);

// Decodes `text` into code points; each ill-formed sequence becomes U+FFFD.
std::vector<char32_t> DecodeUtf8(absl::string_view text);

// Appends the UTF-8 encoding of `cp` to `out`.
void AppendUtf8(char32_t cp, std::string* out);

// Encodes code points [begin, end) of `cps` as UTF-8.
std::string EncodeUtf8(const std::vector<char32_t>& cps, size_t begin, size_t end);

// Returns `s` for an error message: as is up to `max_bytes`, else cut at a
// character boundary within them and ended with `…`.
std::string Truncated(absl::string_view s, size_t max_bytes = 40);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_UTF8_H_
