// newsearch-bench-search: what each part of a Search costs, in process (no
// gRPC). Opens a replica's index read-only (the data dir of a stopped or
// running newsearch-search; `--index=DATA_DIR/xapian`) with the default
// analyzer and times Searcher::Search over a query file in variants:
//   default       snippets, duplicate collapsing, no facets (what a client gets)
//   no_snippets   hits without snippets
//   no_collapse   expand_duplicates (no collapse key)
//   facets        include_facets (exact counts over the whole match set)
//   bare          no snippets, no collapsing, no facets: matching and hit data
// Each variant: one untimed pass, then --passes timed passes; prints
// p50/p95/p99/mean in milliseconds, wall and CPU time of the calling thread
// (robust on a shared machine), in one RESULT line per variant. A
// benchmark, not a test; run it under `perf record -g` to profile Search.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <xapian.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/bench_util.h"
#include "common/analysis/analyzer.h"
#include "search-service/query/searcher.h"
#include "search-service/server/searcher_setup.h"

ABSL_FLAG(std::string, index, "", "Xapian index directory (a replica's DATA_DIR/xapian)");
ABSL_FLAG(std::string, queries, "bench/queries.txt", "Query file, one query per line");
ABSL_FLAG(int32_t, passes, 3, "Timed passes over the query list per variant");
ABSL_FLAG(int32_t, page_size, 10, "SearchRequest.page_size");
ABSL_FLAG(int32_t, commit_interval_ms, 0,
          "When > 0, a writer commits a metadata change to the index this often while the "
          "variants run, so searches pay for reopening after commits (modifies the index: "
          "use a copy)");
ABSL_FLAG(int32_t, slowest, 0,
          "Also print this many queries of each variant that took the most CPU time");
ABSL_FLAG(std::string, variants, "default,no_snippets,no_collapse,facets,bare",
          "Comma-separated variants to run, in order");

namespace {

using newsearch::bench::Percentile;

namespace v1 = ::newsearch::v1;
using newsearch::search::Searcher;
using newsearch::search::SearcherOptions;

// CPU time of this thread, in ms: unlike wall time it does not count the
// time other processes on a shared machine take the core.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Times Searcher::Search in process, with and without snippets, collapsing and facets: "
      "newsearch-bench-search --index=DATA_DIR/xapian --queries=FILE");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_index).empty()) {
    std::cerr << "--index is required\n";
    return 2;
  }
  std::vector<std::string> queries;
  newsearch::bench::ReadQueries(absl::GetFlag(FLAGS_queries), &queries);
  if (queries.empty()) {
    std::cerr << "no queries in " << absl::GetFlag(FLAGS_queries) << "\n";
    return 2;
  }
  // Queried as the server queries it: positions or a phrase check on the
  // stored text, cut bigrams or not, as the index records.
  auto analyzer = newsearch::search::CreateAnalyzer(newsearch::search::SearchServerOptions(),
                                                    absl::GetFlag(FLAGS_index));
  if (!analyzer.ok()) {
    std::cerr << analyzer.status() << "\n";
    return 1;
  }
  SearcherOptions options;
  options.path = absl::GetFlag(FLAGS_index);
  auto with_snippets = Searcher::Create(options, analyzer->get());
  options.build_snippets = false;
  auto without_snippets = Searcher::Create(options, analyzer->get());
  if (!with_snippets.ok() || !without_snippets.ok()) {
    std::cerr << "cannot create searcher\n";
    return 1;
  }
  // The writer that makes every search after a commit reopen its handle.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> commits{0};
  std::thread writer;
  if (absl::GetFlag(FLAGS_commit_interval_ms) > 0) {
    writer = std::thread([&] {
      Xapian::WritableDatabase db(absl::GetFlag(FLAGS_index), Xapian::DB_OPEN);
      while (!stop.load()) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(absl::GetFlag(FLAGS_commit_interval_ms)));
        db.set_metadata("bench_commit", std::to_string(commits.fetch_add(1)));
        db.commit();
      }
    });
  }
  int failed = 0;
  for (absl::string_view variant : absl::StrSplit(absl::GetFlag(FLAGS_variants), ',')) {
    const bool snippets = variant == "default" || variant == "no_collapse" || variant == "facets";
    const bool collapse = variant == "default" || variant == "no_snippets" || variant == "facets";
    const bool facets = variant == "facets";
    if (variant != "default" && variant != "no_snippets" && variant != "no_collapse" &&
        variant != "facets" && variant != "bare") {
      std::cerr << "unknown variant " << variant << "\n";
      return 2;
    }
    const Searcher& searcher = snippets ? **with_snippets : **without_snippets;
    std::vector<double> latencies;
    std::vector<double> cpu;
    std::vector<std::pair<double, const std::string*>> by_query;
    int64_t errors = 0;
    for (int pass = 0; pass <= absl::GetFlag(FLAGS_passes); ++pass) {
      for (const std::string& q : queries) {
        v1::SearchRequest request;
        request.set_query(q);
        request.set_page_size(absl::GetFlag(FLAGS_page_size));
        request.set_expand_duplicates(!collapse);
        request.set_include_facets(facets);
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = ThreadCpuMs();
        const auto response = searcher.Search(request);
        const double cpu_ms = ThreadCpuMs() - cpu_start;
        const double ms = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - start)
                              .count();
        if (!response.ok()) {
          if (errors++ == 0) std::cerr << variant << ": " << response.status() << "\n";
          continue;
        }
        if (pass > 0) {
          latencies.push_back(ms);
          cpu.push_back(cpu_ms);
          by_query.emplace_back(cpu_ms, &q);
        }
      }
    }
    std::sort(latencies.begin(), latencies.end());
    std::sort(cpu.begin(), cpu.end());
    double sum = 0;
    for (double ms : latencies) sum += ms;
    const double mean = latencies.empty() ? 0 : sum / latencies.size();
    std::cout << absl::StrFormat(
        "RESULT variant=%s queries=%d errors=%d p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f "
        "mean_ms=%.3f max_ms=%.3f cpu_p50_ms=%.3f cpu_p95_ms=%.3f cpu_p99_ms=%.3f\n",
        variant, latencies.size(), errors, Percentile(latencies, 50), Percentile(latencies, 95),
        Percentile(latencies, 99), mean, latencies.empty() ? 0 : latencies.back(),
        Percentile(cpu, 50), Percentile(cpu, 95), Percentile(cpu, 99));
    std::sort(by_query.begin(), by_query.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (int i = 0; i < absl::GetFlag(FLAGS_slowest) && i < static_cast<int>(by_query.size());
         ++i) {
      std::cout << absl::StrFormat("  %8.3f ms  %s\n", by_query[i].first, *by_query[i].second);
    }
    if (errors > 0) failed = 1;
  }
  stop = true;
  if (writer.joinable()) writer.join();
  if (commits.load() > 0) std::cout << "commits during the run: " << commits.load() << "\n";
  return failed;
}
