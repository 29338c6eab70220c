// Answers Search requests from this replica's Xapian index: parses the query
// string (our own grammar, never Xapian's QueryParser on raw user text, see
// query_parser.h), adds the structured filters, runs the match with sorting
// and paging, and builds snippets with highlight spans in the article's
// original script. Never opens a writable database.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCHER_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCHER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "newsearch/v1/search.pb.h"

namespace newsearch::analysis {
class Analyzer;
}

namespace newsearch::search {

struct SearcherOptions {
  // Xapian database directory (may not exist yet: empty results until it does).
  std::string path;
  int max_query_chars = 1024;  // longer queries: INVALID_ARGUMENT
  int default_page_size = 10;
  int max_page_size = 100;     // larger: INVALID_ARGUMENT
  int max_result_depth = 10000;  // offset + page_size beyond this: INVALID_ARGUMENT
  int snippet_chars = 120;     // snippet length in code points
};

// Thread-safe: each call uses a Xapian::Database handle from a small pool
// and reopen()s it when the writer has committed a newer revision (and
// retries once on DatabaseModifiedError).
class Searcher {
 public:
  // `analyzer` must outlive the searcher.
  static absl::StatusOr<std::unique_ptr<Searcher>> Create(const SearcherOptions& options,
                                                          const analysis::Analyzer* analyzer);
  ~Searcher();

  // INVALID_ARGUMENT for a malformed query (message says what and at which
  // character), invalid UTF-8, too long a query, page_size < 0 or above the
  // limit, a bad page_token, or a reversed date range. Sets
  // SearchResponse.applied_seq from the revision searched.
  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request) const;

  // Document count and applied_seq of the latest committed revision
  // (0/0 when the database does not exist yet).
  absl::StatusOr<int64_t> DocumentCount() const;
  absl::StatusOr<int64_t> AppliedSeq() const;

 private:
  Searcher();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCHER_H_
