#include "common/server/guarded_service.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message_lite.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/logging.h"
#include "common/server/rpc_observer.h"

namespace newsearch::server {
namespace {

using grpc::internal::MethodHandler;

// Reads the handlers of another service. GetHandler is a protected member of
// grpc::Service; a pointer to it taken through a derived class may be
// applied to any grpc::Service.
class ServiceHandlers : public grpc::Service {
 public:
  static MethodHandler* Get(grpc::Service* service, int index) {
    MethodHandler* (grpc::Service::*get)(int) = &ServiceHandlers::GetHandler;
    return (service->*get)(index);
  }
};

// Sends `status` as the call's only answer, as gRPC does for unknown methods.
void Reject(const MethodHandler::HandlerParameter& param, const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      grpc::internal::ErrorMethodHandler<grpc::StatusCode::UNAUTHENTICATED>(message).RunHandler(
          param);
      return;
    case absl::StatusCode::kDeadlineExceeded:
      grpc::internal::ErrorMethodHandler<grpc::StatusCode::DEADLINE_EXCEEDED>(message).RunHandler(
          param);
      return;
    case absl::StatusCode::kCancelled:
      grpc::internal::ErrorMethodHandler<grpc::StatusCode::CANCELLED>(message).RunHandler(param);
      return;
    default:
      grpc::internal::ErrorMethodHandler<grpc::StatusCode::RESOURCE_EXHAUSTED>(message).RunHandler(
          param);
      return;
  }
}

class GuardedHandler final : public MethodHandler {
 public:
  GuardedHandler(MethodHandler* inner, std::string method, bool streaming, CallGate* gate)
      : inner_(inner), method_(std::move(method)), streaming_(streaming), gate_(gate) {}

  void RunHandler(const HandlerParameter& param) override {
    if (!param.status.ok() && param.request == nullptr && param.server_context->IsCancelled()) {
      // The client went away (often its deadline) before its request
      // arrived; gRPC reports that as an INTERNAL deserialization error,
      // which would count as a server fault.
      Reject(param, absl::CancelledError(absl::StrCat(
                        method_, ": the call was cancelled before its request arrived")));
      return;
    }
    absl::Status admitted = gate_->Admit(param.server_context, method_, streaming_);
    if (!admitted.ok()) {
      // The inner handler owns the request it deserialized and destroys it
      // when it runs; it will not run, so destroy it here. Every service
      // wrapped here is generated from a .proto, so the request is a
      // protobuf message (MessageLite is its first and only base).
      if (param.request != nullptr) {
        static_cast<google::protobuf::MessageLite*>(param.request)->~MessageLite();
      }
      Reject(param, admitted);
      return;
    }
    inner_->RunHandler(param);
    if (streaming_) gate_->ReleaseStream();
  }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** handler_data) override {
    return inner_->Deserialize(call, req, status, handler_data);
  }

 private:
  MethodHandler* const inner_;  // Owned by the wrapped service.
  const std::string method_;
  const bool streaming_;
  CallGate* const gate_;
};

// Hands a callback method's calls to the handler the wrapped service owns.
class ForwardingHandler final : public MethodHandler {
 public:
  explicit ForwardingHandler(MethodHandler* inner) : inner_(inner) {}
  void RunHandler(const HandlerParameter& param) override { inner_->RunHandler(param); }
  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** handler_data) override {
    return inner_->Deserialize(call, req, status, handler_data);
  }

 private:
  MethodHandler* const inner_;  // Owned by the wrapped service.
};

}  // namespace

absl::Status CallGate::Admit(grpc::ServerContextBase* context, const std::string& method,
                             bool streaming) {
  if (context->deadline() < std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError(
        absl::StrCat(method, ": the call's deadline passed before it started; nothing was done"));
  }
  if (token_ != nullptr) {
    absl::Status auth = CheckBearerToken(context->client_metadata(), token_->Current());
    if (!auth.ok()) {
      Log(LogLevel::kWarning, "auth", "call rejected",
          {{"method", method}, {"peer", context->peer()}, {"reason", auth.message()}});
      return auth;
    }
  }
  if (streaming) {
    absl::MutexLock lock(&mu_);
    if (max_streams_ > 0 && open_streams_ >= max_streams_) {
      Log(LogLevel::kWarning, "limits", "stream refused",
          {{"method", method}, {"peer", context->peer()}, {"open_streams", open_streams_}});
      return absl::ResourceExhaustedError(absl::StrCat(
          method, ": ", open_streams_,
          " streams are open, the server's limit (--max_concurrent_streams=", max_streams_,
          "); retry later"));
    }
    ++open_streams_;
  }
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

absl::StatusOr<std::unique_ptr<GuardedService>> GuardedService::Wrap(grpc::Service* inner,
                                                                     const std::string& full_name,
                                                                     CallGate* gate) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  if (descriptor == nullptr) {
    return absl::NotFoundError(absl::StrCat("no proto service named ", full_name));
  }
  std::unique_ptr<GuardedService> guarded(new GuardedService());
  auto* self_admitting = dynamic_cast<SelfAdmittingService*>(inner);
  const std::vector<std::string> self_admitted =
      self_admitting != nullptr ? self_admitting->SelfAdmittedMethods()
                                : std::vector<std::string>();
  if (self_admitting != nullptr) self_admitting->SetCallGate(gate);
  // The generated service adds its methods in .proto order, so method i of
  // the descriptor is handler i of `inner`.
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = descriptor->method(i);
    grpc::internal::RpcMethod::RpcType type = grpc::internal::RpcMethod::NORMAL_RPC;
    if (method->client_streaming() && method->server_streaming()) {
      type = grpc::internal::RpcMethod::BIDI_STREAMING;
    } else if (method->client_streaming()) {
      type = grpc::internal::RpcMethod::CLIENT_STREAMING;
    } else if (method->server_streaming()) {
      type = grpc::internal::RpcMethod::SERVER_STREAMING;
    }
    MethodHandler* handler = ServiceHandlers::Get(inner, i);
    if (handler == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(method->full_name(), " is not a synchronous method; cannot guard it"));
    }
    guarded->method_names_.push_back(
        std::make_unique<std::string>(absl::StrCat("/", full_name, "/", method->name())));
    const std::string& name = *guarded->method_names_.back();
    if (std::find(self_admitted.begin(), self_admitted.end(), name) != self_admitted.end()) {
      guarded->AddMethod(
          new grpc::internal::RpcServiceMethod(name.c_str(), type, new ForwardingHandler(handler)));
      guarded->MarkMethodRawCallback(i, new ForwardingHandler(handler));
      continue;
    }
    guarded->AddMethod(new grpc::internal::RpcServiceMethod(
        guarded->method_names_.back()->c_str(), type,
        new GuardedHandler(handler, RpcMethodLabel(method->name()),
                           type != grpc::internal::RpcMethod::NORMAL_RPC, gate)));
  }
  return guarded;
}

}  // namespace newsearch::server
