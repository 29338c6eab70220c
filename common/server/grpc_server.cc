#include "common/server/grpc_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/logging.h"
#include "common/base/status_macros.h"
#include "common/server/metrics_http.h"
#include "common/server/request_decode.h"
#include "common/server/rpc_observer.h"
#include "common/server/server_setup.h"

namespace newsearch::server {

int DefaultMaxThreads(int max_concurrent_streams) {
  return (max_concurrent_streams > 0 ? max_concurrent_streams : 128) + kUnaryThreads;
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, const std::vector<grpc::Service*>& services,
    const std::vector<std::string>& health_names, Registry* registry) {
  if (health_names.size() < services.size()) {
    return absl::InvalidArgumentError("every service needs its full name in health_names");
  }
  std::unique_ptr<GrpcServer> server(new GrpcServer());
  server->options_ = options;
  const auto ready = options.initially_ready ? grpc::health::v1::HealthCheckResponse::SERVING
                                             : grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  server->health_.SetStatus("", ready);
  for (const std::string& name : health_names) server->health_.SetStatus(name, ready);
  server->health_.SetStatus(kLivenessHealthName, grpc::health::v1::HealthCheckResponse::SERVING);

  NEWSEARCH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                             MakeServerCredentials(options.tls));
  NEWSEARCH_ASSIGN_OR_RETURN(server->token_,
                             MakeTokenSource(options.auth_token_file, options.auth_token));
  server->gate_ = std::make_unique<CallGate>(server->token_.get(), options.max_concurrent_streams);
  for (size_t i = 0; i < services.size(); ++i) {
    auto* gated = dynamic_cast<GatedService*>(services[i]);
    if (gated == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(health_names[i], " does not admit its calls through the gate"));
    }
    gated->SetCallGate(server->gate_.get());
  }

  if (!options.metrics_listen.empty()) {
    NEWSEARCH_ASSIGN_OR_RETURN(server->metrics_http_,
                               MetricsHttpServer::Start(options.metrics_listen, registry));
  }
  NEWSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<RpcObserverFactory> observer,
                             RpcObserverFactory::Create(options.metrics_service, registry));

  grpc::ServerBuilder builder;
  ConfigureServerBuilder(&builder, options.max_message_bytes);
  const int max_threads = options.max_threads > 0
                              ? options.max_threads
                              : DefaultMaxThreads(options.max_concurrent_streams);
  grpc::ResourceQuota quota(absl::StrCat("newsearch-", options.metrics_service));
  quota.SetMaxThreads(max_threads);
  builder.SetResourceQuota(quota);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  // Decode errors first: the observer then counts and logs the rewritten
  // status (pre-send hooks run in this order).
  creators.push_back(std::make_unique<RequestDecodeInterceptorFactory>(server->gate_.get()));
  creators.push_back(std::move(observer));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  builder.RegisterService(&server->health_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen, " (address in use or invalid?)"));
  }
  server->poller_ = std::thread([cq = &server->poll_cq_] {
    void* tag;
    bool ok;
    while (cq->Next(&tag, &ok)) {
    }
  });
  if (!options.health_listen.empty()) {
    server->health_.MirrorTo(&server->plain_health_);
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(),
                                    &server->health_port_);
    health_builder.RegisterService(&server->plain_health_);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || server->health_port_ == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on --health_listen ",
                                                 options.health_listen,
                                                 " (address in use or invalid?)"));
    }
  }
  if (!options.port_file.empty()) {
    NEWSEARCH_RETURN_IF_ERROR(WritePortFile(options.port_file, server->port_));
  }
  Log(LogLevel::kInfo, "server", "security and limits",
      {{"service", options.metrics_service},
       {"tls", options.tls.enabled()},
       {"mutual_tls", !options.tls.client_ca_file.empty()},
       {"token_required", server->token_ != nullptr},
       {"token_source", server->token_ != nullptr ? server->token_->description() : ""},
       {"health_port", server->health_port_},
       {"max_concurrent_streams", options.max_concurrent_streams},
       {"max_threads", max_threads},
       {"max_message_bytes", options.max_message_bytes}});
  return server;
}

GrpcServer::~GrpcServer() { Shutdown(); }

int GrpcServer::metrics_port() const {
  return metrics_http_ != nullptr ? metrics_http_->port() : 0;
}

void GrpcServer::Shutdown(const std::function<void()>& before_drain) {
  if (shut_down_) return;
  shut_down_ = true;
  health_.Shutdown();
  if (before_drain) before_drain();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoNanoseconds(options_.shutdown_grace));
    server_->Wait();
  }
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now());
    health_server_->Wait();
  }
  if (metrics_http_ != nullptr) metrics_http_->Stop();
  // Next() returns false once the queue is shut down and empty.
  poll_cq_.Shutdown();
  if (poller_.joinable()) poller_.join();
}

}  // namespace newsearch::server
