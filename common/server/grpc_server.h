// One running gRPC server as both newsearch binaries run it: the caller's
// services plus grpc.health.v1 and reflection, RPC metrics on every call
// (RpcObserverFactory) and, when asked, a Prometheus /metrics listener.
// Start() binds (port 0 = any free port) and writes the port file;
// Shutdown() drains in-flight calls within a grace period.
#ifndef NEWSEARCH_COMMON_SERVER_GRPC_SERVER_H_
#define NEWSEARCH_COMMON_SERVER_GRPC_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/health_service.h"
#include "common/server/metrics.h"
#include "common/server/metrics_http.h"

namespace newsearch::server {

struct GrpcServerOptions {
  // host:port for gRPC; port 0 picks a free port.
  std::string listen;
  // When non-empty, the bound port is written there once serving.
  std::string port_file;
  // host:port for Prometheus /metrics; empty = no metrics listener.
  std::string metrics_listen;
  // Metric name part: newsearch_<metrics_service>_rpc_requests_total, ...
  std::string metrics_service;
  int max_message_bytes = 32 << 20;
  absl::Duration shutdown_grace = absl::Seconds(10);
};

class GrpcServer {
 public:
  // Serves `services` (not owned; they must outlive the server) and health,
  // reporting SERVING for "" and each of `health_names`. `registry` (not
  // owned) receives the RPC metrics. UNAVAILABLE when an address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, const std::vector<grpc::Service*>& services,
      const std::vector<std::string>& health_names, Registry* registry);
  ~GrpcServer();

  int port() const { return port_; }
  // 0 when there is no metrics listener.
  int metrics_port() const;
  HealthService& health() { return health_; }

  // Reports NOT_SERVING, runs `before_drain` (e.g. waking long-lived
  // streams so they can end), then stops accepting calls and waits for
  // in-flight ones up to the grace period. Idempotent.
  void Shutdown(const std::function<void()>& before_drain = nullptr);

 private:
  GrpcServer() = default;

  GrpcServerOptions options_;
  HealthService health_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_GRPC_SERVER_H_
