#include "search-service/server/searcher_setup.h"

#include <optional>
#include <utility>

#include "search-service/schema/schema.h"

namespace newsearch::search {

absl::StatusOr<std::unique_ptr<analysis::Analyzer>> CreateAnalyzer(
    const SearchServerOptions& options, const std::string& index_path) {
  analysis::AnalyzerOptions analyzer_options;
  if (!options.analyzer.empty()) {
    absl::StatusOr<analysis::Segmentation> segmentation =
        analysis::ParseSegmentation(options.analyzer);
    if (!segmentation.ok()) return segmentation.status();
    analyzer_options.segmentation = *segmentation;
  }
  const std::optional<schema::RecordedAnalyzer> recorded = schema::RecordedAnalyzerOf(index_path);
  if (!options.shard_listen.empty() || !options.shards.empty()) {
    analyzer_options.positions = true;
  } else if (options.index_positions.has_value()) {
    analyzer_options.positions = *options.index_positions;
  } else {
    analyzer_options.positions = recorded.has_value() && recorded->positions;
  }
  // An existing index is served as it was built, with or without cut
  // bigrams; a new one as --index_cut_bigrams says.
  analyzer_options.skip_cut_bigrams =
      recorded.has_value() ? recorded->cut_bigrams : options.index_cut_bigrams;
  return analysis::Analyzer::Create(analyzer_options);
}

SearcherOptions MakeSearcherOptions(const SearchServerOptions& options, std::string path) {
  SearcherOptions searcher_options;
  searcher_options.path = std::move(path);
  searcher_options.max_query_chars = options.max_query_chars;
  searcher_options.max_page_size = options.max_page_size;
  searcher_options.max_result_depth = options.max_result_depth;
  searcher_options.query_time_limit = options.query_time_limit;
  searcher_options.facet_exact_limit = options.facet_exact_limit;
  searcher_options.max_concurrent_searches = options.max_concurrent_searches;
  searcher_options.relax_threshold = options.relax_threshold;
  return searcher_options;
}

}  // namespace newsearch::search
