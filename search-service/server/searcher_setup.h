// What the replica (SearchServer) and the router (RouterServer) build alike
// from their SearchServerOptions: the analyzer and the Searcher's options,
// so that a flag means the same in both modes.
#ifndef NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCHER_SETUP_H_
#define NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCHER_SETUP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/analysis/analyzer.h"
#include "search-service/query/searcher.h"
#include "search-service/server/search_server.h"

namespace newsearch::search {

// The analyzer named by --analyzer (the default one when empty).
absl::StatusOr<std::unique_ptr<analysis::Analyzer>> CreateAnalyzer(
    const SearchServerOptions& options);

// The Searcher's limits and relaxation from the server's flags, searching
// `path` (an index directory, or a description of the remote shards).
SearcherOptions MakeSearcherOptions(const SearchServerOptions& options, std::string path);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCHER_SETUP_H_
