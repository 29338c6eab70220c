#include "ingest-service/server/page_committer.h"

#include <algorithm>
#include <utility>

#include "absl/synchronization/notification.h"

namespace newsearch::ingest {

PageCommitter::PageCommitter(Ingestor* ingestor, PageCommitterOptions options)
    : ingestor_(ingestor), options_(std::move(options)) {
  const int threads = std::max(1, options_.parse_threads);
  for (int i = 0; i < threads; ++i) parse_threads_.emplace_back([this] { ParseLoop(); });
  commit_thread_ = std::thread([this] { CommitLoop(); });
}

PageCommitter::~PageCommitter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : parse_threads_) thread.join();
  commit_thread_.join();
}

void PageCommitter::Submit(v1::IngestArticleRequest request, Done done) {
  auto job = std::make_unique<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  absl::MutexLock lock(&mu_);
  to_parse_.push_back(job.get());
  jobs_.push_back(std::move(job));
}

absl::StatusOr<v1::IngestArticleResponse> PageCommitter::Ingest(v1::IngestArticleRequest request) {
  absl::Notification done;
  std::optional<absl::StatusOr<v1::IngestArticleResponse>> result;
  Submit(std::move(request), [&](absl::StatusOr<v1::IngestArticleResponse> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return *std::move(result);
}

bool PageCommitter::FrontParsed() const { return !jobs_.empty() && jobs_.front()->parsed; }

bool PageCommitter::ParseWorkLeft() const { return parsing_ > 0 || !to_parse_.empty(); }

void PageCommitter::ParseLoop() {
  while (true) {
    Job* job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](PageCommitter* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->to_parse_.empty();
          },
          this));
      if (to_parse_.empty()) return;  // stopping, and nothing left to parse
      job = to_parse_.front();
      to_parse_.pop_front();
      ++parsing_;
    }
    // The job stays in jobs_ (which owns it) until it is committed, and the
    // commit thread does not touch it until `parsed` is set.
    absl::StatusOr<PageWrite> page = ingestor_->Prepare(job->request);
    absl::MutexLock lock(&mu_);
    job->page = std::move(page);
    job->request.Clear();  // the bytes live on in the page
    job->parsed = true;
    --parsing_;
  }
}

void PageCommitter::CommitLoop() {
  while (true) {
    std::vector<std::unique_ptr<Job>> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](PageCommitter* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->FrontParsed() || (self->stopping_ && self->jobs_.empty());
          },
          this));
      if (jobs_.empty()) return;  // stopping, and every page answered
      // Takes parsed jobs from the front, in order, within the bounds; waits
      // a little for jobs still being parsed to complete the batch.
      const absl::Time deadline = absl::Now() + options_.max_batch_delay;
      size_t taken = 0;
      int64_t bytes = 0;
      while (true) {
        while (taken < jobs_.size() && jobs_[taken]->parsed &&
               static_cast<int>(taken) < options_.max_batch_pages) {
          const Job& job = *jobs_[taken];
          const int64_t page_bytes =
              job.page->ok() ? static_cast<int64_t>((*job.page)->raw.size()) : 0;
          if (taken > 0 && bytes + page_bytes > options_.max_batch_bytes) break;
          bytes += page_bytes;
          ++taken;
        }
        const bool full = static_cast<int>(taken) >= options_.max_batch_pages ||
                          (taken < jobs_.size() && jobs_[taken]->parsed);
        if (full || taken == jobs_.size() || !ParseWorkLeft()) break;
        // The next job is queued or being parsed: give it until the deadline.
        struct Args {
          PageCommitter* self;
          size_t taken;
        } args{this, taken};
        if (!mu_.AwaitWithDeadline(
                absl::Condition(
                    +[](Args* a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(a->self->mu_) {
                      return a->self->jobs_[a->taken]->parsed || !a->self->ParseWorkLeft();
                    },
                    &args),
                deadline)) {
          break;
        }
      }
      for (size_t i = 0; i < taken; ++i) {
        batch.push_back(std::move(jobs_.front()));
        jobs_.pop_front();
      }
    }
    // Pages that failed to parse are answered at once; the others after
    // their batch is durable.
    std::vector<const PageWrite*> writes;
    std::vector<Job*> written;
    for (const std::unique_ptr<Job>& job : batch) {
      if (!job->page->ok()) {
        job->done(job->page->status());
        continue;
      }
      writes.push_back(&**job->page);
      written.push_back(job.get());
    }
    if (!writes.empty()) {
      std::vector<absl::StatusOr<v1::IngestArticleResponse>> results = ingestor_->Commit(writes);
      for (size_t i = 0; i < written.size(); ++i) written[i]->done(std::move(results[i]));
    }
    if (options_.on_batch) options_.on_batch(static_cast<int>(batch.size()));
  }
}

}  // namespace newsearch::ingest
