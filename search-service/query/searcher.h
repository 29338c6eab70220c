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
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "newsearch/v1/search.pb.h"

namespace newsearch::analysis {
class Analyzer;
}

namespace newsearch::search {

class RemoteShards;

struct SearcherOptions {
  // Xapian database directory (may not exist yet: empty results until it does).
  std::string path;
  // Router mode (#12): when set, searches run over one remote database per
  // partition opened by these shards (`path` is then only a name for
  // messages), failing over between replicas within the call's deadline.
  std::shared_ptr<RemoteShards> remote_shards;
  int max_query_chars = 1024;  // longer queries: INVALID_ARGUMENT
  int default_page_size = 10;
  int max_page_size = 100;     // larger: INVALID_ARGUMENT
  // Hits reachable by paging. The page that reaches the limit is cut short
  // and has no next_page_token; a page_token starting beyond it is
  // INVALID_ARGUMENT.
  int max_result_depth = 10000;
  int snippet_chars = 120;     // snippet length in code points
  // Relevance ranking: Xapian BM25 with these k1 (term frequency
  // saturation) and b (length normalisation) parameters. Chosen on the
  // judged queries (docs/relevance.md).
  double bm25_k1 = 1.2;
  double bm25_b = 1.0;
  // False: hits carry no snippet (the relevance harness needs only ids).
  bool build_snippets = true;
  // Time after which the matcher stops checking extra documents for exact
  // counts (Enquire::set_time_limit; Xapian cannot end the match itself);
  // zero = no limit. A match that reaches it answers with partial=true.
  absl::Duration query_time_limit = absl::ZeroDuration();
  // Facet counts (include_facets) examine at most this many matches; on
  // larger match sets the response has facets_exact=false.
  int facet_exact_limit = 100000;
  // SORT_ORDER_RELEVANCE_RECENCY: weight added to articles of the newest
  // month in the index, halving every `recency_half_life_months` further
  // back (by month of publication; months beyond 10 half-lives get none).
  double recency_boost = 2.0;
  int recency_half_life_months = 12;
  // Proximity evidence: when a query has two or more positive, unprefixed
  // atoms that are one term each (`台风 登陆`), OP_NEAR of those terms (of
  // their first characters: bigrams carry no positions) within
  // `proximity_window` positions is added (OP_AND_MAYBE, weight
  // scaled by `proximity_weight`); 0 = none. Measured in docs/relevance.md.
  double proximity_weight = 0.0;
  int proximity_window = 10;
  // Searches (and other reads) running at once, each on its own Xapian
  // handle kept open between calls; more wait for a handle. Matching is
  // CPU-bound, so more than a couple per core only adds latency and open
  // handles. 0 = DefaultConcurrentSearches().
  int max_concurrent_searches = 0;
  // Relaxation (SearchRequest.relax_threshold when that is 0): a query
  // whose strict form (every word required) matches fewer than this many
  // articles is relaxed: after its strict matches come the articles
  // matching the most of its optional words (unquoted words without `+`,
  // field or date), at least one; with required operands (phrases, fields,
  // dates, groups) possibly none. 0 = never relax. 3 gives the judged
  // collection's relevance of 10 (docs/relevance.md) at a third of the
  // extra p99 latency.
  int relax_threshold = 3;
};

// Twice the hardware threads, at least 4.
int DefaultConcurrentSearches();

// Thread-safe: each call uses a Xapian::Database handle from a pool of at
// most max_concurrent_searches warm handles (waiting for one when all are
// in use) and reopen()s it when the writer has committed a newer revision
// (and retries once on DatabaseModifiedError).
class Searcher {
 public:
  // `analyzer` must outlive the searcher. Does not open the database (it
  // may not exist yet). INVALID_ARGUMENT listing every bad option.
  // `options.path` may also be a Xapian stub file listing remote shards
  // (xapian-tcpsrv): the same code path then searches all of them.
  static absl::StatusOr<std::unique_ptr<Searcher>> Create(const SearcherOptions& options,
                                                          const analysis::Analyzer* analyzer);
  ~Searcher();

  // Returns one page of hits. The query and filters are validated before the
  // database is touched; a database that does not exist yet answers with an
  // empty response. Duplicates (schema::kCollapseSlot) are collapsed to
  // their best hit unless request.expand_duplicates. include_facets counts
  // source/year/month over the whole match set (exact up to
  // facet_exact_limit matches); debug explains the parse. INTERNAL for Xapian errors, UNAVAILABLE when the index
  // changed under the search twice in a row (retry).
  // INVALID_ARGUMENT for a malformed query (message says what and at which
  // character), invalid UTF-8, too long a query, page_size < 0 or above the
  // limit, a bad page_token, or a reversed date range. Sets
  // SearchResponse.applied_seq from the revision searched. Page tokens carry
  // that revision: a page answered at another one has revision_changed set,
  // and a replica behind the token's revision answers UNAVAILABLE (retry
  // elsewhere or later; page_token.h).
  // Limitations: articles without a date never match a date filter and sort
  // last by date; a date range with equal ends is INVALID_ARGUMENT.
  // Over remote shards (router mode): a call that fails on a replica is
  // retried on another replica of its partition until `deadline`;
  // UNAVAILABLE names the partitions no replica answered for, unless
  // request.allow_partial (then partial=true and missing_shards, facets
  // not exact, and the next page token names the missing partitions: it is
  // FAILED_PRECONDITION once other partitions answer; page_token.h).
  // duplicate_count is a lower bound there (duplicate_counts_exact false).
  absl::StatusOr<v1::SearchResponse> Search(
      const v1::SearchRequest& request, absl::Time deadline = absl::InfiniteFuture()) const;

  // More like this: the article `request.id`'s most distinctive free-text
  // terms (Xapian relevance feedback: RSet of the article, ESet of its
  // terms) ORed into a query; the article itself and every article with its
  // collapse key (its duplicates, or its original and the original's other
  // copies) are excluded, and the hits are collapsed like Search's.
  // NOT_FOUND for an unknown id; INVALID_ARGUMENT for an empty or invalid id
  // or page_size out of range.
  absl::StatusOr<v1::SimilarArticlesResponse> SimilarArticles(
      const v1::SimilarArticlesRequest& request,
      absl::Time deadline = absl::InfiniteFuture()) const;

  // Returns a human-readable form of how `query` is parsed (our tree, then
  // the Xapian query), for debugging. INVALID_ARGUMENT as for Search().
  absl::StatusOr<std::string> DescribeQuery(absl::string_view query) const;

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
