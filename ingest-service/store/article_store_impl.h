// The state behind ArticleStore, shared by the files that implement it:
// article_store.cc (opening, core writes), article_reads.cc,
// duplicate_rules.cc, reparse.cc, retention.cc. Internal to newsearch_store.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_IMPL_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_IMPL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ingest-service/dedup/minhash.h"
#include "ingest-service/store/article_store.h"
#include "ingest-service/store/pending_bands.h"
#include "ingest-service/store/sqlite_connection.h"

namespace newsearch::ingest {

struct ArticleStore::Impl {
  std::string path;
  bool fsync_every_commit = true;

  absl::Mutex write_mu;
  std::unique_ptr<store_internal::Connection> writer ABSL_GUARDED_BY(write_mu);
  // Committed head; written under write_mu after COMMIT, read lock-free.
  std::atomic<int64_t> head_seq{0};
  // meta purged_through_seq, the same way.
  std::atomic<int64_t> purged_through_seq{0};

  // Read connections, lent one call at a time.
  std::unique_ptr<store_internal::ReadPool> readers;

  absl::StatusOr<std::unique_ptr<store_internal::ReadPool::Lease>> AcquireReader() {
    return readers->Acquire();
  }

  // Band keys of signed articles waiting in dedup_pending, in memory too
  // for the writer's candidate lookups (duplicate_rules.cc). The table is
  // the truth: a rolled-back write reloads this from it.
  store_internal::PendingBands pending_bands ABSL_GUARDED_BY(write_mu);
  int dedup_pending_articles = 8192;

  // Duplicate rules (duplicate_rules.cc).
  // Reads dedup_pending into pending_bands (at open, and after a rollback
  // left memory ahead of the table).
  absl::Status LoadPendingBands() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
  // Inside a write transaction: moves every pending band key into
  // dedup_bands, sorted, and empties dedup_pending.
  absl::Status FlushPendingBands() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
  // Returns the root id an article `id` with `signature` links to ("" when
  // unsigned, when it has no near-duplicate, or when others already point
  // at it: a first copy stays one, links never chain).
  absl::StatusOr<std::string> DuplicateRootFor(
      absl::string_view id, const std::optional<MinHashSignature>& signature)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
  // Stores the signature column, duplicate_of column and band keys of `id`.
  absl::Status SetDedup(absl::string_view id, const std::optional<MinHashSignature>& signature,
                        absl::string_view root) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
  // Drops the signature and band keys of article `id`, just deleted, and
  // re-links its near-duplicates: the oldest becomes the first copy and the
  // others point at it, each with the next seq.
  absl::Status RemoveFromDuplicates(absl::string_view id, int64_t now, int64_t* next_seq)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);

  // Core writes (article_store.cc).
  absl::StatusOr<ArticleWriteResult> WriteOne(const v1::Article& article,
                                              const std::optional<MinHashSignature>& signature,
                                              absl::string_view page_id,
                                              const PageWrite& page, int64_t now,
                                              int64_t* next_seq, bool* page_stored)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
  // Turns live article `id` (of page `page_id`) into a tombstone with the
  // next seq, re-links its near-duplicates to a new root (each with the next
  // seq) and drops the page when unused.
  absl::Status Tombstone(absl::string_view id, absl::string_view page_id, int64_t now,
                         int64_t* next_seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
  absl::Status DropPageIfUnused(absl::string_view page_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
  // Tombstones the articles `<base>-<k>` with k >= page.articles.size(),
  // base being the page's first article id: what the same request yielded
  // before and no longer does. Appends an OUTCOME_DELETED result for each.
  absl::Status TombstoneDroppedSiblings(const PageWrite& page, int64_t now, int64_t* next_seq,
                                        std::vector<ArticleWriteResult>* written)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
  absl::Status SetHeadSeq(int64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);

  // Retention (retention.cc).
  // Reads meta purged_through_seq into purged_through_seq.
  absl::Status LoadPurgedThroughSeq() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when it fails.
  template <typename Fn>
  absl::Status InWriteTransaction(absl::string_view op, Fn body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu);
};

template <typename Fn>
absl::Status ArticleStore::Impl::InWriteTransaction(absl::string_view op, Fn body) {
  absl::Status status = store_internal::InWriteTransaction(*writer, op, std::move(body));
  if (!status.ok()) {
    // Rolled back: pending_bands may hold keys the table no longer has.
    LoadPendingBands().IgnoreError();
  }
  return status;
}

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_IMPL_H_
