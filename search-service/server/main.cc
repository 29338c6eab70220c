// newsearch-search: flags (and NEWSEARCH_* environment variables) ->
// SearchServerOptions -> serve until SIGTERM/SIGINT, then commit and stop.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/analysis/analyzer.h"
#include "common/base/logging.h"
#include "common/server/server_setup.h"
#include "common/server/serving_flags.h"
#include "search-service/query/remote_shards.h"
#include "search-service/server/router_server.h"
#include "search-service/server/search_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052", "gRPC listen address (host:port; port 0 = any)");
ABSL_FLAG(std::string, data_dir, "./data/search", "Directory of this replica's Xapian index");
ABSL_FLAG(std::string, ingest_address, "127.0.0.1:50051", "Ingest service to follow");
ABSL_FLAG(std::string, metrics_listen, "",
          "Address for the Prometheus /metrics endpoint (empty = off)");
ABSL_FLAG(std::string, port_file, "", "Write the bound gRPC port to this file once serving");
ABSL_FLAG(int32_t, max_message_bytes, 32 << 20, "Largest gRPC message, in bytes");
ABSL_FLAG(int32_t, max_batch_changes, 256,
          "Most changes per index commit (smaller batches keep Xapian's in-memory "
          "buffer small, which costs less CPU per article than large batches)");
ABSL_FLAG(int32_t, flush_interval_ms, 200, "Longest wait to fill an index batch");
ABSL_FLAG(int32_t, catch_up_batch_changes, 1024,
          "Most changes per index commit while the replica is behind: the batch grows with "
          "the index (one change per 32 documents) from --max_batch_changes up to this, "
          "since small commits cost more per article on a big index (<= --max_batch_changes: "
          "never grows)");
ABSL_FLAG(int32_t, index_shards, 0,
          "Local index shards, each written by its own thread (0 = the existing index's "
          "number, else the number of cores); an index with another number is refused");
ABSL_FLAG(int32_t, index_segment_docs, 0,
          "0 = each shard is one Xapian database. N > 0: a shard's new documents go to a live "
          "segment sealed at N documents, sealed segments merge four at a time (bulk loads "
          "take ~15% less CPU, but the compacted index is ~40% larger and searches slower: "
          "README \"Index shards and compaction\")");
ABSL_FLAG(std::string, partition, "",
          "K/N: hold only the articles of partition K of N (0 <= K < N <= 1024) under the "
          "stable id hash (README \"Partitions\"); empty = every article. Recorded in the "
          "index; an index of another partition is refused");
ABSL_FLAG(std::string, bootstrap_from, "",
          "host:port of a replica of the same partition: when this replica has no index yet, "
          "it copies that replica's index snapshot (checked) and follows the change log from "
          "there instead of from 0 (empty = replay from 0)");
ABSL_FLAG(int64_t, compact_after_changes, 5000,
          "Compact the index when idle after at least this many changes were applied since "
          "the last compaction (0 = never)");
ABSL_FLAG(int32_t, max_query_chars, 1024, "Longest query accepted, in characters");
ABSL_FLAG(int32_t, max_page_size, 100, "Largest page_size accepted");
ABSL_FLAG(int32_t, max_result_depth, 10000, "Deepest result reachable by paging");
ABSL_FLAG(int32_t, query_time_limit_ms, 0,
          "Per-query time in milliseconds after which Xapian stops checking matches for exact "
          "counts and facets (0 = none); such responses have partial=true");
ABSL_FLAG(int32_t, facet_exact_limit, 100000,
          "Facet counts are exact for match sets up to this many articles");
ABSL_FLAG(int32_t, max_concurrent_searches, 0,
          "Searches running at once, each on a Xapian handle kept open; more wait for one "
          "(0 = twice the cores, at least 4)");
ABSL_FLAG(int32_t, relax_threshold, 3,
          "A query whose words, all required, match fewer articles than this is relaxed: the "
          "articles matching most of its words follow (SearchRequest.relax_threshold and "
          "strict override it; 0 = never relax)");
ABSL_FLAG(int32_t, shutdown_grace_seconds, 10, "Grace period for in-flight calls on SIGTERM");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(std::string, ingest_token_file, "",
          "File holding the token presented to ingest on StreamChanges (re-read on reconnect; "
          "empty = env NEWSEARCH_INGEST_TOKEN, else none)");
ABSL_FLAG(std::string, ingest_tls_ca_file, "",
          "PEM CA bundle that signed ingest's certificate; when set, connect to ingest with TLS");
ABSL_FLAG(std::string, ingest_tls_cert_file, "", "PEM client certificate for mutual TLS to ingest");
ABSL_FLAG(std::string, ingest_tls_key_file, "", "PEM key of --ingest_tls_cert_file");
ABSL_FLAG(int64_t, ready_max_lag, 1000,
          "Readiness (health \"\") is SERVING while the lag last seen is at most this many "
          "changes; it stays SERVING while ingest is unreachable");
ABSL_FLAG(int32_t, resubscribe_seconds, 300,
          "Re-open an idle change stream this often to report the committed seq to ingest "
          "(retention; 0 = never)");
ABSL_FLAG(int32_t, ready_contact_grace_seconds, 10,
          "A replica that has not reached ingest since it started becomes ready after this "
          "many seconds when its index already holds changes");
ABSL_FLAG(std::string, analyzer, "",
          "Analyzer variant: bigrams, words or words+bigrams (empty = the default, "
          "bigrams). Recorded in the index; an index built with another is refused");
ABSL_FLAG(std::string, index_positions, "auto",
          "true: index word positions, so quoted phrases are checked by positions rather than "
          "on the stored text, for an index about half again as large; false: none; auto: as "
          "the existing index records, none for a new one. Always true with --shard_listen "
          "and --shards. Recorded in the index; changing it needs a rebuild");
ABSL_FLAG(bool, index_cut_bigrams, false,
          "A new index without positions leaves out each bigram that is no dictionary word and "
          "joins two words of two or more characters wherever it occurs in an article (its "
          "first character stands in): a tenth fewer terms, faster bulk loads, a smaller "
          "index, but slower quoted fragments that cross such words (docs/relevance.md). An "
          "existing index is served as it was built");
ABSL_FLAG(std::string, shard_listen, "",
          "HOST:PORT on which to serve this replica's index read-only to routers over "
          "Xapian's remote protocol (xapian-tcpsrv, started once the replica is ready and "
          "supervised); only routers should reach it (empty = off)");
ABSL_FLAG(std::string, xapian_tcpsrv, "/usr/bin/xapian-tcpsrv",
          "The xapian-tcpsrv executable (Debian's xapian-tools) for --shard_listen");
ABSL_FLAG(std::string, shards, "",
          "Router mode: search the partitions served on these shard ports instead of an own "
          "index; partitions separated by ';', the replicas of one partition by ',' "
          "(HOST:PORT, e.g. 'search-p0-0.search-p0:7000,search-p0-1.search-p0:7000;...'). "
          "A router follows no change log and writes no index");
ABSL_FLAG(int32_t, shard_timeout_ms, 5000,
          "Router: longest wait for one operation on a shard connection before the call "
          "moves to another replica");
ABSL_FLAG(int32_t, shard_connect_timeout_ms, 1000, "Router: longest wait to connect to a shard");
ABSL_FLAG(int32_t, shard_probe_interval_ms, 1000,
          "Router: how often every shard replica is probed (health, replaced indexes)");

namespace {

// Parses --partition ("K/N"; empty = 0/1). Returns false on anything else.
bool ParsePartition(const std::string& text, int* partition, int* partitions) {
  *partition = 0;
  *partitions = 1;
  if (text.empty()) return true;
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], partition) &&
         absl::SimpleAtoi(parts[1], partitions) && *partitions >= 1 && *partitions <= 1024 &&
         *partition >= 0 && *partition < *partitions;
}

}  // namespace

int main(int argc, char** argv) {
  newsearch::server::ConfigureMutexChecks();
  newsearch::server::BlockTerminationSignals();
  absl::SetProgramUsageMessage(
      "newsearch-search: a search replica that follows the ingest change log.\n"
      "Every flag --name can also be set by the environment variable NEWSEARCH_NAME.");
  std::vector<std::string> env_flags = {
      "listen", "data_dir", "ingest_address", "metrics_listen", "port_file", "max_message_bytes",
      "max_batch_changes", "flush_interval_ms", "catch_up_batch_changes", "index_shards",
      "index_segment_docs",
      "partition", "bootstrap_from", "compact_after_changes",
      "max_query_chars", "max_page_size",
      "max_result_depth", "shutdown_grace_seconds", "log_level", "query_time_limit_ms",
      "facet_exact_limit", "max_concurrent_searches", "analyzer", "ingest_token_file",
      "ingest_tls_ca_file", "ingest_tls_cert_file", "ingest_tls_key_file", "ready_max_lag",
      "ready_contact_grace_seconds", "resubscribe_seconds", "index_positions", "index_cut_bigrams", "shard_listen", "xapian_tcpsrv",
      "shards", "shard_timeout_ms", "shard_connect_timeout_ms", "shard_probe_interval_ms",
      "relax_threshold"};
  for (std::string& name : newsearch::server::ServingFlagNames()) env_flags.push_back(name);
  const absl::Status env = newsearch::server::ApplyEnvironmentToFlags(env_flags);
  if (!env.ok()) {
    std::cerr << "newsearch-search: bad environment: " << env.message() << "\n";
    return 2;
  }
  absl::ParseCommandLine(argc, argv);
  if (!newsearch::SetLogLevel(absl::GetFlag(FLAGS_log_level))) {
    std::cerr << "newsearch-search: --log_level must be debug, info, warning or error\n";
    return 2;
  }
  newsearch::search::SearchServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.ingest_address = absl::GetFlag(FLAGS_ingest_address);
  options.bootstrap_from = absl::GetFlag(FLAGS_bootstrap_from);
  options.port_file = absl::GetFlag(FLAGS_port_file);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_batch_changes = absl::GetFlag(FLAGS_max_batch_changes);
  options.flush_interval = absl::Milliseconds(absl::GetFlag(FLAGS_flush_interval_ms));
  options.catch_up_batch_changes = absl::GetFlag(FLAGS_catch_up_batch_changes);
  options.index_shards = absl::GetFlag(FLAGS_index_shards);
  options.index_segment_docs = absl::GetFlag(FLAGS_index_segment_docs);
  options.compact_after_changes = absl::GetFlag(FLAGS_compact_after_changes);
  options.max_query_chars = absl::GetFlag(FLAGS_max_query_chars);
  options.max_page_size = absl::GetFlag(FLAGS_max_page_size);
  options.max_result_depth = absl::GetFlag(FLAGS_max_result_depth);
  options.shutdown_grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));
  options.query_time_limit = absl::Milliseconds(absl::GetFlag(FLAGS_query_time_limit_ms));
  options.facet_exact_limit = absl::GetFlag(FLAGS_facet_exact_limit);
  options.max_concurrent_searches = absl::GetFlag(FLAGS_max_concurrent_searches);
  options.relax_threshold = absl::GetFlag(FLAGS_relax_threshold);
  options.serving = newsearch::server::ServingOptionsFromFlags();
  options.ingest_token_file = absl::GetFlag(FLAGS_ingest_token_file);
  if (const char* token = std::getenv("NEWSEARCH_INGEST_TOKEN"); token != nullptr) {
    options.ingest_token = token;
  }
  options.ingest_tls_ca_file = absl::GetFlag(FLAGS_ingest_tls_ca_file);
  options.ingest_tls_cert_file = absl::GetFlag(FLAGS_ingest_tls_cert_file);
  options.ingest_tls_key_file = absl::GetFlag(FLAGS_ingest_tls_key_file);
  options.ready_max_lag = absl::GetFlag(FLAGS_ready_max_lag);
  options.ready_contact_grace = absl::Seconds(absl::GetFlag(FLAGS_ready_contact_grace_seconds));
  options.analyzer = absl::GetFlag(FLAGS_analyzer);
  const std::string positions = absl::GetFlag(FLAGS_index_positions);
  if (positions == "true" || positions == "false") options.index_positions = positions == "true";
  options.index_cut_bigrams = absl::GetFlag(FLAGS_index_cut_bigrams);
  options.resubscribe_interval = absl::Seconds(absl::GetFlag(FLAGS_resubscribe_seconds));
  options.shard_listen = absl::GetFlag(FLAGS_shard_listen);
  options.xapian_tcpsrv = absl::GetFlag(FLAGS_xapian_tcpsrv);
  options.shards = absl::GetFlag(FLAGS_shards);
  options.shard_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_shard_timeout_ms));
  options.shard_connect_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_shard_connect_timeout_ms));
  options.shard_probe_interval = absl::Milliseconds(absl::GetFlag(FLAGS_shard_probe_interval_ms));
  std::string problems;
  if (positions != "auto" && positions != "true" && positions != "false") {
    problems += absl::StrCat(" --index_positions must be auto, true or false, got '", positions,
                             "';");
  } else if (options.index_positions == false &&
             (!options.shard_listen.empty() || !options.shards.empty())) {
    problems += " --index_positions=false cannot serve --shard_listen or --shards (Xapian's "
                "remote server checks phrases by positions);";
  }
  if (!options.shards.empty()) {
    if (auto parsed = newsearch::search::ParseShardSpec(options.shards); !parsed.ok()) {
      problems += absl::StrCat(" ", parsed.status().message(), ";");
    }
    if (!options.shard_listen.empty()) {
      problems += " --shard_listen and --shards exclude each other (a router holds no index);";
    }
    if (!absl::GetFlag(FLAGS_partition).empty()) {
      problems += " --partition and --shards exclude each other (a router searches every "
                  "partition);";
    }
  }
  if (absl::GetFlag(FLAGS_shard_timeout_ms) <= 0 ||
      absl::GetFlag(FLAGS_shard_connect_timeout_ms) <= 0 ||
      absl::GetFlag(FLAGS_shard_probe_interval_ms) <= 0) {
    problems += " --shard_timeout_ms, --shard_connect_timeout_ms and --shard_probe_interval_ms "
                "must be positive;";
  }
  if (!ParsePartition(absl::GetFlag(FLAGS_partition), &options.partition, &options.partitions)) {
    problems += absl::StrCat(" --partition is '", absl::GetFlag(FLAGS_partition),
                             "'; it must be K/N with 0 <= K < N <= 1024 (e.g. 0/2);");
  }
  if (absl::GetFlag(FLAGS_resubscribe_seconds) < 0) problems += " --resubscribe_seconds must be >= 0;";
  if (!options.analyzer.empty()) {
    if (auto parsed = newsearch::analysis::ParseSegmentation(options.analyzer); !parsed.ok()) {
      problems += absl::StrCat(" --analyzer: ", parsed.status().message(), ";");
    }
  }
  if (options.ingest_address.empty()) problems += " --ingest_address is empty;";
  if (options.max_batch_changes <= 0) problems += " --max_batch_changes must be positive;";
  if (absl::GetFlag(FLAGS_flush_interval_ms) < 0) problems += " --flush_interval_ms must be >= 0;";
  if (options.catch_up_batch_changes < 0) problems += " --catch_up_batch_changes must be >= 0;";
  if (options.index_segment_docs < 0) problems += " --index_segment_docs must be >= 0;";
  if (options.index_shards < 0 || options.index_shards > 256) {
    problems += " --index_shards must be in 0..256;";
  }
  if (options.compact_after_changes < 0) problems += " --compact_after_changes must be >= 0;";
  if (options.max_query_chars <= 0) problems += " --max_query_chars must be positive;";
  if (options.max_page_size <= 0) problems += " --max_page_size must be positive;";
  if (absl::GetFlag(FLAGS_query_time_limit_ms) < 0) {
    problems += " --query_time_limit_ms must be >= 0;";
  }
  if (options.facet_exact_limit <= 0) problems += " --facet_exact_limit must be positive;";
  if (options.max_concurrent_searches < 0) {
    problems += " --max_concurrent_searches must be >= 0;";
  }
  if (options.relax_threshold < 0) problems += " --relax_threshold must be >= 0;";
  if (options.max_result_depth < options.max_page_size) {
    problems += " --max_result_depth must be >= --max_page_size;";
  }
  problems += newsearch::server::ServingOptionsProblems(options.serving);
  if (options.ready_max_lag < 0) problems += " --ready_max_lag must be >= 0;";
  if (absl::GetFlag(FLAGS_ready_contact_grace_seconds) < 0) {
    problems += " --ready_contact_grace_seconds must be >= 0;";
  }
  if (!problems.empty()) {
    std::cerr << "newsearch-search: invalid configuration:" << problems << "\n";
    return 2;
  }
  if (!options.shards.empty()) {
    auto router = newsearch::search::RouterServer::Start(options);
    if (!router.ok()) {
      newsearch::Log(newsearch::LogLevel::kError, "router", "cannot start",
                     {{"status", router.status().ToString()}});
      return 1;
    }
    const int sig = newsearch::server::WaitForTerminationSignal();
    newsearch::Log(newsearch::LogLevel::kInfo, "router", "signal received", {{"signal", sig}});
    (*router)->Shutdown();
    return 0;
  }
  auto server = newsearch::search::SearchServer::Start(options);
  if (!server.ok()) {
    newsearch::Log(newsearch::LogLevel::kError, "search", "cannot start",
                   {{"status", server.status().ToString()}});
    return 1;
  }
  const int sig = newsearch::server::WaitForTerminationSignal();
  newsearch::Log(newsearch::LogLevel::kInfo, "search", "signal received", {{"signal", sig}});
  (*server)->Shutdown();
  return 0;
}
