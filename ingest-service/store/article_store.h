// The durable source of truth of the ingest service: parsed articles, the raw
// page bytes they came from, and the change log. SQLite in WAL mode, one file
// under the data directory.
//
// The change log is the `seq` column: every create, update and delete
// (tombstone) takes the next sequence number, and an article row always
// carries the seq of its latest change. ChangesAfter(s) therefore returns the
// latest state of every article changed after s, in seq order: a compacted
// log that a follower at s can apply to reach the head.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ingest-service/dedup/minhash.h"
#include "newsearch/v1/article.pb.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::ingest {

struct StoreOptions {
  // SQLite database file; created with its directory when missing.
  std::string path;
  // PRAGMA synchronous: true = FULL (an acknowledged write survives power
  // loss), false = NORMAL (survives a process crash such as kill -9).
  bool fsync_every_commit = true;
  // Longest a read (Get, List, ChangesAfter, ...) waits for one of the
  // store's few read connections; then it fails with RESOURCE_EXHAUSTED.
  absl::Duration reader_wait = absl::Seconds(10);
  // Near-duplicate band keys of this many recently signed articles wait in
  // a small table (and in memory) before they join the large band index in
  // one sorted batch: inserted one article at a time, each key dirtied a
  // random page of that index in every commit, which cost half of ingest's
  // CPU. Lookups see both, so detection does not change.
  int dedup_pending_articles = 8192;
};

// One page to store: its articles (id set by the caller, seq ignored) and raw bytes.
struct PageWrite {
  std::string raw;           // original page bytes, stored once per page
  std::string content_type;  // as given by the caller
  std::vector<v1::Article> articles;
  // The rest of the request, kept with the raw bytes so that a re-parse can
  // rebuild the same request (and so the same article ids).
  std::string url;
  std::string external_id;
  std::string source_hint;
  // MinHash signature of each article's body (parallel to `articles`; may be
  // empty). An article with a signature is checked for near-duplicates
  // among the stored articles (see PutPage).
  std::vector<std::optional<MinHashSignature>> signatures;
};

// Returns the page id of a request: hex SHA-256 over the request fields and
// the raw bytes (length-prefixed), so the same bytes sent under two
// external ids are two pages. Pages stored by schema version 1 keep their
// id (hex SHA-256 of the bytes alone).
std::string PageIdFor(absl::string_view raw, absl::string_view url,
                      absl::string_view external_id, absl::string_view source_hint,
                      absl::string_view content_type);

// A stored raw page and the request fields it came with.
struct StoredPage {
  std::string page_id;
  std::string raw;
  std::string content_type;
  std::string url;
  std::string external_id;
  std::string source_hint;
  // Live articles parsed from it, in id order.
  std::vector<std::string> article_ids;
};

// The new parse of one stored page (see ReplacePages).
struct PageReparse {
  std::string page_id;
  // Articles the page yields now (ids set); empty with `failed` set when
  // the parser rejects the page.
  std::vector<v1::Article> articles;
  std::vector<std::optional<MinHashSignature>> signatures;
  bool failed = false;
};

struct ReparseCounts {
  int64_t changed = 0;
  int64_t unchanged = 0;
  int64_t deleted = 0;
  int64_t failed_pages = 0;
  // Pages skipped because ingest replaced or deleted them meanwhile.
  int64_t skipped_pages = 0;
  int64_t last_seq = 0;
};

struct ArticleWriteResult {
  std::string id;
  int64_t seq = 0;  // seq of the article's current state
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  // Root id of the near-duplicates this article belongs to; empty when none.
  std::string duplicate_of;
};

// What a snapshot (ArticleStore::SnapshotTo) holds.
struct SnapshotInfo {
  // Every change up to and including this seq.
  int64_t head_seq = 0;
  // Live articles.
  int64_t article_count = 0;
};

struct ListResult {
  std::vector<v1::Article> articles;
  // Id to continue after; empty when there are no more.
  std::string next_after_id;
};

// A follower of the change log (a search replica) as StreamChanges last
// heard from it.
struct FollowerPosition {
  std::string follower_id;
  // Every change up to this seq is applied on the follower's side.
  int64_t acked_seq = 0;
  absl::Time seen_at;
};

struct PurgeResult {
  int64_t purged = 0;  // tombstones removed by this call
  // The store's purged_through_seq afterwards (see PurgedThroughSeq).
  int64_t purged_through_seq = 0;
};

// Thread-safe: writes are serialised; reads may run concurrently with them.
class ArticleStore {
 public:
  // Opens or creates the store. Returns UNAVAILABLE / INTERNAL with the path
  // and SQLite's message when the file cannot be opened or migrated.
  static absl::StatusOr<std::unique_ptr<ArticleStore>> Open(const StoreOptions& options);
  ~ArticleStore();

  // Stores all articles of one page in one transaction. For each article:
  // a new id -> OUTCOME_CREATED with the next seq; an existing live id whose
  // stored fields (everything but seq/ingested_at/updated_at) differ ->
  // OUTCOME_UPDATED with the next seq; identical -> OUTCOME_UNCHANGED with the
  // existing seq and no new seq. A previously deleted id is CREATED again.
  // Sets ingested_at/updated_at. Results are in article order. Durable when
  // it returns OK.
  //
  // Duplicates: an article with a signature whose body is a near-duplicate
  // (estimated Jaccard >= kDuplicateMinSimilarity) of a live stored article
  // gets duplicate_of = that article's root (its own duplicate_of, or its id
  // when it is itself a first copy), so links never chain. Candidates come
  // from the LSH band index, never a full scan. An article that other
  // articles already point at stays a root when it is re-ingested.
  absl::StatusOr<std::vector<ArticleWriteResult>> PutPage(const PageWrite& page);

  // Group commit: stores several pages as PutPage would, one after the
  // other, in one transaction (one fsync). Returns one result per page, in
  // the order given. A page that fails fails alone (its writes are rolled
  // back to a savepoint, its batch-mates are kept); when the transaction
  // itself fails (commit, disk full, I/O error) every page that had not
  // failed on its own gets that error and nothing of the batch is stored.
  // Pages whose result is OK are durable when this returns.
  std::vector<absl::StatusOr<std::vector<ArticleWriteResult>>> PutPages(
      const std::vector<const PageWrite*>& pages);

  // What PutPage would set as duplicate_of for an article `id` with this
  // signature: the root id, or empty. Reads only.
  absl::StatusOr<std::string> FindDuplicateRoot(absl::string_view id,
                                                const MinHashSignature& signature) const;

  // Re-parse support. Lists stored pages with page_id > after_page_id that
  // still have a live article, in page_id order, at most `limit`.
  absl::StatusOr<std::vector<StoredPage>> ListPages(absl::string_view after_page_id,
                                                    int limit) const;
  // Number of stored pages with a live article.
  absl::StatusOr<int64_t> CountPages() const;
  // Writes the new parse of a batch of pages in one transaction: each
  // article is written as by PutPage (changed -> new seq, identical ->
  // unchanged), and live articles of the page that the new parse no longer
  // yields are deleted. A failed page is left as it is. A page that ingest
  // replaced or deleted since ListPages, and any article that ingest moved
  // to another page, are skipped.
  absl::StatusOr<ReparseCounts> ReplacePages(const std::vector<PageReparse>& pages);

  // Returns the live article. NOT_FOUND for unknown or deleted ids.
  absl::StatusOr<v1::Article> Get(absl::string_view id) const;
  // Returns the raw page bytes an article was parsed from. NOT_FOUND as Get.
  absl::StatusOr<std::string> GetRaw(absl::string_view id) const;
  // Lists live articles with id > after_id in id order, at most `limit`.
  absl::StatusOr<ListResult> List(absl::string_view after_id, int limit) const;
  // Deletes: the row becomes a tombstone with the next seq. Returns the
  // highest seq written. NOT_FOUND for unknown or already deleted ids.
  // When the deleted article is the first copy of near-duplicates, the
  // oldest remaining copy becomes the new first copy (duplicate_of cleared)
  // and the others point at it; each of them takes a new seq, so search
  // replicas re-collapse them.
  absl::StatusOr<int64_t> Delete(absl::string_view id);

  // Returns up to `limit` changes with seq > after_seq, in seq order: an
  // upsert carries the full article, a delete only its id. Stops before the
  // change that would take the serialized total above `max_bytes`, but
  // always returns at least one change when there is one.
  absl::StatusOr<std::vector<v1::Change>> ChangesAfter(
      int64_t after_seq, int limit, int64_t max_bytes = std::numeric_limits<int64_t>::max()) const;
  // ChangesAfter restricted to the articles of one partition
  // (PartitionOf(id, partitions) == partition, common/base/stable_hash.h;
  // partitions 1 = every article). Reads past the other partitions' rows
  // without decoding them, up to `limit` changes or `max_bytes` as above, or
  // `max_scanned` rows in all. `complete_seq` is the highest seq up to which
  // every change of the partition is in `changes` (after_seq when nothing
  // was read): the caller resumes from there. INVALID_ARGUMENT for a
  // partition outside [0, partitions).
  struct PartitionChanges {
    std::vector<v1::Change> changes;
    int64_t complete_seq = 0;
  };
  absl::StatusOr<PartitionChanges> PartitionChangesAfter(int64_t after_seq, int partition,
                                                         int partitions, int limit,
                                                         int64_t max_bytes,
                                                         int max_scanned) const;
  // Highest committed seq (0 for an empty store).
  int64_t HeadSeq() const;
  // Number of live (not deleted) articles.
  absl::StatusOr<int64_t> CountLive() const;

  // Writes a consistent copy of the whole store, as of one committed seq, to
  // the new file `dest_path` (SQLite's VACUUM INTO, on a read connection:
  // ingest goes on meanwhile). The copy is a complete store: opening it with
  // Open() continues from its head_seq. INVALID_ARGUMENT when `dest_path`
  // exists; RESOURCE_EXHAUSTED when its disk is full (the partial file is
  // removed).
  absl::StatusOr<SnapshotInfo> SnapshotTo(const std::string& dest_path) const;

  // Retention (#9). Records that follower `follower_id` has applied every
  // change up to `acked_seq`, as of now. INVALID_ARGUMENT for an empty id.
  absl::Status RecordFollower(absl::string_view follower_id, int64_t acked_seq);
  // Every follower recorded, in id order.
  absl::StatusOr<std::vector<FollowerPosition>> Followers() const;
  // Removes the tombstones written before `deleted_before` that every
  // follower seen since `followers_seen_since` has passed (acked_seq >= the
  // tombstone's seq; with no such follower, all of them). Raises
  // PurgedThroughSeq to the highest seq removed. Live articles are never
  // touched, so ChangesAfter(0) still yields the whole live store.
  absl::StatusOr<PurgeResult> PurgeTombstones(absl::Time deleted_before,
                                              absl::Time followers_seen_since);
  // The highest seq of a tombstone retention removed (0: none). A follower
  // whose position is below it (but above 0) may have missed a delete: it
  // must rebuild from seq 0.
  int64_t PurgedThroughSeq() const;
  // A passive WAL checkpoint (never waits for readers). The WAL file is
  // kept under 64 MiB once checkpointed (PRAGMA journal_size_limit).
  absl::Status Checkpoint();
  // Bytes of the database file, its WAL and shared-memory index.
  int64_t SizeBytes() const;

 private:
  ArticleStore();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_H_
