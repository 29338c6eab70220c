// Partitioned followers (--partition=K/N) through the real binaries: ingest
// sends each replica only its partition's changes (deletes included), the
// replica's whole index (every id term of every shard, read with Xapian)
// holds only ids of its partition, the partitions together hold exactly the
// stored articles, a replica without --partition holds them all as before,
// and a replica refuses an index built for another partition. New replicas
// from a peer's snapshot (--bootstrap_from) while ingest keeps writing.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include "absl/strings/str_cat.h"
#include "common/base/stable_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/schema/schema.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

// Generates `count` pages with `seed` under root/name and returns them.
std::vector<std::string> GeneratePages(const std::string& root, const std::string& name, int count,
                                       int seed) {
  const std::string dir = root + "/" + name;
  const std::string command = absl::StrCat("python3 ", SourceDir(), "/tools/gen_pages.py --count ",
                                           count, " --seed ", seed, " --out ", dir);
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return ListFiles(dir);
}

// Ingests every page under its file name as external id (the same name
// again is an update); returns the highest seq. Adds the title of every
// updated article to `*updated` (by id) when given.
int64_t IngestPages(IngestFixture& ingest, const std::vector<std::string>& files,
                    std::map<std::string, std::string>* updated = nullptr) {
  int64_t head = 0;
  for (const std::string& path : files) {
    v1::IngestArticleResponse response;
    const grpc::Status status =
        ingest.Ingest(ReadFile(path), &response, path.substr(path.find_last_of('/') + 1));
    EXPECT_TRUE(status.ok()) << path << ": " << status.error_message();
    for (const auto& article : response.articles()) {
      head = std::max(head, article.seq());
      if (updated != nullptr && article.outcome() == v1::OUTCOME_UPDATED) {
        (*updated)[article.id()] = article.title();
      }
    }
  }
  return head;
}

// The title of the document indexed for `id` ("" when there is none).
std::string IndexedTitle(const std::string& data_dir, const std::string& id) {
  Xapian::Database db(data_dir + "/xapian");
  const std::string term = search::schema::IdTerm(id);
  for (auto it = db.postlist_begin(term); it != db.postlist_end(term); ++it) {
    v1::Article article;
    EXPECT_TRUE(search::schema::ArticleFromDocumentData(db.get_document(*it).get_data(), &article));
    return article.title();
  }
  return "";
}

std::set<std::string> StoredIds(IngestFixture& ingest) {
  std::set<std::string> ids;
  v1::ListArticlesRequest request;
  request.set_page_size(1000);
  while (true) {
    grpc::ClientContext context;
    v1::ListArticlesResponse response;
    EXPECT_TRUE(ingest.stub().ListArticles(&context, request, &response).ok());
    for (const auto& a : response.articles()) ids.insert(a.id());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return ids;
}

// Every article id in the replica's index, read from the id terms of all
// its shards (not through search, which could hide a stray document).
std::multiset<std::string> IndexedIds(const std::string& data_dir) {
  std::multiset<std::string> ids;
  Xapian::Database db(data_dir + "/xapian");
  const std::string prefix = search::schema::kIdPrefix;
  for (auto it = db.allterms_begin(prefix); it != db.allterms_end(prefix); ++it) {
    for (Xapian::doccount i = 0; i < it.get_termfreq(); ++i) ids.insert((*it).substr(prefix.size()));
  }
  EXPECT_EQ(ids.size(), db.get_doccount()) << "one id term per document";
  return ids;
}

// The replica has applied the log up to `head`, and its lag is 0.
bool CaughtUp(SearchFixture& search, int64_t head) {
  const v1::GetIndexStatusResponse status = search.Status();
  return status.applied_seq() >= head && status.lag() == 0;
}

// Checks one partition's replica against the stored articles.
void ExpectHoldsExactlyItsPartition(const std::string& data_dir, int partition, int partitions,
                                    const std::set<std::string>& stored) {
  const std::multiset<std::string> indexed = IndexedIds(data_dir);
  std::set<std::string> want;
  for (const std::string& id : stored) {
    if (PartitionOf(id, partitions) == partition) want.insert(id);
  }
  for (const std::string& id : indexed) {
    EXPECT_EQ(PartitionOf(id, partitions), partition)
        << id << " of partition " << PartitionOf(id, partitions) << " in " << data_dir;
    EXPECT_EQ(indexed.count(id), 1u) << id << " indexed twice";
  }
  EXPECT_EQ(std::set<std::string>(indexed.begin(), indexed.end()), want)
      << "partition " << partition << "/" << partitions << " holds exactly its stored articles";
}

TEST(PartitionTest, EachFollowerHoldsExactlyItsPartitionDeletesAndUpdatesIncluded) {
  const std::string root = MakeTempDir("partition");
  IngestFixture ingest(root, {"--fsync=false"});
  ASSERT_TRUE(ingest.Start());
  const int64_t loaded = IngestPages(ingest, GeneratePages(root, "pages", 300, 13));

  std::vector<std::unique_ptr<SearchFixture>> parts;
  for (int k = 0; k < 3; ++k) {
    parts.push_back(std::make_unique<SearchFixture>(
        absl::StrCat(root, "/search-", k), ingest.address(),
        std::vector<std::string>{absl::StrCat("--partition=", k, "/3"), "--index_shards=2",
                                 "--max_batch_changes=50"}));
    ASSERT_TRUE(parts.back()->Start()) << "see " << root;
  }
  SearchFixture whole(root + "/search-whole", ingest.address(), {"--index_shards=2"});
  ASSERT_TRUE(whole.Start());

  // Every replica reaches the head: a partition's applied_seq moves past the
  // other partitions' changes too (complete_seq), so its lag is 0.
  for (auto& part : parts) {
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(*part, loaded); }, absl::Seconds(120)));
  }
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(whole, loaded); }, absl::Seconds(120)));
  std::set<std::string> stored = StoredIds(ingest);
  ASSERT_EQ(stored.size(), 300u);
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(k);
    ExpectHoldsExactlyItsPartition(absl::StrCat(root, "/search-", k), k, 3, stored);
    const v1::GetIndexStatusResponse status = parts[k]->Status();
    EXPECT_EQ(status.partition(), k);
    EXPECT_EQ(status.partition_count(), 3);
    EXPECT_GT(status.document_count(), 50) << "the hash spreads the articles";
  }
  ExpectHoldsExactlyItsPartition(root + "/search-whole", 0, 1, stored);
  EXPECT_EQ(whole.Status().partition(), 0);
  EXPECT_EQ(whole.Status().partition_count(), 1);

  // Updates, new articles and deletes reach the replica of each article's
  // partition. Pages with the first pages' names and other content are
  // updates; pages 301..320 of the first run are new.
  std::map<std::string, std::string> updated;
  IngestPages(ingest, GeneratePages(root, "updates", 30, 99), &updated);
  ASSERT_GT(updated.size(), 20u);
  const std::vector<std::string> more = GeneratePages(root, "more", 320, 13);
  IngestPages(ingest, {more.begin() + 300, more.end()});
  std::vector<std::string> deleted;
  for (const std::string& id : stored) {
    if (deleted.size() == 40) break;
    if (updated.count(id) > 0) continue;
    grpc::ClientContext context;
    v1::DeleteArticleRequest request;
    request.set_id(id);
    v1::DeleteArticleResponse response;
    ASSERT_TRUE(ingest.stub().DeleteArticle(&context, request, &response).ok());
    deleted.push_back(id);
  }
  v1::IngestArticleResponse last;
  const std::vector<std::string> last_page = GeneratePages(root, "last", 1, 77);
  ASSERT_EQ(last_page.size(), 1u);
  ASSERT_TRUE(ingest.Ingest(ReadFile(last_page[0]), &last, "the-last-page").ok());
  ASSERT_EQ(last.articles_size(), 1);
  const int64_t head = last.articles(0).seq();
  for (auto& part : parts) {
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(*part, head); }, absl::Seconds(120)));
  }
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(whole, head); }, absl::Seconds(120)));
  stored = StoredIds(ingest);
  for (const std::string& id : deleted) ASSERT_EQ(stored.count(id), 0u);
  int64_t documents = 0;
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(k);
    ExpectHoldsExactlyItsPartition(absl::StrCat(root, "/search-", k), k, 3, stored);
    documents += parts[k]->Status().document_count();
  }
  EXPECT_EQ(documents, static_cast<int64_t>(stored.size()));
  ExpectHoldsExactlyItsPartition(root + "/search-whole", 0, 1, stored);

  // An updated article's new state is in its partition's index.
  for (const auto& [id, title] : updated) {
    EXPECT_EQ(IndexedTitle(absl::StrCat(root, "/search-", PartitionOf(id, 3)), id), title) << id;
  }

  // The CLI's status names the partition.
  int exit_code = 0;
  const std::string out = RunShell(
      absl::StrCat(BinaryDir(), "/tools/cli/newsearch --search=", parts[1]->address(), " status"),
      &exit_code);
  EXPECT_EQ(exit_code, 0) << out;
  EXPECT_THAT(out, HasSubstr("partition       1/3"));
  const std::string whole_out = RunShell(
      absl::StrCat(BinaryDir(), "/tools/cli/newsearch --search=", whole.address(), " status"),
      &exit_code);
  EXPECT_THAT(whole_out, ::testing::Not(HasSubstr("partition")));
}

// The log of the last start of a server whose work dir is `run_dir`.
std::string LastLog(const std::string& run_dir) {
  std::string text;
  for (const std::string& file : ListFiles(run_dir)) {
    if (file.find("/server-") != std::string::npos) text = ReadFile(file);
  }
  return text;
}

TEST(PartitionTest, ReplicaRefusesAnIndexOfAnotherPartition) {
  const std::string root = MakeTempDir("partition_refuse");
  IngestFixture ingest(root, {"--fsync=false"});
  ASSERT_TRUE(ingest.Start());
  const int64_t head = IngestPages(ingest, GeneratePages(root, "pages", 20, 5));
  const std::string data_dir = root + "/search";
  {
    SearchFixture search(data_dir, ingest.address(), {"--partition=0/2"});
    ASSERT_TRUE(search.Start());
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(search, head); }, absl::Seconds(60)));
    EXPECT_EQ(search.process().Terminate(), 0);
  }
  {
    SearchFixture other(data_dir, ingest.address(), {"--partition=1/2"});
    EXPECT_FALSE(other.process().Start(absl::Seconds(10)))
        << "a replica of partition 1/2 must refuse an index of partition 0/2";
    EXPECT_THAT(LastLog(data_dir + "-run"),
                HasSubstr("holds partition 0/2 but this replica runs --partition=1/2"));
  }
  {
    SearchFixture unpartitioned(data_dir, ingest.address());
    EXPECT_FALSE(unpartitioned.process().Start(absl::Seconds(10)))
        << "a replica of every article must refuse a partition's index";
    EXPECT_THAT(LastLog(data_dir + "-run"), HasSubstr("--partition=0/2"));
  }
  {
    SearchFixture same(data_dir, ingest.address(), {"--partition=0/2"});
    ASSERT_TRUE(same.Start()) << "its own partition still opens it";
    EXPECT_EQ(same.Status().partition_count(), 2);
  }
  // Malformed flags stop the server at once (exit 2).
  for (const char* bad : {"--partition=2/2", "--partition=1", "--partition=-1/2",
                          "--partition=0/0", "--partition=a/b"}) {
    int exit_code = 0;
    const std::string out =
        RunShell(absl::StrCat(BinaryDir(), "/search-service/server/newsearch-search ", bad,
                              " --data_dir=", root, "/never 2>&1"),
                 &exit_code);
    EXPECT_TRUE(WIFEXITED(exit_code) && WEXITSTATUS(exit_code) == 2) << bad << ": " << out;
    EXPECT_THAT(out, HasSubstr("--partition")) << bad;
  }
}

TEST(PartitionTest, StreamChangesRefusesAMalformedPartition) {
  const std::string root = MakeTempDir("partition_stream");
  IngestFixture ingest(root);
  ASSERT_TRUE(ingest.Start());
  struct Case {
    int partition;
    int count;
  };
  for (const Case c : {Case{2, 2}, Case{-1, 2}, Case{0, -1}, Case{1, 0}, Case{0, 5000}}) {
    grpc::ClientContext context;
    v1::StreamChangesRequest request;
    request.set_partition(c.partition);
    request.set_partition_count(c.count);
    auto stream = ingest.stub().StreamChanges(&context, request);
    v1::StreamChangesResponse response;
    EXPECT_FALSE(stream->Read(&response));
    const grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.partition << "/" << c.count;
    EXPECT_THAT(status.error_message(), HasSubstr("partition"));
  }
}

// What ingest itself sends a partition: only its upserts and deletes, and
// complete_seq up to the head.
TEST(PartitionTest, StreamChangesSendsOnlyThePartitionDeletesIncluded) {
  const std::string root = MakeTempDir("partition_feed");
  IngestFixture ingest(root, {"--fsync=false"});
  ASSERT_TRUE(ingest.Start());
  IngestPages(ingest, GeneratePages(root, "pages", 40, 21));
  std::set<std::string> stored = StoredIds(ingest);
  std::set<std::string> deleted;
  for (const std::string& id : stored) {
    if (deleted.size() == 10) break;
    grpc::ClientContext context;
    v1::DeleteArticleRequest request;
    request.set_id(id);
    v1::DeleteArticleResponse response;
    ASSERT_TRUE(ingest.stub().DeleteArticle(&context, request, &response).ok());
    deleted.insert(id);
  }
  stored = StoredIds(ingest);
  for (int k = 0; k < 2; ++k) {
    SCOPED_TRACE(k);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::StreamChangesRequest request;
    request.set_partition(k);
    request.set_partition_count(2);
    request.set_max_batch_size(3);
    auto stream = ingest.stub().StreamChanges(&context, request);
    v1::StreamChangesResponse response;
    std::set<std::string> upserts;
    std::set<std::string> deletes;
    int64_t complete = 0;
    int64_t head = 0;
    while (stream->Read(&response)) {
      for (const v1::Change& change : response.changes()) {
        EXPECT_EQ(PartitionOf(change.article_id(), 2), k) << change.article_id();
        EXPECT_LE(change.seq(), response.complete_seq());
        (change.kind() == v1::CHANGE_KIND_DELETE ? deletes : upserts).insert(change.article_id());
      }
      EXPECT_GE(response.complete_seq(), complete) << "complete_seq never goes back";
      complete = response.complete_seq();
      head = response.head_seq();
      if (complete == head && head > 0) break;
    }
    context.TryCancel();
    stream->Finish();
    EXPECT_GT(complete, 0);
    EXPECT_EQ(complete, head) << "the partition is complete up to the head";
    std::set<std::string> want_upserts;
    std::set<std::string> want_deletes;
    for (const std::string& id : stored) {
      if (PartitionOf(id, 2) == k) want_upserts.insert(id);
    }
    for (const std::string& id : deleted) {
      if (PartitionOf(id, 2) == k) want_deletes.insert(id);
    }
    EXPECT_EQ(upserts, want_upserts);
    EXPECT_EQ(deletes, want_deletes);
    EXPECT_FALSE(want_deletes.empty());
  }
}

// Deletes `count` stored articles (the first in id order that `keep` does
// not hold); returns their ids.
std::vector<std::string> DeleteSome(IngestFixture& ingest, int count,
                                    const std::set<std::string>& keep = {}) {
  std::vector<std::string> deleted;
  for (const std::string& id : StoredIds(ingest)) {
    if (static_cast<int>(deleted.size()) == count) break;
    if (keep.count(id) > 0) continue;
    grpc::ClientContext context;
    v1::DeleteArticleRequest request;
    request.set_id(id);
    v1::DeleteArticleResponse response;
    EXPECT_TRUE(ingest.stub().DeleteArticle(&context, request, &response).ok()) << id;
    deleted.push_back(id);
  }
  return deleted;
}

// A new replica copies a peer's snapshot while ingest keeps writing (new
// articles, updates, deletes): it starts from the snapshot's applied_seq,
// not 0, and ends with exactly its partition's articles, each once.
TEST(PartitionTest, NewReplicaBootstrapsFromASnapshotWhileIngestKeepsWriting) {
  const std::string root = MakeTempDir("partition_bootstrap");
  IngestFixture ingest(root, {"--fsync=false"});
  ASSERT_TRUE(ingest.Start());
  const std::vector<std::string> pages = GeneratePages(root, "pages", 700, 31);
  const int64_t loaded = IngestPages(ingest, {pages.begin(), pages.begin() + 400});
  SearchFixture peer(root + "/peer", ingest.address(),
                     {"--partition=1/2", "--index_shards=2", "--compact_after_changes=0"});
  ASSERT_TRUE(peer.Start());
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(peer, loaded); }, absl::Seconds(120)));

  std::thread writer([&] {
    IngestPages(ingest, {pages.begin() + 400, pages.end()});
    DeleteSome(ingest, 30);
    IngestPages(ingest, GeneratePages(root, "updates", 40, 32));  // updates of pages 1..40
  });
  SearchFixture fresh(root + "/fresh", ingest.address(),
                      {"--partition=1/2", "--bootstrap_from=" + peer.address(),
                       "--max_batch_changes=50"});
  ASSERT_TRUE(fresh.Start()) << "see " << root;
  const v1::GetIndexStatusResponse first = fresh.Status();
  EXPECT_GE(first.applied_seq(), loaded) << "the replica starts from the snapshot, not seq 0";
  EXPECT_EQ(first.partition(), 1);
  EXPECT_EQ(first.partition_count(), 2);
  const std::string log = LastLog(root + "/fresh-run");
  EXPECT_THAT(log, HasSubstr("\"msg\":\"index bootstrapped\""));
  EXPECT_THAT(LastLog(root + "/peer-run"), HasSubstr("\"msg\":\"index snapshot streamed\""));
  EXPECT_EQ(ListFiles(root + "/fresh/xapian.bootstrap").size(), 0u) << "staging removed";
  writer.join();

  v1::IngestArticleResponse last;
  const std::vector<std::string> last_page = GeneratePages(root, "last", 1, 77);
  ASSERT_TRUE(ingest.Ingest(ReadFile(last_page[0]), &last, "the-last-page").ok());
  const int64_t head = last.articles(0).seq();
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(fresh, head); }, absl::Seconds(120)));
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(peer, head); }, absl::Seconds(120)));
  const std::set<std::string> stored = StoredIds(ingest);
  ExpectHoldsExactlyItsPartition(root + "/fresh", 1, 2, stored);
  EXPECT_EQ(fresh.Status().document_count(), peer.Status().document_count());
  EXPECT_EQ(fresh.AllHitIds("").size(), static_cast<size_t>(fresh.Status().document_count()));

  // Restarted, it keeps its index (no second copy) and follows on.
  EXPECT_EQ(fresh.process().Terminate(), 0);
  ASSERT_TRUE(fresh.Start());
  EXPECT_THAT(LastLog(root + "/fresh-run"), HasSubstr("index present"));
  EXPECT_GE(fresh.Status().applied_seq(), head);
}

TEST(PartitionTest, BootstrapRefusesAPeerOfAnotherPartitionOrShardCount) {
  const std::string root = MakeTempDir("partition_bootstrap_refuse");
  IngestFixture ingest(root, {"--fsync=false"});
  ASSERT_TRUE(ingest.Start());
  const int64_t head = IngestPages(ingest, GeneratePages(root, "pages", 30, 41));
  SearchFixture peer(root + "/peer", ingest.address(), {"--partition=0/2", "--index_shards=2"});
  ASSERT_TRUE(peer.Start());
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(peer, head); }, absl::Seconds(60)));
  {
    SearchFixture other(root + "/other", ingest.address(),
                        {"--partition=1/2", "--bootstrap_from=" + peer.address()});
    EXPECT_FALSE(other.process().Start(absl::Seconds(20)));
    EXPECT_THAT(LastLog(root + "/other-run"),
                HasSubstr("holds partition 0/2 but this replica runs --partition=1/2"));
    EXPECT_FALSE(std::filesystem::exists(root + "/other/xapian/XAPIANDB")) << "no index left";
  }
  {
    SearchFixture other(root + "/shards", ingest.address(),
                        {"--partition=0/2", "--index_shards=3",
                         "--bootstrap_from=" + peer.address()});
    EXPECT_FALSE(other.process().Start(absl::Seconds(20)));
    EXPECT_THAT(LastLog(root + "/shards-run"),
                HasSubstr("has 2 index shards but --index_shards is 3"));
  }
  SearchFixture same(root + "/same", ingest.address(),
                     {"--partition=0/2", "--bootstrap_from=" + peer.address()});
  ASSERT_TRUE(same.Start());
  EXPECT_EQ(same.Status().document_count(), peer.Status().document_count());
  EXPECT_GE(same.Status().applied_seq(), head);

  // The stream itself: info, data, checksum; a bad chunk size is refused.
  grpc::ClientContext context;
  v1::SnapshotIndexRequest request;
  request.set_chunk_bytes(4096);
  auto stream = peer.stub().SnapshotIndex(&context, request);
  v1::SnapshotIndexResponse message;
  ASSERT_TRUE(stream->Read(&message));
  ASSERT_TRUE(message.has_info());
  const v1::IndexSnapshotInfo info = message.info();
  EXPECT_EQ(info.shards_size(), 2);
  EXPECT_EQ(info.partition(), 0);
  EXPECT_EQ(info.partition_count(), 2);
  EXPECT_EQ(info.shards(0).document_count() + info.shards(1).document_count(),
            peer.Status().document_count());
  int64_t bytes = 0;
  std::string sha;
  while (stream->Read(&message)) {
    if (message.has_data()) {
      EXPECT_LE(message.data().size(), 4096u);
      bytes += static_cast<int64_t>(message.data().size());
    }
    if (message.has_sha256()) sha = message.sha256();
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(bytes, info.size_bytes());
  EXPECT_EQ(sha.size(), 64u);
  grpc::ClientContext bad_context;
  request.set_chunk_bytes(64 << 20);
  auto bad = peer.stub().SnapshotIndex(&bad_context, request);
  EXPECT_FALSE(bad->Read(&message));
  EXPECT_EQ(bad->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace newsearch::testing
