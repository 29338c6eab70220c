// Search's facet counts (include_facets): by source, year and month over the
// match set, with Xapian's built-in ValueCountMatchSpy only, so that the same
// code counts over remote shards (xapian-tcpsrv knows no custom spies).
//
// A spy sees every matching article, collapsed copies included. When hits
// are collapsed, FacetValue.count counts what the user sees: stories (a
// group of duplicates) having a matching article with that value, from spies
// on the (value, collapse key) slots of the schema (distinct pairs);
// FacetValue.article_count counts every matching article.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_FACETS_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_FACETS_H_

#include <xapian.h>

#include "newsearch/v1/search.pb.h"

namespace newsearch::search {

class FacetSpies {
 public:
  // `stories`: the hits are collapsed (count stories, not articles).
  explicit FacetSpies(bool stories);
  FacetSpies(const FacetSpies&) = delete;
  FacetSpies& operator=(const FacetSpies&) = delete;

  // Registers the spies; they must outlive the enquire's get_mset().
  void AddTo(Xapian::Enquire* enquire);
  // Matching documents the spies examined.
  Xapian::doccount examined() const { return source_.get_total(); }
  // Appends the source, year and month facets. Counts stories when asked
  // to and every examined article carries the story slots (an index built
  // before them counts articles until re-indexed).
  void Fill(v1::SearchResponse* response) const;

 private:
  bool stories_;
  Xapian::ValueCountMatchSpy source_;
  Xapian::ValueCountMatchSpy year_;
  Xapian::ValueCountMatchSpy month_;
  Xapian::ValueCountMatchSpy source_stories_;
  Xapian::ValueCountMatchSpy month_stories_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_FACETS_H_
