#include "search-service/server/search_server.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/analysis/analyzer.h"
#include "common/base/logging.h"
#include "common/base/status_macros.h"
#include "common/server/auth.h"
#include "common/server/call_gate.h"
#include "common/server/grpc_status.h"
#include "common/server/grpc_server.h"
#include "common/server/metrics.h"
#include "common/server/server_setup.h"
#include "common/server/tls.h"
#include "newsearch/v1/search.grpc.pb.h"
#include "search-service/index/index_writer.h"
#include "search-service/index/log_follower.h"
#include "search-service/query/searcher.h"
#include "search-service/schema/schema.h"
#include "search-service/server/index_snapshot.h"
#include "search-service/server/searcher_service.h"
#include "search-service/server/searcher_setup.h"
#include "search-service/server/shard_server.h"

namespace newsearch::search {
namespace {

int64_t DirectorySize(const std::string& dir) {
  std::error_code ec;
  int64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

// Returns this replica's follower id, kept in DATA_DIR/follower_id: made
// once from 16 random bytes, so it is stable across restarts and new when
// the data directory (the index) is replaced.
absl::StatusOr<std::string> LoadOrCreateFollowerId(const std::string& data_dir) {
  const std::string path = data_dir + "/follower_id";
  {
    std::ifstream in(path);
    std::string id;
    if (in && std::getline(in, id) && !id.empty()) return id;
  }
  std::random_device random;
  std::string id = "replica-";
  for (int i = 0; i < 4; ++i) absl::StrAppend(&id, absl::Hex(random(), absl::kZeroPad8));
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << id << "\n";
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, ": ", ec.message()));
  }
  return id;
}

class SearchServiceImpl final : public SearcherService {
 public:
  SearchServiceImpl(const Searcher* searcher, const LogFollower* follower, std::string index_path,
                    std::string ingest_address)
      : SearcherService(searcher, "search"),
        follower_(follower),
        index_path_(std::move(index_path)),
        ingest_address_(std::move(ingest_address)) {}

  void set_snapshots(SnapshotServer* snapshots) { snapshots_ = snapshots; }

  grpc::Status SnapshotIndex(grpc::ServerContext* context, const v1::SnapshotIndexRequest* request,
                             grpc::ServerWriter<v1::SnapshotIndexResponse>* writer) override {
    const server::Admission admission(gate(), context, "SnapshotIndex",
                                      server::Admission::Kind::kStreaming);
    if (!admission.ok()) return admission.status();
    return snapshots_->Stream(context, *request, writer);
  }

  void set_partition(int partition, int partitions) {
    partition_ = partition;
    partitions_ = partitions;
  }

  grpc::Status GetIndexStatus(grpc::ServerContext* context, const v1::GetIndexStatusRequest*,
                              v1::GetIndexStatusResponse* response) override {
    const server::Admission admission(gate(), context, "GetIndexStatus");
    if (!admission.ok()) return admission.status();
    const FollowerStatus status = follower_->status();
    absl::StatusOr<int64_t> count = searcher()->DocumentCount();
    if (!count.ok()) return server::ToGrpcStatus(count.status());
    response->set_document_count(*count);
    response->set_applied_seq(status.applied_seq);
    const int64_t head = std::max(status.head_seq, status.applied_seq);
    response->set_head_seq(head);
    response->set_lag(head - status.applied_seq);
    response->set_following(status.following);
    response->set_ingest_address(ingest_address_);
    if (status.last_commit_at != absl::InfinitePast()) {
      response->mutable_last_commit_at()->set_seconds(absl::ToUnixSeconds(status.last_commit_at));
    }
    if (status.last_contact_at != absl::InfinitePast()) {
      response->mutable_last_contact_at()->set_seconds(absl::ToUnixSeconds(status.last_contact_at));
    }
    response->set_stalled_at_seq(status.stalled_at_seq);
    response->set_compaction_pending(status.compaction_pending);
    response->set_last_error(status.last_error);
    response->set_index_size_bytes(DirectorySize(index_path_));
    response->set_partition(partition_);
    response->set_partition_count(partitions_);
    return grpc::Status::OK;
  }

 private:
  const LogFollower* follower_;
  std::string index_path_;
  std::string ingest_address_;
  int partition_ = 0;
  int partitions_ = 1;
  SnapshotServer* snapshots_ = nullptr;
};

}  // namespace

struct SearchServer::Impl {
  SearchServerOptions options;
  // Declared first: everything below may record into it.
  server::Registry registry;
  std::unique_ptr<analysis::Analyzer> analyzer;
  std::unique_ptr<IndexWriter> writer;
  std::unique_ptr<LogFollower> follower;
  std::unique_ptr<Searcher> searcher;
  std::unique_ptr<SearchServiceImpl> service;
  std::unique_ptr<SnapshotServer> snapshots;
  std::unique_ptr<server::TokenSource> ingest_token;
  std::unique_ptr<server::GrpcServer> server;
  // The shard port for routers (--shard_listen); null when off.
  std::unique_ptr<ShardServer> shard_server;
  absl::Mutex shutdown_mu;
  bool shut_down ABSL_GUARDED_BY(shutdown_mu) = false;
  // Readiness reporter: sets health "" from the follower's lag.
  std::thread readiness;
  absl::Mutex readiness_mu;
  bool readiness_stop ABSL_GUARDED_BY(readiness_mu) = false;

  void ReportReadiness();
};

namespace {

bool IsReady(const FollowerStatus& status, const SearchServerOptions& options,
             absl::Duration since_start) {
  // A replica that cannot apply the log only falls further behind.
  if (status.stalled_at_seq > 0 || status.ahead_of_log) return false;
  if (status.last_contact_at == absl::InfinitePast()) {
    // No word from ingest since this process started: serve the index this
    // replica already holds once the grace has passed, never an empty one.
    return status.applied_seq > 0 && since_start >= options.ready_contact_grace;
  }
  return std::max<int64_t>(0, status.head_seq - status.applied_seq) <= options.ready_max_lag;
}

}  // namespace

void SearchServer::Impl::ReportReadiness() {
  using grpc::health::v1::HealthCheckResponse;
  const absl::Time started = absl::Now();
  bool last_ready = false;
  bool first = true;
  while (true) {
    const FollowerStatus status = follower->status();
    const int64_t lag = std::max<int64_t>(0, status.head_seq - status.applied_seq);
    const bool ready = IsReady(status, options, absl::Now() - started);
    if (first || ready != last_ready) {
      const auto serving = ready ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
      server->health().SetStatus("", serving);
      server->health().SetStatus("newsearch.v1.SearchService", serving);
      Log(LogLevel::kInfo, "search", ready ? "ready" : "not ready",
          {{"following", status.following},
           {"contacted", status.last_contact_at != absl::InfinitePast()},
           {"lag", static_cast<long long>(lag)},
           {"ready_max_lag", static_cast<long long>(options.ready_max_lag)}});
      last_ready = ready;
      first = false;
    }
    // Routers get the index once it is fresh enough, never an empty or
    // half-built one; it then stays served (a lagging replica answers
    // better than none).
    if (ready && shard_server != nullptr) shard_server->Start();
    absl::MutexLock lock(&readiness_mu);
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(readiness_mu) { return readiness_stop; };
    if (readiness_mu.AwaitWithTimeout(absl::Condition(&stop), absl::Milliseconds(100))) return;
  }
}

SearchServer::SearchServer() : impl_(std::make_unique<Impl>()) {}
SearchServer::~SearchServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<SearchServer>> SearchServer::Start(
    const SearchServerOptions& options) {
  std::unique_ptr<SearchServer> server(new SearchServer());
  Impl& impl = *server->impl_;
  impl.options = options;
  NEWSEARCH_RETURN_IF_ERROR(server::EnsureDirectory(options.data_dir));
  const std::string index_path = options.data_dir + "/xapian";
  NEWSEARCH_ASSIGN_OR_RETURN(impl.analyzer, CreateAnalyzer(options, index_path));
  if (!options.bootstrap_from.empty()) {
    // A new replica copies a peer's index instead of replaying the log from
    // 0; the peer is called with the credentials used for ingest.
    BootstrapOptions bootstrap;
    bootstrap.peer = options.bootstrap_from;
    bootstrap.index_path = index_path;
    bootstrap.index_shards = options.index_shards;
    bootstrap.partition = options.partition;
    bootstrap.partitions = options.partitions;
    bootstrap.analyzer_signature = impl.analyzer->Signature();
    bootstrap.max_message_bytes = options.max_message_bytes;
    server::ClientTlsFiles peer_tls{options.ingest_tls_ca_file, options.ingest_tls_cert_file,
                                    options.ingest_tls_key_file, "--ingest_tls_"};
    NEWSEARCH_ASSIGN_OR_RETURN(bootstrap.credentials, server::MakeChannelCredentials(peer_tls));
    NEWSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<server::TokenSource> peer_token,
                               server::MakeTokenSource(options.ingest_token_file,
                                                       options.ingest_token));
    if (peer_token != nullptr) {
      server::TokenSource* token = peer_token.get();
      bootstrap.token = [token] { return token->Current(); };
    }
    NEWSEARCH_RETURN_IF_ERROR(BootstrapIndex(bootstrap).status());
  }
  IndexWriterOptions writer_options;
  writer_options.path = index_path;  // checks the analyzer of every shard
  writer_options.shards = options.index_shards;
  writer_options.segment_docs = options.index_segment_docs;
  writer_options.partition = options.partition;  // checked against every shard
  writer_options.partitions = options.partitions;
  // Routers' connections made before a compaction read the old generation
  // until their prober notices the new one (shard_server.h).
  if (!options.shard_listen.empty()) writer_options.retired_grace = absl::Seconds(10);
  NEWSEARCH_ASSIGN_OR_RETURN(impl.writer, IndexWriter::Open(writer_options, impl.analyzer.get()));
  NEWSEARCH_ASSIGN_OR_RETURN(impl.searcher, Searcher::Create(MakeSearcherOptions(options, index_path), impl.analyzer.get()));

  LogFollowerOptions follower_options;
  follower_options.ingest_address = options.ingest_address;
  follower_options.max_batch_changes = options.max_batch_changes;
  follower_options.flush_interval = options.flush_interval;
  follower_options.catch_up_batch_changes = options.catch_up_batch_changes;
  follower_options.compact_after_changes = options.compact_after_changes;
  follower_options.partition = options.partition;
  follower_options.partitions = options.partitions;
  NEWSEARCH_ASSIGN_OR_RETURN(follower_options.follower_id,
                             LoadOrCreateFollowerId(options.data_dir));
  follower_options.resubscribe_interval = options.resubscribe_interval;
  server::ClientTlsFiles ingest_tls{options.ingest_tls_ca_file, options.ingest_tls_cert_file,
                                    options.ingest_tls_key_file, "--ingest_tls_"};
  NEWSEARCH_ASSIGN_OR_RETURN(follower_options.credentials,
                             server::MakeChannelCredentials(ingest_tls));
  NEWSEARCH_ASSIGN_OR_RETURN(impl.ingest_token, server::MakeTokenSource(options.ingest_token_file,
                                                                         options.ingest_token));
  if (impl.ingest_token != nullptr) {
    server::TokenSource* token = impl.ingest_token.get();
    follower_options.token = [token] { return token->Current(); };
  }
  NEWSEARCH_ASSIGN_OR_RETURN(
      server::HistogramFamily * commit_duration,
      impl.registry.AddHistogram("newsearch_search_commit_duration_seconds",
                                 "Time to apply one batch of changes and commit it to the index.",
                                 {}, server::DefaultLatencyBucketsSeconds()));
  server::Histogram* commit_histogram = &commit_duration->WithLabels({});
  follower_options.on_commit = [commit_histogram](absl::Duration took, int64_t) {
    commit_histogram->Observe(absl::ToDoubleSeconds(took));
  };
  if (!options.shard_listen.empty()) {
    ShardServerOptions shard_options;
    shard_options.listen = options.shard_listen;
    shard_options.database = index_path;
    shard_options.program = options.xapian_tcpsrv;
    NEWSEARCH_ASSIGN_OR_RETURN(impl.shard_server, ShardServer::Create(shard_options));
  }
  impl.follower = std::make_unique<LogFollower>(follower_options, impl.writer.get());
  const LogFollower* follower = impl.follower.get();
  const Searcher* searcher = impl.searcher.get();
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_applied_seq", "Highest change-log seq committed to this replica's index.",
      [follower] { return static_cast<double>(follower->status().applied_seq); }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_head_seq", "Highest change-log seq the ingest service reported.",
      [follower] { return static_cast<double>(follower->status().head_seq); }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_lag", "Changes logged by ingest but not yet applied here.", [follower] {
        const FollowerStatus status = follower->status();
        return static_cast<double>(std::max<int64_t>(0, status.head_seq - status.applied_seq));
      }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_following", "1 while the change stream to ingest is open.",
      [follower] { return follower->status().following ? 1.0 : 0.0; }));
  const absl::Time started = absl::Now();
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_stalled_at_seq",
      "First seq of a change the index refuses as malformed (the replica cannot progress and "
      "is not ready); 0 while changes apply.",
      [follower] { return static_cast<double>(follower->status().stalled_at_seq); }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_seconds_since_contact",
      "Seconds since the last message (changes or heartbeat) from ingest; since this replica "
      "started when there has been none. Alert on it: replicas stay ready through an ingest "
      "outage.",
      [follower, started] {
        const absl::Time contact = follower->status().last_contact_at;
        return absl::ToDoubleSeconds(absl::Now() -
                                     (contact == absl::InfinitePast() ? started : contact));
      }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_documents", "Documents in the latest committed index revision.",
      [searcher] {
        absl::StatusOr<int64_t> count = searcher->DocumentCount();
        return count.ok() ? static_cast<double>(*count) : 0.0;
      }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_index_size_bytes", "Bytes of this replica's index files on disk.",
      [index_path] { return static_cast<double>(DirectorySize(index_path)); }));

  impl.service = std::make_unique<SearchServiceImpl>(impl.searcher.get(), impl.follower.get(),
                                                     index_path, options.ingest_address);
  impl.service->set_partition(options.partition, options.partitions);
  impl.snapshots =
      std::make_unique<SnapshotServer>(impl.writer.get(), options.data_dir, impl.analyzer->Signature());
  impl.service->set_snapshots(impl.snapshots.get());
  server::GrpcServerOptions grpc_options;
  grpc_options.listen = options.listen;
  grpc_options.port_file = options.port_file;
  grpc_options.metrics_listen = options.metrics_listen;
  grpc_options.metrics_service = "search";
  grpc_options.max_message_bytes = options.max_message_bytes;
  grpc_options.shutdown_grace = options.shutdown_grace;
  server::ApplyServingOptions(options.serving, &grpc_options);
  // Ready only once the index is fresh enough (ReportReadiness).
  grpc_options.initially_ready = false;
  NEWSEARCH_ASSIGN_OR_RETURN(impl.server,
                             server::GrpcServer::Start(grpc_options, {impl.service.get()},
                                                       {"newsearch.v1.SearchService"},
                                                       &impl.registry));
  // Read before the follower starts: afterwards the shard threads write it.
  const int64_t applied_seq = impl.writer->applied_seq();
  impl.follower->Start();
  impl.readiness = std::thread([&impl] { impl.ReportReadiness(); });
  Log(LogLevel::kInfo, "search", "serving",
      {{"listen", options.listen},
       {"port", impl.server->port()},
       {"metrics_port", impl.server->metrics_port()},
       {"data_dir", options.data_dir},
       {"ingest_address", options.ingest_address},
       {"applied_seq", static_cast<long long>(applied_seq)}});
  return server;
}

int SearchServer::port() const { return impl_->server->port(); }

int SearchServer::health_port() const { return impl_->server->health_port(); }

void SearchServer::Shutdown() {
  {
    absl::MutexLock lock(&impl_->shutdown_mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
  }
  Log(LogLevel::kInfo, "search", "shutting down");
  {
    absl::MutexLock lock(&impl_->readiness_mu);
    impl_->readiness_stop = true;
  }
  if (impl_->readiness.joinable()) impl_->readiness.join();
  if (impl_->shard_server != nullptr) impl_->shard_server->Stop();
  if (impl_->server != nullptr) impl_->server->Shutdown();
  Log(LogLevel::kDebug, "search", "grpc server stopped");
  if (impl_->follower != nullptr) impl_->follower->Stop();
  Log(LogLevel::kDebug, "search", "change log follower stopped");
  if (impl_->writer != nullptr) {
    absl::Status closed = impl_->writer->Close();
    if (!closed.ok()) {
      Log(LogLevel::kError, "search", "cannot close index", {{"status", closed.ToString()}});
    }
  }
  Log(LogLevel::kInfo, "search", "stopped");
}

}  // namespace newsearch::search
