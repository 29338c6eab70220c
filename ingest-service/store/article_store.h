// The durable source of truth of the ingest service: parsed articles, the raw
// page bytes they came from, and the change log. SQLite in WAL mode, one file
// under the data directory.
//
// The change log is the `seq` column: every create, update and delete
// (tombstone) takes the next sequence number, and an article row always
// carries the seq of its latest change. ChangesAfter(s) therefore returns the
// latest state of every article changed after s, in seq order: a compacted
// log that a follower at s can apply to reach the head.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "newsearch/v1/article.pb.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::ingest {

struct StoreOptions {
  // SQLite database file; created with its directory when missing.
  std::string path;
  // PRAGMA synchronous: true = FULL (an acknowledged write survives power
  // loss), false = NORMAL (survives a process crash such as kill -9).
  bool fsync_every_commit = true;
};

// One page to store: its articles (id set by the caller, seq ignored) and raw bytes.
struct PageWrite {
  std::string raw;           // original page bytes, stored once per page
  std::string content_type;  // as given by the caller
  std::vector<v1::Article> articles;
};

struct ArticleWriteResult {
  std::string id;
  int64_t seq = 0;  // seq of the article's current state
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
};

struct ListResult {
  std::vector<v1::Article> articles;
  // Id to continue after; empty when there are no more.
  std::string next_after_id;
};

// Thread-safe: writes are serialised; reads may run concurrently with them.
class ArticleStore {
 public:
  // Opens or creates the store. Returns UNAVAILABLE / INTERNAL with the path
  // and SQLite's message when the file cannot be opened or migrated.
  static absl::StatusOr<std::unique_ptr<ArticleStore>> Open(const StoreOptions& options);
  ~ArticleStore();

  // Stores all articles of one page in one transaction. For each article:
  // a new id -> OUTCOME_CREATED with the next seq; an existing live id whose
  // stored fields (everything but seq/ingested_at/updated_at) differ ->
  // OUTCOME_UPDATED with the next seq; identical -> OUTCOME_UNCHANGED with the
  // existing seq and no new seq. A previously deleted id is CREATED again.
  // Sets ingested_at/updated_at. Results are in article order. Durable when
  // it returns OK.
  absl::StatusOr<std::vector<ArticleWriteResult>> PutPage(const PageWrite& page);

  // Returns the live article. NOT_FOUND for unknown or deleted ids.
  absl::StatusOr<v1::Article> Get(absl::string_view id) const;
  // Returns the raw page bytes an article was parsed from. NOT_FOUND as Get.
  absl::StatusOr<std::string> GetRaw(absl::string_view id) const;
  // Lists live articles with id > after_id in id order, at most `limit`.
  absl::StatusOr<ListResult> List(absl::string_view after_id, int limit) const;
  // Deletes: the row becomes a tombstone with the next seq. Returns that seq.
  // NOT_FOUND for unknown or already deleted ids.
  absl::StatusOr<int64_t> Delete(absl::string_view id);

  // Returns up to `limit` changes with seq > after_seq, in seq order: an
  // upsert carries the full article, a delete only its id.
  absl::StatusOr<std::vector<v1::Change>> ChangesAfter(int64_t after_seq, int limit) const;
  // Highest committed seq (0 for an empty store).
  int64_t HeadSeq() const;
  // Number of live (not deleted) articles.
  absl::StatusOr<int64_t> CountLive() const;

 private:
  ArticleStore();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_STORE_H_
