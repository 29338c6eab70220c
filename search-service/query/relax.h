// Relaxed matching for queries whose strict form (every word required)
// finds too little (SearcherOptions::relax_threshold): the articles that
// match the required operands and at least `k` of the optional words, ranked
// by BM25 over the words they match, so an article with more of the words
// (and the rarer ones) ranks higher.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_RELAX_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_RELAX_H_

#include <vector>

#include <xapian.h>

namespace newsearch::search {

// Relaxation considers at most this many optional words (the OR of every
// subset of k of them grows combinatorially); a query with more is never
// relaxed.
inline constexpr int kMaxRelaxedWords = 8;

// The query matching every `required` query and at least `k` of `optional`
// (0 <= k < optional.size(); k = 0 needs at least one required query),
// weighted by the required queries and by every optional query it matches.
// Empty queries in `optional` must have been left out.
Xapian::Query AtLeastQuery(const std::vector<Xapian::Query>& required,
                           const std::vector<Xapian::Query>& optional, int k);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_RELAX_H_
