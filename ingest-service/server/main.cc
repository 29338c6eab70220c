// newsearch-ingest: flags (and NEWSEARCH_* environment variables) ->
// IngestServerOptions -> serve until SIGTERM/SIGINT, then shut down cleanly.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/base/logging.h"
#include "common/server/server_setup.h"
#include "common/server/serving_flags.h"
#include "ingest-service/server/ingest_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address (host:port; port 0 = any)");
ABSL_FLAG(std::string, data_dir, "./data/ingest", "Directory of the SQLite article store");
ABSL_FLAG(std::string, metrics_listen, "",
          "Address for the Prometheus /metrics endpoint (empty = off)");
ABSL_FLAG(std::string, port_file, "", "Write the bound gRPC port to this file once serving");
ABSL_FLAG(int64_t, max_page_bytes, 8 << 20, "Largest page accepted, in bytes");
ABSL_FLAG(int32_t, max_message_bytes, 32 << 20, "Largest gRPC message accepted, in bytes");
ABSL_FLAG(bool, fsync, true,
          "fsync every commit (survives power loss); false survives only process crashes");
ABSL_FLAG(int32_t, heartbeat_seconds, 5, "StreamChanges heartbeat interval");
ABSL_FLAG(int32_t, shutdown_grace_seconds, 10, "Grace period for in-flight calls on SIGTERM");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(int64_t, max_articles_per_stream, 1000000,
          "Pages one IngestArticles stream may carry; the next ends it with RESOURCE_EXHAUSTED "
          "(0 = no limit)");
ABSL_FLAG(int32_t, parse_threads, 2,
          "Threads that parse ingested pages in parallel before they are committed together");
ABSL_FLAG(int32_t, commit_max_pages, 256,
          "Most pages stored in one transaction (one fsync) by group commit; 1 = one per page");
ABSL_FLAG(int32_t, commit_max_delay_ms, 2,
          "How long a group commit may wait for pages still being parsed to join it");
ABSL_FLAG(int64_t, tombstone_retention_seconds, 7 * 24 * 3600,
          "Deleted articles' tombstones older than this are purged once every follower heard "
          "from within it has applied them (0 = keep for ever)");
ABSL_FLAG(int32_t, maintenance_interval_ms, 60000,
          "How often retention purges tombstones and the WAL is checkpointed");

int main(int argc, char** argv) {
  newsearch::server::ConfigureMutexChecks();
  newsearch::server::BlockTerminationSignals();
  absl::SetProgramUsageMessage(
      "newsearch-ingest: parses scraped news pages, stores them and serves the change log.\n"
      "Every flag --name can also be set by the environment variable NEWSEARCH_NAME.");
  std::vector<std::string> env_flags = {
      "listen", "data_dir", "metrics_listen", "port_file", "max_page_bytes", "max_message_bytes",
      "fsync", "heartbeat_seconds", "shutdown_grace_seconds", "log_level",
      "max_articles_per_stream", "parse_threads", "commit_max_pages", "commit_max_delay_ms",
      "tombstone_retention_seconds", "maintenance_interval_ms"};
  for (std::string& name : newsearch::server::ServingFlagNames()) env_flags.push_back(name);
  const absl::Status env = newsearch::server::ApplyEnvironmentToFlags(env_flags);
  if (!env.ok()) {
    std::cerr << "newsearch-ingest: bad environment: " << env.message() << "\n";
    return 2;
  }
  absl::ParseCommandLine(argc, argv);
  if (!newsearch::SetLogLevel(absl::GetFlag(FLAGS_log_level))) {
    std::cerr << "newsearch-ingest: --log_level must be debug, info, warning or error\n";
    return 2;
  }

  newsearch::ingest::IngestServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.port_file = absl::GetFlag(FLAGS_port_file);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.max_page_bytes = absl::GetFlag(FLAGS_max_page_bytes);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.fsync = absl::GetFlag(FLAGS_fsync);
  options.heartbeat_interval = absl::Seconds(absl::GetFlag(FLAGS_heartbeat_seconds));
  options.shutdown_grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));
  options.serving = newsearch::server::ServingOptionsFromFlags();
  options.max_articles_per_stream = absl::GetFlag(FLAGS_max_articles_per_stream);
  options.parse_threads = absl::GetFlag(FLAGS_parse_threads);
  options.commit_max_pages = absl::GetFlag(FLAGS_commit_max_pages);
  options.commit_max_delay = absl::Milliseconds(absl::GetFlag(FLAGS_commit_max_delay_ms));
  options.tombstone_retention = absl::Seconds(absl::GetFlag(FLAGS_tombstone_retention_seconds));
  options.maintenance_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_maintenance_interval_ms));
  std::string problems;
  if (options.max_page_bytes <= 0) problems += " --max_page_bytes must be positive;";
  if (options.max_message_bytes <= 0) problems += " --max_message_bytes must be positive;";
  if (options.max_page_bytes > options.max_message_bytes) {
    problems += " --max_page_bytes must not exceed --max_message_bytes;";
  }
  if (absl::GetFlag(FLAGS_heartbeat_seconds) <= 0) problems += " --heartbeat_seconds must be positive;";
  problems += newsearch::server::ServingOptionsProblems(options.serving);
  if (options.max_articles_per_stream < 0) problems += " --max_articles_per_stream must be >= 0;";
  if (options.parse_threads < 1 || options.parse_threads > 64) {
    problems += " --parse_threads must be between 1 and 64;";
  }
  if (options.commit_max_pages < 1) problems += " --commit_max_pages must be positive;";
  if (absl::GetFlag(FLAGS_commit_max_delay_ms) < 0 ||
      absl::GetFlag(FLAGS_commit_max_delay_ms) > 1000) {
    problems += " --commit_max_delay_ms must be between 0 and 1000;";
  }
  if (absl::GetFlag(FLAGS_tombstone_retention_seconds) < 0) {
    problems += " --tombstone_retention_seconds must be >= 0;";
  }
  if (absl::GetFlag(FLAGS_maintenance_interval_ms) < 10) {
    problems += " --maintenance_interval_ms must be at least 10;";
  }
  if (!problems.empty()) {
    std::cerr << "newsearch-ingest: invalid configuration:" << problems << "\n";
    return 2;
  }

  auto server = newsearch::ingest::IngestServer::Start(options);
  if (!server.ok()) {
    newsearch::Log(newsearch::LogLevel::kError, "ingest", "cannot start",
                   {{"status", server.status().ToString()}});
    return 1;
  }
  const int sig = newsearch::server::WaitForTerminationSignal();
  newsearch::Log(newsearch::LogLevel::kInfo, "ingest", "signal received", {{"signal", sig}});
  (*server)->Shutdown();
  return 0;
}
