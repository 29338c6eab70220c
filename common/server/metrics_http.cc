#include "common/server/metrics_http.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

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

  static std::once_flag init_once;
  std::call_once(init_once, [] { mg_init_library(0); });

  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer(registry, spec->wake_host));
  // Scrapes are rare and cheap: two workers, no keep-alive, short timeouts.
  const char* options[] = {
      "listening_ports", spec->civetweb_ports.c_str(), "num_threads", "2",    "request_timeout_ms",
      "10000",           "enable_keep_alive",          "no",          nullptr};
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  callbacks.log_message = &LogCivetwebMessage;

  mg_init_data init;
  std::memset(&init, 0, sizeof(init));
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options;
  char error_text[256] = {0};
  unsigned error_code = 0;
  mg_error_data error;
  std::memset(&error, 0, sizeof(error));
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);

  absl::MutexLock lock(&server->stop_mu_);
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("metrics server cannot listen on \"", listen_address, "\": ", error_text));
  }
  mg_set_request_handler(server->context_, "/", &MetricsHttpServer::HandleRequest, server.get());

  mg_server_port bound[4];
  std::memset(bound, 0, sizeof(bound));
  const int count = mg_get_server_ports(server->context_, 4, bound);
  if (count < 1 || bound[0].port <= 0) {
    return absl::InternalError(
        absl::StrCat("metrics server on \"", listen_address, "\" reports no bound port"));
  }
  server->port_ = bound[0].port;
  Log(LogLevel::kInfo, kLogComponent, "metrics server listening",
      {LogField("address", listen_address), LogField("port", server->port_)});
  return server;
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

void MetricsHttpServer::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (context_ == nullptr) return;
  // mg_stop joins civetweb's threads, so no handler runs after it returns.
  // civetweb 1.15's accept loop only checks its stop flag between 2 s polls:
  // wake it with a connection until mg_stop is done, so that stopping takes
  // milliseconds instead of up to 2 s.
  absl::Notification stopped;
  std::thread stopper([context = context_, &stopped] {
    mg_stop(context);
    stopped.Notify();
  });
  while (!stopped.WaitForNotificationWithTimeout(absl::Milliseconds(10))) WakeListener();
  stopper.join();
  context_ = nullptr;
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

int MetricsHttpServer::HandleRequest(mg_connection* connection, void* self) {
  auto* server = static_cast<MetricsHttpServer*>(self);
  const mg_request_info* request = mg_get_request_info(connection);
  const absl::string_view path = request->local_uri != nullptr ? request->local_uri : "";
  const absl::string_view method =
      request->request_method != nullptr ? request->request_method : "";
  if (path != "/metrics") {
    mg_send_http_error(connection, 404, "Not found: only /metrics is served.\n");
    return 404;
  }
  if (method != "GET" && method != "HEAD") {
    mg_send_http_error(connection, 405, "Method not allowed: use GET.\n");
    return 405;
  }
  const std::string body = server->registry_->Expose();
  const std::string content_type(kMetricsContentType);
  mg_send_http_ok(connection, content_type.c_str(), static_cast<long long>(body.size()));
  if (method == "GET") mg_write(connection, body.data(), body.size());
  return 200;
}

}  // namespace newsearch::server
