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

// The analyzer named by --analyzer (the default one when empty), with
// positions as --index_positions says; when it does not, as the index at
// `index_path` records (an index built before the option keeps its
// positions), else none. Always with positions for shard_listen and routers.
// Cut bigrams (AnalyzerOptions::skip_cut_bigrams) are left out as the index
// at `index_path` records, else as --index_cut_bigrams says.
absl::StatusOr<std::unique_ptr<analysis::Analyzer>> CreateAnalyzer(
    const SearchServerOptions& options, const std::string& index_path = "");

// The Searcher's limits and relaxation from the server's flags, searching
// `path` (an index directory, or a description of the remote shards).
SearcherOptions MakeSearcherOptions(const SearchServerOptions& options, std::string path);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCHER_SETUP_H_
