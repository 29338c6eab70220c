// Health semantics of a search replica: "liveness" is SERVING from the
// start; readiness ("") is NOT_SERVING while the replica is more than
// --ready_max_lag changes behind ingest and SERVING once it has caught up.
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

  // Without ingest the replica stops following and is no longer ready, but
  // it is alive.
  ingest.process().Kill();
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(channel, "") == HealthCheckResponse::NOT_SERVING; },
                      absl::Seconds(30)));
  EXPECT_EQ(HealthStatus(channel, "liveness"), HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace newsearch::testing
