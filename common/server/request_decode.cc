#include "common/server/request_decode.h"

#include <google/protobuf/stubs/common.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/server_context.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/server/grpc_status.h"
#include "common/server/rpc_observer.h"

namespace newsearch::server {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;

// Finds the first string field (at any depth of nested messages that do
// decode as wire format) whose bytes are not UTF-8; returns its dotted name.
std::string FindBadUtf8(const google::protobuf::Descriptor& type,
                        const google::protobuf::UnknownFieldSet& fields, int depth) {
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    if (field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const google::protobuf::FieldDescriptor* descriptor = type.FindFieldByNumber(field.number());
    if (descriptor == nullptr) continue;
    const std::string& value = field.length_delimited();
    if (descriptor->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !google::protobuf::internal::IsStructurallyValidUTF8(value.data(),
                                                            static_cast<int>(value.size()))) {
      return absl::StrCat(descriptor->name(), " (", descriptor->number(), ")");
    }
    if (descriptor->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE && depth < 8) {
      google::protobuf::UnknownFieldSet nested;
      if (!nested.ParseFromString(value)) continue;
      std::string inner = FindBadUtf8(*descriptor->message_type(), nested, depth + 1);
      if (!inner.empty()) return absl::StrCat(descriptor->name(), ".", inner);
    }
  }
  return "";
}

// Rewrites the INTERNAL "" that gRPC sends when it could not decode a
// request (POST_RECV_MESSAGE without a message) into INVALID_ARGUMENT.
class RequestDecodeInterceptor final : public grpc::experimental::Interceptor {
 public:
  RequestDecodeInterceptor(ServerRpcInfo* info, CallGate* gate) : info_(info), gate_(gate) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      // For unary and server-streaming calls gRPC reads exactly one message
      // before the handler; a missing one means it did not decode. (For
      // client streams a missing message is also the end of the stream.)
      undecodable_ = info_->type() == ServerRpcInfo::Type::UNARY ||
                     info_->type() == ServerRpcInfo::Type::SERVER_STREAMING;
    }
    if (undecodable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::INTERNAL) {
        const std::string method = info_->method() != nullptr ? info_->method() : "";
        const std::string type = RequestTypeName(method);
        grpc::ServerContextBase* context = info_->server_context();
        absl::Status admitted;
        if (context != nullptr && context->IsCancelled()) {
          // The client went away (often its deadline) before its request
          // arrived; gRPC reports that as a failed decode too.
          admitted = absl::CancelledError(
              absl::StrCat(method, ": the call was cancelled before its request arrived"));
        } else if (gate_ != nullptr && context != nullptr) {
          admitted = gate_->Check(context, RpcMethodLabel(method));
        }
        if (!admitted.ok()) {
          methods->ModifySendStatus(ToGrpcStatus(admitted));
        } else {
          methods->ModifySendStatus(grpc::Status(
              grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat(method, ": the request could not be decoded",
                           type.empty() ? "" : absl::StrCat(" as ", type),
                           " (malformed or truncated protobuf bytes, or a string field that is "
                           "not valid UTF-8); nothing was done")));
        }
      }
    }
    methods->Proceed();
  }

 private:
  ServerRpcInfo* const info_;
  CallGate* const gate_;
  bool undecodable_ = false;
};

}  // namespace

std::string DescribeUndecodable(const google::protobuf::Descriptor& type,
                                absl::string_view bytes) {
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::StrCat("the ", bytes.size(), " bytes are not a ", type.full_name(),
                        " (malformed or truncated protobuf)");
  }
  const std::string field = FindBadUtf8(type, fields, 0);
  if (!field.empty()) return absl::StrCat("field ", field, " is not valid UTF-8");
  return absl::StrCat("the ", bytes.size(), " bytes do not decode as ", type.full_name());
}

std::string RequestTypeName(absl::string_view full_method) {
  if (full_method.empty() || full_method[0] != '/') return "";
  const std::string dotted = absl::StrReplaceAll(full_method.substr(1), {{"/", "."}});
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
  return method != nullptr ? method->input_type()->full_name() : "";
}

grpc::experimental::Interceptor* RequestDecodeInterceptorFactory::CreateServerInterceptor(
    ServerRpcInfo* info) {
  return new RequestDecodeInterceptor(info, gate_);
}

}  // namespace newsearch::server
