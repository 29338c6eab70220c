// One StreamChanges subscriber (a search replica following the change log):
// what it asked for, checked against the store, and the loop that sends it
// the log from its cursor on. Each pass reads a batch of its partition's
// changes after the cursor (ArticleStore::PartitionChangesAfter, capped by
// count and bytes) and sends it; when the partition has nothing new it says
// how far the partition is complete; when the log has nothing new it waits
// for the ChangeNotifier and sends a heartbeat every `heartbeat` of quiet, so
// the follower learns the head (and its lag) even when nothing changes.
//
// The gRPC handler (ingest-service/server) admits the call, hands the
// request here, and writes what the loop sends; this class knows nothing of
// gRPC, so it can be tested with the store alone.
#ifndef NEWSEARCH_INGEST_SERVICE_CHANGEFEED_SUBSCRIPTION_H_
#define NEWSEARCH_INGEST_SERVICE_CHANGEFEED_SUBSCRIPTION_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ingest-service/changefeed/change_notifier.h"
#include "ingest-service/store/article_store.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::ingest {

class ChangeSubscription {
 public:
  // Checks `request` and starts a subscription on `store`:
  //   INVALID_ARGUMENT: after_seq < 0; max_batch_size, max_batch_bytes or
  //     partition_count outside their limits; partition not below
  //     partition_count; a follower_id over 128 bytes.
  //   OUT_OF_RANGE: after_seq beyond the store's head (the follower holds
  //     changes this log never had), or past 0 but behind a tombstone that
  //     retention purged (it may have missed deletes): it must rebuild.
  // Records a named follower's acked_seq (capped at after_seq), which holds
  // back the purge of tombstones (retention, #9); failing to record is
  // logged, not fatal. `store` and `notifier` must outlive the
  // subscription.
  static absl::StatusOr<ChangeSubscription> Start(const v1::StreamChangesRequest& request,
                                                  ArticleStore* store,
                                                  ChangeNotifier* notifier,
                                                  absl::Duration heartbeat);

  // Sends the subscriber every change of its partition after its cursor,
  // then follows the log, through `write` (false: the stream is gone, stop).
  // Runs until `write` fails, `cancelled()` returns true (checked before
  // each read) or the notifier shuts down: then OK. Returns the store's
  // error when a read fails.
  absl::Status Run(const std::function<bool(const v1::StreamChangesResponse&)>& write,
                   const std::function<bool()>& cancelled);

  // Every change of the partition up to this seq has been sent.
  int64_t cursor() const { return cursor_; }
  int partition() const { return partition_; }
  // The number of partitions (1: the whole log).
  int partitions() const { return partitions_; }

 private:
  ChangeSubscription() = default;

  ArticleStore* store_ = nullptr;
  ChangeNotifier* notifier_ = nullptr;
  absl::Duration heartbeat_;
  int64_t cursor_ = 0;
  int batch_ = 0;
  int batch_bytes_ = 0;
  int partition_ = 0;
  int partitions_ = 1;
  // Rows of the log one read examines at most (the other partitions' rows
  // are skipped without being decoded).
  int max_scanned_ = 0;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_CHANGEFEED_SUBSCRIPTION_H_
