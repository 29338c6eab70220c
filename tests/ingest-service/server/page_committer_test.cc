// PageCommitter with the real parser and store: pages submitted together
// are committed together (fewer commits than pages), in submission order,
// each answered once; a bad page fails alone; destruction answers every
// submitted page.
#include "ingest-service/server/page_committer.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/store/article_store.h"
#include "tests/ingest-service/server/ingestor_fixture.h"

namespace newsearch::ingest {
namespace {

using ::testing::HasSubstr;

v1::IngestArticleRequest Page(int n) {
  return PageRequest(
      absl::StrCat(
          "盐碱地里种出海水稻第", n, "篇\n\n2021-10-08 09:30 来源:黄河日报\n\n",
          "金秋时节，在黄河入海口附近的一片盐碱地上，成片的稻穗沉甸甸地低垂着，收割机来回穿梭。"
          "这片试验田编号", n * 7919, "，土壤含盐量超过千分之六，过去连芦苇都长得稀稀拉拉。\n\n"
          "三年前，当地农业合作社引进耐盐碱水稻品种，今年测产亩产达到了", 500 + n, "公斤。\n"),
      absl::StrCat("page-", n));
}

using PageCommitterTest = IngestorFixture;

TEST_F(PageCommitterTest, PagesSubmittedTogetherCommitTogetherInOrderAndABadPageFailsAlone) {
  constexpr int kPages = 40;
  constexpr int kBad = 17;
  absl::Mutex mu;
  std::vector<int> batches;
  PageCommitterOptions options;
  options.max_batch_pages = 16;
  // Long enough that a batch always waits for pages still being parsed.
  options.max_batch_delay = absl::Seconds(10);
  options.on_batch = [&](int pages) {
    absl::MutexLock lock(&mu);
    batches.push_back(pages);
  };
  std::vector<std::optional<absl::StatusOr<v1::IngestArticleResponse>>> results(kPages);
  {
    PageCommitter committer(ingestor_.get(), options);
    absl::BlockingCounter answered(kPages);
    for (int i = 0; i < kPages; ++i) {
      v1::IngestArticleRequest request = Page(i);
      if (i == kBad) request.clear_content();
      committer.Submit(std::move(request), [&, i](absl::StatusOr<v1::IngestArticleResponse> r) {
        {
          absl::MutexLock lock(&mu);
          EXPECT_FALSE(results[i].has_value()) << "page " << i << " answered twice";
          results[i] = std::move(r);
        }
        answered.DecrementCount();
      });
    }
    answered.Wait();
  }
  int64_t last_seq = 0;
  for (int i = 0; i < kPages; ++i) {
    ASSERT_TRUE(results[i].has_value()) << i;
    if (i == kBad) {
      EXPECT_EQ(results[i]->status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(results[i]->status().message(), HasSubstr("content is empty"));
      continue;
    }
    ASSERT_TRUE(results[i]->ok()) << i << ": " << results[i]->status();
    ASSERT_EQ((*results[i])->articles_size(), 1);
    const int64_t seq = (*results[i])->articles(0).seq();
    EXPECT_GT(seq, last_seq) << "pages are stored in submission order";
    last_seq = seq;
  }
  EXPECT_EQ(store_->HeadSeq(), kPages - 1);
  EXPECT_EQ(*store_->CountLive(), kPages - 1);
  EXPECT_EQ(notifier_->head_seq(), kPages - 1);
  int total = 0;
  int largest = 0;
  for (int pages : batches) {
    total += pages;
    largest = std::max(largest, pages);
    EXPECT_LE(pages, 16);
  }
  EXPECT_EQ(total, kPages);
  EXPECT_LT(batches.size(), static_cast<size_t>(kPages)) << "some pages shared a commit";
  EXPECT_GT(largest, 1);
}

TEST_F(PageCommitterTest, ConcurrentIngestCallsShareCommits) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  absl::Mutex mu;
  std::vector<int> batches;
  std::set<int64_t> seqs;
  PageCommitterOptions options;
  options.max_batch_delay = absl::Seconds(10);
  options.on_batch = [&](int pages) {
    absl::MutexLock lock(&mu);
    batches.push_back(pages);
  };
  {
    PageCommitter committer(ingestor_.get(), options);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          absl::StatusOr<v1::IngestArticleResponse> result =
              committer.Ingest(Page(t * kPerThread + i));
          ASSERT_TRUE(result.ok()) << result.status();
          absl::MutexLock lock(&mu);
          seqs.insert(result->articles(0).seq());
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(store_->HeadSeq(), kThreads * kPerThread);
  EXPECT_LT(batches.size(), static_cast<size_t>(kThreads * kPerThread))
      << "concurrent calls shared some commits";
}

TEST_F(PageCommitterTest, DestructionAnswersEverySubmittedPage) {
  std::atomic<int> answered{0};
  {
    PageCommitter committer(ingestor_.get(), PageCommitterOptions());
    for (int i = 0; i < 10; ++i) {
      committer.Submit(Page(i), [&](absl::StatusOr<v1::IngestArticleResponse> r) {
        EXPECT_TRUE(r.ok()) << r.status();
        ++answered;
      });
    }
  }
  EXPECT_EQ(answered.load(), 10);
  EXPECT_EQ(*store_->CountLive(), 10);
}

TEST_F(PageCommitterTest, IngestWaitsForTheDurableResult) {
  PageCommitter committer(ingestor_.get(), PageCommitterOptions());
  absl::StatusOr<v1::IngestArticleResponse> first = committer.Ingest(Page(1));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->articles(0).outcome(), v1::OUTCOME_CREATED);
  EXPECT_TRUE(store_->Get(first->articles(0).id()).ok());
  absl::StatusOr<v1::IngestArticleResponse> again = committer.Ingest(Page(1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->articles(0).outcome(), v1::OUTCOME_UNCHANGED);
}

}  // namespace
}  // namespace newsearch::ingest
