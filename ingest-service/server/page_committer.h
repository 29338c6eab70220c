// Group commit for ingest. IngestArticles streams and IngestArticle calls
// hand their pages to one PageCommitter: a small pool of threads parses
// pages in parallel (Ingestor::Prepare), then one commit thread stores the
// parsed pages together, in submission order, in one SQLite transaction
// and one fsync (Ingestor::Commit), and only then reports each page's
// result. A batch is bounded by a page count, a byte count and a short wait
// for pages still being parsed; under load the time one commit takes is
// what gathers the next batch. A page that fails (bad bytes, parser, store)
// fails alone.
#ifndef NEWSEARCH_INGEST_SERVICE_SERVER_PAGE_COMMITTER_H_
#define NEWSEARCH_INGEST_SERVICE_SERVER_PAGE_COMMITTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ingest-service/server/ingestor.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::ingest {

struct PageCommitterOptions {
  // Threads that parse pages before they are committed (>= 1).
  int parse_threads = 2;
  // Bounds of one commit (one transaction, one fsync): pages and raw bytes.
  // A single page above max_batch_bytes is committed alone.
  int max_batch_pages = 256;
  int64_t max_batch_bytes = 16 << 20;
  // How long a commit may wait for pages that are still being parsed to
  // join it. Never waits when no page is being parsed.
  absl::Duration max_batch_delay = absl::Milliseconds(2);
  // Called after each commit with the number of pages it stored or failed
  // (metrics). May be empty.
  std::function<void(int pages)> on_batch;
};

class PageCommitter {
 public:
  // Receives a page's result once it is durable (or failed).
  using Done = std::function<void(absl::StatusOr<v1::IngestArticleResponse>)>;

  // `ingestor` must outlive the committer.
  PageCommitter(Ingestor* ingestor, PageCommitterOptions options);
  // Finishes every submitted page (their callbacks run), then stops.
  ~PageCommitter();

  // Queues `request`; `done` runs later on a committer thread, exactly once,
  // with what Ingestor::Ingest would return for it. Pages are stored in the
  // order of Submit calls. Thread-safe.
  void Submit(v1::IngestArticleRequest request, Done done);
  // Submits `request` and waits for its result (for unary calls).
  absl::StatusOr<v1::IngestArticleResponse> Ingest(v1::IngestArticleRequest request);

 private:
  struct Job {
    v1::IngestArticleRequest request;
    Done done;
    bool parsed = false;
    std::optional<absl::StatusOr<PageWrite>> page;  // set when parsed
  };
  void ParseLoop();
  void CommitLoop();
  // Whether the oldest queued job is parsed (a batch can start).
  bool FrontParsed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether a page is queued for or being parsed.
  bool ParseWorkLeft() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Ingestor* const ingestor_;
  const PageCommitterOptions options_;
  absl::Mutex mu_;
  // Every job not yet committed, in submission order.
  std::deque<std::unique_ptr<Job>> jobs_ ABSL_GUARDED_BY(mu_);
  // Jobs waiting for a parse thread, in submission order.
  std::deque<Job*> to_parse_ ABSL_GUARDED_BY(mu_);
  int parsing_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> parse_threads_;
  std::thread commit_thread_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_SERVER_PAGE_COMMITTER_H_
