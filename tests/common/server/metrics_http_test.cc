#include "common/server/metrics_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::server {
namespace {

using ::testing::HasSubstr;

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower-cased.
  std::string body;

  std::string Header(absl::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "";
  }
};

// Sends one HTTP/1.0 request to 127.0.0.1:`port` over a plain socket and
// reads until the server closes the connection (HTTP/1.0: no keep-alive).
absl::StatusOr<HttpResponse> HttpRequest(int port, absl::string_view method,
                                         absl::string_view path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  // Bounds every read and write so a broken server fails the test, not hangs it.
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(error)));
  }
  const std::string request =
      absl::StrCat(method, " ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return absl::InternalError(absl::StrCat("send: ", std::strerror(errno)));
    }
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buffer[4096];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return absl::DeadlineExceededError(absl::StrCat("recv: ", std::strerror(error)));
    }
    raw.append(buffer, static_cast<size_t>(n));
  }
  close(fd);

  const size_t header_end = raw.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    return absl::DataLossError(absl::StrCat("no end of headers in: ", raw));
  }
  HttpResponse response;
  response.body = raw.substr(header_end + 4);
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, header_end), "\r\n");
  // Status line: "HTTP/1.1 200 OK".
  std::vector<std::string> status_parts = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_parts.size() < 2 || !absl::SimpleAtoi(status_parts[1], &response.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    response.headers.emplace_back(
        absl::AsciiStrToLower(lines[i].substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  return response;
}

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto counter =
        registry_.AddCounter("newsearch_test_requests_total", "Requests.", {"method", "code"});
    ASSERT_TRUE(counter.ok()) << counter.status();
    (*counter)->WithLabels({"Search", "OK"}).Increment(3);
    (*counter)->WithLabels({"Search", "内部"}).Increment();
    auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  Registry registry_;
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpServerTest, PortZeroBindsAFreePort) {
  EXPECT_GT(server_->port(), 0);
  EXPECT_LE(server_->port(), 65535);
}

TEST_F(MetricsHttpServerTest, ServesExpositionOnGetMetrics) {
  auto response = HttpRequest(server_->port(), "GET", "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("content-type"), kMetricsContentType);
  // prometheus-cpp's exposer adds its own exposer_* families to ours.
  EXPECT_THAT(response->body, HasSubstr(registry_.Expose()));
  EXPECT_THAT(response->body, HasSubstr("# TYPE exposer_scrapes_total counter\n"));
  EXPECT_THAT(response->body,
              HasSubstr("newsearch_test_requests_total{method=\"Search\",code=\"OK\"} 3\n"));
  EXPECT_EQ(response->Header("content-length"), absl::StrCat(response->body.size()));
}

TEST_F(MetricsHttpServerTest, EachScrapeSeesCurrentValues) {
  auto counter =
      registry_.AddCounter("newsearch_test_requests_total", "Requests.", {"method", "code"});
  ASSERT_TRUE(counter.ok());
  (*counter)->WithLabels({"Search", "OK"}).Increment();
  auto response = HttpRequest(server_->port(), "GET", "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->body,
              HasSubstr("newsearch_test_requests_total{method=\"Search\",code=\"OK\"} 4\n"));
}

TEST_F(MetricsHttpServerTest, HeadReturnsHeadersWithoutBody) {
  auto response = HttpRequest(server_->port(), "HEAD", "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("content-type"), kMetricsContentType);
  EXPECT_EQ(response->body, "");
}

TEST_F(MetricsHttpServerTest, OtherPathsAre404) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/", "the root is not the metrics page"},
      {"/metricsx", "a longer name is not a prefix match"},
      {"/metrics/extra", "a sub-path of /metrics is not served"},
      {"/healthz", "an unrelated path"},
  };
  for (const auto& [path, reason] : cases) {
    auto response = HttpRequest(server_->port(), "GET", path);
    ASSERT_TRUE(response.ok()) << reason << ": " << response.status();
    EXPECT_EQ(response->status, 404) << reason;
  }
}

TEST_F(MetricsHttpServerTest, PostIsRejected) {
  auto response = HttpRequest(server_->port(), "POST", "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 405);
}

TEST_F(MetricsHttpServerTest, StopClosesThePort) {
  const int port = server_->port();
  server_->Stop();
  server_->Stop();  // Idempotent.
  EXPECT_FALSE(HttpRequest(port, "GET", "/metrics").ok());
}

TEST_F(MetricsHttpServerTest, PortInUseIsUnavailable) {
  auto second = MetricsHttpServer::Start(absl::StrCat("127.0.0.1:", server_->port()), &registry_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST(MetricsHttpServerStartTest, RejectsMalformedAddresses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"127.0.0.1", "no port"},
      {"127.0.0.1:http", "port is not a number"},
      {"127.0.0.1:70000", "port above 65535"},
      {"127.0.0.1:-1", "negative port"},
      {"metrics.example:9090", "host names other than localhost are not resolved"},
  };
  Registry registry;
  for (const auto& [address, reason] : cases) {
    auto server = MetricsHttpServer::Start(address, &registry);
    ASSERT_FALSE(server.ok()) << reason;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << reason;
  }
}

TEST(MetricsHttpServerStartTest, AcceptedHostsServeOnLoopback) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"localhost:0", "localhost maps to 127.0.0.1"},
      {"0.0.0.0:0", "every interface includes loopback"},
      {":0", "an empty host means every interface"},
  };
  for (const auto& [address, reason] : cases) {
    Registry registry;
    auto server = MetricsHttpServer::Start(address, &registry);
    ASSERT_TRUE(server.ok()) << reason << ": " << server.status();
    auto response = HttpRequest((*server)->port(), "GET", "/metrics");
    ASSERT_TRUE(response.ok()) << reason << ": " << response.status();
    EXPECT_EQ(response->status, 200) << reason;
    EXPECT_THAT(response->body, HasSubstr("exposer_scrapes_total")) << reason;
  }
}

}  // namespace
}  // namespace newsearch::server
