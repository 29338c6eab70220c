// The one place where an absl::Status becomes a grpc::Status. Decides what
// detail a client sees: the code maps one to one, the message is capped.
#ifndef NEWSEARCH_COMMON_SERVER_GRPC_STATUS_H_
#define NEWSEARCH_COMMON_SERVER_GRPC_STATUS_H_

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace newsearch::server {

// Longest message sent to a client; longer ones are cut at a UTF-8 boundary
// and end with "...".
inline constexpr size_t kMaxStatusMessageBytes = 1024;

grpc::Status ToGrpcStatus(const absl::Status& status);
// Returns the canonical name of a gRPC code ("INVALID_ARGUMENT").
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_GRPC_STATUS_H_
