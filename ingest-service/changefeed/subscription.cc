#include "ingest-service/changefeed/subscription.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/logging.h"

namespace newsearch::ingest {
namespace {

constexpr int kDefaultChangeBatch = 256;
constexpr int kMaxChangeBatch = 4096;
constexpr int kDefaultChangeBatchBytes = 4 << 20;
// Most partitions a StreamChanges call may name.
constexpr int kMaxPartitions = 1024;
// Rows of the change log one read of a partitioned stream examines at most
// (the other partitions' rows are skipped without being decoded).
constexpr int kMaxScannedRows = 1 << 16;
constexpr int kMaxChangeBatchBytes = 64 << 20;
constexpr size_t kMaxFollowerIdBytes = 128;

void SetNow(google::protobuf::Timestamp* ts) {
  absl::Time now = absl::Now();
  ts->set_seconds(absl::ToUnixSeconds(now));
  ts->set_nanos(static_cast<int32_t>(
      (absl::ToUnixNanos(now) - absl::ToUnixSeconds(now) * 1000000000LL)));
}

// Retention (#9): OUT_OF_RANGE when the follower is past 0 but behind a
// tombstone that was purged (it may have missed that delete); else
// records a named follower's acked seq, which holds back the purge.
absl::Status CheckRetained(const v1::StreamChangesRequest& request, ArticleStore* store) {
  const int64_t purged = store->PurgedThroughSeq();
  if (request.after_seq() > 0 && request.after_seq() < purged) {
    return absl::OutOfRangeError(
        absl::StrCat("after_seq ", request.after_seq(), " is behind seq ", purged,
                     ", up to which deleted articles' tombstones were purged (retention, "
                     "--tombstone_retention_seconds): the follower may have missed deletes; "
                     "rebuild its index (move its data directory away)"));
  }
  if (request.follower_id().empty()) return absl::OkStatus();
  if (request.follower_id().size() > kMaxFollowerIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "follower_id is ", request.follower_id().size(), " bytes; at most ", kMaxFollowerIdBytes));
  }
  const int64_t acked = std::clamp<int64_t>(request.acked_seq(), 0, request.after_seq());
  const absl::Status recorded = store->RecordFollower(request.follower_id(), acked);
  if (!recorded.ok()) {
    // Not fatal for the stream: the follower's older position stays.
    Log(LogLevel::kWarning, "retention", "cannot record follower",
        {{"follower_id", request.follower_id()}, {"status", recorded.ToString()}});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ChangeSubscription> ChangeSubscription::Start(
    const v1::StreamChangesRequest& request, ArticleStore* store, ChangeNotifier* notifier,
    absl::Duration heartbeat) {
  if (request.after_seq() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("after_seq is ", request.after_seq(), "; it must be >= 0"));
  }
  int batch = request.max_batch_size();
  if (batch < 0 || batch > kMaxChangeBatch) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_batch_size is ", batch, "; it must be between 0 and ", kMaxChangeBatch));
  }
  if (batch == 0) batch = kDefaultChangeBatch;
  int batch_bytes = request.max_batch_bytes();
  if (batch_bytes < 0 || batch_bytes > kMaxChangeBatchBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_batch_bytes is ", batch_bytes, "; it must be between 0 and ", kMaxChangeBatchBytes));
  }
  if (batch_bytes == 0) batch_bytes = kDefaultChangeBatchBytes;
  int partitions = request.partition_count();
  if (partitions < 0 || partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partition_count is ", partitions, "; it must be between 0 and ", kMaxPartitions));
  }
  if (partitions == 0) partitions = 1;
  const int partition = request.partition();
  if (partition < 0 || partition >= partitions) {
    return absl::InvalidArgumentError(absl::StrCat("partition is ", partition,
                                                   "; it must be between 0 and ",
                                                   partitions - 1, " for partition_count ",
                                                   request.partition_count()));
  }
  if (const int64_t head = store->HeadSeq(); request.after_seq() > head) {
    // The follower holds changes this log never had: the store was
    // restored from an older backup, or it is another ingest. Following on
    // would skip the seqs this log hands out next.
    return absl::OutOfRangeError(
        absl::StrCat("after_seq ", request.after_seq(), " is beyond this change log's head ",
                     head, ": the follower's index holds changes this store does not have "
                     "(restored from an older backup, or another ingest); rebuild the "
                     "follower's index (move its data directory away)"));
  }
  if (absl::Status retained = CheckRetained(request, store); !retained.ok()) return retained;

  ChangeSubscription subscription;
  subscription.store_ = store;
  subscription.notifier_ = notifier;
  subscription.heartbeat_ = heartbeat;
  subscription.cursor_ = request.after_seq();
  subscription.batch_ = batch;
  subscription.batch_bytes_ = batch_bytes;
  subscription.partition_ = partition;
  subscription.partitions_ = partitions;
  // A partitioned read skips the other partitions' rows: it examines up
  // to `partitions` times the batch (bounded), so one read still fills a
  // batch of its own partition's changes.
  subscription.max_scanned_ =
      partitions == 1 ? batch
                      : static_cast<int>(std::min<int64_t>(
                            std::max<int64_t>(batch, int64_t{batch} * partitions * 2),
                            std::max(batch, kMaxScannedRows)));
  return subscription;
}

absl::Status ChangeSubscription::Run(
    const std::function<bool(const v1::StreamChangesResponse&)>& write,
    const std::function<bool()>& cancelled) {
  bool sent_any = false;
  while (!cancelled() && !notifier_->is_shut_down()) {
    absl::StatusOr<ArticleStore::PartitionChanges> read = store_->PartitionChangesAfter(
        cursor_, partition_, partitions_, batch_, batch_bytes_, max_scanned_);
    if (!read.ok()) return read.status();
    std::vector<v1::Change>* changes = &read->changes;
    if (changes->empty() && read->complete_seq > cursor_) {
      // Only other partitions' changes: tell the follower how far its
      // partition is complete, so its applied_seq (and lag) keep up.
      cursor_ = read->complete_seq;
      v1::StreamChangesResponse progress;
      progress.set_head_seq(std::max(cursor_, store_->HeadSeq()));
      progress.set_complete_seq(cursor_);
      SetNow(progress.mutable_sent_at());
      sent_any = true;
      if (!write(progress)) break;
      continue;
    }
    if (changes->empty()) {
      // A subscriber that is already caught up learns the head at once.
      const int64_t head =
          sent_any ? notifier_->WaitAbove(cursor_, heartbeat_) : notifier_->head_seq();
      sent_any = true;
      if (head > cursor_) continue;
      v1::StreamChangesResponse heartbeat;
      heartbeat.set_head_seq(store_->HeadSeq());
      heartbeat.set_complete_seq(cursor_);
      SetNow(heartbeat.mutable_sent_at());
      if (!write(heartbeat)) break;
      continue;
    }
    v1::StreamChangesResponse response;
    cursor_ = read->complete_seq;
    for (v1::Change& change : *changes) *response.add_changes() = std::move(change);
    response.set_head_seq(std::max(cursor_, store_->HeadSeq()));
    response.set_complete_seq(cursor_);
    SetNow(response.mutable_sent_at());
    sent_any = true;
    if (!write(response)) break;
  }
  return absl::OkStatus();
}

}  // namespace newsearch::ingest
