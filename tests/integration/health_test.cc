// Health semantics of a search replica: "liveness" is SERVING from the
// start; readiness ("") is NOT_SERVING while the replica is more than
// --ready_max_lag changes behind ingest and SERVING once it has caught up;
// it stays SERVING while ingest is down (the index it holds still answers).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

TEST(HealthTest, ReadinessFollowsTheReplicasLag) {
  const std::string root = MakeTempDir("health");
  IngestFixture ingest(root);
  ASSERT_TRUE(ingest.Start());
  std::vector<std::string> pages;
  for (const char* dir : {"/tests/testdata/pages/seeds", "/tests/testdata/pages/samples"}) {
    for (const std::string& path : ListFiles(SourceDir() + dir)) pages.push_back(ReadFile(path));
  }
  // A backlog of about a hundred changes.
  int64_t head = 0;
  for (int i = 0; i < 60; ++i) {
    v1::IngestArticleResponse response;
    ASSERT_TRUE(ingest.Ingest(pages[i % pages.size()], &response, absl::StrCat("copy-", i)).ok());
    for (const auto& article : response.articles()) head = std::max(head, article.seq());
  }

  // One change per commit keeps the catch-up slow enough to watch.
  SearchFixture search(root + "/search", ingest.address(),
                       {"--ready_max_lag=0", "--max_batch_changes=1"});
  ASSERT_TRUE(search.Start());
  auto channel = grpc::CreateChannel(search.address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(HealthStatus(channel, "liveness"), HealthCheckResponse::SERVING);

  int behind_samples = 0;
  int ready_while_far_behind = 0;
  bool caught_up = WaitFor(
      [&] {
        const v1::GetIndexStatusResponse status = search.Status();
        const int health = HealthStatus(channel, "");
        if (status.following() && status.lag() > 20) {
          ++behind_samples;
          if (health == HealthCheckResponse::SERVING) ++ready_while_far_behind;
        }
        return status.applied_seq() >= head && health == HealthCheckResponse::SERVING;
      },
      absl::Seconds(60));
  EXPECT_TRUE(caught_up);
  EXPECT_GT(behind_samples, 0) << "the replica caught up before it could be observed behind";
  EXPECT_EQ(ready_while_far_behind, 0);
  EXPECT_EQ(HealthStatus(channel, "newsearch.v1.SearchService"), HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthStatus(channel, "liveness"), HealthCheckResponse::SERVING);

  // Ingest goes away (a crash or a rollout): the replica stops following
  // but keeps its index, stays ready and keeps answering.
  const std::vector<std::string> before = search.AllHitIds("井喷式 电商");
  ASSERT_FALSE(before.empty());
  ingest.process().KeepPort();
  ingest.process().Kill();
  EXPECT_TRUE(WaitFor([&] { return !search.Status().following(); }, absl::Seconds(30)));
  const absl::Time outage_start = absl::Now();
  while (absl::Now() - outage_start < absl::Seconds(2)) {
    EXPECT_EQ(HealthStatus(channel, ""), HealthCheckResponse::SERVING);
    EXPECT_EQ(HealthStatus(channel, "newsearch.v1.SearchService"), HealthCheckResponse::SERVING);
    EXPECT_EQ(search.AllHitIds("井喷式 电商"), before);
    absl::SleepFor(absl::Milliseconds(200));
  }
  const v1::GetIndexStatusResponse during = search.Status();
  EXPECT_FALSE(during.following());
  EXPECT_GT(during.last_contact_at().seconds(), 0) << "the last contact time is reported";
  EXPECT_EQ(HealthStatus(channel, "liveness"), HealthCheckResponse::SERVING);

  // Ingest comes back where it was: the replica reconnects and catches up
  // with what is written after the outage.
  ASSERT_TRUE(ingest.Start());
  v1::IngestArticleResponse response;
  ASSERT_TRUE(ingest.Ingest(pages[0], &response, "after-the-outage").ok());
  ASSERT_GT(response.articles_size(), 0);
  EXPECT_TRUE(search.WaitForSeq(response.articles(0).seq(), absl::Seconds(60)));
  EXPECT_TRUE(search.Status().following());
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(channel, "") == HealthCheckResponse::SERVING; },
                      absl::Seconds(10)));
}

TEST(HealthTest, ARestartedReplicaServesItsIndexWhileIngestIsDown) {
  const std::string root = MakeTempDir("health-restart");
  IngestFixture ingest(root);
  ASSERT_TRUE(ingest.Start());
  v1::IngestArticleResponse response;
  ASSERT_TRUE(ingest
                  .Ingest(ReadFile(SourceDir() + "/tests/testdata/pages/seeds/002_331070705eee9b45.txt"),
                          &response, "wuzhen")
                  .ok());
  SearchFixture search(root + "/search", ingest.address(), {"--ready_contact_grace_seconds=1"});
  ASSERT_TRUE(search.Start());
  ASSERT_TRUE(search.WaitForSeq(response.articles(0).seq()));
  ASSERT_EQ(search.process().Terminate(), 0);
  ingest.process().Kill();

  // Restarted while ingest is down: it never reaches ingest, and after the
  // grace it serves the index it holds.
  ASSERT_TRUE(search.Start());
  auto channel = grpc::CreateChannel(search.address(), grpc::InsecureChannelCredentials());
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(channel, "") == HealthCheckResponse::SERVING; },
                      absl::Seconds(15)));
  EXPECT_FALSE(search.AllHitIds("井喷式 电商").empty());
  EXPECT_FALSE(search.Status().has_last_contact_at());

  // A new, empty replica has nothing to serve: it waits for ingest.
  SearchFixture fresh(root + "/fresh", ingest.address(), {"--ready_contact_grace_seconds=1"});
  ASSERT_TRUE(fresh.Start());
  auto fresh_channel = grpc::CreateChannel(fresh.address(), grpc::InsecureChannelCredentials());
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(HealthStatus(fresh_channel, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(HealthStatus(fresh_channel, "liveness"), HealthCheckResponse::SERVING);
}

// The gRPC thread pool is bounded (--grpc_max_threads): streams that hold
// every thread make further calls RESOURCE_EXHAUSTED at once, but health
// Check (a callback method, outside the pool) is still answered, and the
// server serves again once the streams end.
TEST(HealthTest, AnswersHealthWhileEveryServerThreadIsBusy) {
  const std::string root = MakeTempDir("health_pool");
  constexpr int kThreads = 4;
  constexpr int kStreams = 3 * kThreads;
  // No ingest at that address: the replica serves its (empty) index.
  SearchFixture search(root + "/search", absl::StrCat("127.0.0.1:", FreePort()),
                       {absl::StrCat("--grpc_max_threads=", kThreads)});
  ASSERT_TRUE(search.Start());
  auto channel = grpc::CreateChannel(search.address(), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);

  // Watch streams run on pool threads and hold them until cancelled.
  struct Stream {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader;
  };
  std::vector<std::unique_ptr<Stream>> streams;
  int holding = 0;
  int refused = 0;
  for (int i = 0; i < kStreams; ++i) {
    auto stream = std::make_unique<Stream>();
    stream->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("liveness");
    stream->reader = health->Watch(&stream->context, request);
    HealthCheckResponse response;
    if (stream->reader->Read(&response)) {
      EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
      ++holding;
      streams.push_back(std::move(stream));
    } else {
      const grpc::Status status = stream->reader->Finish();
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << status.error_message();
      ++refused;
    }
  }
  EXPECT_LE(holding, kThreads);
  EXPECT_GE(refused, kStreams - kThreads);

  // The pool is full, yet probes are answered.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(HealthStatus(channel, "liveness"), HealthCheckResponse::SERVING);
  }
  v1::SearchRequest request;
  request.set_query("台风");
  v1::SearchResponse response;
  const grpc::Status busy = search.Search(request, &response);
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << busy.error_message();

  for (auto& stream : streams) stream->context.TryCancel();
  for (auto& stream : streams) {
    HealthCheckResponse ignored;
    while (stream->reader->Read(&ignored)) {
    }
    stream->reader->Finish();
  }
  // Watch notices a cancelled client within a second and frees its thread.
  EXPECT_TRUE(WaitFor([&] { return search.Search(request, &response).ok(); }, absl::Seconds(10)));
}

// More client connections than server threads (#9): each of three times as
// many connections as --grpc_max_threads opens a change stream, and as many
// again stay idle; the streams that got a thread hold it, the others are
// refused at once, and a new connection's health check is still answered.
TEST(HealthTest, AnswersHealthWithMoreConnectionsThanServerThreads) {
  const std::string root = MakeTempDir("health_connections");
  constexpr int kThreads = 4;
  constexpr int kConnections = 3 * kThreads;
  IngestFixture ingest(root, {absl::StrCat("--grpc_max_threads=", kThreads)});
  ASSERT_TRUE(ingest.Start());
  // A channel of its own (its own TCP connection, not a shared subchannel).
  int channel_number = 0;
  auto new_connection = [&] {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("newsearch.test.connection", ++channel_number);
    auto channel =
        grpc::CreateCustomChannel(ingest.address(), grpc::InsecureChannelCredentials(), args);
    EXPECT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                          std::chrono::seconds(10)));
    return channel;
  };
  struct Stream {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::IngestService::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::StreamChangesResponse>> reader;
  };
  std::vector<std::unique_ptr<Stream>> streams;
  std::vector<std::shared_ptr<grpc::Channel>> idle;
  int holding = 0;
  int refused = 0;
  for (int i = 0; i < kConnections; ++i) {
    auto stream = std::make_unique<Stream>();
    stream->channel = new_connection();
    stream->stub = v1::IngestService::NewStub(stream->channel);
    stream->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stream->reader = stream->stub->StreamChanges(&stream->context, v1::StreamChangesRequest());
    v1::StreamChangesResponse response;
    if (stream->reader->Read(&response)) {
      ++holding;
      streams.push_back(std::move(stream));
    } else {
      const grpc::Status status = stream->reader->Finish();
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << status.error_message();
      ++refused;
    }
    idle.push_back(new_connection());
  }
  EXPECT_GE(holding, 1);
  EXPECT_LE(holding, kThreads);
  EXPECT_GE(refused, kConnections - kThreads);

  // Every thread is taken and 2x kConnections connections are open, yet a
  // new connection (and every idle one) gets its health answered.
  EXPECT_EQ(HealthStatus(new_connection(), ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthStatus(new_connection(), "newsearch.v1.IngestService"),
            HealthCheckResponse::SERVING);
  for (const auto& channel : idle) {
    EXPECT_EQ(HealthStatus(channel, "liveness"), HealthCheckResponse::SERVING);
  }

  for (auto& stream : streams) stream->context.TryCancel();
  for (auto& stream : streams) {
    v1::StreamChangesResponse ignored;
    while (stream->reader->Read(&ignored)) {
    }
    stream->reader->Finish();
  }
  // The streams notice the cancel by their next heartbeat and free their
  // threads; then calls are served again.
  EXPECT_TRUE(WaitFor(
      [&] {
        grpc::ClientContext context;
        v1::ListArticlesResponse response;
        return ingest.stub().ListArticles(&context, v1::ListArticlesRequest(), &response).ok();
      },
      absl::Seconds(10)));
}

}  // namespace
}  // namespace newsearch::testing
