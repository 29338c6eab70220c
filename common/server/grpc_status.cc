#include "common/server/grpc_status.h"

#include "absl/strings/str_cat.h"
#include "common/base/utf8_truncate.h"

namespace newsearch::server {
namespace {

std::string CapMessage(absl::string_view message) {
  if (message.size() <= kMaxStatusMessageBytes) return std::string(message);
  return absl::StrCat(TruncateUtf8(message, kMaxStatusMessageBytes - 3), "...");
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share the canonical numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), CapMessage(status.message()));
}

std::string GrpcCodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace newsearch::server
