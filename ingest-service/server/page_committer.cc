#include "ingest-service/server/page_committer.h"

#include <utility>

namespace newsearch::ingest {

PageCommitter::PageCommitter(Ingestor* ingestor)
    : ingestor_(ingestor), thread_([this] { Run(); }) {}

PageCommitter::~PageCommitter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void PageCommitter::Submit(v1::IngestArticleRequest request, Done done) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(Job{std::move(request), std::move(done)});
}

void PageCommitter::Run() {
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](PageCommitter* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and every page answered
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job.done(ingestor_->Ingest(job.request));
  }
}

}  // namespace newsearch::ingest
