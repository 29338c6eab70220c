// Keeps this replica's index following the ingest change log: a reader
// thread holds a StreamChanges call open (reconnecting with backoff when the
// ingest service is down) and queues what arrives; an indexer thread drains
// the queue in batches into the IndexWriter, so a burst of small changes
// becomes one Xapian commit (on each of the index's shards, in parallel).
// Resumes from the lowest applied_seq committed by the index's shards; when
// idle after a bulk load it compacts the index.
#ifndef NEWSEARCH_SEARCH_SERVICE_INDEX_LOG_FOLLOWER_H_
#define NEWSEARCH_SEARCH_SERVICE_INDEX_LOG_FOLLOWER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>

#include "absl/time/time.h"
#include "search-service/index/index_writer.h"

namespace newsearch::search {

// See LogFollowerOptions::catch_up_batch_changes.
inline constexpr int64_t kDocumentsPerCatchUpChange = 32;

struct LogFollowerOptions {
  // host:port of the ingest service.
  std::string ingest_address = "127.0.0.1:50051";
  // Most changes applied in one Xapian commit. Xapian buffers a batch's
  // postings in ordered maps keyed by term; with the wide vocabulary of news
  // (a million distinct bigrams per few thousand articles) each insertion
  // into a big buffer is a long walk of cache misses. 256 changes per
  // commit (~128 per local shard) took 15-20% less replica CPU per article
  // than 2,000 on the peers' corpus (bench/results/2026-12-03-batch-size-
  // 10k.md), for ~8% more index on disk until the next compaction.
  int max_batch_changes = 256;
  // While the replica is behind (more changes queued than one batch), a
  // batch grows with the index, to one change per kDocumentsPerCatchUpChange
  // documents already indexed, up to this many. Each commit rewrites the
  // blocks of every posting list it touches, and the wide vocabulary of news
  // spreads those over the whole table: on a big index, small commits cost
  // more I/O and CPU per article than the buffer they save. Bulk load of the
  // peers' 100k pages on 2 shards (bench/results/2026-12-04-catch-up-
  // batches.md): 256 per commit wrote 86 GB by 63k articles and reached
  // 100k in 567 s; growing to 1,024 wrote 47 GB in all and took 442 s, with
  // peak RSS 322 MB (Xapian buffers the whole batch until its commit). At or
  // below max_batch_changes: batches never grow.
  int catch_up_batch_changes = 1024;
  // How long the indexer waits for more changes before committing a
  // partial batch (bounds the delay from ingest to searchable).
  absl::Duration flush_interval = absl::Milliseconds(200);
  // Reconnect backoff: starts at the minimum, doubles up to the maximum.
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // Changes received but not applied before the reader waits.
  int max_queued_changes = 8000;
  // The partition this replica follows (StreamChangesRequest.partition and
  // partition_count); 0/1 = every change.
  int partition = 0;
  int partitions = 1;
  // Largest StreamChanges message accepted.
  int max_message_bytes = 64 << 20;
  // Channel credentials for the ingest connection (TLS, mutual TLS); null =
  // plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Returns the bearer token to present on each StreamChanges call (asked
  // again on every reconnect, so a rotated token is picked up); null or an
  // empty result = none.
  std::function<std::string()> token;
  // Called on the indexer thread once a batch is committed, with the time
  // since it was handed to the index and its number of changes (for
  // metrics); may be null. A batch handed over while more changes wait is
  // committed while the next one is taken (IndexWriter::ApplyPipelined) and
  // reported when the index confirms it, with the next.
  std::function<void(absl::Duration, int64_t)> on_commit;
  // Compaction after a bulk load: once at least this many changes were
  // applied since the last compaction (or start) and no change has arrived
  // for `compact_idle`, the indexer compacts the index
  // (IndexWriter::Compact); changes arriving meanwhile wait in the queue.
  // 0 = never.
  int64_t compact_after_changes = 0;
  absl::Duration compact_idle = absl::Seconds(2);
  // Retention (#9): the name this follower gives ingest on StreamChanges,
  // with the seq its index has committed (acked_seq), so that ingest purges
  // a tombstone only once this replica has applied it; empty = anonymous.
  std::string follower_id;
  // A stream open at least this long is re-opened at its next heartbeat
  // (idle moment), which tells ingest the newly committed seq and that this
  // follower is still there. Zero = never.
  absl::Duration resubscribe_interval = absl::Minutes(5);
  // Called on the indexer thread after each compaction (for metrics and
  // tests); may be null.
  std::function<void(const absl::StatusOr<CompactionStats>&, absl::Duration)> on_compact;
};

struct FollowerStatus {
  bool following = false;     // a change stream is open
  int64_t head_seq = 0;       // latest head seq reported by ingest
  int64_t applied_seq = 0;    // committed to the index
  absl::Time last_commit_at = absl::InfinitePast();
  // When the last message (changes or heartbeat) arrived from ingest;
  // InfinitePast before the first. head_seq is as of this time.
  absl::Time last_contact_at = absl::InfinitePast();
  std::string last_error;     // last stream or apply error, empty when none
  // The first seq of a batch the index refused as malformed (an error that
  // retrying cannot fix), 0 while changes apply. The follower then fetches
  // the log again from applied_seq every max_backoff, so a change that ingest
  // has since replaced gets through; until then the replica cannot progress.
  int64_t stalled_at_seq = 0;
  // Ingest cannot continue this index from its position (StreamChanges
  // answered OUT_OF_RANGE: its store was restored from an older backup, it
  // is another ingest, or retention purged deletes this index has not
  // applied): the index must be rebuilt. Cleared when a stream opens.
  bool ahead_of_log = false;
  // A compaction after a bulk load is running, or due once no change has
  // arrived for compact_idle (LogFollowerOptions), or its old directories
  // still wait for removal. Everything applied is searchable meanwhile; the
  // index on disk is not yet at its settled size.
  bool compaction_pending = false;
};

// Thread-safe: status() may be called from any thread.
class LogFollower {
 public:
  // `writer` must outlive the follower; only the follower's thread uses it
  // between Start() and Stop().
  LogFollower(LogFollowerOptions options, IndexWriter* writer);
  ~LogFollower();

  void Start();
  // Cancels the stream, commits what was already received, joins threads.
  void Stop();
  FollowerStatus status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_INDEX_LOG_FOLLOWER_H_
