// Serves a metrics Registry (metrics.h) over plain HTTP for Prometheus:
// GET /metrics returns Registry::Expose() as text format 0.0.4; every other
// path is 404. Runs on Debian's civetweb with two worker threads, next to
// (not inside) the gRPC server, on its own port (--metrics_address).
#ifndef NEWSEARCH_COMMON_SERVER_METRICS_HTTP_H_
#define NEWSEARCH_COMMON_SERVER_METRICS_HTTP_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/server/metrics.h"

struct mg_context;
struct mg_connection;

namespace newsearch::server {

// Content-Type of the /metrics response.
inline constexpr absl::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// One running HTTP listener. Thread-safe; destroying it stops the server and
// waits for in-flight scrapes.
class MetricsHttpServer {
 public:
  // Listens on `listen_address` ("host:port"; host is an IPv4 address,
  // "[v6addr]", "localhost", or "0.0.0.0"/"*"/empty for every interface;
  // port 0 picks a free port, read back with port()). `registry` is not
  // owned and must outlive the server. INVALID_ARGUMENT for a malformed
  // address, UNAVAILABLE when civetweb cannot listen (port taken).
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
  MetricsHttpServer(Registry* registry, std::string wake_host)
      : registry_(registry), wake_host_(std::move(wake_host)) {}

  static int HandleRequest(mg_connection* connection, void* self);
  // Connects to the listener and closes at once, so civetweb's accept loop
  // returns from poll and notices it is stopping.
  void WakeListener() const;

  Registry* const registry_;
  // Numeric address that reaches the listener ("127.0.0.1" for 0.0.0.0).
  const std::string wake_host_;
  absl::Mutex stop_mu_;
  mg_context* context_ ABSL_GUARDED_BY(stop_mu_) = nullptr;
  int port_ = 0;
};

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_METRICS_HTTP_H_
