// LogFollower against a scripted change log served over real gRPC on
// loopback: a change the index refuses stalls the replica visibly (its seq,
// the error, not silently retried for ever), the changes before it are
// applied, and once the log holds a replacement the replica progresses
// again. The follower also asks for responses that fit its message limit,
// and while it is behind its batches grow with the index.
#include "search-service/index/log_follower.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "newsearch/v1/ingest.grpc.pb.h"
#include "search-service/index/index_writer.h"

namespace newsearch::search {
namespace {

v1::Change Upsert(int64_t seq, const std::string& id) {
  v1::Change change;
  change.set_seq(seq);
  change.set_kind(v1::CHANGE_KIND_UPSERT);
  change.set_article_id(id);
  v1::Article* article = change.mutable_article();
  article->set_id(id);
  article->set_title("乌镇互联网大会");
  article->set_body("世界互联网大会在乌镇开幕。");
  article->set_seq(seq);
  return change;
}

// Serves StreamChanges from a log the test can replace; other methods are
// unimplemented.
class ScriptedLog final : public v1::IngestService::Service {
 public:
  void Set(std::vector<v1::Change> log) {
    absl::MutexLock lock(&mu_);
    log_ = std::move(log);
  }
  int32_t max_batch_bytes_asked() {
    absl::MutexLock lock(&mu_);
    return max_batch_bytes_;
  }

  grpc::Status StreamChanges(grpc::ServerContext* context, const v1::StreamChangesRequest* request,
                             grpc::ServerWriter<v1::StreamChangesResponse>* writer) override {
    int64_t cursor = request->after_seq();
    {
      absl::MutexLock lock(&mu_);
      max_batch_bytes_ = request->max_batch_bytes();
    }
    while (!context->IsCancelled()) {
      v1::StreamChangesResponse response;
      {
        absl::MutexLock lock(&mu_);
        for (const v1::Change& change : log_) {
          if (change.seq() > cursor) *response.add_changes() = change;
        }
        response.set_head_seq(log_.empty() ? 0 : log_.back().seq());
      }
      if (response.changes_size() > 0) cursor = response.changes().rbegin()->seq();
      if (!writer->Write(response)) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return grpc::Status::OK;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::Change> log_ ABSL_GUARDED_BY(mu_);
  int32_t max_batch_bytes_ ABSL_GUARDED_BY(mu_) = -1;
};

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

// A fresh index of `shards` local shards in a temporary directory, removed
// with it.
struct TempIndex {
  explicit TempIndex(int shards) {
    dir = ::testing::TempDir() + "log_follower_test.XXXXXX";
    EXPECT_NE(mkdtemp(dir.data()), nullptr);
    auto created = analysis::Analyzer::Create();
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return;
    analyzer = *std::move(created);
    IndexWriterOptions options;
    options.path = dir + "/index";
    options.shards = shards;
    auto opened = IndexWriter::Open(options, analyzer.get());
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (opened.ok()) writer = *std::move(opened);
  }
  ~TempIndex() {
    writer.reset();
    std::filesystem::remove_all(dir);
  }

  std::string dir;
  std::unique_ptr<analysis::Analyzer> analyzer;
  std::unique_ptr<IndexWriter> writer;
};

// Serves `log` on a loopback port (*port).
std::unique_ptr<grpc::Server> Serve(ScriptedLog* log, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(log);
  return builder.BuildAndStart();
}

// Follower options for a log served on loopback `port`, batching briefly.
LogFollowerOptions LoopbackOptions(int port) {
  LogFollowerOptions options;
  options.ingest_address = "127.0.0.1:" + std::to_string(port);
  options.flush_interval = absl::Milliseconds(10);
  return options;
}

TEST(LogFollowerTest, RefusedChangeStallsVisiblyAndAReplacementUnblocksIt) {
  TempIndex index(/*shards=*/2);
  ASSERT_NE(index.writer, nullptr);

  ScriptedLog log;
  v1::Change poison = Upsert(2, "b");
  poison.set_kind(static_cast<v1::ChangeKind>(9));  // a kind this index does not know
  log.Set({Upsert(1, "a"), poison});
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&log, &port);
  ASSERT_NE(server, nullptr);

  LogFollowerOptions options = LoopbackOptions(port);
  options.max_backoff = absl::Milliseconds(300);
  options.max_message_bytes = 8 << 20;
  LogFollower follower(options, index.writer.get());
  follower.Start();

  ASSERT_TRUE(WaitFor([&] { return follower.status().stalled_at_seq == 2; }, absl::Seconds(20)));
  FollowerStatus stalled = follower.status();
  EXPECT_EQ(stalled.applied_seq, 1) << "the change before the refused one is applied";
  EXPECT_NE(stalled.last_error.find("seq 2"), std::string::npos) << stalled.last_error;
  EXPECT_EQ(log.max_batch_bytes_asked(), 4 << 20) << "half of the follower's message limit";
  // It stays stalled (and keeps saying so) while the log is unchanged.
  absl::SleepFor(absl::Milliseconds(800));
  EXPECT_EQ(follower.status().stalled_at_seq, 2);
  EXPECT_EQ(follower.status().applied_seq, 1);

  // Ingest replaces the change (as a re-ingest does: a new seq for `b`).
  log.Set({Upsert(1, "a"), Upsert(3, "b")});
  ASSERT_TRUE(WaitFor([&] { return follower.status().applied_seq == 3; }, absl::Seconds(20)));
  EXPECT_EQ(follower.status().stalled_at_seq, 0);
  EXPECT_EQ(index.writer->document_count(), 2);
  follower.Stop();
  server->Shutdown();
}

// A change the index cannot commit (Xapian refuses its over-long id term)
// while the replica is behind, its batches pipelined over two shards: the
// follower fetches the log again from applied_seq instead of retrying the
// batch in hand for ever, so once ingest replaces the change the replica
// completes, every article once.
TEST(LogFollowerTest, FailedCommitWhileBehindFetchesTheLogAgain) {
  TempIndex index(/*shards=*/2);
  ASSERT_NE(index.writer, nullptr);
  std::vector<v1::Change> log;
  for (int i = 1; i <= 200; ++i) log.push_back(Upsert(i, "a" + std::to_string(i)));
  log[99] = Upsert(100, std::string(300, 'x'));
  ScriptedLog scripted;
  scripted.Set(log);
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&scripted, &port);
  ASSERT_NE(server, nullptr);

  LogFollowerOptions options = LoopbackOptions(port);
  options.max_batch_changes = 8;
  options.catch_up_batch_changes = 0;
  options.max_backoff = absl::Milliseconds(200);
  LogFollower follower(options, index.writer.get());
  follower.Start();
  // Deadlines far above the few seconds this takes alone: a Debug build
  // beside the rest of the suite on two cores took up to 20 s.
  ASSERT_TRUE(WaitFor(
      [&] { return follower.status().last_error.find("Term too long") != std::string::npos; },
      absl::Seconds(90)));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_LT(follower.status().applied_seq, 100);

  // Ingest replaces the article under a new seq.
  log.erase(log.begin() + 99);
  log.push_back(Upsert(201, "a100"));
  scripted.Set(log);
  ASSERT_TRUE(WaitFor([&] { return follower.status().applied_seq == 201; }, absl::Seconds(90)))
      << follower.status().applied_seq;
  follower.Stop();
  server->Shutdown();
  EXPECT_EQ(index.writer->document_count(), 200);
  EXPECT_THAT(index.writer->shard_applied_seqs(), ::testing::Each(201));
}

// Serves `log` on loopback and follows it into a fresh one-shard index with
// `options` (ingest_address set here) until every change is applied;
// returns the size of every committed batch with the documents the index
// held before it.
std::vector<std::pair<int64_t, int64_t>> FollowWholeLog(const std::vector<v1::Change>& log,
                                                        LogFollowerOptions options) {
  TempIndex temp(/*shards=*/1);
  if (temp.writer == nullptr) return {};
  ScriptedLog scripted;
  scripted.Set(log);
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&scripted, &port);
  EXPECT_NE(server, nullptr);

  absl::Mutex mu;
  std::vector<std::pair<int64_t, int64_t>> batches;  // (changes, documents before)
  IndexWriter* index = temp.writer.get();
  options.ingest_address = "127.0.0.1:" + std::to_string(port);
  options.on_commit = [&](absl::Duration, int64_t changes) {
    absl::MutexLock lock(&mu);
    batches.emplace_back(changes, index->document_count() - changes);
  };
  LogFollower follower(options, index);
  follower.Start();
  EXPECT_TRUE(WaitFor([&] { return follower.status().applied_seq == log.back().seq(); },
                      absl::Seconds(60)));
  follower.Stop();
  server->Shutdown();
  EXPECT_EQ(index->document_count(), static_cast<int64_t>(log.size()));
  absl::MutexLock lock(&mu);
  return batches;
}

TEST(LogFollowerTest, BatchesGrowWithTheIndexWhileTheReplicaIsBehind) {
  std::vector<v1::Change> log;
  for (int i = 1; i <= 1200; ++i) log.push_back(Upsert(i, "a" + std::to_string(i)));
  LogFollowerOptions options;
  options.flush_interval = absl::Milliseconds(10);
  options.max_batch_changes = 4;
  options.catch_up_batch_changes = 24;

  const auto batches = FollowWholeLog(log, options);
  ASSERT_FALSE(batches.empty());
  EXPECT_LE(batches.front().first, 4) << "an empty index starts at max_batch_changes";
  int64_t largest = 0;
  for (const auto& [changes, before] : batches) {
    // One change per kDocumentsPerCatchUpChange documents already indexed.
    EXPECT_LE(changes, std::max<int64_t>(4, std::min<int64_t>(
                                                24, before / kDocumentsPerCatchUpChange)))
        << "with " << before << " documents indexed";
    largest = std::max(largest, changes);
  }
  EXPECT_EQ(largest, 24) << "the backlog is applied in batches up to catch_up_batch_changes";

  options.catch_up_batch_changes = 0;
  for (const auto& [changes, before] : FollowWholeLog(log, options)) {
    EXPECT_LE(changes, 4) << "batches never grow when catch-up is off";
  }
}

}  // namespace
}  // namespace newsearch::search
