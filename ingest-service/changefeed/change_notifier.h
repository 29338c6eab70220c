// Wakes StreamChanges subscribers when the change log advances. The store
// commits, then the writer calls Publish(head); each subscriber stream waits
// in WaitAbove() and re-reads the store from its cursor. Many subscribers at
// once; none of them can block a writer.
#ifndef NEWSEARCH_INGEST_SERVICE_CHANGEFEED_CHANGE_NOTIFIER_H_
#define NEWSEARCH_INGEST_SERVICE_CHANGEFEED_CHANGE_NOTIFIER_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace newsearch::ingest {

// Thread-safe.
class ChangeNotifier {
 public:
  explicit ChangeNotifier(int64_t head_seq = 0);

  // Records that the log now reaches `head_seq` (ignored when not higher) and
  // wakes every waiter.
  void Publish(int64_t head_seq);
  // Returns the highest published seq.
  int64_t head_seq() const;
  // Blocks until head_seq() > seq, Shutdown(), or `timeout` passes. Returns
  // head_seq() at that time.
  int64_t WaitAbove(int64_t seq, absl::Duration timeout);
  // Wakes all waiters for good (server shutdown); later waits return at once.
  void Shutdown();
  bool is_shut_down() const;

 private:
  mutable absl::Mutex mu_;
  int64_t head_seq_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_CHANGEFEED_CHANGE_NOTIFIER_H_
