// The ingest pipeline behind the RPCs: validate a page, parse it, give each
// article its id, store page and articles in one transaction, and wake the
// change stream. Plain class, tested without gRPC.
#ifndef NEWSEARCH_INGEST_SERVICE_SERVER_INGESTOR_H_
#define NEWSEARCH_INGEST_SERVICE_SERVER_INGESTOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ingest-service/changefeed/change_notifier.h"
#include "ingest-service/dedup/minhash.h"
#include "ingest-service/parser/page_parser.h"
#include "ingest-service/store/article_store.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::ingest {

struct IngestorLimits {
  // Pages larger than this are INVALID_ARGUMENT.
  int64_t max_page_bytes = 8 << 20;
  // Caps on the hint fields (bytes).
  int64_t max_hint_bytes = 4096;
};

// Returns the article id for a page: the first 16 bytes of SHA-256, in hex,
// over "ext:" + external_id when set, else "url:" + url when set, else
// "page:" + the page bytes. Article k > 0 of a multi-article page gets "-k".
std::string ArticleIdFor(const v1::IngestArticleRequest& request, int article_index);

// Thread-safe; the store serialises writes.
class Ingestor {
 public:
  // All pointers must outlive the Ingestor. Without a fingerprinter no
  // near-duplicates are detected.
  Ingestor(const PageParser* parser, ArticleStore* store, ChangeNotifier* notifier,
           IngestorLimits limits, const BodyFingerprinter* fingerprinter = nullptr);

  // INVALID_ARGUMENT for empty, oversized or unparsable pages (message says
  // which), INTERNAL/UNAVAILABLE when the store fails. Nothing is stored
  // unless the whole page succeeds.
  absl::StatusOr<v1::IngestArticleResponse> Ingest(const v1::IngestArticleRequest& request);

  // The two halves of Ingest, for group commit (PageCommitter):
  // Prepare validates, parses and fingerprints a page (CPU only, no store
  // write; thread-safe, runs in parallel); Commit stores prepared pages in
  // one transaction (ArticleStore::PutPages: one fsync), wakes the change
  // stream once and returns one result per page, in order. A page that
  // fails in the store fails alone. Errors as Ingest.
  absl::StatusOr<PageWrite> Prepare(const v1::IngestArticleRequest& request) const;
  std::vector<absl::StatusOr<v1::IngestArticleResponse>> Commit(
      const std::vector<const PageWrite*>& pages);
  // Called by Ingest with each warning of each article it stored, after the
  // write succeeded (for metrics). Set before the first Ingest.
  void set_warning_observer(std::function<void(const std::string& warning)> observer) {
    warning_observer_ = std::move(observer);
  }
  // Parses without storing (what Ingest would store), ids and page_id filled in.
  absl::StatusOr<ParsedPage> Parse(const v1::IngestArticleRequest& request) const;
  // The ParseArticle dry run: Parse() plus the duplicate_of that Ingest
  // would set now. Stores nothing.
  absl::StatusOr<v1::ParseArticleResponse> DryRun(const v1::IngestArticleRequest& request) const;

  // Called after every re-parse batch; returning false stops the re-parse
  // (the caller went away). Batches already written stay written.
  using ReparseProgress = std::function<bool(const v1::ReparseArticlesResponse&)>;
  // Re-parses every stored page with the current parser: pages are listed
  // and parsed outside the store's write lock, then each batch of
  // `batch_size` pages is written in one transaction (ReplacePages), so
  // ingest waits for at most one batch. FAILED_PRECONDITION when another
  // re-parse is running; CANCELLED when `progress` returned false.
  absl::Status Reparse(int batch_size, const ReparseProgress& progress);

 private:
  absl::Status Validate(const v1::IngestArticleRequest& request) const;
  // Signature of every article body (nullopt entries without a fingerprinter).
  std::vector<std::optional<MinHashSignature>> Signatures(
      const std::vector<v1::Article>& articles) const;

  const PageParser* parser_;
  ArticleStore* store_;
  ChangeNotifier* notifier_;
  IngestorLimits limits_;
  const BodyFingerprinter* fingerprinter_;
  absl::Mutex reparse_mu_;
  bool reparse_running_ ABSL_GUARDED_BY(reparse_mu_) = false;
  std::function<void(const std::string&)> warning_observer_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_SERVER_INGESTOR_H_
