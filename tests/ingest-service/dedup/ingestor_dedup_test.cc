// The Ingestor with the real parser, store and analyzer: signatures fold
// scripts (a traditional copy of a simplified story is its duplicate), the
// dry run stores nothing, and a re-parse lets ingest run between its batches
// and refuses a second concurrent re-parse.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/server/ingestor.h"
#include "ingest-service/store/article_store.h"
#include "tests/ingest-service/server/ingestor_fixture.h"

namespace newsearch::ingest {
namespace {

using ::testing::HasSubstr;

constexpr char kSimplified[] =
    "盐碱地里种出海水稻\n\n2021-10-08 09:30 来源:黄河日报\n\n"
    "金秋时节，在黄河入海口附近的一片盐碱地上，成片的稻穗沉甸甸地低垂着，收割机来回穿梭，"
    "一派丰收景象。这片试验田的土壤含盐量超过千分之六，过去连芦苇都长得稀稀拉拉。\n\n"
    "三年前，当地农业合作社引进耐盐碱水稻品种，联合科研院所开展试种，经过改良土壤、优化灌溉，"
    "今年测产亩产达到了六百一十二公斤。\n";
constexpr char kTraditional[] =
    "鹽鹼地裏種出海水稻\n\n2021-10-08 10:00 來源:黃河時報\n\n"
    "金秋時節，在黃河入海口附近的一片鹽鹼地上，成片的稻穗沉甸甸地低垂著，收割機來回穿梭，"
    "一派豐收景象。這片試驗田的土壤含鹽量超過千分之六，過去連蘆葦都長得稀稀拉拉。\n\n"
    "三年前，當地農業合作社引進耐鹽鹼水稻品種，聯合科研院所開展試種，經過改良土壤、優化灌溉，"
    "今年測產畝產達到了六百一十二公斤。\n";

class IngestorDedupTest : public IngestorFixture {
 protected:
  IngestorDedupTest() { fsync_every_commit_ = false; }

  absl::StatusOr<v1::IngestArticleResponse> Ingest(const std::string& content,
                                                   const std::string& external_id) {
    return ingestor_->Ingest(PageRequest(content, external_id));
  }
};

TEST_F(IngestorDedupTest, TraditionalCopyIsADuplicateAndTheDryRunStoresNothing) {
  auto first = Ingest(kSimplified, "zh-hans");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->articles_size(), 1);
  const int64_t head = store_->HeadSeq();

  auto dry = ingestor_->DryRun(PageRequest(kTraditional, "zh-hant"));
  ASSERT_TRUE(dry.ok()) << dry.status();
  ASSERT_EQ(dry->articles_size(), 1);
  EXPECT_EQ(dry->articles(0).duplicate_of(), first->articles(0).id());
  EXPECT_EQ(dry->articles(0).script(), "zh-Hant");
  EXPECT_EQ(dry->detected_encoding(), "UTF-8");
  EXPECT_EQ(store_->HeadSeq(), head);
  EXPECT_EQ(store_->Get(dry->articles(0).id()).status().code(), absl::StatusCode::kNotFound);

  auto copy = Ingest(kTraditional, "zh-hant");
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->articles(0).id(), dry->articles(0).id());
  EXPECT_EQ(copy->articles(0).duplicate_of(), first->articles(0).id());
}

TEST_F(IngestorDedupTest, ReparseLetsIngestRunBetweenBatchesAndRunsOnceAtATime) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Ingest(absl::StrCat(kSimplified, "第", i, "版。\n"), absl::StrCat("p", i)).ok());
  }
  int calls = 0;
  absl::Status nested;
  absl::Status ingest_between;
  v1::ReparseArticlesResponse last;
  const absl::Status status =
      ingestor_->Reparse(2, [&](const v1::ReparseArticlesResponse& progress) {
        if (++calls == 1) {
          nested = ingestor_->Reparse(2, [](const v1::ReparseArticlesResponse&) { return true; });
          ingest_between = Ingest(kTraditional, "during-reparse").status();
        }
        last = progress;
        return true;
      });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(nested.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(nested.message(), HasSubstr("already running"));
  EXPECT_TRUE(ingest_between.ok()) << ingest_between;
  EXPECT_TRUE(last.done());
  // The page stored during the re-parse may or may not be visited,
  // depending on where its page id sorts; the total follows.
  EXPECT_GE(last.pages_done(), 5);
  EXPECT_EQ(last.pages_total(), last.pages_done());
  EXPECT_EQ(last.articles_changed(), 0);
  EXPECT_EQ(last.articles_unchanged(), last.pages_done());
  EXPECT_GE(calls, 4);  // 3 batches of at most 2 pages, then done
  // Free again afterwards.
  EXPECT_TRUE(ingestor_->Reparse(100, [](const v1::ReparseArticlesResponse&) { return true; })
                  .ok());
}

}  // namespace
}  // namespace newsearch::ingest
