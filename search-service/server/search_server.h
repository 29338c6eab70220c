// newsearch-search: one search replica. Opens its Xapian index, follows the
// ingest change log into it (LogFollower) and serves SearchService, health
// and reflection. main.cc turns flags into SearchServerOptions.
#ifndef NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCH_SERVER_H_
#define NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCH_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/serving_flags.h"

namespace newsearch::search {

struct SearchServerOptions {
  // host:port to serve gRPC on; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:50052";
  // Directory of this replica's index (xapian/ inside); created when missing.
  std::string data_dir = "./data/search";
  // The ingest service whose change log this replica follows.
  std::string ingest_address = "127.0.0.1:50051";
  std::string port_file;
  // host:port for Prometheus /metrics; empty = off.
  std::string metrics_listen;
  int max_message_bytes = 32 << 20;
  // Most changes per index commit (LogFollowerOptions), and the longest
  // wait to fill a batch.
  int max_batch_changes = 256;
  absl::Duration flush_interval = absl::Milliseconds(200);
  // Largest batch while the replica is behind on a big index
  // (LogFollowerOptions::catch_up_batch_changes; at most max_batch_changes
  // = batches never grow).
  int catch_up_batch_changes = 1024;
  // Local index shards (IndexWriterOptions::shards; 0 = the existing
  // index's number, else the number of cores).
  int index_shards = 0;
  // Documents per live segment of a shard (IndexWriterOptions::
  // segment_docs; 0 = each shard one database).
  int index_segment_docs = 0;
  // The partition this replica holds (--partition=K/N; IndexWriterOptions::
  // partition): partition K of N, 0/1 = every article.
  int partition = 0;
  int partitions = 1;
  // host:port of a replica of the same partition whose index snapshot
  // (SnapshotIndex) a replica with no index copies before it starts, instead
  // of replaying the change log from 0; empty = replay.
  std::string bootstrap_from;
  // Compact the index when idle after this many changes (0 = never; see
  // LogFollowerOptions::compact_after_changes).
  int64_t compact_after_changes = 5000;
  // Query limits.
  int max_query_chars = 1024;
  int max_page_size = 100;
  int max_result_depth = 10000;
  // Per-query time limit for exact counting (zero = none); responses that
  // reach it say partial=true (see SearcherOptions::query_time_limit).
  absl::Duration query_time_limit = absl::ZeroDuration();
  // Facet counts are exact for match sets up to this many articles.
  int facet_exact_limit = 100000;
  // Searches running at once, each on a warm Xapian handle; more wait
  // (SearcherOptions::max_concurrent_searches). 0 = twice the cores, >= 4.
  int max_concurrent_searches = 0;
  // SearcherOptions::relax_threshold: queries whose every-word match finds
  // fewer articles are relaxed unless the request says otherwise; 0 = never.
  int relax_threshold = 3;
  absl::Duration shutdown_grace = absl::Seconds(10);

  // Security and limits (README "Security and limits").
  // Token, TLS, health listener and stream limit for the SearchService.
  server::ServingOptions serving;
  // Token presented to ingest on StreamChanges (file re-read on every
  // reconnect, else the literal; both empty = none).
  std::string ingest_token_file;
  std::string ingest_token;
  // TLS to ingest when the CA file is set; cert and key for mutual TLS.
  std::string ingest_tls_ca_file;
  std::string ingest_tls_cert_file;
  std::string ingest_tls_key_file;
  // Readiness (health service "") means "can answer from a fresh enough
  // index": SERVING while the lag last seen (ingest's head as of the last
  // message on the change stream, minus what is committed here) is at most
  // ready_max_lag. It stays SERVING while ingest is unreachable: replicas
  // keep answering from the index they hold, and the time since the last
  // contact is exported for alerts instead. A replica that has not reached
  // ingest since it started is SERVING once ready_contact_grace has passed
  // if its index already holds changes (it was restarted during an ingest
  // outage); an empty one waits for ingest.
  int64_t ready_max_lag = 1000;
  absl::Duration ready_contact_grace = absl::Seconds(10);
  // Retention (#9): the replica names itself to ingest with the id kept in
  // DATA_DIR/follower_id (made at first start) and re-opens an idle change
  // stream this often to report the seq it has committed (see
  // LogFollowerOptions::resubscribe_interval). Zero = never.
  absl::Duration resubscribe_interval = absl::Minutes(5);
  // Analyzer variant (`bigrams`, `words`, `words+bigrams`; empty = the
  // default). Recorded in the index; an index built with another one is
  // refused (FAILED_PRECONDITION).
  std::string analyzer;
  // Whether the index holds word positions (AnalyzerOptions::positions).
  // Without them quoted phrases are checked on the stored text
  // (query/phrase_check.h) and the index is a third smaller. Unset: as the
  // existing index records, none for a new index. Always on with
  // shard_listen and in router mode: Xapian's remote server checks phrases
  // by positions only. Recorded in the index like the analyzer.
  std::optional<bool> index_positions;
  // A new index without positions leaves out cut bigrams
  // (analysis::AnalyzerOptions::skip_cut_bigrams); an existing index is
  // served as it records.
  bool index_cut_bigrams = false;
  // HOST:PORT on which to serve this replica's index read-only to routers
  // over Xapian's remote protocol (xapian-tcpsrv, supervised; see
  // shard_server.h); started once the replica is first ready. Empty = off.
  std::string shard_listen;
  // The xapian-tcpsrv executable for shard_listen.
  std::string xapian_tcpsrv = "/usr/bin/xapian-tcpsrv";

  // Router mode (RouterServer, router_server.h): partitions separated by
  // `;`, their replicas' shard ports by `,` (--shards). A router follows no
  // change log and writes no index: data_dir, ingest_* and the index
  // options are unused.
  std::string shards;
  // Longest wait for one operation on a shard connection, and to connect.
  absl::Duration shard_timeout = absl::Seconds(5);
  absl::Duration shard_connect_timeout = absl::Seconds(1);
  // How often the router probes every replica.
  absl::Duration shard_probe_interval = absl::Seconds(1);
};

class SearchServer {
 public:
  static absl::StatusOr<std::unique_ptr<SearchServer>> Start(const SearchServerOptions& options);
  ~SearchServer();

  int port() const;
  // Port of the plaintext health listener; 0 when there is none.
  int health_port() const;
  // Stops serving (in-flight calls finish within the grace period), stops
  // following the log after committing what was received. Idempotent.
  void Shutdown();

 private:
  SearchServer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCH_SERVER_H_
