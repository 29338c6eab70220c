// Applies change-log batches from the ingest service to this replica's Xapian
// index, the only holder of its Xapian::WritableDatabases. The index is S
// local shards (`--index_shards`), each a Xapian database written by its own
// thread; an article lives in shard LocalShardOf(id, S) (common/base/
// stable_hash.h). Each shard commits its part of a batch together with its
// own `applied_seq` metadata in one Xapian transaction, so after a crash every
// shard holds exactly the changes up to its last committed applied_seq:
// nothing missing, nothing twice.
//
// On disk (`path`): a Xapian stub file `XAPIANDB` naming the shard
// directories (`glass shard-<i>.<generation>`), so a reader opens `path` as
// one Xapian::Database over all shards (Xapian merges the term statistics:
// scores are those of one index). With segments
// (IndexWriterOptions::segment_docs) a shard is several directories: its
// live segment's line comes first, then its sealed segments'. Every
// directory records its shard (schema::kShardKey), and a shard's
// applied_seq is the highest its directories record (the live one's).
// Compaction writes a shard into its next generation and swaps the stub
// atomically.
#ifndef NEWSEARCH_SEARCH_SERVICE_INDEX_INDEX_WRITER_H_
#define NEWSEARCH_SEARCH_SERVICE_INDEX_INDEX_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::analysis {
class Analyzer;
}

namespace newsearch::search {

struct IndexWriterOptions {
  // Index directory (created when missing): the stub file and the shards.
  std::string path;
  // Number of local shards (and writer threads). Fixed when the index is
  // created: opening it with another number is FAILED_PRECONDITION. 0 = the
  // existing index's number, or the number of cores for a new index.
  int shards = 0;
  // The partition this replica holds (--partition=K/N): only articles with
  // PartitionOf(id, partitions) == partition (common/base/stable_hash.h).
  // Recorded in every shard when the index is created; opening an index of
  // another partition is FAILED_PRECONDITION. 0/1 = every article.
  int partition = 0;
  int partitions = 1;
  // How long a compacted shard's old directory outlives the swap (see
  // Compact). Readers in this process open every table file when they open
  // the stub, and open files outlive their removal, so a second covers the
  // window between reading the stub and opening the files. A replica that
  // serves its shards to routers needs longer: xapian-tcpsrv connections
  // made before the swap reopen the old directories until the routers'
  // prober drops them.
  absl::Duration retired_grace = absl::Seconds(1);
  // Segments (0 = each shard is one Xapian database): a shard's new
  // documents go to its live segment, sealed once it holds this many
  // documents and replaced by a new, empty one; sealed segments take only
  // the deletes of what they hold, and `segment_merge_factor` sealed
  // segments of one size tier are merged into one by Xapian's compaction.
  // A commit to a small database rewrites a small B-tree: on a shard of 50k
  // of the peers' articles, 1,024-document segments took 14% less CPU than
  // one database (bench/results/2026-12-04-segments-in-process.md).
  // Compact() and Snapshot() merge all of a shard's segments into one, but
  // Xapian's compaction keeps each source's posting-list chunks: a term
  // keeps one chunk per segment it was written in, so the merged index is
  // larger and slower to search than one built in one database
  // (bench/results/2026-12-04-segments-replica.md).
  int segment_docs = 0;
  int segment_merge_factor = 4;
};

// Sizes of one compaction, summed over shards.
struct CompactionStats {
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
};

// One local shard of a snapshot (IndexWriter::Snapshot).
struct ShardSnapshot {
  int shard = 0;
  std::string path;  // the compacted copy's directory
  int64_t applied_seq = 0;
  int64_t document_count = 0;
};

// The directory name of shard `shard` at `generation` ("shard-<i>.<gen>").
std::string IndexShardDirName(int shard, int generation);
// Writes the stub file of a new index in `dir` naming shard-<i>.0 for every
// shard i < shards, durably.
absl::Status WriteNewIndexStub(const std::string& dir, int shards);

// Not thread-safe, except Snapshot() and the committed state (applied_seq(),
// shard_applied_seqs(), document_count()), which any thread may read: one
// indexer thread calls it (the shard threads are its own). Readers open their
// own Xapian::Database on `path`.
class IndexWriter {
 public:
  // Opens or creates the index. `analyzer` must outlive the writer; every
  // shard must have been built with its signature (FAILED_PRECONDITION
  // otherwise, see schema::CheckIndexAnalyzer). FAILED_PRECONDITION naming
  // both numbers when the index has another number of shards than
  // a nonzero `options.shards`, and for a one-shard index from before shards
  // (a Xapian database directly in `path`); in both cases moving the
  // directory away makes the replica rebuild it from the change log.
  // FAILED_PRECONDITION when another writer holds a shard; INTERNAL for
  // other Xapian or file errors; DATA_LOSS for an unreadable applied_seq.
  static absl::StatusOr<std::unique_ptr<IndexWriter>> Open(
      const IndexWriterOptions& options, const analysis::Analyzer* analyzer);
  ~IndexWriter();

  // Applies `changes` (in seq order; those at or below applied_seq() are
  // skipped) in parallel on the shards and returns when every shard has
  // committed: each shard replaces (upsert) or deletes the documents of its
  // articles by id term, skipping changes at or below its own applied_seq,
  // and commits them with applied_seq = the batch's last seq in one
  // transaction. A malformed batch (seq not increasing, unknown kind, no
  // article id) is INVALID_ARGUMENT before any shard is touched. On a Xapian
  // error (INTERNAL) a failed shard applies nothing of the batch while others
  // may have committed theirs; applying the same batch again is harmless.
  //
  // Changes of articles outside this index's partition are skipped (ingest
  // filters them out already; this guards against one that does not).
  // `complete_seq`, when above the batch's last seq, is recorded as every
  // shard's applied_seq instead: the caller knows that the log holds nothing
  // of this partition between them (StreamChangesResponse.complete_seq). A
  // batch with no change and a complete_seq above applied_seq() commits just
  // that.
  // Waits for the batches handed over by ApplyPipelined first (returning
  // their error, if any, without applying `changes`).
  absl::Status Apply(const std::vector<v1::Change>& changes, int64_t complete_seq = 0);

  // Apply for a replica that is behind: hands `changes` to the shards and
  // returns once every shard has finished the batch handed over before, so
  // a shard done with its part (or waiting on the disk) starts on the next
  // batch instead of idling until the slowest shard commits: at most two
  // batches are in flight. Returns INVALID_ARGUMENT for a malformed batch
  // (nothing handed over, as Apply), or the first error of the batch handed
  // over before; then this batch is waited for too (a shard that fails a
  // batch refuses every later one: its applied_seq is below where they
  // start) and nothing is in flight. After any error the caller must fetch
  // the log again from applied_seq(): each shard skips what it has
  // committed.
  // Takes the changes (leaving `*changes` empty) unless INVALID_ARGUMENT.
  absl::Status ApplyPipelined(std::vector<v1::Change>* changes, int64_t complete_seq = 0);
  // Waits for every batch handed over by ApplyPipelined; their first error.
  absl::Status Drain();

  // Compacts every shard (Xapian::Database::compact) into its next
  // generation directory, reopens the shard's writer there and swaps the
  // stub file's line atomically; readers keep their handles on the old
  // directory (removed IndexWriterOptions::retired_grace later) and pick up the new one when they
  // next notice the stub changed. Runs on the shard threads, so no change
  // is applied meanwhile; the copying itself runs at nice +10 (also for
  // Snapshot), so queries take the cores first. INTERNAL on error (the
  // shard keeps its old generation).
  absl::StatusOr<CompactionStats> Compact();
  // Whether a compaction's old shard directories still wait for removal
  // (retired_grace after the swap). Thread-safe.
  bool HasRetiredDirectories() const;

  // Compacts every shard as of its last commit into the fresh directory
  // `dir`/shard-<i> (Xapian::Database::compact), for a new replica
  // (SnapshotIndex). Runs on the shard threads between batches, so the
  // copies are consistent; readers go on. May be called from any thread
  // (it waits for the batch or compaction in progress). The applied_seq and
  // document count are read from each copy. INTERNAL on error.
  absl::StatusOr<std::vector<ShardSnapshot>> Snapshot(const std::string& dir);

  // Lowest committed applied seq over the shards (0 for a new index): the
  // change log is complete in the index up to here.
  int64_t applied_seq() const;
  // Each shard's committed applied seq, by shard number.
  std::vector<int64_t> shard_applied_seqs() const;
  // Number of documents over all shards as of their last commits.
  int64_t document_count() const;
  int shards() const;
  int partition() const;
  int partitions() const;
  // Flushes and closes every shard (also done by the destructor).
  absl::Status Close();

 private:
  IndexWriter();
  struct Shard;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_INDEX_INDEX_WRITER_H_
