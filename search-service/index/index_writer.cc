#include "search-service/index/index_writer.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include <xapian.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/analysis/analyzer.h"
#include "common/base/file_sync.h"
#include "common/base/logging.h"
#include "common/base/stable_hash.h"
#include "common/base/status_macros.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

// Nice value of the threads that compact shards (compaction after a bulk
// load, snapshots for new replicas): copying a whole index takes a core for
// tens of seconds, and queries arriving meanwhile must not wait behind it.
constexpr int kCompactionNice = 10;

// Runs `compact` on a thread of its own at kCompactionNice (Linux: nice is
// per thread; a thread may lower its own priority without privileges) and
// waits for it, so the calling shard thread still applies nothing meanwhile.
void CompactAtLowPriority(const std::function<void()>& compact) {
  std::exception_ptr error;
  std::thread worker([&] {
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kCompactionNice);
    try {
      compact();
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  if (error) std::rethrow_exception(error);
}

namespace fs = std::filesystem;

constexpr int kMaxShards = 256;
// Xapian opens a directory holding this file as a stub database.
constexpr char kStubFile[] = "XAPIANDB";
using schema::kShardKey;
absl::Status XapianError(absl::string_view context, const Xapian::Error& e) {
  return absl::InternalError(absl::StrCat(context, ": ", e.get_description()));
}

// The article id a change applies to: the upserted article's own id, else
// the change's article_id.
const std::string& ChangeArticleId(const v1::Change& change) {
  if (change.kind() == v1::CHANGE_KIND_UPSERT && !change.article().id().empty()) {
    return change.article().id();
  }
  return change.article_id();
}

std::string ShardDirName(int shard, int generation) {
  return absl::StrCat("shard-", shard, ".", generation);
}

int64_t DirectoryBytes(const std::string& dir) {
  std::error_code ec;
  int64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

// Replaces the stub file durably and atomically: readers see the old list
// or the new one, and after a crash the last one written.
absl::Status WriteStub(const std::string& dir, const std::vector<std::string>& shard_dirs) {
  std::string text;
  for (const std::string& name : shard_dirs) absl::StrAppend(&text, "glass ", name, "\n");
  const std::string tmp = absl::StrCat(dir, "/", kStubFile, ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("creating", tmp);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return ErrnoError("writing", tmp);
  const std::string stub = absl::StrCat(dir, "/", kStubFile);
  if (::rename(tmp.c_str(), stub.c_str()) != 0) return ErrnoError("renaming into", stub);
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

// Parses the stub file: for each shard, the generations of its directories
// ("glass shard-<i>.<gen>"), the live segment first. An index from before
// segments has one line per shard. DATA_LOSS for anything we did not write.
absl::StatusOr<std::vector<std::vector<int>>> ReadStubGenerations(const std::string& dir) {
  const std::string stub = absl::StrCat(dir, "/", kStubFile);
  std::string text;
  {
    const int fd = ::open(stub.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("opening", stub);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (n < 0) return ErrnoError("reading", stub);
  }
  std::vector<std::vector<int>> shards;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++line_number;
    constexpr absl::string_view kPrefix = "glass shard-";
    const std::vector<absl::string_view> parts =
        absl::StrSplit(absl::StartsWith(line, kPrefix) ? line.substr(kPrefix.size()) : "", '.');
    int shard = -1;
    int generation = -1;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &shard) ||
        !absl::SimpleAtoi(parts[1], &generation) || shard < 0 || shard >= kMaxShards ||
        generation < 0) {
      return absl::DataLossError(absl::StrCat("index stub ", stub, ": line ", line_number,
                                              " is '", line.substr(0, 80),
                                              "', expected 'glass shard-<shard>.<generation>'"));
    }
    if (shard >= static_cast<int>(shards.size())) shards.resize(shard + 1);
    shards[shard].push_back(generation);
  }
  if (shards.empty()) return absl::DataLossError(absl::StrCat("index stub ", stub, " is empty"));
  for (size_t i = 0; i < shards.size(); ++i) {
    if (shards[i].empty()) {
      return absl::DataLossError(absl::StrCat("index stub ", stub, " names no directory of shard ",
                                              i, " of ", shards.size()));
    }
  }
  return shards;
}

// A shard directory (a segment) opened for writing, with what it records.
struct OpenedSegment {
  std::unique_ptr<Xapian::WritableDatabase> db;
  int64_t applied_seq = 0;
};

// Opens (creating when missing) the shard directory `path` of shard
// `shard_key` ("<i>/<shards>") and checks what it records: the analyzer
// signature, the shard and the partition (recorded when it is new).
absl::StatusOr<OpenedSegment> OpenSegment(const std::string& path, const std::string& shard_key,
                                          int partition, int partitions,
                                          const analysis::Analyzer& analyzer) {
  NEWSEARCH_RETURN_IF_ERROR(schema::CheckIndexAnalyzer(path, analyzer));
  OpenedSegment opened;
  try {
    opened.db = std::make_unique<Xapian::WritableDatabase>(
        path, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
    const std::string applied = opened.db->get_metadata(schema::kAppliedSeqKey);
    if (!applied.empty() && !absl::SimpleAtoi(applied, &opened.applied_seq)) {
      return absl::DataLossError(absl::StrCat("index shard ", path, ": metadata ",
                                              schema::kAppliedSeqKey, " is not a number: '",
                                              applied.substr(0, 40), "'"));
    }
    const std::string recorded = opened.db->get_metadata(kShardKey);
    if (recorded.empty()) {
      opened.db->set_metadata(kShardKey, shard_key);
      opened.db->commit();
    } else if (recorded != shard_key) {
      return absl::DataLossError(absl::StrCat("index shard ", path, " records shard ", recorded,
                                              ", expected ", shard_key));
    }
    NEWSEARCH_RETURN_IF_ERROR(
        schema::CheckIndexPartition(*opened.db, path, partition, partitions));
  } catch (const Xapian::DatabaseLockError& e) {
    // Another writer (another process, or a second IndexWriter) holds the
    // index; retrying later may succeed, a second writer never should.
    return absl::FailedPreconditionError(
        absl::StrCat("opening index shard ", path, ": ", e.get_description()));
  } catch (const Xapian::Error& e) {
    return XapianError(absl::StrCat("opening index shard ", path), e);
  }
  return opened;
}

// Records `applied_seq` in the shard directory `path` (a compaction of
// several segments keeps the first one's metadata).
void RecordAppliedSeq(const std::string& path, int64_t applied_seq) {
  Xapian::WritableDatabase db(path, Xapian::DB_OPEN | Xapian::DB_BACKEND_GLASS);
  db.set_metadata(schema::kAppliedSeqKey, absl::StrCat(applied_seq));
  db.commit();
}

}  // namespace

struct IndexWriter::Shard {
  int number = 0;
  // The live segment: the directory new documents go to. generation and the
  // sealed list are written under Impl::stub_mu (the stub names them).
  int generation = 0;
  std::string path;  // the live segment's Xapian directory
  std::unique_ptr<Xapian::WritableDatabase> db;
  // Sealed segments, oldest first: they take no new documents, only the
  // deletes of the articles they hold.
  // Shared handles, so a layout change that cannot be written to the stub
  // is undone by restoring a copy of the list.
  struct Segment {
    int generation = 0;
    std::string path;
    std::shared_ptr<Xapian::WritableDatabase> db;
  };
  std::vector<Segment> sealed;
  // The next directory generation of this shard (above every one in use).
  int next_generation = 1;
  // Written by the shard's thread, read by any (IndexWriter::applied_seq,
  // document_count): atomic, so a reader on another thread than the
  // indexer's never races the writer.
  std::atomic<int64_t> applied_seq{0};
  std::atomic<int64_t> document_count{0};

  // The shard's thread runs its jobs one at a time, in the order posted.
  struct JobResult {
    bool done = false;  // guarded by the shard's mu
    absl::Status status;
  };
  struct Job {
    std::function<absl::Status()> run;
    std::shared_ptr<JobResult> result;
  };
  absl::Mutex mu;
  std::deque<Job> jobs ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::thread thread;

  void Loop() {
    while (true) {
      Job next;
      {
        absl::MutexLock lock(&mu);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
          return stopping || !jobs.empty();
        };
        mu.Await(absl::Condition(&ready));
        if (jobs.empty()) return;  // stopping with nothing left
        next = std::move(jobs.front());
        jobs.pop_front();
      }
      absl::Status status = next.run();
      absl::MutexLock lock(&mu);
      next.result->status = std::move(status);
      next.result->done = true;
    }
  }

  std::shared_ptr<JobResult> Post(std::function<absl::Status()> run) {
    auto result = std::make_shared<JobResult>();
    absl::MutexLock lock(&mu);
    jobs.push_back({std::move(run), result});
    return result;
  }

  absl::Status Wait(const std::shared_ptr<JobResult>& result) {
    absl::MutexLock lock(&mu);
    auto done = [&result]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return result->done; };
    mu.Await(absl::Condition(&done));
    return result->status;
  }

  // Applies this shard's changes of the batch `first_seq`..`last_seq`,
  // which continues from `base_seq`: a shard whose applied_seq is below it
  // missed changes of an earlier batch (it failed) and refuses the batch.
  absl::Status Apply(const analysis::Analyzer& analyzer,
                     const std::vector<const v1::Change*>& changes, int64_t first_seq,
                     int64_t last_seq, int64_t base_seq);
  absl::Status Reopen(const std::string& new_path);
  // Documents in all segments as of their last commits.
  int64_t CountDocuments() const;
  // Compacts the shard as of its last commits into the new directory
  // `dest`, all its segments into one, recording its applied_seq there.
  void CompactInto(const std::string& dest) const;
};

struct IndexWriter::Impl {
  std::string path;
  const analysis::Analyzer* analyzer = nullptr;
  int partition = 0;
  int partitions = 1;
  absl::Duration retired_grace;
  int segment_docs = 0;
  int segment_merge_factor = 4;
  // Changes of other partitions received and skipped (logged once).
  int64_t foreign_skipped = 0;
  std::vector<std::unique_ptr<Shard>> shards;
  bool closed = false;

  // Guards the stub file (compactions of several shards swap lines at once)
  // and the retired directories.
  absl::Mutex stub_mu;
  std::vector<std::pair<std::string, absl::Time>> retired ABSL_GUARDED_BY(stub_mu);
  bool closing ABSL_GUARDED_BY(stub_mu) = false;
  // Removes retired directories once their grace has passed.
  std::thread reaper;

  // Runs `fn` on every shard's thread at once; returns when all are done,
  // with the first error (others are logged). Calls from several threads
  // (the indexer, a snapshot) run one after the other.
  absl::Status RunOnShards(const std::function<absl::Status(Shard&)>& fn);
  // Waits for the jobs `results` (one per shard, by number); their first
  // error (others are logged).
  absl::Status WaitAll(const std::vector<std::shared_ptr<Shard::JobResult>>& results);
  absl::Mutex run_mu;
  // The batch last handed over by ApplyPipelined (one job per shard) and
  // its last seq; empty once drained.
  std::vector<std::shared_ptr<Shard::JobResult>> in_flight ABSL_GUARDED_BY(run_mu);
  int64_t in_flight_last_seq ABSL_GUARDED_BY(run_mu) = 0;
  // The changes of a batch above `threshold`, by shard, and the seqs the
  // shards commit it with (first_seq 0: nothing to apply). INVALID_ARGUMENT
  // for a malformed batch.
  struct Plan {
    std::vector<std::vector<const v1::Change*>> pending;
    int64_t first_seq = 0;
    int64_t last_seq = 0;
  };
  absl::StatusOr<Plan> Prepare(const std::vector<v1::Change>& changes, int64_t complete_seq,
                               int64_t threshold);
  // The stub's directory names: for each shard its live segment, then its
  // sealed ones.
  std::vector<std::string> StubNames() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(stub_mu);
  // Shard::Apply, then segment upkeep (MaintainSegments) once the batch is
  // committed.
  absl::Status ApplyOnShard(Shard& shard, const std::vector<const v1::Change*>& changes,
                            int64_t first_seq, int64_t last_seq, int64_t base_seq);
  // On the shard's thread, between batches: seals the live segment once it
  // holds segment_docs documents (a new, empty one takes its place), and
  // merges segment_merge_factor sealed segments of one size tier into one
  // (Xapian's compaction), as long as a tier has that many. Errors are
  // logged: the batch is committed either way, and a shard with fewer
  // seals or merges is only slower.
  void MaintainSegments(Shard& shard);
  absl::Status Seal(Shard& shard);
  // The shard's next generation directory, emptied: where a seal or merge
  // writes its new segment.
  std::string NextSegmentDir(const Shard& shard) const;
  // Opens a new segment directory of `shard` (OpenSegment).
  absl::StatusOr<OpenedSegment> OpenNewSegment(const Shard& shard, const std::string& dir) const;
  // Merges the sealed segments at `picks` (indexes into shard.sealed).
  absl::Status Merge(Shard& shard, const std::vector<size_t>& picks);
  // Retires directories: removed retired_grace from now.
  void Retire(std::vector<Shard::Segment> segments);
  // The reaper thread: removes each retired directory retired_grace after
  // its swap, until Close().
  void ReapLoop();
};

absl::Status IndexWriter::Shard::Apply(const analysis::Analyzer& analyzer,
                                       const std::vector<const v1::Change*>& changes,
                                       int64_t first_seq, int64_t last_seq, int64_t base_seq) {
  if (last_seq <= applied_seq) return absl::OkStatus();  // committed before a crash
  if (applied_seq < base_seq) {
    return absl::AbortedError(absl::StrCat(
        "index shard ", path, " is at seq ", applied_seq.load(), ", below seq ", base_seq,
        " where the batch seq ", first_seq, "..", last_seq,
        " starts (an earlier batch failed): fetch the log again from the index's applied_seq"));
  }
  if (db == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("index shard ", path, " is closed"));
  }
  // The articles' versions in sealed segments go first, each segment in one
  // commit, then the live segment commits the batch with applied_seq. After
  // a crash in between, the replay finds them gone: an article is never held
  // twice. Readers may miss such an article for that moment.
  if (!sealed.empty()) {
    std::vector<std::string> id_terms;
    for (const v1::Change* change : changes) {
      if (change->seq() > applied_seq) id_terms.push_back(schema::IdTerm(ChangeArticleId(*change)));
    }
    try {
      for (Segment& segment : sealed) {
        bool touched = false;
        for (const std::string& id_term : id_terms) {
          if (!segment.db->term_exists(id_term)) continue;
          segment.db->delete_document(id_term);
          touched = true;
        }
        if (touched) segment.db->commit();
      }
    } catch (const Xapian::Error& e) {
      return XapianError(absl::StrCat("applying changes seq ", first_seq, "..", last_seq,
                                      " to the sealed segments of index shard ", path),
                         e);
    }
  }
  bool in_transaction = false;
  try {
    db->begin_transaction(/*flushed=*/true);
    in_transaction = true;
    for (const v1::Change* change : changes) {
      // Replaying a change this shard already committed (the stream resumes
      // from the lowest shard's applied_seq) must not undo a later one.
      if (change->seq() <= applied_seq) continue;
      const std::string id_term = schema::IdTerm(ChangeArticleId(*change));
      if (change->kind() == v1::CHANGE_KIND_UPSERT) {
        if (change->article().id().empty()) {
          // The id term inside the document must match the one it is
          // replaced under, or a later delete would miss it.
          v1::Article article = change->article();
          article.set_id(change->article_id());
          db->replace_document(id_term, schema::BuildDocument(analyzer, article));
        } else {
          db->replace_document(id_term, schema::BuildDocument(analyzer, change->article()));
        }
      } else {
        db->delete_document(id_term);
      }
    }
    // Same transaction as the documents: a reader (or a restart) sees both
    // or neither. Every shard records the batch's last seq, also one with no
    // change of its own, so the lowest applied_seq keeps moving.
    db->set_metadata(schema::kAppliedSeqKey, absl::StrCat(last_seq));
    db->commit_transaction();
    in_transaction = false;
    applied_seq = last_seq;
    document_count = CountDocuments();
  } catch (const Xapian::Error& e) {
    if (in_transaction) {
      try {
        db->cancel_transaction();
      } catch (const Xapian::Error&) {
        // The database is unusable (closed, disk gone); the next Apply
        // reports that. The committed state on disk is unchanged.
      }
    }
    return XapianError(
        absl::StrCat("applying changes seq ", first_seq, "..", last_seq, " to index shard ", path),
        e);
  } catch (const std::exception& e) {
    if (in_transaction) {
      try {
        db->cancel_transaction();
      } catch (const Xapian::Error&) {
      }
    }
    return absl::InternalError(absl::StrCat("applying changes seq ", first_seq, "..", last_seq,
                                            " to index shard ", path, ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::Status IndexWriter::Shard::Reopen(const std::string& new_path) {
  try {
    if (db != nullptr) db->close();
    db.reset();
    db = std::make_unique<Xapian::WritableDatabase>(new_path,
                                                    Xapian::DB_OPEN | Xapian::DB_BACKEND_GLASS);
    path = new_path;
    document_count = CountDocuments();
  } catch (const Xapian::Error& e) {
    return XapianError(absl::StrCat("reopening index shard ", new_path), e);
  }
  return absl::OkStatus();
}

int64_t IndexWriter::Shard::CountDocuments() const {
  int64_t count = db != nullptr ? static_cast<int64_t>(db->get_doccount()) : 0;
  for (const Segment& segment : sealed) count += segment.db->get_doccount();
  return count;
}

void IndexWriter::Shard::CompactInto(const std::string& dest) const {
  // Read-only handles see the last commits: this thread is the shard's only
  // writer and has nothing uncommitted between batches.
  Xapian::Database all(path);
  if (sealed.empty()) {
    CompactAtLowPriority([&] { all.compact(dest, Xapian::DBCOMPACT_NO_RENUMBER); });
    return;
  }
  for (const Segment& segment : sealed) all.add_database(Xapian::Database(segment.path));
  // Segments number their documents from 1 each: renumbered. The copy keeps
  // the first source's metadata, so the shard's applied_seq is written.
  CompactAtLowPriority([&] { all.compact(dest); });
  RecordAppliedSeq(dest, applied_seq);
}

absl::Status IndexWriter::Impl::RunOnShards(const std::function<absl::Status(Shard&)>& fn) {
  absl::MutexLock run(&run_mu);
  std::vector<std::shared_ptr<Shard::JobResult>> results;
  for (auto& shard : shards) {
    Shard* s = shard.get();
    results.push_back(s->Post([s, &fn] { return fn(*s); }));
  }
  return WaitAll(results);
}

absl::Status IndexWriter::Impl::WaitAll(
    const std::vector<std::shared_ptr<Shard::JobResult>>& results) {
  absl::Status first;
  for (size_t i = 0; i < results.size(); ++i) {
    const absl::Status status = shards[i]->Wait(results[i]);
    if (status.ok()) continue;
    if (first.ok()) {
      first = status;
    } else {
      Log(LogLevel::kError, "index", "shard failed too", {{"status", status.ToString()}});
    }
  }
  return first;
}

std::vector<std::string> IndexWriter::Impl::StubNames() const {
  std::vector<std::string> names;
  for (const auto& shard : shards) {
    names.push_back(ShardDirName(shard->number, shard->generation));
    for (const Shard::Segment& segment : shard->sealed) {
      names.push_back(ShardDirName(shard->number, segment.generation));
    }
  }
  return names;
}

absl::Status IndexWriter::Impl::ApplyOnShard(Shard& shard,
                                             const std::vector<const v1::Change*>& changes,
                                             int64_t first_seq, int64_t last_seq,
                                             int64_t base_seq) {
  NEWSEARCH_RETURN_IF_ERROR(shard.Apply(*analyzer, changes, first_seq, last_seq, base_seq));
  MaintainSegments(shard);
  return absl::OkStatus();
}

void IndexWriter::Impl::MaintainSegments(Shard& shard) {
  if (segment_docs <= 0 || shard.db == nullptr) return;
  absl::Status status;
  if (shard.db->get_doccount() >= static_cast<Xapian::doccount>(segment_docs)) {
    status = Seal(shard);
  }
  while (status.ok()) {
    // A sealed segment of d documents is in tier t when
    // segment_docs * factor^t <= d < segment_docs * factor^(t+1) (tier 0
    // below that too); merging `factor` of one tier makes one of the next,
    // so each document is copied about log_factor(shard / segment_docs)
    // times.
    std::map<int, std::vector<size_t>> tiers;
    for (size_t i = 0; i < shard.sealed.size(); ++i) {
      const int64_t docs = shard.sealed[i].db->get_doccount();
      int tier = 0;
      for (int64_t bound = int64_t{segment_docs} * segment_merge_factor;
           docs >= bound && tier < 40; bound *= segment_merge_factor) {
        ++tier;
      }
      tiers[tier].push_back(i);
    }
    std::vector<size_t> picks;
    for (const auto& [tier, members] : tiers) {
      if (static_cast<int>(members.size()) < segment_merge_factor) continue;
      picks.assign(members.begin(), members.begin() + segment_merge_factor);
      break;
    }
    if (picks.empty()) return;
    status = Merge(shard, picks);
  }
  Log(LogLevel::kError, "index", "segment upkeep failed; the shard goes on in its segments",
      {{"shard", shard.number}, {"status", status.ToString()}});
}

std::string IndexWriter::Impl::NextSegmentDir(const Shard& shard) const {
  const std::string dir =
      absl::StrCat(path, "/", ShardDirName(shard.number, shard.next_generation));
  std::error_code ec;
  fs::remove_all(dir, ec);
  return dir;
}

absl::StatusOr<OpenedSegment> IndexWriter::Impl::OpenNewSegment(const Shard& shard,
                                                                const std::string& dir) const {
  absl::StatusOr<OpenedSegment> opened = OpenSegment(
      dir, absl::StrCat(shard.number, "/", shards.size()), partition, partitions, *analyzer);
  if (!opened.ok()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return opened;
}

absl::Status IndexWriter::Impl::Seal(Shard& shard) {
  const int generation = shard.next_generation;
  const std::string dir = NextSegmentDir(shard);
  absl::StatusOr<OpenedSegment> opened = OpenNewSegment(shard, dir);
  if (!opened.ok()) return opened.status();
  std::error_code ec;
  try {
    opened->db->set_metadata(schema::kAppliedSeqKey, absl::StrCat(shard.applied_seq.load()));
    opened->db->commit();
  } catch (const Xapian::Error& e) {
    fs::remove_all(dir, ec);
    return XapianError(absl::StrCat("starting index segment ", dir), e);
  }
  absl::MutexLock lock(&stub_mu);
  const std::vector<Shard::Segment> before = shard.sealed;
  shard.sealed.push_back({shard.generation, shard.path, std::move(shard.db)});
  shard.generation = generation;
  shard.path = dir;
  shard.db = std::move(opened->db);
  shard.next_generation = generation + 1;
  absl::Status written = WriteStub(path, StubNames());
  if (!written.ok()) {
    // The stub still names the old live segment: it stays live.
    const Shard::Segment live = shard.sealed.back();
    shard.sealed = before;
    shard.generation = live.generation;
    shard.path = live.path;
    // A copy of a Xapian handle shares the database; the new segment's
    // handle is dropped and its directory removed.
    shard.db = std::make_unique<Xapian::WritableDatabase>(*live.db);
    fs::remove_all(dir, ec);
  }
  return written;
}

absl::Status IndexWriter::Impl::Merge(Shard& shard, const std::vector<size_t>& picks) {
  const int generation = shard.next_generation;
  const std::string dir = NextSegmentDir(shard);
  std::error_code ec;
  try {
    Xapian::Database sources;
    for (size_t i : picks) sources.add_database(Xapian::Database(shard.sealed[i].path));
    // Segments number their documents from 1 each: the merge renumbers.
    CompactAtLowPriority([&] { sources.compact(dir); });
  } catch (const Xapian::Error& e) {
    fs::remove_all(dir, ec);
    return XapianError(absl::StrCat("merging segments of index shard ", shard.number), e);
  }
  absl::StatusOr<OpenedSegment> opened = OpenNewSegment(shard, dir);
  if (!opened.ok()) return opened.status();
  std::vector<Shard::Segment> merged_away;
  {
    absl::MutexLock lock(&stub_mu);
    const std::vector<Shard::Segment> before = shard.sealed;
    std::vector<Shard::Segment> kept;
    for (size_t i = 0; i < shard.sealed.size(); ++i) {
      if (i == picks.front()) kept.push_back({generation, dir, std::move(opened->db)});
      const bool picked = std::find(picks.begin(), picks.end(), i) != picks.end();
      (picked ? merged_away : kept).push_back(shard.sealed[i]);
    }
    shard.sealed = std::move(kept);
    shard.next_generation = generation + 1;
    absl::Status written = WriteStub(path, StubNames());
    if (!written.ok()) {
      // The stub still names the merged segments.
      shard.sealed = before;
      fs::remove_all(dir, ec);
      return written;
    }
  }
  Retire(std::move(merged_away));
  return absl::OkStatus();
}

void IndexWriter::Impl::Retire(std::vector<Shard::Segment> segments) {
  for (Shard::Segment& segment : segments) {
    try {
      segment.db->close();
    } catch (const Xapian::Error& e) {
      Log(LogLevel::kWarning, "index", "closing a retired segment failed",
          {{"dir", segment.path}, {"error", e.get_description()}});
    }
  }
  absl::MutexLock lock(&stub_mu);
  for (Shard::Segment& segment : segments) retired.emplace_back(segment.path, absl::Now());
}

void IndexWriter::Impl::ReapLoop() {
  absl::MutexLock lock(&stub_mu);
  auto closing_or_retired = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stub_mu) {
    return closing || !retired.empty();
  };
  auto is_closing = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stub_mu) { return closing; };
  while (true) {
    stub_mu.Await(absl::Condition(&closing_or_retired));
    if (closing) return;
    // Retired in swap order: the first is due first.
    if (stub_mu.AwaitWithDeadline(absl::Condition(&is_closing),
                                  retired.front().second + retired_grace)) {
      return;
    }
    const std::string dir = retired.front().first;
    retired.erase(retired.begin());
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
      Log(LogLevel::kWarning, "index", "cannot remove compacted-away shard directory",
          {{"dir", dir}, {"error", ec.message()}});
    }
  }
}

IndexWriter::IndexWriter() : impl_(std::make_unique<Impl>()) {}

bool IndexWriter::HasRetiredDirectories() const {
  absl::MutexLock lock(&impl_->stub_mu);
  return !impl_->retired.empty();
}

IndexWriter::~IndexWriter() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<IndexWriter>> IndexWriter::Open(
    const IndexWriterOptions& options, const analysis::Analyzer* analyzer) {
  if (options.path.empty()) return absl::InvalidArgumentError("index path is empty");
  if (analyzer == nullptr) return absl::InvalidArgumentError("analyzer is null");
  if (options.partitions <= 0 || options.partition < 0 ||
      options.partition >= options.partitions) {
    return absl::InvalidArgumentError(absl::StrCat("partition ", options.partition, "/",
                                                   options.partitions,
                                                   " is not K/N with 0 <= K < N"));
  }
  if (options.shards < 0 || options.shards > kMaxShards) {
    return absl::InvalidArgumentError(absl::StrCat("index shards must be in 0..", kMaxShards,
                                                   " (0 = automatic), got ", options.shards));
  }
  const std::string& path = options.path;
  std::error_code ec;
  if (fs::exists(fs::path(path) / "iamglass", ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "index ", path, " is a one-shard index from an earlier version (a Xapian database "
        "directly in the directory); this version keeps its shards under a stub file: move the directory away so the replica rebuilds the index "
        "from the change log"));
  }
  fs::create_directories(path, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating index ", path, ": ", ec.message()));

  if (options.segment_docs < 0 || (options.segment_docs > 0 && options.segment_merge_factor < 2)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index segment_docs must be >= 0 (0 = one segment per shard), got ", options.segment_docs,
        ", and segment_merge_factor >= 2, got ", options.segment_merge_factor));
  }
  int shards = options.shards;
  std::vector<std::vector<int>> generations;
  const bool have_stub = fs::exists(fs::path(path) / kStubFile, ec);
  if (have_stub) {
    absl::StatusOr<std::vector<std::vector<int>>> read = ReadStubGenerations(path);
    if (!read.ok()) return read.status();
    if (shards == 0) shards = static_cast<int>(read->size());
    if (static_cast<int>(read->size()) != shards) {
      return absl::FailedPreconditionError(absl::StrCat(
          "index ", path, " has ", read->size(), " shards but --index_shards is ",
          options.shards, "; start with --index_shards=", read->size(),
          ", or move the directory away so the replica rebuilds the index with ",
          options.shards, " shards from the change log"));
    }
    generations = *std::move(read);
  } else {
    if (shards == 0) {
      shards = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, kMaxShards);
    }
    generations.assign(shards, {0});
  }

  std::unique_ptr<IndexWriter> writer(new IndexWriter());
  Impl& impl = *writer->impl_;
  impl.path = path;
  impl.analyzer = analyzer;
  impl.partition = options.partition;
  impl.partitions = options.partitions;
  impl.retired_grace = options.retired_grace;
  impl.segment_docs = options.segment_docs;
  impl.segment_merge_factor = options.segment_merge_factor;
  std::vector<std::string> names;
  for (int i = 0; i < shards; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->number = i;
    const std::string shard_key = absl::StrCat(i, "/", shards);
    int64_t applied_seq = 0;
    for (size_t k = 0; k < generations[i].size(); ++k) {
      const int generation = generations[i][k];
      names.push_back(ShardDirName(i, generation));
      const std::string dir = absl::StrCat(path, "/", names.back());
      absl::StatusOr<OpenedSegment> opened =
          OpenSegment(dir, shard_key, options.partition, options.partitions, *analyzer);
      if (!opened.ok()) return opened.status();
      // The live segment records every batch; a sealed one the last batch
      // before it was sealed.
      applied_seq = std::max(applied_seq, opened->applied_seq);
      shard->next_generation = std::max(shard->next_generation, generation + 1);
      if (k == 0) {
        shard->generation = generation;
        shard->path = dir;
        shard->db = std::move(opened->db);
      } else {
        shard->sealed.push_back({generation, dir, std::move(opened->db)});
      }
    }
    shard->applied_seq = applied_seq;
    shard->document_count = shard->CountDocuments();
    impl.shards.push_back(std::move(shard));
  }
  // Written once every shard exists, so a reader never finds a stub naming
  // a missing directory.
  if (!have_stub) NEWSEARCH_RETURN_IF_ERROR(WriteStub(path, names));
  // Directories the stub does not name: left by a compaction cut short, or
  // compacted away before the last stop.
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "shard-") &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      fs::remove_all(entry.path(), ec);
    }
  }
  for (auto& shard : impl.shards) {
    Shard* s = shard.get();
    s->thread = std::thread([s] { s->Loop(); });
  }
  impl.reaper = std::thread([&impl] { impl.ReapLoop(); });
  Log(LogLevel::kInfo, "index", "index opened",
      {{"path", path},
       {"shards", shards},
       {"partition", absl::StrCat(options.partition, "/", options.partitions)},
       {"applied_seq", static_cast<long long>(writer->applied_seq())},
       {"documents", static_cast<long long>(writer->document_count())}});
  return writer;
}

absl::StatusOr<IndexWriter::Impl::Plan> IndexWriter::Impl::Prepare(
    const std::vector<v1::Change>& changes, int64_t complete_seq, int64_t threshold) {
  // Validate the whole batch first so a bad change fails it before any
  // document is touched.
  Plan plan;
  plan.pending.resize(shards.size());
  int64_t last_seq = threshold;
  for (const v1::Change& change : changes) {
    if (change.seq() <= threshold) continue;  // Already committed (or handed over).
    if (change.seq() <= last_seq) {
      return absl::InvalidArgumentError(absl::StrCat("change seq ", change.seq(),
                                                     " is not above the previous seq ", last_seq,
                                                     " of the batch"));
    }
    if (change.kind() != v1::CHANGE_KIND_UPSERT && change.kind() != v1::CHANGE_KIND_DELETE) {
      return absl::InvalidArgumentError(
          absl::StrCat("change seq ", change.seq(), " has unknown kind ", change.kind()));
    }
    const std::string& id = ChangeArticleId(change);
    if (id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("change seq ", change.seq(), " has no article id"));
    }
    if (plan.first_seq == 0) plan.first_seq = change.seq();
    last_seq = change.seq();
    if (partitions > 1 && PartitionOf(id, partitions) != partition) {
      // Not ours: an ingest that ignores StreamChangesRequest.partition.
      // Skipping it still moves applied_seq past it.
      if (foreign_skipped++ == 0) {
        Log(LogLevel::kWarning, "index",
            "ingest sent a change of another partition; skipping such changes (is ingest "
            "older than partitions?)",
            {{"seq", static_cast<long long>(change.seq())},
             {"article_id", id},
             {"partition", absl::StrCat(partition, "/", partitions)}});
      }
      continue;
    }
    plan.pending[LocalShardOf(id, static_cast<int>(shards.size()))].push_back(&change);
  }
  if (complete_seq > last_seq) {
    last_seq = complete_seq;
    if (plan.first_seq == 0) plan.first_seq = threshold + 1;
  }
  plan.last_seq = last_seq;
  return plan;
}

absl::Status IndexWriter::Apply(const std::vector<v1::Change>& changes, int64_t complete_seq) {
  Impl& impl = *impl_;
  if (impl.closed) {
    return absl::FailedPreconditionError(absl::StrCat("index ", impl.path, " is closed"));
  }
  NEWSEARCH_RETURN_IF_ERROR(Drain());
  const int64_t lowest = applied_seq();
  absl::StatusOr<Impl::Plan> plan = impl.Prepare(changes, complete_seq, lowest);
  if (!plan.ok()) return plan.status();
  if (plan->first_seq == 0) return absl::OkStatus();
  return impl.RunOnShards([&](Shard& shard) {
    return impl.ApplyOnShard(shard, plan->pending[shard.number], plan->first_seq, plan->last_seq,
                             lowest);
  });
}

absl::Status IndexWriter::ApplyPipelined(std::vector<v1::Change>* changes, int64_t complete_seq) {
  Impl& impl = *impl_;
  if (impl.closed) {
    return absl::FailedPreconditionError(absl::StrCat("index ", impl.path, " is closed"));
  }
  absl::MutexLock run(&impl.run_mu);
  // The batch continues the one in flight, or the committed index.
  const int64_t base = impl.in_flight.empty() ? applied_seq() : impl.in_flight_last_seq;
  absl::StatusOr<Impl::Plan> prepared = impl.Prepare(*changes, complete_seq, base);
  if (!prepared.ok()) return prepared.status();
  // The jobs keep the changes alive; moving the vector keeps its elements
  // where the plan points.
  const auto batch = std::make_shared<const std::vector<v1::Change>>(std::move(*changes));
  changes->clear();
  if (prepared->first_seq == 0) return absl::OkStatus();
  const auto plan = std::make_shared<const Impl::Plan>(*std::move(prepared));
  std::vector<std::shared_ptr<Shard::JobResult>> previous = std::move(impl.in_flight);
  impl.in_flight.clear();
  for (auto& shard : impl.shards) {
    Shard* s = shard.get();
    impl.in_flight.push_back(s->Post([s, batch, plan, base, &impl] {
      return impl.ApplyOnShard(*s, plan->pending[s->number], plan->first_seq, plan->last_seq,
                               base);
    }));
  }
  impl.in_flight_last_seq = plan->last_seq;
  if (previous.empty()) return absl::OkStatus();
  absl::Status status = impl.WaitAll(previous);
  if (!status.ok()) {
    // A shard failed: it refuses the batch just handed over. Wait for that
    // one too, so nothing is in flight when the caller fetches the log
    // again from applied_seq().
    impl.WaitAll(impl.in_flight).IgnoreError();
    impl.in_flight.clear();
    impl.in_flight_last_seq = 0;
  }
  return status;
}

absl::Status IndexWriter::Drain() {
  Impl& impl = *impl_;
  absl::MutexLock run(&impl.run_mu);
  std::vector<std::shared_ptr<Shard::JobResult>> previous = std::move(impl.in_flight);
  impl.in_flight.clear();
  impl.in_flight_last_seq = 0;
  if (previous.empty()) return absl::OkStatus();
  return impl.WaitAll(previous);
}

absl::StatusOr<CompactionStats> IndexWriter::Compact() {
  Impl& impl = *impl_;
  if (impl.closed) {
    return absl::FailedPreconditionError(absl::StrCat("index ", impl.path, " is closed"));
  }
  std::vector<CompactionStats> stats(impl.shards.size());
  absl::Status status = impl.RunOnShards([&](Shard& shard) -> absl::Status {
    if (shard.db == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("index shard ", shard.path, " is closed"));
    }
    const std::string old_path = shard.path;
    const int next = shard.next_generation;
    const std::string next_path = absl::StrCat(impl.path, "/", ShardDirName(shard.number, next));
    std::error_code ec;
    fs::remove_all(next_path, ec);
    stats[shard.number].bytes_before = DirectoryBytes(old_path);
    for (const Shard::Segment& segment : shard.sealed) {
      stats[shard.number].bytes_before += DirectoryBytes(segment.path);
    }
    try {
      shard.CompactInto(next_path);
    } catch (const Xapian::Error& e) {
      fs::remove_all(next_path, ec);
      return XapianError(absl::StrCat("compacting index shard ", old_path), e);
    }
    std::vector<Shard::Segment> compacted_away;
    {
      absl::MutexLock lock(&impl.stub_mu);
      const int old_generation = shard.generation;
      compacted_away = std::move(shard.sealed);
      shard.sealed.clear();
      shard.generation = next;
      shard.next_generation = next + 1;
      absl::Status swapped = WriteStub(impl.path, impl.StubNames());
      if (!swapped.ok()) {
        shard.generation = old_generation;
        shard.sealed = std::move(compacted_away);
        fs::remove_all(next_path, ec);
        return swapped;
      }
    }
    impl.Retire(std::move(compacted_away));
    // The stub names the new directory now (also after a crash), so the
    // writer must follow it; on failure the shard stays closed and Apply
    // reports it until a restart opens the new directory.
    NEWSEARCH_RETURN_IF_ERROR(shard.Reopen(next_path));
    stats[shard.number].bytes_after = DirectoryBytes(next_path);
    absl::MutexLock lock(&impl.stub_mu);
    impl.retired.emplace_back(old_path, absl::Now());
    return absl::OkStatus();
  });
  CompactionStats total;
  for (const CompactionStats& s : stats) {
    total.bytes_before += s.bytes_before;
    total.bytes_after += s.bytes_after;
  }
  if (!status.ok()) return status;
  return total;
}

absl::StatusOr<std::vector<ShardSnapshot>> IndexWriter::Snapshot(const std::string& dir) {
  Impl& impl = *impl_;
  if (impl.closed) {
    return absl::FailedPreconditionError(absl::StrCat("index ", impl.path, " is closed"));
  }
  std::vector<ShardSnapshot> snapshots(impl.shards.size());
  NEWSEARCH_RETURN_IF_ERROR(impl.RunOnShards([&](Shard& shard) -> absl::Status {
    ShardSnapshot& out = snapshots[shard.number];
    out.shard = shard.number;
    out.path = absl::StrCat(dir, "/shard-", shard.number);
    try {
      shard.CompactInto(out.path);
      Xapian::Database copy(out.path);
      out.document_count = static_cast<int64_t>(copy.get_doccount());
      const std::string applied = copy.get_metadata(schema::kAppliedSeqKey);
      if (!applied.empty() && !absl::SimpleAtoi(applied, &out.applied_seq)) {
        return absl::DataLossError(absl::StrCat("snapshot of index shard ", shard.path,
                                                ": applied_seq is '", applied.substr(0, 40), "'"));
      }
    } catch (const Xapian::Error& e) {
      return XapianError(absl::StrCat("snapshot of index shard ", shard.path), e);
    }
    return absl::OkStatus();
  }));
  return snapshots;
}

std::string IndexShardDirName(int shard, int generation) { return ShardDirName(shard, generation); }

absl::Status WriteNewIndexStub(const std::string& dir, int shards) {
  std::vector<std::string> names;
  for (int i = 0; i < shards; ++i) names.push_back(ShardDirName(i, 0));
  return WriteStub(dir, names);
}

int64_t IndexWriter::applied_seq() const {
  int64_t lowest = 0;
  bool first = true;
  for (const auto& shard : impl_->shards) {
    const int64_t seq = shard->applied_seq;
    if (first || seq < lowest) lowest = seq;
    first = false;
  }
  return lowest;
}

std::vector<int64_t> IndexWriter::shard_applied_seqs() const {
  std::vector<int64_t> seqs;
  for (const auto& shard : impl_->shards) seqs.push_back(shard->applied_seq);
  return seqs;
}

int64_t IndexWriter::document_count() const {
  int64_t total = 0;
  for (const auto& shard : impl_->shards) total += shard->document_count;
  return total;
}

int IndexWriter::shards() const { return static_cast<int>(impl_->shards.size()); }

int IndexWriter::partition() const { return impl_->partition; }

int IndexWriter::partitions() const { return impl_->partitions; }

absl::Status IndexWriter::Close() {
  Impl& impl = *impl_;
  if (impl.closed) return absl::OkStatus();
  impl.closed = true;
  {
    absl::MutexLock lock(&impl.stub_mu);
    impl.closing = true;
  }
  // Directories still in their grace stay until the next Open removes them.
  if (impl.reaper.joinable()) impl.reaper.join();
  absl::Status first;
  for (auto& shard : impl.shards) {
    {
      absl::MutexLock lock(&shard->mu);
      shard->stopping = true;
    }
    if (shard->thread.joinable()) shard->thread.join();
    for (Shard::Segment& segment : shard->sealed) {
      try {
        segment.db->close();
      } catch (const Xapian::Error& e) {
        if (first.ok()) first = XapianError(absl::StrCat("closing index segment ", segment.path), e);
      }
    }
    if (shard->db == nullptr) continue;
    std::unique_ptr<Xapian::WritableDatabase> db = std::move(shard->db);
    try {
      db->close();
    } catch (const Xapian::Error& e) {
      if (first.ok()) first = XapianError(absl::StrCat("closing index shard ", shard->path), e);
    }
  }
  return first;
}

}  // namespace newsearch::search
