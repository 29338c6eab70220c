// Retention through the real servers (#9): deleted articles' tombstones are
// purged once older than --tombstone_retention_seconds and applied by every
// replica heard from within that horizon (a replica reports what it applied
// by re-opening its idle change stream, --resubscribe_seconds); a replica that comes back behind
// a purged tombstone is told to rebuild (OUT_OF_RANGE: not ready, last_error)
// while a fresh one bootstraps from seq 0; the store's size and the purge
// point are exported as metrics.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

// The value of an unlabelled metric in a /metrics text, -1 when absent.
double MetricValue(const std::string& text, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, name + " ")) {
      double value = 0;
      if (absl::SimpleAtod(line, &value)) return value;
    }
  }
  return -1;
}

TEST(RetentionTest, TombstonesGoOnceEveryReplicaHasThemAndALaggardRebuilds) {
  const std::string root = MakeTempDir("retention");
  const int metrics_port = FreePort();
  IngestFixture ingest(root, {"--tombstone_retention_seconds=3", "--maintenance_interval_ms=200",
                              absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port)});
  ASSERT_TRUE(ingest.Start());
  std::vector<std::string> ids;
  int64_t head = 0;
  const std::vector<std::string> files = ListFiles(SourceDir() + "/tests/testdata/pages/seeds");
  for (int i = 0; i < 8; ++i) {
    v1::IngestArticleResponse response;
    ASSERT_TRUE(
        ingest.Ingest(ReadFile(files.at(i % files.size())), &response, absl::StrCat("r-", i)).ok());
    for (const auto& article : response.articles()) {
      ids.push_back(article.id());
      head = std::max(head, article.seq());
    }
  }
  const int64_t live_before = static_cast<int64_t>(ids.size());

  // The laggard catches up, then goes away before the deletes.
  const std::vector<std::string> resubscribe = {"--resubscribe_seconds=1"};
  SearchFixture laggard(root + "/laggard", ingest.address(), resubscribe);
  ASSERT_TRUE(laggard.Start());
  ASSERT_TRUE(laggard.WaitForSeq(head));
  ASSERT_EQ(laggard.process().Terminate(), 0);
  SearchFixture replica(root + "/replica", ingest.address(), resubscribe);
  ASSERT_TRUE(replica.Start());
  ASSERT_TRUE(replica.WaitForSeq(head));

  int64_t last_delete = 0;
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    v1::DeleteArticleRequest request;
    request.set_id(ids[i]);
    v1::DeleteArticleResponse response;
    ASSERT_TRUE(ingest.stub().DeleteArticle(&context, request, &response).ok());
    last_delete = response.seq();
  }
  // The running replica applies the deletes and reports it at its next
  // idle moment; the laggard, silent for longer than the horizon, then holds
  // nothing back.
  ASSERT_TRUE(replica.WaitForSeq(last_delete));
  EXPECT_TRUE(WaitFor(
      [&] {
        return MetricValue(HttpGet(metrics_port, "/metrics"),
                           "newsearch_ingest_slowest_follower_acked_seq") >= last_delete;
      },
      absl::Seconds(30)))
      << HttpGet(metrics_port, "/metrics");
  ASSERT_TRUE(WaitFor(
      [&] {
        return MetricValue(HttpGet(metrics_port, "/metrics"),
                           "newsearch_ingest_tombstones_purged_total") == 3;
      },
      absl::Seconds(30)))
      << HttpGet(metrics_port, "/metrics");
  const std::string metrics = HttpGet(metrics_port, "/metrics");
  EXPECT_GT(MetricValue(metrics, "newsearch_ingest_store_size_bytes"), 0);
  EXPECT_GT(MetricValue(metrics, "newsearch_ingest_oldest_retained_seq"), head);
  EXPECT_EQ(replica.Status().document_count(), live_before - 3);
  EXPECT_TRUE(replica.AllHitIds(ids[0]).empty());

  // The laggard's index still holds the deleted articles: it must rebuild.
  ASSERT_TRUE(laggard.Start());
  ASSERT_TRUE(WaitFor([&] { return !laggard.Status().last_error().empty(); },
                      absl::Seconds(30)));
  EXPECT_THAT(laggard.Status().last_error(), HasSubstr("purged"));
  EXPECT_EQ(laggard.Status().applied_seq(), head);
  const auto laggard_channel =
      grpc::CreateChannel(laggard.address(), grpc::InsecureChannelCredentials());
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(laggard_channel, "") == 2; }, absl::Seconds(10)))
      << "a replica that cannot follow is NOT_SERVING";

  // A fresh replica needs no tombstone: it bootstraps from seq 0.
  SearchFixture fresh(root + "/fresh", ingest.address());
  ASSERT_TRUE(fresh.Start());
  ASSERT_TRUE(fresh.WaitForSeq(ingest.HeadSeq()));
  EXPECT_EQ(fresh.Status().document_count(), live_before - 3);
  EXPECT_TRUE(fresh.Status().last_error().empty()) << fresh.Status().last_error();
}

}  // namespace
}  // namespace newsearch::testing
