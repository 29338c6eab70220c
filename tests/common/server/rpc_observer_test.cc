#include "common/server/rpc_observer.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/server/metrics.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace newsearch::server {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::Not;

// Check: "" is SERVING, "boom" fails INTERNAL, anything else NOT_FOUND.
// Watch: sends SERVING once, then holds the stream until released.
class FakeHealth final : public Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const HealthCheckRequest* request,
                     HealthCheckResponse* response) override {
    if (request->service().empty()) {
      response->set_status(HealthCheckResponse::SERVING);
      return grpc::Status::OK;
    }
    if (request->service() == "boom") return grpc::Status(grpc::StatusCode::INTERNAL, "boom");
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }

  grpc::Status Watch(grpc::ServerContext*, const HealthCheckRequest*,
                     grpc::ServerWriter<HealthCheckResponse>* writer) override {
    HealthCheckResponse response;
    response.set_status(HealthCheckResponse::SERVING);
    writer->Write(response);
    release_watch_.WaitForNotificationWithTimeout(absl::Seconds(30));
    return grpc::Status::OK;
  }

  // Lets every Watch handler return. Idempotent.
  void ReleaseWatch() {
    if (!release_watch_.HasBeenNotified()) release_watch_.Notify();
  }

 private:
  absl::Notification release_watch_;
};

class RpcObserverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto factory = RpcObserverFactory::Create("search", &registry_);
    ASSERT_TRUE(factory.ok()) << factory.status();
    factory_ = factory->get();
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(std::move(*factory));

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&health_);
    builder.experimental().SetInterceptorCreators(std::move(creators));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = Health::NewStub(channel_);
  }

  void TearDown() override {
    health_.ReleaseWatch();
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status Check(const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    return stub_->Check(&context, request, &response);
  }

  // Waits, with a deadline, until `predicate` holds: the server finishes an
  // RPC's bookkeeping shortly after the client has seen its end.
  template <typename Predicate>
  bool WaitFor(Predicate predicate) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!predicate()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  Registry registry_;
  RpcObserverFactory* factory_ = nullptr;  // Owned by server_.
  FakeHealth health_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(RpcObserverTest, CountsRequestsByMethodAndCode) {
  ASSERT_TRUE(Check("").ok());
  ASSERT_TRUE(Check("").ok());
  EXPECT_EQ(Check("nope").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Check("boom").error_code(), grpc::StatusCode::INTERNAL);

  // The status is recorded before it is sent, so it is visible once the
  // client has it.
  const std::string text = registry_.Expose();
  EXPECT_THAT(text, HasSubstr("# TYPE newsearch_search_rpc_requests_total counter\n"));
  EXPECT_THAT(text,
              HasSubstr("newsearch_search_rpc_requests_total{method=\"Check\",code=\"OK\"} 2\n"));
  EXPECT_THAT(
      text,
      HasSubstr("newsearch_search_rpc_requests_total{method=\"Check\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr("newsearch_search_rpc_requests_total{method=\"Check\",code=\"INTERNAL\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE newsearch_search_rpc_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("newsearch_search_rpc_duration_seconds_count{method=\"Check\"} 4\n"));
  EXPECT_THAT(
      text,
      HasSubstr("newsearch_search_rpc_duration_seconds_bucket{method=\"Check\",le=\"10\"} 4\n"));
  EXPECT_THAT(
      text,
      HasSubstr("newsearch_search_rpc_duration_seconds_bucket{method=\"Check\",le=\"0.0005\"} "));
  // Unary calls never count as open streams.
  EXPECT_THAT(text, Not(HasSubstr("newsearch_search_open_streams{")));
}

TEST_F(RpcObserverTest, TracksOpenStreams) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  HealthCheckRequest request;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader = stub_->Watch(&context, request);
  HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_THAT(registry_.Expose(), HasSubstr("newsearch_search_open_streams{method=\"Watch\"} 1\n"));

  health_.ReleaseWatch();
  EXPECT_FALSE(reader->Read(&response));
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(
      WaitFor([&] { return factory_->open_streams()->WithLabels({"Watch"}).Value() == 0; }));
  EXPECT_THAT(registry_.Expose(),
              HasSubstr("newsearch_search_rpc_requests_total{method=\"Watch\",code=\"OK\"} 1\n"));
}

TEST_F(RpcObserverTest, CancelledStreamIsCountedAndClosed) {
  {
    grpc::ClientContext context;
    HealthCheckRequest request;
    std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader =
        stub_->Watch(&context, request);
    HealthCheckResponse response;
    ASSERT_TRUE(reader->Read(&response));
    context.TryCancel();
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The handler only returns once released; the RPC is then recorded with
  // whatever code reached (or failed to reach) the wire.
  health_.ReleaseWatch();
  EXPECT_TRUE(
      WaitFor([&] { return factory_->open_streams()->WithLabels({"Watch"}).Value() == 0; }));
  double watch_calls = 0;
  for (const char* code : {"OK", "CANCELLED"}) {
    watch_calls += factory_->requests()->WithLabels({"Watch", code}).Value();
  }
  EXPECT_EQ(watch_calls, 1);
}

TEST_F(RpcObserverTest, UnknownMethodsShareOneLabel) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice empty_message("");
  grpc::ByteBuffer request(&empty_message, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  generic.UnaryCall(&context, "/newsearch.v1.Nope/Evil", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      status = std::move(s);
                      done.Notify();
                    });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  const std::string text = registry_.Expose();
  EXPECT_THAT(text, Not(HasSubstr("Evil")));
  EXPECT_THAT(
      text,
      HasSubstr(
          "newsearch_search_rpc_requests_total{method=\"unknown\",code=\"UNIMPLEMENTED\"} 1\n"))
      << text;
}

TEST(RpcObserverFactoryTest, RejectsBadServiceNames) {
  Registry registry;
  for (const char* service : {"", "Search", "search-service", "搜索"}) {
    auto factory = RpcObserverFactory::Create(service, &registry);
    ASSERT_FALSE(factory.ok()) << service;
    EXPECT_EQ(factory.status().code(), absl::StatusCode::kInvalidArgument) << service;
  }
}

TEST(RpcObserverFactoryTest, SecondFactoryForSameServiceSharesFamilies) {
  Registry registry;
  auto first = RpcObserverFactory::Create("ingest", &registry);
  auto second = RpcObserverFactory::Create("ingest", &registry);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*first)->requests(), (*second)->requests());
}

struct MethodLabelCase {
  std::string reason;
  std::string full_method;
  std::string expected;
};

TEST(RpcMethodLabelTest, UsesLastPathSegment) {
  const std::vector<MethodLabelCase> cases = {
      {"service method", "/newsearch.v1.SearchService/Search", "Search"},
      {"health check", "/grpc.health.v1.Health/Check", "Check"},
      {"no slash at all", "Search", "Search"},
      {"trailing slash leaves nothing", "/newsearch.v1.SearchService/", "unknown"},
      {"empty", "", "unknown"},
      {"punctuation from a client", "/x/Evil\"Name", "unknown"},
      {"absurdly long", "/x/" + std::string(65, 'a'), "unknown"},
  };
  for (const MethodLabelCase& c : cases) {
    EXPECT_EQ(RpcMethodLabel(c.full_method), c.expected) << c.reason;
  }
}

}  // namespace
}  // namespace newsearch::server
