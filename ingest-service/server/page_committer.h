// Runs ingest work off gRPC's threads: IngestArticles streams hand each page
// to PageCommitter::Submit and answer when its callback runs. Pages are
// ingested in submission order.
#ifndef NEWSEARCH_INGEST_SERVICE_SERVER_PAGE_COMMITTER_H_
#define NEWSEARCH_INGEST_SERVICE_SERVER_PAGE_COMMITTER_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ingest-service/server/ingestor.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::ingest {

class PageCommitter {
 public:
  // Receives the page's result once it is durable (or failed).
  using Done = std::function<void(absl::StatusOr<v1::IngestArticleResponse>)>;

  // `ingestor` must outlive the committer.
  explicit PageCommitter(Ingestor* ingestor);
  // Finishes every submitted page (their callbacks run), then stops.
  ~PageCommitter();

  // Queues `request`; `done` runs later on a committer thread, exactly
  // once, with what Ingestor::Ingest returns for it. Thread-safe.
  void Submit(v1::IngestArticleRequest request, Done done);

 private:
  struct Job {
    v1::IngestArticleRequest request;
    Done done;
  };
  void Run();

  Ingestor* const ingestor_;
  absl::Mutex mu_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_SERVER_PAGE_COMMITTER_H_
