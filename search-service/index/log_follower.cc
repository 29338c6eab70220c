#include "search-service/index/log_follower.h"

#include <algorithm>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/base/logging.h"
#include "common/server/server_setup.h"
#include "newsearch/v1/ingest.grpc.pb.h"

namespace newsearch::search {

struct LogFollower::Impl {
  LogFollowerOptions options;
  IndexWriter* writer;

  mutable absl::Mutex mu;
  std::deque<v1::Change> queue ABSL_GUARDED_BY(mu);
  absl::Time first_queued_at ABSL_GUARDED_BY(mu);
  // Highest seq received (queued or applied): where a new stream resumes.
  int64_t received_seq ABSL_GUARDED_BY(mu) = 0;
  // Highest StreamChangesResponse.complete_seq received: once the queue is
  // applied, the index holds every change of its partition up to here.
  int64_t complete_seq ABSL_GUARDED_BY(mu) = 0;
  // What the indexer last committed (writer->applied_seq()).
  int64_t committed_seq ABSL_GUARDED_BY(mu) = 0;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  grpc::ClientContext* stream_context ABSL_GUARDED_BY(mu) = nullptr;
  // Bumped when the queue is dropped to fetch the log again from
  // applied_seq: a stream of an older generation stops queueing at once.
  int64_t stream_generation ABSL_GUARDED_BY(mu) = 0;
  FollowerStatus status ABSL_GUARDED_BY(mu);

  // Touched by the indexer thread only.
  int64_t applied_since_compaction = 0;

  std::thread reader;
  std::thread indexer;

  // Records StreamChangesResponse.complete_seq once the response's changes
  // are queued: every change of the partition up to it is queued or applied.
  void NoteComplete(int64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void ReadLoop();
  void IndexLoop();
  // Compacts the index (on the indexer thread, between batches).
  void Compact() ABSL_LOCKS_EXCLUDED(mu);
  // Drops the queue and makes the reader fetch the log again from the
  // index's applied_seq (after an error).
  void RefetchFromApplied() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Most changes the next batch may take (catch_up_batch_changes).
  int BatchLimit() const;
  // Sleeps up to `d`, returning early (true) when stopping.
  bool SleepUnlessStopping(absl::Duration d);
};

bool LogFollower::Impl::SleepUnlessStopping(absl::Duration d) {
  absl::MutexLock lock(&mu);
  auto is_stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return stopping; };
  return mu.AwaitWithTimeout(absl::Condition(&is_stopping), d);
}

int LogFollower::Impl::BatchLimit() const {
  const int base = options.max_batch_changes;
  if (options.catch_up_batch_changes <= base) return base;
  const int64_t grown = writer->document_count() / kDocumentsPerCatchUpChange;
  return static_cast<int>(std::clamp<int64_t>(grown, base, options.catch_up_batch_changes));
}

void LogFollower::Impl::NoteComplete(int64_t seq) {
  if (seq <= complete_seq || seq <= committed_seq) return;
  // Only progress to record starts the group-commit wait like a change.
  if (queue.empty() && complete_seq <= committed_seq) first_queued_at = absl::Now();
  complete_seq = seq;
  received_seq = std::max(received_seq, seq);
}

void LogFollower::Impl::ReadLoop() {
  auto channel = grpc::CreateCustomChannel(
      options.ingest_address,
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials(),
      server::StreamingChannelArguments(options.max_message_bytes));
  auto stub = v1::IngestService::NewStub(channel);
  absl::Duration backoff = options.min_backoff;
  while (true) {
    grpc::ClientContext context;
    if (options.token) {
      const std::string token = options.token();
      if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    }
    v1::StreamChangesRequest request;
    int64_t generation = 0;
    {
      absl::MutexLock lock(&mu);
      if (stopping) return;
      request.set_after_seq(received_seq);
      if (!options.follower_id.empty()) {
        request.set_follower_id(options.follower_id);
        request.set_acked_seq(std::min(status.applied_seq, received_seq));
      }
      stream_context = &context;
      generation = stream_generation;
    }
    if (options.partitions > 1) {
      request.set_partition(options.partition);
      request.set_partition_count(options.partitions);
    }
    request.set_max_batch_size(std::min(options.max_batch_changes, 4096));
    // Every response must fit this follower's message limit.
    request.set_max_batch_bytes(std::min(options.max_message_bytes / 2, 64 << 20));
    std::unique_ptr<grpc::ClientReader<v1::StreamChangesResponse>> stream =
        stub->StreamChanges(&context, request);
    v1::StreamChangesResponse response;
    bool announced = false;
    bool resubscribe = false;
    const absl::Time opened_at = absl::Now();
    while (stream->Read(&response)) {
      absl::MutexLock lock(&mu);
      if (generation != stream_generation) break;  // the indexer dropped the queue
      if (!announced) {
        announced = true;
        status.following = true;
        status.ahead_of_log = false;
        if (status.stalled_at_seq == 0) status.last_error.clear();
        backoff = options.min_backoff;
        Log(LogLevel::kInfo, "follower", "following change log",
            {{"ingest", options.ingest_address},
             {"after_seq", static_cast<long long>(request.after_seq())}});
      }
      status.head_seq = std::max(status.head_seq, response.head_seq());
      status.last_contact_at = absl::Now();
      if (response.changes_size() == 0) {
        // Progress in other partitions only (or a heartbeat): nothing to
        // queue, but the index may record that it is complete up to here.
        NoteComplete(response.complete_seq());
        if (options.resubscribe_interval > absl::ZeroDuration() &&
            absl::Now() - opened_at >= options.resubscribe_interval) {
          // Idle: re-open the stream to report applied_seq to ingest.
          resubscribe = true;
          context.TryCancel();
          break;
        }
        continue;
      }
      // Backpressure: let the indexer catch up before taking more.
      auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return stopping || static_cast<int>(queue.size()) < options.max_queued_changes;
      };
      mu.Await(absl::Condition(&has_room));
      if (stopping || generation != stream_generation) break;
      if (queue.empty()) first_queued_at = absl::Now();
      for (v1::Change& change : *response.mutable_changes()) {
        if (change.seq() <= received_seq) continue;
        received_seq = change.seq();
        queue.push_back(std::move(change));
      }
      NoteComplete(response.complete_seq());
    }
    grpc::Status finish = stream->Finish();
    {
      absl::MutexLock lock(&mu);
      stream_context = nullptr;
      status.following = false;
      if (stopping) return;
      if (generation != stream_generation) continue;  // ended by the indexer: fetch again now
      if (resubscribe) continue;
      status.last_error = absl::StrCat("change stream ended: ",
                                       static_cast<int>(finish.error_code()), " ",
                                       finish.error_message());
      if (finish.error_code() == grpc::StatusCode::OUT_OF_RANGE) {
        status.ahead_of_log = true;
        backoff = options.max_backoff;  // nothing changes until an operator acts
      }
    }
    // A refused token or a log behind this index never fixes itself by
    // retrying: say so loudly.
    const bool refused = finish.error_code() == grpc::StatusCode::UNAUTHENTICATED;
    if (finish.error_code() == grpc::StatusCode::OUT_OF_RANGE) {
      Log(LogLevel::kError, "follower",
          "ingest cannot continue this index from its position (its log is behind the index, or "
          "retention purged deletes the index has not applied); rebuild it",
          {{"ingest", options.ingest_address}, {"message", finish.error_message()}});
    }
    Log(announced || refused ? LogLevel::kWarning : LogLevel::kDebug, "follower",
        "change stream ended",
        {{"ingest", options.ingest_address},
         {"code", static_cast<int>(finish.error_code())},
         {"message", finish.error_message()},
         {"retry_in_ms", static_cast<long long>(absl::ToInt64Milliseconds(backoff))}});
    if (SleepUnlessStopping(backoff)) return;
    backoff = std::min(backoff * 2, options.max_backoff);
  }
}

void LogFollower::Impl::RefetchFromApplied() {
  queue.clear();
  received_seq = writer->applied_seq();
  committed_seq = received_seq;
  complete_seq = received_seq;
  status.applied_seq = received_seq;
  ++stream_generation;
  if (stream_context != nullptr) stream_context->TryCancel();
}

void LogFollower::Impl::IndexLoop() {
  absl::Duration retry = options.min_backoff;
  std::vector<v1::Change> batch;
  // StreamChangesResponse.complete_seq to record with `batch` (0 = none).
  int64_t batch_complete_seq = 0;
  // A batch handed over by ApplyPipelined whose commit is not yet confirmed
  // (the writer confirms it with the next batch, or when drained): when it
  // was handed over and its number of changes, for on_commit.
  bool in_flight = false;
  absl::Time in_flight_start;
  int64_t in_flight_changes = 0;
  while (true) {
    bool stop_now = false;
    bool behind = false;
    {
      absl::MutexLock lock(&mu);
      auto has_work = [this, in_flight]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return stopping || in_flight || !queue.empty() || complete_seq > committed_seq;
      };
      if (options.compact_after_changes > 0 &&
          applied_since_compaction >= options.compact_after_changes &&
          !mu.AwaitWithTimeout(absl::Condition(&has_work), options.compact_idle)) {
        // Idle after a bulk load: compact while nothing waits. Changes that
        // arrive meanwhile queue up (the reader applies backpressure).
        mu.Unlock();
        Compact();
        mu.Lock();
      }
      mu.Await(absl::Condition(&has_work));
      // Group commit: wait for a full batch or the flush interval.
      auto batch_ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return stopping || static_cast<int>(queue.size()) >= options.max_batch_changes;
      };
      const absl::Duration waited = absl::Now() - first_queued_at;
      if (waited < options.flush_interval) {
        mu.AwaitWithTimeout(absl::Condition(&batch_ready), options.flush_interval - waited);
      }
      stop_now = stopping;
      // Behind on a big index: take a bigger batch than a full one.
      const size_t n = std::min(queue.size(), static_cast<size_t>(BatchLimit()));
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      if (!queue.empty()) first_queued_at = absl::Now();
      // More waits than this batch: hand it over without waiting for its
      // commit (IndexWriter::ApplyPipelined); the last one of a run commits
      // before the loop waits for work again.
      behind = !queue.empty() && !stop_now;
      // The whole queue taken: the index is complete up to complete_seq.
      batch_complete_seq = queue.empty() && complete_seq > committed_seq ? complete_seq : 0;
    }
    if (batch.empty() && batch_complete_seq == 0 && !in_flight) {
      if (stop_now) return;
      continue;
    }
    const absl::Time start = absl::Now();
    const int64_t changes = static_cast<int64_t>(batch.size());
    // Confirmed commits (batch size, when handed over): the batch before
    // when this call confirms it, and this one unless it is in flight.
    std::vector<std::pair<int64_t, absl::Time>> committed;
    if (in_flight) committed.emplace_back(in_flight_changes, in_flight_start);
    absl::Status applied;
    if (behind && !batch.empty()) {
      applied = writer->ApplyPipelined(&batch, batch_complete_seq);
      if (absl::IsInvalidArgument(applied) && in_flight) {
        // This batch is malformed and was not handed over; the one before
        // it may still be in flight: its outcome first.
        if (absl::Status drained = writer->Drain(); !drained.ok()) applied = drained;
      }
      // After any other error the writer has nothing in flight.
      in_flight = applied.ok();
      in_flight_start = start;
      in_flight_changes = changes;
    } else {
      // Also with nothing to apply: that waits for the batch in flight.
      if (!batch.empty() || batch_complete_seq > 0) committed.emplace_back(changes, start);
      applied = writer->Apply(batch, batch_complete_seq);
      in_flight = false;
    }
    absl::MutexLock lock(&mu);
    if (applied.ok()) {
      if (options.on_commit) {
        for (const auto& [size, handed_over] : committed) {
          options.on_commit(absl::Now() - handed_over, size);
        }
      }
      status.applied_seq = writer->applied_seq();
      committed_seq = status.applied_seq;
      status.last_commit_at = absl::Now();
      Log(LogLevel::kDebug, "follower", in_flight ? "batch handed over" : "batch committed",
          {{"changes", static_cast<long long>(changes)},
           {"applied_seq", static_cast<long long>(status.applied_seq)},
           {"ms", static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - start))}});
      applied_since_compaction += changes;
      status.compaction_pending = options.compact_after_changes > 0 &&
                                  applied_since_compaction >= options.compact_after_changes;
      if (status.stalled_at_seq > 0) {
        Log(LogLevel::kInfo, "follower", "progressing again",
            {{"stalled_at_seq", static_cast<long long>(status.stalled_at_seq)},
             {"applied_seq", static_cast<long long>(status.applied_seq)}});
        status.stalled_at_seq = 0;
      }
      batch.clear();
      batch_complete_seq = 0;
      retry = options.min_backoff;
    } else if (absl::IsInvalidArgument(applied)) {
      // A malformed change: retrying the same batch can never succeed.
      // Say so once per attempt, drop what is queued and fetch the log
      // again from applied_seq after a pause (ingest may have replaced the
      // change since); meanwhile the replica reports itself stalled.
      // Apply what precedes the bad change, one change at a time, to
      // find it.
      int64_t bad_seq = batch.front().seq();
      for (const v1::Change& change : batch) {
        mu.Unlock();
        const absl::Status one = writer->Apply({change});
        mu.Lock();
        if (!one.ok()) {
          bad_seq = change.seq();
          applied = one;
          break;
        }
      }
      status.last_error = std::string(applied.message());
      status.stalled_at_seq = bad_seq;
      Log(LogLevel::kError, "follower",
          "the index refuses a change; the replica cannot progress until ingest sends it in "
          "a form it can apply",
          {{"seq", static_cast<long long>(bad_seq)},
           {"applied_seq", static_cast<long long>(writer->applied_seq())},
           {"status", applied.ToString()},
           {"refetch_in_ms",
            static_cast<long long>(absl::ToInt64Milliseconds(options.max_backoff))}});
      batch.clear();
      batch_complete_seq = 0;
      RefetchFromApplied();
      if (stopping) return;
      mu.Unlock();
      const bool stop = SleepUnlessStopping(options.max_backoff);
      mu.Lock();
      if (stop) return;
    } else {
      // A shard could not commit (disk, Xapian): nothing after its last
      // commit is in it, and a batch handed over after the failed one was
      // refused by that shard (the writer has waited for it). Fetch the log
      // again from applied_seq after a pause; every shard skips what it has
      // committed.
      status.last_error = std::string(applied.message());
      Log(LogLevel::kError, "follower", "cannot apply batch; fetching the log again from applied_seq",
          {{"status", applied.ToString()},
           {"applied_seq", static_cast<long long>(writer->applied_seq())},
           {"retry_in_ms", static_cast<long long>(absl::ToInt64Milliseconds(retry))}});
      batch.clear();
      batch_complete_seq = 0;
      RefetchFromApplied();
      if (stopping) return;
      mu.Unlock();
      const bool stop = SleepUnlessStopping(retry);
      mu.Lock();
      if (stop) return;
      retry = std::min(retry * 2, options.max_backoff);
      continue;
    }
    if (stop_now && queue.empty() && !in_flight) return;
  }
}

void LogFollower::Impl::Compact() {
  const absl::Time start = absl::Now();
  absl::StatusOr<CompactionStats> compacted = writer->Compact();
  const absl::Duration took = absl::Now() - start;
  // Also after a failure: retrying at once would fail the same way; the
  // next bulk load tries again.
  applied_since_compaction = 0;
  if (options.on_compact) options.on_compact(compacted, took);
  absl::MutexLock lock(&mu);
  status.compaction_pending = false;
  if (compacted.ok()) {
    Log(LogLevel::kInfo, "follower", "index compacted",
        {{"bytes_before", static_cast<long long>(compacted->bytes_before)},
         {"bytes_after", static_cast<long long>(compacted->bytes_after)},
         {"ms", static_cast<long long>(absl::ToInt64Milliseconds(took))}});
  } else {
    status.last_error = std::string(compacted.status().message());
    Log(LogLevel::kError, "follower", "cannot compact index",
        {{"status", compacted.status().ToString()}});
  }
}

LogFollower::LogFollower(LogFollowerOptions options, IndexWriter* writer)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->writer = writer;
  absl::MutexLock lock(&impl_->mu);
  impl_->received_seq = writer->applied_seq();
  impl_->committed_seq = writer->applied_seq();
  impl_->complete_seq = writer->applied_seq();
  impl_->status.applied_seq = writer->applied_seq();
}

LogFollower::~LogFollower() { Stop(); }

void LogFollower::Start() {
  impl_->reader = std::thread([this] { impl_->ReadLoop(); });
  impl_->indexer = std::thread([this] { impl_->IndexLoop(); });
}

void LogFollower::Stop() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stopping = true;
    if (impl_->stream_context != nullptr) impl_->stream_context->TryCancel();
  }
  if (impl_->reader.joinable()) impl_->reader.join();
  if (impl_->indexer.joinable()) impl_->indexer.join();
}

FollowerStatus LogFollower::status() const {
  FollowerStatus status;
  {
    absl::MutexLock lock(&impl_->mu);
    status = impl_->status;
  }
  // Until the old directories are gone the index has not settled on disk.
  status.compaction_pending =
      status.compaction_pending || impl_->writer->HasRetiredDirectories();
  return status;
}

}  // namespace newsearch::search
