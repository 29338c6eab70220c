// One running gRPC server as both newsearch binaries run it: the caller's
// services plus grpc.health.v1 and reflection, RPC metrics on every call
// (RpcObserverFactory) and, when asked, a Prometheus /metrics listener.
// Start() binds (port 0 = any free port) and writes the port file;
// Shutdown() drains in-flight calls within a grace period.
//
// Security and limits (see call_gate.h): every method of the caller's
// services admits its calls through one CallGate, so it requires the bearer
// token when one is configured,
// streaming calls are capped by max_concurrent_streams, calls whose deadline
// already passed do no work; TLS or mutual TLS by certificate files; an
// optional plaintext listener serves only grpc.health.v1 (Kubernetes' gRPC
// probes cannot speak TLS). Health names: "" is readiness, "liveness" is
// SERVING from start until shutdown.
#ifndef NEWSEARCH_COMMON_SERVER_GRPC_SERVER_H_
#define NEWSEARCH_COMMON_SERVER_GRPC_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/auth.h"
#include "common/server/call_gate.h"
#include "common/server/health_service.h"
#include "common/server/metrics.h"
#include "common/server/metrics_http.h"
#include "common/server/tls.h"

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
  // Token callers must present; file wins over the literal (the literal
  // comes from an environment variable). Both empty: no authentication.
  std::string auth_token_file;
  std::string auth_token;
  // TLS on the main listener when cert and key are set; mutual TLS when the
  // client CA is set too.
  ServerTlsFiles tls;
  // host:port of an extra plaintext listener serving only grpc.health.v1;
  // empty = none.
  std::string health_listen;
  // Streaming calls in flight across the caller's services; beyond it a new
  // stream is RESOURCE_EXHAUSTED. <= 0 = no limit.
  int max_concurrent_streams = 0;
  // Threads of gRPC's sync server pool, the bound on calls in progress:
  // every unary call and every open stream holds one while it runs. A call
  // arriving when all are busy is answered RESOURCE_EXHAUSTED at once
  // instead of piling up threads; health Check never needs one. <= 0 =
  // DefaultMaxThreads(max_concurrent_streams).
  int max_threads = 0;
  // Whether "" (readiness) and the service names start SERVING; a server
  // that becomes ready later (a search replica catching up) sets false and
  // reports readiness itself through health().
  bool initially_ready = true;
};

// Unary calls in progress the default pool leaves room for, next to the
// streams: enough for tens of concurrent clients (a search replica runs a
// few of them at once and queues the rest, SearcherOptions), small enough
// that an overload is refused rather than growing threads and memory.
inline constexpr int kUnaryThreads = 64;
// max_concurrent_streams (or 128 when streams are unlimited) plus
// kUnaryThreads: streams cannot starve unary calls.
int DefaultMaxThreads(int max_concurrent_streams);

// Health name that reports SERVING while the process is up and not
// shutting down.
inline constexpr char kLivenessHealthName[] = "liveness";

class GrpcServer {
 public:
  // Serves `services` (not owned; they must outlive the server) and health,
  // reporting SERVING for "" and each of `health_names` (unless
  // options.initially_ready is false) and for "liveness". `health_names[i]`
  // is the full proto name of `services[i]`. Every service must be a
  // GatedService; it gets the server's gate before the server starts.
  // `registry` (not owned) receives the RPC metrics. UNAVAILABLE when an
  // address cannot be bound; INVALID_ARGUMENT for unreadable token or
  // certificate files or a service that is not a GatedService.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, const std::vector<grpc::Service*>& services,
      const std::vector<std::string>& health_names, Registry* registry);
  ~GrpcServer();

  int port() const { return port_; }
  // 0 when there is no metrics listener.
  int metrics_port() const;
  // 0 when there is no health listener.
  int health_port() const { return health_port_; }
  HealthService& health() { return health_; }
  // Streaming calls admitted and not yet finished.
  int open_streams() const { return gate_ != nullptr ? gate_->open_streams() : 0; }

  // Reports NOT_SERVING, runs `before_drain` (e.g. waking long-lived
  // streams so they can end), then stops accepting calls and waits for
  // in-flight ones up to the grace period. Idempotent.
  void Shutdown(const std::function<void()>& before_drain = nullptr);

 private:
  GrpcServer() = default;

  GrpcServerOptions options_;
  HealthService health_;
  // Mirror of health_ served on the plaintext health listener.
  HealthService plain_health_;
  std::unique_ptr<TokenSource> token_;
  std::unique_ptr<CallGate> gate_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;
  // A thread parked in poll_cq_.Next() (nothing is ever queued there), so
  // a thread of this process always waits in gRPC's poller. Without it, in a
  // process whose only threads in gRPC were the synchronous server's own
  // (Debian's gRPC 1.51; a search replica whose ingest is down, so its
  // change stream is closed), a request sat unread for about 100 ms once
  // every 1.1 s, no thread of the process on a CPU meanwhile; with it in
  // both services, a bulk load of 10k pages also ran 15-30% faster
  // (bench/results/2026-12-04-idle-poller.md).
  grpc::CompletionQueue poll_cq_;
  std::thread poller_;
  int port_ = 0;
  int health_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_GRPC_SERVER_H_
