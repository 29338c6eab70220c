// ChangeSubscription: the request checks of StreamChanges and the loop that
// sends a follower the change log (batches, partition progress, heartbeats,
// stopping), on a real store, without gRPC.
#include "ingest-service/changefeed/subscription.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/stable_hash.h"
#include "gtest/gtest.h"

namespace newsearch::ingest {
namespace {

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "subscription_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    StoreOptions options;
    options.path = (dir_ / "articles.db").string();
    absl::StatusOr<std::unique_ptr<ArticleStore>> store = ArticleStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    // Articles a0..a4 at seqs 1..5.
    for (int i = 0; i < 5; ++i) {
      PageWrite page;
      page.raw = absl::StrCat("page ", i);
      page.content_type = "text/plain";
      v1::Article article;
      article.set_id(absl::StrCat("a", i));
      article.set_title(absl::StrCat("标题 ", i));
      article.set_body("正文");
      page.articles.push_back(article);
      ASSERT_TRUE(store_->PutPage(page).ok());
    }
    notifier_ = std::make_unique<ChangeNotifier>(store_->HeadSeq());
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  absl::StatusOr<ChangeSubscription> Start(const v1::StreamChangesRequest& request) {
    return ChangeSubscription::Start(request, store_.get(), notifier_.get(),
                                     absl::Milliseconds(10));
  }

  // Runs `subscription` until the first message without changes (included)
  // or `max_messages`, and returns what it sent.
  std::vector<v1::StreamChangesResponse> RunUntilQuiet(ChangeSubscription& subscription,
                                                       size_t max_messages = 20) {
    std::vector<v1::StreamChangesResponse> sent;
    const absl::Status status = subscription.Run(
        [&](const v1::StreamChangesResponse& response) {
          sent.push_back(response);
          return response.changes_size() > 0 && sent.size() < max_messages;
        },
        [] { return false; });
    EXPECT_TRUE(status.ok()) << status;
    return sent;
  }

  std::filesystem::path dir_;
  std::unique_ptr<ArticleStore> store_;
  std::unique_ptr<ChangeNotifier> notifier_;
};

TEST_F(SubscriptionTest, RejectsRequestsOutsideTheLimits) {
  struct Case {
    const char* why;
    v1::StreamChangesRequest request;
    absl::StatusCode code;
  };
  std::vector<Case> cases(7);
  cases[0] = {"negative cursor", {}, absl::StatusCode::kInvalidArgument};
  cases[0].request.set_after_seq(-1);
  cases[1] = {"batch above 4096", {}, absl::StatusCode::kInvalidArgument};
  cases[1].request.set_max_batch_size(4097);
  cases[2] = {"batch bytes above 64 MiB", {}, absl::StatusCode::kInvalidArgument};
  cases[2].request.set_max_batch_bytes((64 << 20) + 1);
  cases[3] = {"more than 1024 partitions", {}, absl::StatusCode::kInvalidArgument};
  cases[3].request.set_partition_count(1025);
  cases[4] = {"partition not below the count", {}, absl::StatusCode::kInvalidArgument};
  cases[4].request.set_partition_count(2);
  cases[4].request.set_partition(2);
  cases[5] = {"follower id over 128 bytes", {}, absl::StatusCode::kInvalidArgument};
  cases[5].request.set_follower_id(std::string(129, 'f'));
  cases[6] = {"cursor beyond the head", {}, absl::StatusCode::kOutOfRange};
  cases[6].request.set_after_seq(6);
  for (const Case& c : cases) {
    EXPECT_EQ(Start(c.request).status().code(), c.code) << c.why;
  }
  v1::StreamChangesRequest at_head;
  at_head.set_after_seq(5);
  EXPECT_TRUE(Start(at_head).ok());
}

TEST_F(SubscriptionTest, SendsTheLogInBatchesThenAHeartbeatAtTheHead) {
  v1::StreamChangesRequest request;
  request.set_after_seq(1);
  request.set_max_batch_size(2);
  absl::StatusOr<ChangeSubscription> subscription = Start(request);
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  const std::vector<v1::StreamChangesResponse> sent = RunUntilQuiet(*subscription);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].changes_size(), 2);
  EXPECT_EQ(sent[0].changes(0).seq(), 2);
  EXPECT_EQ(sent[0].complete_seq(), 3);
  EXPECT_EQ(sent[1].changes_size(), 2);
  EXPECT_EQ(sent[1].complete_seq(), 5);
  // Caught up: the heartbeat says where the head is, at once.
  EXPECT_EQ(sent[2].changes_size(), 0);
  EXPECT_EQ(sent[2].head_seq(), 5);
  EXPECT_EQ(sent[2].complete_seq(), 5);
  EXPECT_GT(sent[2].sent_at().seconds(), 0);
  EXPECT_EQ(subscription->cursor(), 5);
}

TEST_F(SubscriptionTest, APartitionLearnsHowFarItIsCompleteWithoutOthersChanges) {
  v1::StreamChangesRequest request;
  request.set_partition_count(1024);
  request.set_max_batch_size(1);
  // The first partition that none of a0..a4 falls in.
  auto holds_an_article = [](int partition) {
    for (const char* id : {"a0", "a1", "a2", "a3", "a4"}) {
      if (PartitionOf(id, 1024) == partition) return true;
    }
    return false;
  };
  int empty_partition = 0;
  while (holds_an_article(empty_partition)) ++empty_partition;
  request.set_partition(empty_partition);
  absl::StatusOr<ChangeSubscription> subscription = Start(request);
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  const std::vector<v1::StreamChangesResponse> sent = RunUntilQuiet(*subscription);
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].changes_size(), 0);
  EXPECT_EQ(sent[0].complete_seq(), 5);
  EXPECT_EQ(sent[0].head_seq(), 5);
  EXPECT_EQ(subscription->cursor(), 5);
}

TEST_F(SubscriptionTest, WaitsForTheNotifierAndSendsWhatWasPublished) {
  v1::StreamChangesRequest request;
  request.set_after_seq(5);
  absl::StatusOr<ChangeSubscription> subscription = Start(request);
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  std::vector<v1::StreamChangesResponse> sent;
  const absl::Status status = subscription->Run(
      [&](const v1::StreamChangesResponse& response) {
        sent.push_back(response);
        if (sent.size() == 2) {
          // After two heartbeats, a new article is committed and published.
          PageWrite page;
          page.raw = "page 5";
          page.content_type = "text/plain";
          v1::Article article;
          article.set_id("a5");
          article.set_body("正文");
          page.articles.push_back(article);
          EXPECT_TRUE(store_->PutPage(page).ok());
          notifier_->Publish(store_->HeadSeq());
        }
        return response.changes_size() == 0;
      },
      [] { return false; });
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].changes_size(), 0);
  EXPECT_EQ(sent[1].changes_size(), 0);
  ASSERT_EQ(sent[2].changes_size(), 1);
  EXPECT_EQ(sent[2].changes(0).article_id(), "a5");
  EXPECT_EQ(sent[2].complete_seq(), 6);
}

TEST_F(SubscriptionTest, StopsWhenCancelledOrShutDown) {
  v1::StreamChangesRequest request;
  absl::StatusOr<ChangeSubscription> cancelled = Start(request);
  ASSERT_TRUE(cancelled.ok());
  int writes = 0;
  EXPECT_TRUE(cancelled->Run([&](const v1::StreamChangesResponse&) { return ++writes > 0; },
                             [] { return true; })
                  .ok());
  EXPECT_EQ(writes, 0);
  notifier_->Shutdown();
  absl::StatusOr<ChangeSubscription> shut_down = Start(request);
  ASSERT_TRUE(shut_down.ok());
  EXPECT_TRUE(shut_down->Run([&](const v1::StreamChangesResponse&) { return ++writes > 0; },
                             [] { return false; })
                  .ok());
  EXPECT_EQ(writes, 0);
}

TEST_F(SubscriptionTest, RecordsANamedFollowerAtItsAckedSeqCappedByItsCursor) {
  v1::StreamChangesRequest request;
  request.set_after_seq(3);
  request.set_acked_seq(4);
  request.set_follower_id("replica-1");
  ASSERT_TRUE(Start(request).ok());
  const absl::StatusOr<std::vector<FollowerPosition>> followers = store_->Followers();
  ASSERT_TRUE(followers.ok()) << followers.status();
  ASSERT_EQ(followers->size(), 1u);
  EXPECT_EQ((*followers)[0].follower_id, "replica-1");
  EXPECT_EQ((*followers)[0].acked_seq, 3);
}

}  // namespace
}  // namespace newsearch::ingest
