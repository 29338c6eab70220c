// newsearch-bench-query: query latency of one SearchService replica as one
// client sees it. Runs every query of a file (one per line, `#` comments and
// blank lines skipped) once to warm the caches, then --passes more times
// timing each Search call end to end (serialisation, network, server), and
// prints p50/p95/p99 in milliseconds plus one machine-readable RESULT line
// for scripts (bench/e2e_bench.sh). A benchmark, not a test.
//
// --clients=N runs N client threads at once, each on its own channel (its
// own connection) with every N-th query of the list, so the N clients
// together send each query once per pass; the percentiles are over all
// calls of all clients and queries/s is all calls over the wall time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_util.h"
#include "newsearch/v1/search.grpc.pb.h"

ABSL_FLAG(std::string, search, "127.0.0.1:50052", "SearchService address");
ABSL_FLAG(std::string, queries, "bench/queries.txt", "Query file, one query per line");
ABSL_FLAG(int32_t, passes, 3, "Timed passes over the query list");
ABSL_FLAG(int32_t, warmup_passes, 1, "Untimed passes first");
ABSL_FLAG(int32_t, page_size, 10, "SearchRequest.page_size");
ABSL_FLAG(double, timeout_seconds, 10, "Deadline of each Search call");
ABSL_FLAG(bool, include_facets, false, "SearchRequest.include_facets (exact facet counting)");
ABSL_FLAG(std::string, sort, "relevance", "SearchRequest.sort: relevance, recency or date");
ABSL_FLAG(bool, expand_duplicates, false,
          "SearchRequest.expand_duplicates (no collapsing of duplicate groups)");
ABSL_FLAG(int32_t, clients, 1, "Concurrent clients, each with its own connection");
ABSL_FLAG(std::string, latencies_out, "",
          "When set, writes every timed query's latency (ms, one per line, sorted) to this file "
          "(bench/plot_side_by_side.py draws the distribution from it)");

namespace {

using newsearch::bench::Percentile;

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
  request.set_expand_duplicates(absl::GetFlag(FLAGS_expand_duplicates));
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

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Times SearchService.Search over a query list: newsearch-bench-query "
      "--search=HOST:PORT --queries=FILE");
  absl::ParseCommandLine(argc, argv);

  std::vector<std::string> queries;
  if (!newsearch::bench::ReadQueries(absl::GetFlag(FLAGS_queries), &queries)) {
    std::cerr << "cannot open " << absl::GetFlag(FLAGS_queries) << "\n";
    return 1;
  }
  if (queries.empty()) {
    std::cerr << "no queries in " << absl::GetFlag(FLAGS_queries) << "\n";
    return 1;
  }

  const int clients = absl::GetFlag(FLAGS_clients);
  if (clients < 1 || static_cast<size_t>(clients) > queries.size()) {
    std::cerr << "--clients must be between 1 and the number of queries (" << queries.size()
              << ")\n";
    return 1;
  }
  // One client's work and results; client c sends queries c, c + N, ...
  struct Client {
    std::unique_ptr<v1::SearchService::Stub> stub;
    std::vector<double> latencies;
    int64_t errors = 0;
    int64_t zero_hit_queries = 0;
    std::string first_error;
  };
  std::vector<Client> state(clients);
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    // A connection per client, as separate processes would have.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    state[c].stub = v1::SearchService::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_search), grpc::InsecureChannelCredentials(), args));
  }
  auto run_passes = [&](int passes, bool timed) {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        Client& me = state[c];
        double ms = 0;
        for (int pass = 0; pass < passes; ++pass) {
          for (size_t i = c; i < queries.size(); i += clients) {
            Outcome o = RunQuery(me.stub.get(), queries[i], &ms);
            if (!o.ok) {
              if (timed) ++me.errors;
              if (me.first_error.empty()) me.first_error = o.error;
              continue;
            }
            if (!timed) continue;
            me.latencies.push_back(ms);
            if (pass == 0 && o.total_estimate == 0) ++me.zero_hit_queries;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
  };
  run_passes(absl::GetFlag(FLAGS_warmup_passes), /*timed=*/false);
  for (Client& c : state) {
    if (!c.first_error.empty()) {
      std::cerr << "warm-up error: " << c.first_error << "\n";
      break;
    }
  }
  for (Client& c : state) c.first_error.clear();

  const absl::Time start = absl::Now();
  run_passes(absl::GetFlag(FLAGS_passes), /*timed=*/true);
  const double wall = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> latencies;
  int64_t errors = 0;
  int64_t zero_hit_queries = 0;
  double sum_ms = 0;
  std::string first_error;
  for (const Client& c : state) {
    latencies.insert(latencies.end(), c.latencies.begin(), c.latencies.end());
    for (double ms : c.latencies) sum_ms += ms;
    errors += c.errors;
    zero_hit_queries += c.zero_hit_queries;
    if (first_error.empty()) first_error = c.first_error;
  }
  std::sort(latencies.begin(), latencies.end());
  if (const std::string out = absl::GetFlag(FLAGS_latencies_out); !out.empty()) {
    std::ofstream file(out);
    for (double ms : latencies) file << absl::StrFormat("%.3f\n", ms);
    if (!file.good()) {
      std::cerr << "cannot write " << out << "\n";
      return 1;
    }
  }
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
      "latency ms: p50 %.2f  p95 %.2f  p99 %.2f  mean %.2f  max %.2f; %.0f queries/s (%d "
      "client%s)\n",
      Percentile(latencies, 50), Percentile(latencies, 95), Percentile(latencies, 99), mean, max,
      qps, clients, clients == 1 ? "" : "s");
  std::cout << absl::StrFormat(
      "RESULT queries=%d errors=%d zero_hit=%d p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f "
      "mean_ms=%.3f max_ms=%.3f qps=%.1f clients=%d\n",
      n, errors, zero_hit_queries, Percentile(latencies, 50), Percentile(latencies, 95),
      Percentile(latencies, 99), mean, max, qps, clients);
  return errors == 0 ? 0 : 1;
}
