#include "ingest-service/server/retention.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/base/logging.h"

namespace newsearch::ingest {

StoreMaintenance::StoreMaintenance(ArticleStore* store, RetentionOptions options)
    : store_(store), options_(std::move(options)) {
  thread_ = std::thread([this] { Loop(); });
}

StoreMaintenance::~StoreMaintenance() { Stop(); }

void StoreMaintenance::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void StoreMaintenance::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.interval)) return;
    }
    RunOnce();
  }
}

void StoreMaintenance::RunOnce() {
  if (options_.tombstone_retention > absl::ZeroDuration()) {
    const absl::Time horizon = absl::Now() - options_.tombstone_retention;
    const absl::StatusOr<PurgeResult> purged = store_->PurgeTombstones(horizon, horizon);
    if (!purged.ok()) {
      Log(LogLevel::kError, "retention", "cannot purge tombstones",
          {{"status", purged.status().ToString()}});
    } else if (purged->purged > 0) {
      Log(LogLevel::kInfo, "retention", "tombstones purged",
          {{"purged", static_cast<long long>(purged->purged)},
           {"purged_through_seq", static_cast<long long>(purged->purged_through_seq)}});
      if (options_.on_purge) options_.on_purge(purged->purged);
    }
  }
  const absl::Status checkpoint = store_->Checkpoint();
  if (!checkpoint.ok()) {
    Log(LogLevel::kWarning, "retention", "WAL checkpoint failed",
        {{"status", checkpoint.ToString()}});
  }
}

}  // namespace newsearch::ingest
