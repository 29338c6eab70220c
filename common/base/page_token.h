// Opaque page tokens: what a paging RPC hands out as next_page_token and
// takes back as page_token. Callers must treat a token as an opaque string;
// the service keeps its own versioned plain text inside (for example
// `l1.<last id>`), so the encoding can change without clients noticing.
//
// A token is the plain text in URL-safe base64 without padding: safe in JSON,
// URLs and shell arguments.
#ifndef NEWSEARCH_COMMON_BASE_PAGE_TOKEN_H_
#define NEWSEARCH_COMMON_BASE_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsearch {

std::string EncodePageToken(absl::string_view plain);

// The plain text of a token made by EncodePageToken. INVALID_ARGUMENT naming
// `method` when the token is not one (not base64, too long).
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view method);

}  // namespace newsearch

#endif  // NEWSEARCH_COMMON_BASE_PAGE_TOKEN_H_
