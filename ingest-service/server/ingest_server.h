// newsearch-ingest: the IngestService RPCs over the Ingestor, the article
// store and the change notifier, plus health and reflection. main.cc turns
// flags into IngestServerOptions, starts the server and waits for SIGTERM.
#ifndef NEWSEARCH_INGEST_SERVICE_SERVER_INGEST_SERVER_H_
#define NEWSEARCH_INGEST_SERVICE_SERVER_INGEST_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/serving_flags.h"

namespace newsearch::ingest {

struct IngestServerOptions {
  // host:port to serve gRPC on; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:50051";
  // Directory of the SQLite store (articles.db inside); created when missing.
  std::string data_dir = "./data/ingest";
  // When non-empty, the bound port is written there once serving.
  std::string port_file;
  // host:port for Prometheus /metrics; empty = off.
  std::string metrics_listen;
  // Pages above this size are INVALID_ARGUMENT.
  int64_t max_page_bytes = 8 << 20;
  // gRPC receive/send limit; above it gRPC answers RESOURCE_EXHAUSTED.
  int max_message_bytes = 32 << 20;
  // fsync every commit (FULL) rather than only surviving process crashes.
  bool fsync = true;
  // StreamChanges sends a heartbeat after this long without changes.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // Grace period for in-flight calls on shutdown.
  absl::Duration shutdown_grace = absl::Seconds(10);

  // Security and limits (README "Security and limits").
  // Token, TLS, health listener and stream limit for the IngestService.
  server::ServingOptions serving;
  // Pages one IngestArticles stream may carry; the next one ends the stream
  // with RESOURCE_EXHAUSTED (pages before it are kept). <= 0 = no limit.
  int64_t max_articles_per_stream = 1000000;

  // Group commit (PageCommitter): pages of all streams and unary calls are
  // parsed on `parse_threads` threads, then stored up to
  // `commit_max_pages` (and 16 MiB of raw bytes) per transaction and fsync,
  // waiting at most `commit_max_delay` for pages still being parsed.
  int parse_threads = 2;
  int commit_max_pages = 256;
  absl::Duration commit_max_delay = absl::Milliseconds(2);

  // Retention (retention.h): tombstones older than this are purged once
  // every follower heard from within it has applied them; zero keeps them
  // for ever. The upkeep (purge, WAL checkpoint) runs every
  // `maintenance_interval`.
  absl::Duration tombstone_retention = absl::Hours(7 * 24);
  absl::Duration maintenance_interval = absl::Minutes(1);
};

class IngestServer {
 public:
  // Opens the store and starts serving. UNAVAILABLE when the port cannot be
  // bound, or the store's error.
  static absl::StatusOr<std::unique_ptr<IngestServer>> Start(const IngestServerOptions& options);
  ~IngestServer();

  int port() const;
  // Port of the plaintext health listener; 0 when there is none.
  int health_port() const;
  // Stops accepting calls, ends change streams, lets in-flight calls finish
  // within the grace period, and closes the store. Idempotent.
  void Shutdown();

 private:
  IngestServer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_SERVER_INGEST_SERVER_H_
