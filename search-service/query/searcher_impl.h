// The state behind Searcher and what its files share: searcher.cc (options,
// planning and running a Search), reader_handles.cc (the pool of reader
// handles), similar_articles.cc (SimilarArticles). Internal to
// newsearch_query.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCHER_IMPL_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCHER_IMPL_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <xapian.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/analysis/analyzer.h"
#include "common/base/status_macros.h"
#include "newsearch/v1/search.pb.h"
#include "search-service/query/page_token.h"
#include "search-service/query/query_parser.h"
#include "search-service/query/remote_shards.h"
#include "search-service/query/phrase_check.h"
#include "search-service/query/searcher.h"
#include "search-service/query/snippet.h"

namespace newsearch::search {
namespace query_internal {

// Everything Search() needs after validation.
struct Plan {
  ParsedQuery parsed;
  Xapian::Query query;
  // No positive atom (empty or pure-NOT query): every hit weighs the same,
  // so relevance order falls through to newest first.
  bool unweighted = false;
  v1::SortOrder sort = v1::SORT_ORDER_RELEVANCE;
  int64_t offset = 0;
  int page_size = 0;
  uint64_t fingerprint = 0;
  SearchPageToken token;  // of request.page_token (offset 0, seq -1 without)
  bool expand_duplicates = false;
  bool facets = false;
  bool debug = false;
  // Every filter, from the query text and the request (for debug).
  std::vector<std::string> filters;
  // The request's filters alone (empty when none), for relaxed queries.
  Xapian::Query filter;
  // Relax when the strict query matches fewer than this; 0 = never.
  int relax_threshold = 0;
  // The operands of the query's top-level AND and their queries.
  std::vector<Conjunct> conjuncts;
  std::vector<Xapian::Query> conjunct_queries;
  // An index without positions: the check of the phrases every match holds
  // (`query` has only their terms); null otherwise. Passed to every
  // get_mset of `query`.
  std::shared_ptr<const PhraseDecider> phrase_decider;
};

// A phrase search over more candidates than a page needs, its candidates
// checked best first (Searcher::Impl::CheckPhrasesByWeight).
struct PhraseFrontier {
  bool found = false;    // false: Xapian checks them (get_mset's decider)
  int64_t estimate = 0;  // matches after the check and collapsing
  // The candidates, best first, not collapsed.
  Xapian::MSet candidates;
  // A story that passed: its best candidate (index in `candidates`) and how
  // many other passing copies of it followed.
  struct Story {
    Xapian::doccount candidate = 0;
    Xapian::doccount copies = 0;
  };
  std::vector<Story> stories;  // best first
};

// The relaxed part of a result list: the articles after the strict matches.
struct Relaxation {
  Xapian::Query query;      // empty: the search was not relaxed
  int64_t strict_count = 0;  // strict matches (exact: fewer than the threshold)
  int min_words = 0;        // optional words every relaxed hit matches
  std::vector<size_t> optional;  // indexes into Plan::conjuncts
  // The relaxed matches from the first one, when the level search already
  // fetched the page's (saves running the chosen level twice).
  bool have_first_page = false;
  Xapian::MSet first_page;
};

// The lowest applied_seq over the database's shards (each local shard, and
// each remote replica of a stub, commits its own): everything up to it is
// searchable. Database::get_metadata reads only the first shard, so each
// shard is read through a handle on its own internals (Xapian 1.4 has no
// other per-shard accessor). `local`: the sub-databases are a local index's
// directories, of which a shard may have several (segments, index_writer.h):
// a shard is at the highest seq its directories record.
int64_t ReadAppliedSeq(const Xapian::Database& db, bool local);

// A Xapian::Query's unique terms, in term order.
std::vector<std::string> QueryTerms(const Xapian::Query& query);

}  // namespace query_internal

struct Searcher::Impl {
  using Plan = query_internal::Plan;
  using Relaxation = query_internal::Relaxation;
  using PhraseFrontier = query_internal::PhraseFrontier;


  SearcherOptions options;
  const analysis::Analyzer* analyzer = nullptr;
  RemoteShards* shards = nullptr;  // options.remote_shards, or null for a local index

  // Reader handles (reader_handles.cc): at most `max_handles` searches run at once, each on its
  // own handle; later ones wait for a handle to come back. Handles stay open
  // between searches (no Database open per query); a returned handle only
  // reopen()s, which is cheap when nothing was committed since.
  int max_handles = 1;
  mutable std::mutex mu;
  mutable std::condition_variable handle_returned;
  mutable std::vector<ShardedDatabase> idle;  // guarded by mu
  mutable int leased = 0;                     // guarded by mu
  // Stamp() the idle handles were opened on.
  mutable std::string layout;  // guarded by mu

  // Identifies what handles are opened on: the local index's LayoutStamp,
  // or the remote shards' generation (replicas up/down, indexes replaced).
  std::string Stamp() const;

  // A database handle borrowed from the pool (and a slot of max_handles);
  // returned on destruction unless discarded (after an error its state is
  // unknown), opened on a layout that has been replaced since, or missing
  // partitions.
  class Lease {
   public:
    explicit Lease(const Impl* impl) : impl_(impl) {}
    Lease(Lease&& other) noexcept
        : impl_(other.impl_), handle_(std::move(other.handle_)), layout_(std::move(other.layout_)) {
      other.impl_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Xapian::Database* get() const { return handle_.db.get(); }
    const ShardedDatabase& handle() const { return handle_; }
    void Discard() { handle_.db.reset(); }
    void Set(ShardedDatabase handle, std::string layout) {
      handle_ = std::move(handle);
      layout_ = std::move(layout);
    }

   private:
    const Impl* impl_;
    ShardedDatabase handle_;
    std::string layout_;
  };

  // Returns a handle on the latest committed revision; a lease holding null
  // when the (local) database does not exist yet. Over remote shards: a
  // pooled handle whose reopen() fails is reported and replaced by a fresh
  // one; UNAVAILABLE / DEADLINE_EXCEEDED from RemoteShards::Open.
  absl::StatusOr<Lease> Acquire(bool allow_partial = false,
                                absl::Time deadline = absl::InfiniteFuture()) const;

  // Planning and running a Search (searcher.cc).
  absl::StatusOr<Plan> MakePlan(const v1::SearchRequest& request) const;
  // `missing_partitions`: router mode, the partitions left out of `db`
  // (allow_partial); they travel in the next page token.
  v1::SearchResponse Run(Xapian::Database& db, const Plan& plan,
                         const std::vector<int>& missing_partitions) const;
  void Configure(const Plan& plan, Xapian::Enquire* enquire) const;
  // `strict_count`: the strict matches' estimate (Run's).
  Relaxation Relax(Xapian::Database& db, const Plan& plan, const Xapian::MSet& strict,
                   int64_t strict_count, Xapian::Enquire* strict_enquire) const;
  // Run's phrase checks in weight order (searcher.cc).
  PhraseFrontier CheckPhrasesByWeight(Xapian::Database& db, const Plan& plan,
                                      const Xapian::Query& query, Xapian::doccount need) const;
  // SimilarArticles on one handle (similar_articles.cc).
  v1::SimilarArticlesResponse RunSimilar(Xapian::Database& db,
                                         const v1::SimilarArticlesRequest& request,
                                         int page_size, absl::Status* status) const;
  Xapian::Query RecencyBoost(const Xapian::Database& db) const;
  void FillHit(const Xapian::MSetIterator& it, const SnippetBuilder& snippets,
               v1::SearchHit* hit) const;

  // Runs `fn(db, handle)` on a fresh handle (handle.missing: partitions left
  // out, router mode with allow_partial); retries once when the index
  // changed under it. `empty` is returned when the database does not exist
  // yet. Over remote shards, a call that fails is reported
  // (RemoteShards::ReportFailure) and retried on a new handle, which avoids
  // the replicas that no longer answer, until `deadline`.
  template <typename Response, typename Fn>
  absl::StatusOr<Response> WithDatabase(const std::string& context, Fn fn,
                                        bool allow_partial = false,
                                        absl::Time deadline = absl::InfiniteFuture()) const {
    int changed = 0;
    int failed = 0;
    for (;;) {
      NEWSEARCH_ASSIGN_OR_RETURN(Lease lease, Acquire(allow_partial, deadline));
      if (lease.get() == nullptr) return Response();
      try {
        return fn(*lease.get(), lease.handle());
      } catch (const Xapian::DatabaseModifiedError& e) {
        // The writer committed twice while we read: the next Acquire reopens.
        if (changed++ == 0) continue;
        lease.Discard();
        return absl::UnavailableError(absl::StrCat(
            context, ": the index changed while reading; retry: ", e.get_description()));
      } catch (const Xapian::Error& e) {
        lease.Discard();
        if (shards != nullptr) {
          // A replica died or timed out mid-call (or its generation was
          // removed): retry while replicas remain and time is left. A second
          // failure with every replica answering probes is a real error.
          const bool marked_down = shards->ReportFailure(lease.handle());
          ++failed;
          if ((marked_down || failed < 2) && failed <= 8 && absl::Now() < deadline) continue;
          if (absl::string_view(e.get_type()).rfind("Network", 0) == 0) {  // NetworkError, NetworkTimeoutError
            return absl::UnavailableError(absl::StrCat(context, ": ", e.get_description()));
          }
        }
        return absl::InternalError(absl::StrCat(context, ": ", e.get_description()));
      } catch (const std::exception& e) {
        lease.Discard();
        return absl::InternalError(absl::StrCat(context, ": ", e.what()));
      }
    }
  }
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCHER_IMPL_H_
