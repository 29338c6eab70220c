#include "common/server/rpc_observer.h"

#include <grpcpp/server_context.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/logging.h"
#include "common/base/status_macros.h"
#include "common/base/utf8_truncate.h"

namespace newsearch::server {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;

constexpr size_t kMaxMethodLabelBytes = 64;
// Status messages in log lines are cut here; the client saw the full one.
constexpr size_t kMaxLoggedMessageBytes = 200;

constexpr char kRequestIdKey[] = "x-request-id";
constexpr size_t kMaxRequestIdBytes = 128;

// A client's x-request-id is kept when it is short printable ASCII (it is
// echoed in logs and response metadata); otherwise a fresh one is made.
bool IsUsableRequestId(absl::string_view id) {
  return !id.empty() && id.size() <= kMaxRequestIdBytes &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(random()));
  return buffer;
}

bool IsServerFault(grpc::StatusCode code) {
  return code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS;
}

// Observes one RPC from creation (the call has arrived) to the status the
// handler sends; created and destroyed by gRPC.
class RpcObserver final : public grpc::experimental::Interceptor {
 public:
  RpcObserver(absl::string_view service, std::string method, ServerRpcInfo* info,
              CounterFamily* requests, HistogramFamily* duration, Gauge* open_stream)
      : service_(service),
        method_(std::move(method)),
        info_(info),
        requests_(requests),
        duration_(duration),
        open_stream_(open_stream),
        start_(std::chrono::steady_clock::now()) {
    if (open_stream_ != nullptr) open_stream_->Add(1);
  }

  ~RpcObserver() override {
    // No PRE_SEND_STATUS: the call ended without the handler's status
    // reaching the wire (client cancelled, server shut down).
    if (!recorded_) Record(grpc::Status(grpc::StatusCode::CANCELLED, "ended without status"));
    if (open_stream_ != nullptr) open_stream_->Add(-1);
  }

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      peer_ = info_->server_context()->peer();
      auto* metadata = methods->GetRecvInitialMetadata();
      if (metadata != nullptr) {
        auto it = metadata->find(kRequestIdKey);
        if (it != metadata->end()) {
          absl::string_view id(it->second.data(), it->second.size());
          if (IsUsableRequestId(id)) request_id_ = std::string(id);
        }
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* metadata = methods->GetSendInitialMetadata();
      if (metadata != nullptr) metadata->emplace(kRequestIdKey, request_id());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        !recorded_) {
      if (peer_.empty()) peer_ = info_->server_context()->peer();
      Record(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Record(const grpc::Status& status) {
    recorded_ = true;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string code =
        absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
    requests_->WithLabels({method_, code}).Increment();
    duration_->WithLabels({method_}).Observe(seconds);

    const bool server_fault = IsServerFault(status.error_code());
    if (status.ok()) {
      Log(LogLevel::kInfo, "rpc", "rpc finished",
          {LogField("service", service_), LogField("method", method_), LogField("code", code),
           LogField("latency_ms", seconds * 1000.0), LogField("peer", peer_),
           LogField("request_id", request_id())});
    } else {
      const std::string& message = status.error_message();
      Log(server_fault ? LogLevel::kWarning : LogLevel::kInfo, "rpc", "rpc failed",
          {LogField("service", service_), LogField("method", method_), LogField("code", code),
           LogField("latency_ms", seconds * 1000.0), LogField("peer", peer_),
           LogField("request_id", request_id()),
           LogField("error", TruncateUtf8(message, kMaxLoggedMessageBytes))});
    }
  }

  const std::string& request_id() {
    if (request_id_.empty()) request_id_ = NewRequestId();
    return request_id_;
  }

  const std::string service_;  // A copy: the RPC may outlive the factory.
  const std::string method_;
  ServerRpcInfo* const info_;
  CounterFamily* const requests_;
  HistogramFamily* const duration_;
  Gauge* const open_stream_;  // Null for unary calls.
  const std::chrono::steady_clock::time_point start_;
  std::string peer_;
  std::string request_id_;  // From x-request-id, or made on first use.
  bool recorded_ = false;  // gRPC runs one hook batch at a time per RPC.
};

bool IsValidServiceName(absl::string_view service) {
  return !service.empty() && std::all_of(service.begin(), service.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::string RpcMethodLabel(absl::string_view full_method) {
  const size_t slash = full_method.rfind('/');
  const absl::string_view last =
      slash == absl::string_view::npos ? full_method : full_method.substr(slash + 1);
  const bool clean = !last.empty() && last.size() <= kMaxMethodLabelBytes &&
                     std::all_of(last.begin(), last.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '_';
                     });
  return clean ? std::string(last) : "unknown";
}

absl::StatusOr<std::unique_ptr<RpcObserverFactory>> RpcObserverFactory::Create(
    absl::string_view service, Registry* registry) {
  if (!IsValidServiceName(service)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rpc observer service name \"", service.substr(0, 64), "\" must match [a-z0-9_]+"));
  }
  const std::string prefix = absl::StrCat(kMetricNamePrefix, service);
  NEWSEARCH_ASSIGN_OR_RETURN(
      CounterFamily * requests,
      registry->AddCounter(
          absl::StrCat(prefix, "_rpc_requests_total"),
          absl::StrCat("RPCs the ", service, " service finished, by method and status code."),
          {"method", "code"}));
  NEWSEARCH_ASSIGN_OR_RETURN(
      HistogramFamily * duration,
      registry->AddHistogram(absl::StrCat(prefix, "_rpc_duration_seconds"),
                             absl::StrCat("Time from the arrival of an RPC to its status, in "
                                          "seconds, by method (",
                                          service, " service)."),
                             {"method"}, DefaultLatencyBucketsSeconds()));
  NEWSEARCH_ASSIGN_OR_RETURN(GaugeFamily * open_streams,
                             registry->AddGauge(absl::StrCat(prefix, "_open_streams"),
                                                absl::StrCat("Streaming RPCs of the ", service,
                                                             " service in flight, by method."),
                                                {"method"}));
  return std::unique_ptr<RpcObserverFactory>(
      new RpcObserverFactory(std::string(service), requests, duration, open_streams));
}

grpc::experimental::Interceptor* RpcObserverFactory::CreateServerInterceptor(ServerRpcInfo* info) {
  std::string method = RpcMethodLabel(info->method() != nullptr ? info->method() : "");
  Gauge* open_stream = nullptr;
  if (info->type() != ServerRpcInfo::Type::UNARY) {
    open_stream = &open_streams_->WithLabels({method});
  }
  return new RpcObserver(service_, std::move(method), info, requests_, duration_, open_stream);
}

}  // namespace newsearch::server
