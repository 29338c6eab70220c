// Retention in the article store (#9): tombstones go once they are older
// than the horizon and every follower heard from has applied them; the
// store remembers how far it purged so that a follower behind that point
// is told to rebuild.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ingest-service/store/article_store.h"

namespace newsearch::ingest {
namespace {

class StoreRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "article_store_retention_test.XXXXXX");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    // Articles a..e at seqs 1..5, then a and b deleted at seqs 6 and 7.
    for (const char* id : {"a", "b", "c", "d", "e"}) {
      PageWrite page;
      page.raw = std::string("page ") + id;
      page.content_type = "text/plain";
      v1::Article article;
      article.set_id(id);
      article.set_title(std::string("标题 ") + id);
      article.set_body("正文");
      page.articles.push_back(article);
      ASSERT_TRUE(store_->PutPage(page).ok());
    }
    ASSERT_EQ(*store_->Delete("a"), 6);
    ASSERT_EQ(*store_->Delete("b"), 7);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<ArticleStore> Open() {
    StoreOptions options;
    options.path = (dir_ / "articles.db").string();
    auto store = ArticleStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  int Tombstones() {
    const absl::StatusOr<std::vector<v1::Change>> changes = store_->ChangesAfter(0, 100);
    EXPECT_TRUE(changes.ok()) << changes.status();
    if (!changes.ok()) return -1;
    int count = 0;
    for (const v1::Change& change : *changes) count += change.kind() == v1::CHANGE_KIND_DELETE;
    return count;
  }

  std::filesystem::path dir_;
  std::unique_ptr<ArticleStore> store_;
};

const absl::Time kLongAgo = absl::UnixEpoch();
absl::Time Later() { return absl::Now() + absl::Hours(1); }

TEST_F(StoreRetentionTest, TombstonesYoungerThanTheHorizonStay) {
  const auto purged = store_->PurgeTombstones(absl::Now() - absl::Hours(1), kLongAgo);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->purged, 0);
  EXPECT_EQ(Tombstones(), 2);
  EXPECT_EQ(store_->PurgedThroughSeq(), 0);
}

TEST_F(StoreRetentionTest, AFollowerBehindATombstoneKeepsIt) {
  ASSERT_TRUE(store_->RecordFollower("replica-1", 7).ok());
  ASSERT_TRUE(store_->RecordFollower("replica-2", 6).ok());
  const auto purged = store_->PurgeTombstones(Later(), kLongAgo);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->purged, 1) << "seq 6 is applied everywhere, seq 7 not on replica-2";
  EXPECT_EQ(purged->purged_through_seq, 6);
  EXPECT_EQ(Tombstones(), 1);

  ASSERT_TRUE(store_->RecordFollower("replica-2", 7).ok());
  EXPECT_EQ(store_->PurgeTombstones(Later(), kLongAgo)->purged, 1);
  EXPECT_EQ(Tombstones(), 0);
  EXPECT_EQ(store_->PurgedThroughSeq(), 7);
  // Live articles are untouched: a follower from 0 still gets all of them.
  EXPECT_EQ(store_->ChangesAfter(0, 100)->size(), 3u);
  EXPECT_EQ(*store_->CountLive(), 3);
}

TEST_F(StoreRetentionTest, FollowersNotSeenSinceTheHorizonHoldNothingBack) {
  ASSERT_TRUE(store_->RecordFollower("gone", 2).ok());
  EXPECT_EQ(store_->PurgeTombstones(Later(), kLongAgo)->purged, 0);
  EXPECT_EQ(store_->PurgeTombstones(Later(), Later())->purged, 2);
  EXPECT_EQ(store_->PurgedThroughSeq(), 7);
}

TEST_F(StoreRetentionTest, FollowersAndPurgedThroughSeqSurviveReopen) {
  ASSERT_TRUE(store_->RecordFollower("replica-1", 5).ok());
  ASSERT_TRUE(store_->RecordFollower("replica-1", 7).ok());
  ASSERT_TRUE(store_->PurgeTombstones(Later(), kLongAgo).ok());
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->PurgedThroughSeq(), 7);
  EXPECT_EQ(store_->HeadSeq(), 7);
  const auto followers = store_->Followers();
  ASSERT_TRUE(followers.ok()) << followers.status();
  ASSERT_EQ(followers->size(), 1u);
  EXPECT_EQ((*followers)[0].follower_id, "replica-1");
  EXPECT_EQ((*followers)[0].acked_seq, 7);
  // A deleted id that is ingested again after its tombstone went is new.
  PageWrite page;
  page.raw = "page a again";
  page.content_type = "text/plain";
  v1::Article article;
  article.set_id("a");
  article.set_title("标题 a");
  article.set_body("正文");
  page.articles.push_back(article);
  const auto written = store_->PutPage(page);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ((*written)[0].outcome, v1::OUTCOME_CREATED);
  EXPECT_EQ((*written)[0].seq, 8);
}

TEST_F(StoreRetentionTest, CheckpointAndSize) {
  EXPECT_TRUE(store_->Checkpoint().ok());
  EXPECT_GT(store_->SizeBytes(), 0);
  EXPECT_EQ(store_->RecordFollower("", 1).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace newsearch::ingest
