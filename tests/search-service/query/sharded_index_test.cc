// The Searcher over the index the IndexWriter keeps: S local shards behind a
// stub file, the lowest applied_seq, and compaction swapping shards while
// queries go on.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/analysis/analyzer.h"
#include "gtest/gtest.h"
#include "search-service/index/index_writer.h"
#include "search-service/query/searcher.h"

namespace newsearch::search {
namespace {

v1::Change Upsert(int64_t seq, const std::string& id, const std::string& title) {
  v1::Change change;
  change.set_seq(seq);
  change.set_kind(v1::CHANGE_KIND_UPSERT);
  change.set_article_id(id);
  v1::Article* article = change.mutable_article();
  article->set_id(id);
  article->set_title(title);
  article->set_body(absl::StrCat(title, "，台风登陆浙江沿海，各地做好防御工作。"));
  article->set_source("台州日报");
  return change;
}

class ShardedIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sharded_index_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto analyzer = analysis::Analyzer::Create();
    ASSERT_TRUE(analyzer.ok()) << analyzer.status();
    analyzer_ = std::move(analyzer).value();
    auto writer = IndexWriter::Open({dir_ + "/xapian", 3}, analyzer_.get());
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = std::move(writer).value();
    SearcherOptions options;
    options.path = dir_ + "/xapian";
    auto searcher = Searcher::Create(options, analyzer_.get());
    ASSERT_TRUE(searcher.ok()) << searcher.status();
    searcher_ = std::move(searcher).value();
  }
  void TearDown() override {
    searcher_.reset();
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t Hits(const std::string& query) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_page_size(100);
    auto response = searcher_->Search(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->hits_size() : -1;
  }

  std::string dir_;
  std::unique_ptr<analysis::Analyzer> analyzer_;
  std::unique_ptr<IndexWriter> writer_;
  std::unique_ptr<Searcher> searcher_;
};

TEST_F(ShardedIndexTest, SearchesAllShardsAndReportsTheLowestAppliedSeq) {
  std::vector<v1::Change> changes;
  for (int i = 1; i <= 30; ++i) changes.push_back(Upsert(i, absl::StrCat("a", i), "台风"));
  ASSERT_TRUE(writer_->Apply(changes).ok());
  EXPECT_EQ(Hits("台风"), 30);
  EXPECT_EQ(*searcher_->DocumentCount(), 30);
  EXPECT_EQ(*searcher_->AppliedSeq(), 30);
}

TEST_F(ShardedIndexTest, QueriesFollowACompactionWithoutErrors) {
  std::vector<v1::Change> changes;
  for (int i = 1; i <= 60; ++i) changes.push_back(Upsert(i, absl::StrCat("a", i), "台风"));
  ASSERT_TRUE(writer_->Apply(changes).ok());
  ASSERT_EQ(Hits("台风"), 60);  // the searcher now holds handles on generation 0

  // Queries keep running on another thread through the swap.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> queries{0};
  std::thread reader([&] {
    while (!stop) {
      v1::SearchRequest request;
      request.set_query("台风");
      request.set_page_size(100);
      auto response = searcher_->Search(request);
      if (!response.ok() || response->hits_size() < 60) ++failures;
      ++queries;
    }
  });
  auto compacted = writer_->Compact();
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  // Applied after the swap: only a handle on the new generation sees it.
  ASSERT_TRUE(writer_->Apply({Upsert(61, "new", "新闻发布会")}).ok());
  while (queries < 20) std::this_thread::yield();
  stop = true;
  reader.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Hits("发布会"), 1);
  EXPECT_EQ(Hits("台风"), 61);
  EXPECT_EQ(*searcher_->AppliedSeq(), 61);
}

}  // namespace
}  // namespace newsearch::search
