#include "common/server/metrics_http.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/base/logging.h"

namespace newsearch::server {
namespace {

constexpr char kLogComponent[] = "metrics_http";

// civetweb's own error messages (bad request lines, socket errors) go to our
// log at debug instead of its default stderr output.
int LogCivetwebMessage(const mg_connection* /*connection*/, const char* message) {
  Log(LogLevel::kDebug, kLogComponent, "civetweb", {LogField("detail", message)});
  return 1;
}

// Answers what prometheus-cpp's handler does not, before it runs: paths
// other than /metrics (404), methods other than GET and HEAD (405), and HEAD
// (200 with the headers; the length is not known without a scrape). Returns
// 0 to let the exposer answer GET /metrics.
int FilterRequest(mg_connection* connection) {
  const mg_request_info* request = mg_get_request_info(connection);
  const absl::string_view path = request->local_uri != nullptr ? request->local_uri : "";
  const absl::string_view method =
      request->request_method != nullptr ? request->request_method : "";
  if (path != "/metrics") {
    mg_send_http_error(connection, 404, "Not found: only /metrics is served.\n");
    return 404;
  }
  if (method == "HEAD") {
    const std::string content_type(kMetricsContentType);
    mg_printf(connection, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n\r\n",
              content_type.c_str());
    return 200;
  }
  if (method != "GET") {
    mg_send_http_error(connection, 405, "Method not allowed: use GET.\n");
    return 405;
  }
  return 0;
}

struct ListenSpec {
  std::string civetweb_ports;  // "ip:port", "[ip6]:port" or "port" (every interface).
  std::string wake_host;       // Numeric address that reaches the listener.
};

// Turns "host:port" into civetweb's listening_ports syntax.
absl::StatusOr<ListenSpec> ParseListenAddress(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics listen address \"", address, "\" is not host:port"));
  }
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port_text = address.substr(colon + 1);
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics listen address \"", address, "\" has a port outside 0..65535"));
  }
  if (host.empty() || host == "*" || host == "0.0.0.0") {
    return ListenSpec{absl::StrCat(port), "127.0.0.1"};
  }
  // civetweb resolves no names; "localhost" is the only one worth accepting.
  if (host == "localhost") host = "127.0.0.1";
  const bool ipv6 = host.size() > 2 && host.front() == '[' && host.back() == ']';
  const bool ipv4 =
      !host.empty() && host.find_first_not_of("0123456789.") == absl::string_view::npos;
  if (!ipv6 && !ipv4) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics listen address \"", address,
                     "\": host must be an IPv4 address, [IPv6], localhost or 0.0.0.0"));
  }
  std::string wake_host(ipv6 ? host.substr(1, host.size() - 2) : host);
  if (wake_host == "::") wake_host = "::1";
  return ListenSpec{absl::StrCat(host, ":", port), std::move(wake_host)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    absl::string_view listen_address, Registry* registry) {
  absl::StatusOr<ListenSpec> spec = ParseListenAddress(listen_address);
  if (!spec.ok()) return spec.status();

  // civetweb initialises itself on first start unless told, racily.
  static std::once_flag init_once;
  std::call_once(init_once, [] { mg_init_library(0); });

  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer(spec->wake_host));
  // Scrapes are rare and cheap: two workers, no keep-alive, short timeouts.
  std::vector<std::string> options = {"listening_ports",    spec->civetweb_ports,
                                      "num_threads",        "2",
                                      "request_timeout_ms", "10000",
                                      "enable_keep_alive",  "no"};
  // CivetServer copies the callbacks.
  CivetCallbacks callbacks;
  callbacks.begin_request = &FilterRequest;
  callbacks.log_message = &LogCivetwebMessage;

  absl::MutexLock lock(&server->stop_mu_);
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(std::move(options), &callbacks);
    server->exposer_->RegisterCollectable(registry->collectable(), "/metrics");
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics server cannot listen on \"", listen_address, "\": ", e.what()));
  }
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty() || ports[0] <= 0) {
    return absl::InternalError(
        absl::StrCat("metrics server on \"", listen_address, "\" reports no bound port"));
  }
  server->port_ = ports[0];
  Log(LogLevel::kInfo, kLogComponent, "metrics server listening",
      {LogField("address", listen_address), LogField("port", server->port_)});
  return server;
}

MetricsHttpServer::MetricsHttpServer(std::string wake_host) : wake_host_(std::move(wake_host)) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

void MetricsHttpServer::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (exposer_ == nullptr) return;
  // Destroying the exposer joins civetweb's threads (mg_stop), so no scrape
  // runs after it returns. civetweb 1.15's accept loop only checks its stop
  // flag between 2 s polls: wake it with a connection until the exposer is
  // gone, so that stopping takes milliseconds instead of up to 2 s.
  absl::Notification stopped;
  std::thread stopper([exposer = std::move(exposer_), &stopped]() mutable {
    exposer.reset();
    stopped.Notify();
  });
  while (!stopped.WaitForNotificationWithTimeout(absl::Milliseconds(10))) WakeListener();
  stopper.join();
}

void MetricsHttpServer::WakeListener() const {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, wake_host_.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port_));
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, wake_host_.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port_));
    length = sizeof(sockaddr_in6);
  } else {
    return;  // Stop still completes, after civetweb's next poll timeout.
  }
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  // Failure is fine: the listener may already be closed.
  connect(fd, reinterpret_cast<sockaddr*>(&address), length);
  close(fd);
}

}  // namespace newsearch::server
