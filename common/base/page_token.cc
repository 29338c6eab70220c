#include "common/base/page_token.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace newsearch {
namespace {

// Longer tokens are never handed out; refusing them early bounds the work a
// bad token can cause.
constexpr size_t kMaxTokenBytes = 1024;

}  // namespace

std::string EncodePageToken(absl::string_view plain) { return absl::WebSafeBase64Escape(plain); }

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view method) {
  std::string plain;
  if (token.size() > kMaxTokenBytes || !absl::WebSafeBase64Unescape(token, &plain)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token is not a token from ", method,
                     "; pass next_page_token from a previous response unchanged"));
  }
  return plain;
}

}  // namespace newsearch
