// SimilarArticles: more like this. The article's most telling free-text
// terms (Xapian's expand set over it) become an OR query; the article and
// its duplicate group are left out, copies of one story show once.
#include <string>
#include <vector>

#include <xapian.h>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "search-service/query/query_parser.h"
#include "search-service/query/searcher.h"
#include "search-service/query/searcher_impl.h"
#include "search-service/query/snippet.h"
#include "search-service/query/utf8.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

using query_internal::ReadAppliedSeq;

// Terms of the article that make up a SimilarArticles query.
constexpr Xapian::termcount kSimilarTerms = 24;

// Keeps free-text terms for more-like-this: unprefixed (schema prefixes are
// upper-case ASCII; indexed text is case folded) and at least two code
// points (single Han characters say little about a topic).
class FreeTextTerms : public Xapian::ExpandDecider {
 public:
  bool operator()(const std::string& term) const override {
    if (term.empty() || (term[0] >= 'A' && term[0] <= 'Z')) return false;
    return CountCodePoints(term) >= 2;
  }
};

}  // namespace

v1::SimilarArticlesResponse Searcher::Impl::RunSimilar(Xapian::Database& db,
                                                       const v1::SimilarArticlesRequest& request,
                                                       int page_size,
                                                       absl::Status* status) const {
  v1::SimilarArticlesResponse response;
  response.set_applied_seq(ReadAppliedSeq(db, shards == nullptr));
  const std::string id_term = schema::IdTerm(request.id());
  Xapian::PostingIterator posting = db.postlist_begin(id_term);
  if (posting == db.postlist_end(id_term)) {
    *status = absl::NotFoundError(
        absl::StrCat("no article with id '", Truncated(request.id()), "' in the index"));
    return response;
  }
  const Xapian::docid docid = *posting;
  const std::string collapse_key = db.get_document(docid).get_value(schema::kCollapseSlot);

  Xapian::Enquire enquire(db);
  Xapian::RSet rset;
  rset.add_document(docid);
  const FreeTextTerms decider;
  // Exact term frequencies: over shards Xapian otherwise approximates them
  // and picks different terms than one database would.
  const Xapian::ESet eset =
      enquire.get_eset(kSimilarTerms, rset, Xapian::Enquire::USE_EXACT_TERMFREQ, &decider);
  std::vector<std::string> terms;
  for (auto it = eset.begin(); it != eset.end(); ++it) terms.push_back(*it);
  if (request.debug()) {
    for (const std::string& term : terms) response.add_terms(term);
  }
  if (terms.empty()) return response;  // an article without text resembles nothing

  Xapian::Query similar(Xapian::Query::OP_OR, terms.begin(), terms.end());
  // Not the article, nor anything in its duplicate group.
  Xapian::Query same(id_term);
  if (!collapse_key.empty()) {
    same = Xapian::Query(Xapian::Query::OP_OR, same,
                         Xapian::Query(Xapian::Query::OP_VALUE_RANGE, schema::kCollapseSlot,
                                       collapse_key, collapse_key));
  }
  enquire.set_query(Xapian::Query(Xapian::Query::OP_AND_NOT, similar, same));
  enquire.set_collapse_key(schema::kCollapseSlot);
  enquire.set_sort_by_relevance_then_value(schema::kPublishedSlot, true);
  const double time_limit = absl::ToDoubleSeconds(options.query_time_limit);
  if (time_limit > 0) enquire.set_time_limit(time_limit);
  const Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(page_size));
  const SnippetBuilder snippets(*analyzer, {}, options.snippet_chars);
  int rank = 0;
  for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
    v1::SearchHit* hit = response.add_hits();
    hit->set_rank(rank++);
    hit->set_duplicate_count(static_cast<int32_t>(it.get_collapse_count()));
    FillHit(it, snippets, hit);
  }
  return response;
}

absl::StatusOr<v1::SimilarArticlesResponse> Searcher::SimilarArticles(
    const v1::SimilarArticlesRequest& request, absl::Time deadline) const {
  if (request.id().empty()) return absl::InvalidArgumentError("id is empty");
  NEWSEARCH_RETURN_IF_ERROR(ValidateUtf8(request.id(), "id"));
  const SearcherOptions& options = impl_->options;
  if (request.page_size() < 0 || request.page_size() > options.max_page_size) {
    return absl::InvalidArgumentError(absl::StrCat("page_size ", request.page_size(),
                                                   " is out of range; it must be between 0 (",
                                                   options.default_page_size, ") and ",
                                                   options.max_page_size));
  }
  const int page_size =
      request.page_size() == 0 ? options.default_page_size : request.page_size();
  absl::Status status;
  absl::StatusOr<v1::SimilarArticlesResponse> response =
      impl_->WithDatabase<v1::SimilarArticlesResponse>(
          absl::StrCat("similar articles for '", Truncated(request.id()), "'"),
          [&](Xapian::Database& db, const ShardedDatabase&) {
            return impl_->RunSimilar(db, request, page_size, &status);
          },
          /*allow_partial=*/false, deadline);
  if (!response.ok()) return response.status();
  if (!status.ok()) return status;
  // A database that does not exist yet knows no article.
  if (response->hits_size() == 0 && response->applied_seq() == 0 && response->terms_size() == 0) {
    NEWSEARCH_ASSIGN_OR_RETURN(int64_t count, DocumentCount());
    if (count == 0) {
      return absl::NotFoundError(
          absl::StrCat("no article with id '", Truncated(request.id()), "' in the index"));
    }
  }
  return response;
}

}  // namespace newsearch::search
