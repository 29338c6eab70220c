// Store upkeep on a thread of its own (#9): every interval it purges the
// tombstones older than the retention horizon that every follower heard
// from within the horizon has applied (ArticleStore::PurgeTombstones), and
// checkpoints the WAL (the file stays under PRAGMA journal_size_limit).
// A follower silent for longer than the horizon holds nothing back; if it
// returns behind a purged tombstone, StreamChanges tells it to rebuild.
#ifndef NEWSEARCH_INGEST_SERVICE_SERVER_RETENTION_H_
#define NEWSEARCH_INGEST_SERVICE_SERVER_RETENTION_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ingest-service/store/article_store.h"

namespace newsearch::ingest {

struct RetentionOptions {
  // Tombstones younger than this stay; zero keeps them for ever.
  absl::Duration tombstone_retention = absl::Hours(7 * 24);
  // How often the upkeep runs.
  absl::Duration interval = absl::Minutes(1);
  // Called after each purge that removed tombstones (for metrics); may be
  // null.
  std::function<void(int64_t purged)> on_purge;
};

class StoreMaintenance {
 public:
  // `store` must outlive Stop(). Starts the thread.
  StoreMaintenance(ArticleStore* store, RetentionOptions options);
  // Stops and joins.
  ~StoreMaintenance();
  StoreMaintenance(const StoreMaintenance&) = delete;
  StoreMaintenance& operator=(const StoreMaintenance&) = delete;

  // One round now, on the caller's thread: purge, then checkpoint.
  void RunOnce();
  // Stops the thread; idempotent.
  void Stop();

 private:
  void Loop();

  ArticleStore* const store_;
  const RetentionOptions options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_SERVER_RETENTION_H_
