#include "ingest-service/changefeed/change_notifier.h"

namespace newsearch::ingest {

ChangeNotifier::ChangeNotifier(int64_t head_seq) : head_seq_(head_seq) {}

void ChangeNotifier::Publish(int64_t head_seq) {
  absl::MutexLock lock(&mu_);
  if (head_seq > head_seq_) head_seq_ = head_seq;
}

int64_t ChangeNotifier::head_seq() const {
  absl::MutexLock lock(&mu_);
  return head_seq_;
}

int64_t ChangeNotifier::WaitAbove(int64_t seq, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this, seq]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return head_seq_ > seq || shut_down_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return head_seq_;
}

void ChangeNotifier::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
}

bool ChangeNotifier::is_shut_down() const {
  absl::MutexLock lock(&mu_);
  return shut_down_;
}

}  // namespace newsearch::ingest
