// newsearch-bench-query: query latency of one SearchService replica as one
// client sees it. Runs every query of a file (one per line, `#` comments and
// blank lines skipped) once to warm the caches, then --passes more times
// timing each Search call end to end (serialisation, network, server), and
// prints p50/p95/p99 in milliseconds plus one machine-readable RESULT line
// for scripts (bench/e2e_bench.sh). A benchmark, not a test.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "newsearch/v1/search.grpc.pb.h"

ABSL_FLAG(std::string, search, "127.0.0.1:50052", "SearchService address");
ABSL_FLAG(std::string, queries, "bench/queries.txt", "Query file, one query per line");
ABSL_FLAG(int32_t, passes, 3, "Timed passes over the query list");
ABSL_FLAG(int32_t, warmup_passes, 1, "Untimed passes first");
ABSL_FLAG(int32_t, page_size, 10, "SearchRequest.page_size");
ABSL_FLAG(double, timeout_seconds, 10, "Deadline of each Search call");
ABSL_FLAG(bool, include_facets, false, "SearchRequest.include_facets (exact facet counting)");
ABSL_FLAG(std::string, sort, "relevance", "SearchRequest.sort: relevance, recency or date");

namespace {

namespace v1 = ::newsearch::v1;

struct Outcome {
  bool ok = false;
  int64_t total_estimate = 0;
  std::string error;
};

Outcome RunQuery(v1::SearchService::Stub* stub, const std::string& query, double* ms) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(
                       static_cast<int64_t>(absl::GetFlag(FLAGS_timeout_seconds) * 1000)));
  v1::SearchRequest request;
  request.set_query(query);
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_include_facets(absl::GetFlag(FLAGS_include_facets));
  const std::string sort = absl::GetFlag(FLAGS_sort);
  request.set_sort(sort == "recency" ? v1::SORT_ORDER_RELEVANCE_RECENCY
                   : sort == "date" ? v1::SORT_ORDER_DATE_DESC
                                    : v1::SORT_ORDER_RELEVANCE);
  v1::SearchResponse response;
  const auto start = std::chrono::steady_clock::now();
  const grpc::Status status = stub->Search(&ctx, request, &response);
  *ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
  Outcome outcome;
  outcome.ok = status.ok();
  outcome.total_estimate = response.total_estimate();
  if (!status.ok()) {
    outcome.error = absl::StrFormat("code %d: %s (query \"%s\")", status.error_code(),
                                    status.error_message(), query);
  }
  return outcome;
}

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Times SearchService.Search over a query list: newsearch-bench-query "
      "--search=HOST:PORT --queries=FILE");
  absl::ParseCommandLine(argc, argv);

  std::ifstream in(absl::GetFlag(FLAGS_queries));
  if (!in) {
    std::cerr << "cannot open " << absl::GetFlag(FLAGS_queries) << "\n";
    return 1;
  }
  std::vector<std::string> queries;
  for (std::string line; std::getline(in, line);) {
    std::string q(absl::StripAsciiWhitespace(line));
    if (!q.empty() && q[0] != '#') queries.push_back(q);
  }
  if (queries.empty()) {
    std::cerr << "no queries in " << absl::GetFlag(FLAGS_queries) << "\n";
    return 1;
  }

  auto stub = v1::SearchService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_search), grpc::InsecureChannelCredentials()));

  double ms = 0;
  int64_t errors = 0;
  std::string first_error;
  for (int pass = 0; pass < absl::GetFlag(FLAGS_warmup_passes); ++pass) {
    for (const std::string& q : queries) {
      Outcome o = RunQuery(stub.get(), q, &ms);
      if (!o.ok && first_error.empty()) first_error = o.error;
    }
  }
  if (!first_error.empty()) std::cerr << "warm-up error: " << first_error << "\n";
  first_error.clear();

  std::vector<double> latencies;
  int64_t zero_hit_queries = 0;
  double sum_ms = 0;
  const absl::Time start = absl::Now();
  for (int pass = 0; pass < absl::GetFlag(FLAGS_passes); ++pass) {
    for (const std::string& q : queries) {
      Outcome o = RunQuery(stub.get(), q, &ms);
      if (!o.ok) {
        ++errors;
        if (first_error.empty()) first_error = o.error;
        continue;
      }
      latencies.push_back(ms);
      sum_ms += ms;
      if (pass == 0 && o.total_estimate == 0) ++zero_hit_queries;
    }
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - start);
  std::sort(latencies.begin(), latencies.end());
  const size_t n = latencies.size();
  const double mean = n ? sum_ms / n : 0;
  const double max = n ? latencies.back() : 0;
  const double qps = wall > 0 ? n / wall : 0;

  std::cout << absl::StrFormat(
      "%d queries x %d passes (after %d warm-up), %d errors, %d queries with no hits\n",
      queries.size(), absl::GetFlag(FLAGS_passes), absl::GetFlag(FLAGS_warmup_passes), errors,
      zero_hit_queries);
  if (!first_error.empty()) std::cout << "first error: " << first_error << "\n";
  std::cout << absl::StrFormat(
      "latency ms: p50 %.2f  p95 %.2f  p99 %.2f  mean %.2f  max %.2f; %.0f queries/s (1 client)\n",
      Percentile(latencies, 50), Percentile(latencies, 95), Percentile(latencies, 99), mean, max,
      qps);
  std::cout << absl::StrFormat(
      "RESULT queries=%d errors=%d zero_hit=%d p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f "
      "mean_ms=%.3f max_ms=%.3f qps=%.1f\n",
      n, errors, zero_hit_queries, Percentile(latencies, 50), Percentile(latencies, 95),
      Percentile(latencies, 99), mean, max, qps);
  return errors == 0 ? 0 : 1;
}
