// kill -9 of a search replica (default shards, then three) in the middle of
// catching up on generated pages: after a restart the index must hold exactly
// the stored articles, each once (applied_seq is committed with the
// documents). And kill -9 of ingest while a stream's pages are being
// group-committed: every page it acknowledged is in the store after a
// restart, exactly once.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

constexpr int kPages = 3000;

// Writes `count` generated pages (tools/gen_pages.py, `seed`) under
// `root`/pages and returns their paths.
std::vector<std::string> GeneratePages(const std::string& root, int count, int seed) {
  const std::string pages = root + "/pages";
  const std::string generate = absl::StrCat("python3 ", SourceDir(), "/tools/gen_pages.py --count ",
                                            count, " --seed ", seed, " --out ", pages);
  EXPECT_EQ(std::system(generate.c_str()), 0) << generate;
  return ListFiles(pages);
}

// Sends every file over one IngestArticles stream; returns the highest seq.
int64_t BulkIngest(IngestFixture& ingest, const std::vector<std::string>& files, int* failed) {
  grpc::ClientContext context;
  auto stream = ingest.stub().IngestArticles(&context);
  int64_t max_seq = 0;
  for (const std::string& path : files) {
    v1::IngestArticleRequest request;
    request.set_content(ReadFile(path));
    request.set_external_id(path.substr(path.find_last_of('/') + 1));
    EXPECT_TRUE(stream->Write(request));
  }
  stream->WritesDone();
  v1::IngestArticleResponse response;
  int64_t index = 0;
  while (stream->Read(&response)) {
    EXPECT_EQ(response.request_index(), index++) << "responses come in request order";
    if (response.has_error()) {
      ++*failed;
      continue;
    }
    for (const auto& a : response.articles()) max_seq = std::max(max_seq, a.seq());
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(index, static_cast<int64_t>(files.size()));
  return max_seq;
}

// Starts `ingest` and loads `count` generated pages (`seed`) into it, all
// accepted; returns the highest seq, or 0 (with a test failure).
int64_t StartAndLoad(IngestFixture& ingest, const std::string& root, int count, int seed) {
  const std::vector<std::string> files = GeneratePages(root, count, seed);
  EXPECT_EQ(files.size(), static_cast<size_t>(count));
  if (!ingest.Start()) {
    ADD_FAILURE() << "ingest did not start";
    return 0;
  }
  int failed = 0;
  const int64_t head = BulkIngest(ingest, files, &failed);
  EXPECT_EQ(failed, 0);
  return head;
}

std::set<std::string> StoredIds(IngestFixture& ingest) {
  std::set<std::string> ids;
  v1::ListArticlesRequest request;
  request.set_page_size(1000);
  while (true) {
    grpc::ClientContext context;
    v1::ListArticlesResponse response;
    if (!ingest.stub().ListArticles(&context, request, &response).ok()) break;
    for (const auto& a : response.articles()) ids.insert(a.id());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return ids;
}

TEST(CrashRecoveryTest, KillNineDuringCatchUpLosesNothingAndAppliesNothingTwice) {
  const std::string root = MakeTempDir("crash");
  const std::vector<std::string> files = GeneratePages(root, kPages, 7);
  ASSERT_EQ(files.size(), static_cast<size_t>(kPages));

  IngestFixture ingest(root, {"--fsync=false"});
  ASSERT_TRUE(ingest.Start());
  int failed = 0;
  const int64_t head = BulkIngest(ingest, files, &failed);
  EXPECT_EQ(failed, 0);
  // A few updates and deletes so the log is not just creates.
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    v1::DeleteArticleRequest del;
    v1::ListArticlesRequest list;
    list.set_page_size(1);
    v1::ListArticlesResponse first;
    ASSERT_TRUE(ingest.stub().ListArticles(&context, list, &first).ok());
    ASSERT_EQ(first.articles_size(), 1);
    grpc::ClientContext del_context;
    del.set_id(first.articles(0).id());
    v1::DeleteArticleResponse deleted;
    ASSERT_TRUE(ingest.stub().DeleteArticle(&del_context, del, &deleted).ok());
  }
  const std::set<std::string> stored = StoredIds(ingest);
  ASSERT_EQ(stored.size(), static_cast<size_t>(kPages - 20));

  SearchFixture search(root + "/search", ingest.address(), {"--max_batch_changes=100"});
  ASSERT_TRUE(search.Start());
  ASSERT_TRUE(WaitFor([&] { return search.Status().applied_seq() >= 300; }, absl::Seconds(120)));
  const int64_t applied_before = search.Status().applied_seq();
  ASSERT_LT(applied_before, head) << "the kill must land during catch-up";
  search.process().Kill();

  ASSERT_TRUE(search.Start());
  EXPECT_GE(search.Status().applied_seq(), applied_before) << "committed batches survive kill -9";
  ASSERT_TRUE(search.WaitForSeq(head + 20, absl::Seconds(300)));

  const std::vector<std::string> indexed = search.AllHitIds("");
  const std::set<std::string> indexed_set(indexed.begin(), indexed.end());
  EXPECT_EQ(indexed.size(), indexed_set.size()) << "no article indexed twice";
  EXPECT_EQ(search.Status().document_count(), static_cast<int64_t>(stored.size()));
  EXPECT_TRUE(indexed_set == stored) << "index holds exactly the stored articles";
}

TEST(CrashRecoveryTest, KillNineMidBatchLosesNoAcknowledgedPage) {
  const std::string root = MakeTempDir("crash-batch");
  const std::string pages = root + "/pages";
  const std::string generate = absl::StrCat("python3 ", SourceDir(),
                                            "/tools/gen_pages.py --count 2000 --seed 11 --out ",
                                            pages);
  ASSERT_EQ(std::system(generate.c_str()), 0) << generate;
  const std::vector<std::string> files = ListFiles(pages);
  ASSERT_EQ(files.size(), 2000u);

  // Small batches with a long wait make many commits, so the kill lands
  // with a batch in flight (parsed, maybe written, not yet acknowledged).
  IngestFixture ingest(root, {"--commit_max_pages=16", "--commit_max_delay_ms=5"});
  ASSERT_TRUE(ingest.Start());
  std::map<std::string, std::string> acknowledged;  // external id -> article id
  {
    grpc::ClientContext context;
    auto stream = ingest.stub().IngestArticles(&context);
    std::thread writer([&] {
      for (const std::string& path : files) {
        v1::IngestArticleRequest request;
        request.set_content(ReadFile(path));
        request.set_external_id(path.substr(path.find_last_of('/') + 1));
        if (!stream->Write(request)) break;
      }
      stream->WritesDone();
    });
    v1::IngestArticleResponse response;
    while (stream->Read(&response)) {
      ASSERT_FALSE(response.has_error()) << response.error().message();
      ASSERT_EQ(response.articles_size(), 1);
      const std::string& path = files.at(response.request_index());
      acknowledged[path.substr(path.find_last_of('/') + 1)] = response.articles(0).id();
      if (acknowledged.size() == 300) ingest.process().Kill();
    }
    stream->Finish();
    writer.join();
  }
  ASSERT_GE(acknowledged.size(), 300u);
  ASSERT_LT(acknowledged.size(), files.size()) << "the kill must cut the stream";

  ASSERT_TRUE(ingest.Start());
  std::map<std::string, int> copies;  // external id -> stored articles
  v1::ListArticlesRequest list;
  list.set_page_size(1000);
  while (true) {
    grpc::ClientContext context;
    v1::ListArticlesResponse response;
    ASSERT_TRUE(ingest.stub().ListArticles(&context, list, &response).ok());
    for (const auto& article : response.articles()) ++copies[article.external_id()];
    if (response.next_page_token().empty()) break;
    list.set_page_token(response.next_page_token());
  }
  for (const auto& [external_id, id] : acknowledged) {
    EXPECT_EQ(copies[external_id], 1) << external_id << " acknowledged, stored " << copies[external_id];
    grpc::ClientContext context;
    v1::GetArticleRequest request;
    request.set_id(id);
    v1::Article article;
    EXPECT_TRUE(ingest.stub().GetArticle(&context, request, &article).ok()) << id;
  }
  // Unacknowledged pages may be stored too (committed, answer lost), once.
  for (const auto& [external_id, count] : copies) EXPECT_EQ(count, 1) << external_id;
}

// The same with three local shards, whose commits of one batch land apart:
// the restarted replica resumes from the lowest shard and the replay is
// harmless; it refuses another explicit --index_shards; and once caught up
// and idle it compacts every shard without losing or doubling an article.
TEST(CrashRecoveryTest, ShardedReplicaResumesEveryShardAndCompactsWhenCaughtUp) {
  const std::string root = MakeTempDir("crash_sharded");
  IngestFixture ingest(root, {"--fsync=false"});
  const int64_t head = StartAndLoad(ingest, root, /*count=*/1000, /*seed=*/9);
  ASSERT_GT(head, 0);
  const std::set<std::string> stored = StoredIds(ingest);

  const std::string data_dir = root + "/search";
  {
    SearchFixture search(data_dir, ingest.address(),
                         {"--max_batch_changes=30", "--index_shards=3",
                          "--compact_after_changes=0"});
    ASSERT_TRUE(search.Start());
    ASSERT_TRUE(WaitFor([&] { return search.Status().applied_seq() >= 150; }, absl::Seconds(120)));
    ASSERT_LT(search.Status().applied_seq(), head) << "the kill must land during catch-up";
    search.process().Kill();
  }
  {
    SearchFixture other(data_dir, ingest.address(), {"--index_shards=2"});
    EXPECT_FALSE(other.Start()) << "an index of 3 shards opened with --index_shards=2";
  }
  SearchFixture search(data_dir, ingest.address(),
                       {"--max_batch_changes=30", "--compact_after_changes=100"});
  ASSERT_TRUE(search.Start());
  ASSERT_TRUE(search.WaitForSeq(head, absl::Seconds(300)));
  // Compaction writes generation 1 of every shard and names it in the stub.
  const std::string index = data_dir + "/xapian";
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string stub = ReadFile(index + "/XAPIANDB");
        return stub == "glass shard-0.1\nglass shard-1.1\nglass shard-2.1\n";
      },
      absl::Seconds(120)));
  EXPECT_TRUE(WaitFor([&] { return !search.Status().compaction_pending(); }, absl::Seconds(60)))
      << "the status still reports a compaction after it";
  // Settled: the index on disk is only the compacted generation.
  for (int shard = 0; shard < 3; ++shard) {
    EXPECT_FALSE(std::filesystem::exists(absl::StrCat(index, "/shard-", shard, ".0")))
        << "shard " << shard << "'s old generation outlived compaction_pending";
  }
  const std::vector<std::string> indexed = search.AllHitIds("");
  const std::set<std::string> indexed_set(indexed.begin(), indexed.end());
  EXPECT_EQ(indexed.size(), indexed_set.size()) << "no article indexed twice";
  EXPECT_EQ(search.Status().document_count(), static_cast<int64_t>(stored.size()));
  EXPECT_TRUE(indexed_set == stored) << "index holds exactly the stored articles";
}

}  // namespace

// The same with segments (--index_segment_docs): a kill -9 during catch-up
// lands between seals and merges; the restarted replica holds every stored
// article once, and deletes of articles that sealed segments hold take them
// out of the index.
TEST(CrashRecoveryTest, SegmentedReplicaResumesAndDeletesFromSealedSegments) {
  const std::string root = MakeTempDir("crash_segmented");
  IngestFixture ingest(root, {"--fsync=false"});
  const int64_t head = StartAndLoad(ingest, root, /*count=*/600, /*seed=*/11);
  ASSERT_GT(head, 0);
  std::set<std::string> stored = StoredIds(ingest);

  const std::string data_dir = root + "/search";
  const std::vector<std::string> flags = {"--max_batch_changes=30", "--index_shards=2",
                                          "--index_segment_docs=20", "--compact_after_changes=0"};
  {
    SearchFixture search(data_dir, ingest.address(), flags);
    ASSERT_TRUE(search.Start());
    ASSERT_TRUE(WaitFor([&] { return search.Status().applied_seq() >= 200; }, absl::Seconds(120)));
    ASSERT_LT(search.Status().applied_seq(), head) << "the kill must land during catch-up";
    search.process().Kill();
  }
  SearchFixture search(data_dir, ingest.address(), flags);
  ASSERT_TRUE(search.Start());
  ASSERT_TRUE(search.WaitForSeq(head, absl::Seconds(300)));
  const std::string stub = ReadFile(data_dir + "/xapian/XAPIANDB");
  EXPECT_GT(std::count(stub.begin(), stub.end(), '\n'), 2) << "no segments:\n" << stub;

  int64_t last = head;
  int deleted = 0;
  for (auto it = stored.begin(); it != stored.end() && deleted < 40; ++deleted) {
    grpc::ClientContext context;
    v1::DeleteArticleRequest request;
    request.set_id(*it);
    v1::DeleteArticleResponse response;
    ASSERT_TRUE(ingest.stub().DeleteArticle(&context, request, &response).ok()) << *it;
    last = response.seq();
    it = stored.erase(it);
  }
  ASSERT_TRUE(search.WaitForSeq(last, absl::Seconds(120)));
  const std::vector<std::string> indexed = search.AllHitIds("");
  const std::set<std::string> indexed_set(indexed.begin(), indexed.end());
  EXPECT_EQ(indexed.size(), indexed_set.size()) << "no article indexed twice";
  EXPECT_EQ(search.Status().document_count(), static_cast<int64_t>(stored.size()));
  EXPECT_TRUE(indexed_set == stored) << "index holds exactly the stored articles";
}

}  // namespace newsearch::testing
