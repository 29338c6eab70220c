// A bounded pool of reusable resources lent out one call at a time: the
// article store's SQLite read connections. Resources are opened on demand up
// to a maximum; a caller beyond it waits for one to come back, but not
// without limit: after `max_wait` it gets RESOURCE_EXHAUSTED, so a stuck or
// slow reader turns into a clear error for the calls behind it instead of
// threads piling up for ever.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_LEASE_POOL_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_LEASE_POOL_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace newsearch::ingest {

// Thread-safe. Every Lease must be destroyed before the pool.
template <typename T>
class LeasePool {
 public:
  // Opens one more resource; its error is returned to the caller that
  // needed it.
  using Opener = std::function<absl::StatusOr<std::unique_ptr<T>>()>;

  // `what` names the resources in errors ("article store read connections").
  LeasePool(int max_size, absl::Duration max_wait, std::string what, Opener open)
      : max_size_(max_size),
        max_wait_(max_wait),
        what_(std::move(what)),
        opener_(std::move(open)) {}

  // One resource lent to the caller; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(LeasePool* pool, std::unique_ptr<T> resource)
        : pool_(pool), resource_(std::move(resource)) {}
    ~Lease() { pool_->Return(std::move(resource_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    T& operator*() const { return *resource_; }
    T* operator->() const { return resource_.get(); }

   private:
    LeasePool* const pool_;
    std::unique_ptr<T> resource_;
  };

  // Returns an idle resource, opens one while fewer than max_size exist,
  // else waits up to max_wait for one to come back. RESOURCE_EXHAUSTED when
  // none came back in time (saying how many there are and how long it
  // waited); the opener's error when opening fails.
  absl::StatusOr<std::unique_ptr<Lease>> Acquire() {
    {
      absl::MutexLock lock(&mu_);
      if (!mu_.AwaitWithTimeout(absl::Condition(this, &LeasePool::Available), max_wait_)) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "all ", max_size_, " ", what_, " stayed busy for ", absl::FormatDuration(max_wait_),
            "; the server is overloaded, retry later"));
      }
      if (!idle_.empty()) {
        std::unique_ptr<T> resource = std::move(idle_.back());
        idle_.pop_back();
        return std::make_unique<Lease>(this, std::move(resource));
      }
      ++opened_;  // reserve a slot; opened outside the lock
    }
    absl::StatusOr<std::unique_ptr<T>> resource = opener_();
    if (!resource.ok()) {
      absl::MutexLock lock(&mu_);
      --opened_;
      return resource.status();
    }
    return std::make_unique<Lease>(this, *std::move(resource));
  }

 private:
  bool Available() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || opened_ < max_size_;
  }
  void Return(std::unique_ptr<T> resource) {
    absl::MutexLock lock(&mu_);
    idle_.push_back(std::move(resource));
  }

  const int max_size_;
  const absl::Duration max_wait_;
  const std::string what_;
  const Opener opener_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<T>> idle_ ABSL_GUARDED_BY(mu_);
  int opened_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_LEASE_POOL_H_
