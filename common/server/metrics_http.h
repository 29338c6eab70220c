// Serves a metrics Registry (metrics.h) over plain HTTP for Prometheus:
// GET /metrics returns the registry in text format 0.0.4, followed by
// prometheus-cpp's own exposer_* families (scrapes, bytes, scrape latency);
// every other path is 404, other methods 405. Runs on prometheus-cpp's
// Exposer (civetweb, two worker threads), next to (not inside) the gRPC
// server, on its own port (--metrics_listen).
#ifndef NEWSEARCH_COMMON_SERVER_METRICS_HTTP_H_
#define NEWSEARCH_COMMON_SERVER_METRICS_HTTP_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/server/metrics.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace newsearch::server {

// Content-Type of the /metrics response (prometheus-cpp's; text/plain
// without a version is format 0.0.4 to Prometheus).
inline constexpr absl::string_view kMetricsContentType = "text/plain; charset=utf-8";

// One running HTTP listener. Thread-safe; destroying it stops the server and
// waits for in-flight scrapes.
class MetricsHttpServer {
 public:
  // Listens on `listen_address` ("host:port"; host is an IPv4 address,
  // "[v6addr]", "localhost", or "0.0.0.0"/"*"/empty for every interface;
  // port 0 picks a free port, read back with port()). `registry` is not
  // owned and must outlive the server. INVALID_ARGUMENT for a malformed
  // address, UNAVAILABLE when the exposer cannot listen (port taken).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(absl::string_view listen_address,
                                                                  Registry* registry);

  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // Returns the bound port (the chosen one when started with port 0).
  int port() const { return port_; }
  // Stops listening and waits for in-flight requests. Idempotent.
  void Stop();

 private:
  explicit MetricsHttpServer(std::string wake_host);

  // Connects to the listener and closes at once, so civetweb's accept loop
  // returns from poll and notices it is stopping.
  void WakeListener() const;

  // Numeric address that reaches the listener ("127.0.0.1" for 0.0.0.0).
  const std::string wake_host_;
  absl::Mutex stop_mu_;
  std::unique_ptr<prometheus::Exposer> exposer_ ABSL_GUARDED_BY(stop_mu_);
  int port_ = 0;
};

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_METRICS_HTTP_H_
