#include "common/server/call_gate.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/base/logging.h"
#include "common/server/grpc_status.h"

namespace newsearch::server {

absl::Status CallGate::Check(grpc::ServerContextBase* context, absl::string_view method) {
  if (context->deadline() < std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError(
        absl::StrCat(method, ": the call's deadline passed before it started; nothing was done"));
  }
  if (token_ != nullptr) {
    absl::Status auth = CheckBearerToken(context->client_metadata(), token_->Current());
    if (!auth.ok()) {
      Log(LogLevel::kWarning, "auth", "call rejected",
          {{"method", std::string(method)},
           {"peer", context->peer()},
           {"reason", auth.message()}});
      return auth;
    }
  }
  return absl::OkStatus();
}

absl::Status CallGate::Admit(grpc::ServerContextBase* context, absl::string_view method,
                             bool streaming) {
  absl::Status checked = Check(context, method);
  if (!checked.ok() || !streaming) return checked;
  absl::MutexLock lock(&mu_);
  if (max_streams_ > 0 && open_streams_ >= max_streams_) {
    Log(LogLevel::kWarning, "limits", "stream refused",
        {{"method", std::string(method)},
         {"peer", context->peer()},
         {"open_streams", open_streams_}});
    return absl::ResourceExhaustedError(absl::StrCat(
        method, ": ", open_streams_,
        " streams are open, the server's limit (--max_concurrent_streams=", max_streams_,
        "); retry later"));
  }
  ++open_streams_;
  return absl::OkStatus();
}

void CallGate::ReleaseStream() {
  absl::MutexLock lock(&mu_);
  --open_streams_;
}

int CallGate::open_streams() const {
  absl::MutexLock lock(&mu_);
  return open_streams_;
}

Admission::Admission(CallGate* gate, grpc::ServerContextBase* context, absl::string_view method,
                     Kind kind)
    : gate_(gate) {
  if (gate_ == nullptr) return;
  status_ = gate_->Admit(context, method, kind == Kind::kStreaming);
  holds_stream_ = status_.ok() && kind == Kind::kStreaming;
}

Admission::~Admission() {
  if (holds_stream_) gate_->ReleaseStream();
}

grpc::Status Admission::status() const { return ToGrpcStatus(status_); }

}  // namespace newsearch::server
