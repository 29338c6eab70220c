// The structured filters of a Search request (sources, years, months,
// published_after/before): checked, turned into one Xapian filter, and
// described for debug. Internal to newsearch_query.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCH_FILTERS_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCH_FILTERS_H_

#include <string>
#include <vector>

#include <xapian.h>

#include "absl/status/statusor.h"
#include "common/analysis/analyzer.h"
#include "newsearch/v1/search.pb.h"

namespace newsearch::search::query_internal {

// Builds the filter for sources, years, months and dates; an empty Query when
// there is none. Appends a description of each filter to *descriptions.
// INVALID_ARGUMENT names the field and value that are out of range.
absl::StatusOr<Xapian::Query> BuildFilter(const v1::SearchRequest& request,
                                          const analysis::Analyzer& analyzer,
                                          std::vector<std::string>* descriptions);

}  // namespace newsearch::search::query_internal

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_SEARCH_FILTERS_H_
