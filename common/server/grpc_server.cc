#include "common/server/grpc_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/server/metrics_http.h"
#include "common/server/rpc_observer.h"
#include "common/server/server_setup.h"

namespace newsearch::server {

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, const std::vector<grpc::Service*>& services,
    const std::vector<std::string>& health_names, Registry* registry) {
  std::unique_ptr<GrpcServer> server(new GrpcServer());
  server->options_ = options;
  server->health_.SetStatus("", grpc::health::v1::HealthCheckResponse::SERVING);
  for (const std::string& name : health_names) {
    server->health_.SetStatus(name, grpc::health::v1::HealthCheckResponse::SERVING);
  }
  if (!options.metrics_listen.empty()) {
    NEWSEARCH_ASSIGN_OR_RETURN(server->metrics_http_,
                               MetricsHttpServer::Start(options.metrics_listen, registry));
  }
  NEWSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<RpcObserverFactory> observer,
                             RpcObserverFactory::Create(options.metrics_service, registry));

  grpc::ServerBuilder builder;
  ConfigureServerBuilder(&builder, options.max_message_bytes);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::move(observer));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &server->port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  builder.RegisterService(&server->health_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen, " (address in use or invalid?)"));
  }
  if (!options.port_file.empty()) {
    NEWSEARCH_RETURN_IF_ERROR(WritePortFile(options.port_file, server->port_));
  }
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
  if (metrics_http_ != nullptr) metrics_http_->Stop();
}

}  // namespace newsearch::server
