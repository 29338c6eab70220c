#include "search-service/server/router_server.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/analysis/analyzer.h"
#include "common/base/logging.h"
#include "common/base/status_macros.h"
#include "common/server/call_gate.h"
#include "common/server/grpc_server.h"
#include "common/server/grpc_status.h"
#include "common/server/metrics.h"
#include "common/server/server_setup.h"
#include "newsearch/v1/search.grpc.pb.h"
#include "search-service/query/remote_shards.h"
#include "search-service/query/searcher.h"
#include "search-service/server/searcher_service.h"
#include "search-service/server/searcher_setup.h"

namespace newsearch::search {
namespace {

class RouterServiceImpl final : public SearcherService {
 public:
  RouterServiceImpl(const Searcher* searcher, RemoteShards* shards)
      : SearcherService(searcher, "router"), shards_(shards) {}

  // Per partition, what the replica that answered says of its index; a
  // partition no replica of which answers is listed as missing (partial),
  // not an error. The router's totals: documents over the partitions that
  // answered, applied_seq the lowest they report. A router follows no log:
  // no head, no lag.
  grpc::Status GetIndexStatus(grpc::ServerContext* context, const v1::GetIndexStatusRequest*,
                              v1::GetIndexStatusResponse* response) override {
    const server::Admission admission(gate(), context, "GetIndexStatus");
    if (!admission.ok()) return admission.status();
    absl::Time deadline = absl::Now() + kStatusTimeout;
    if (context->deadline() != std::chrono::system_clock::time_point::max()) {
      deadline = std::min(deadline, absl::FromChrono(context->deadline()));
    }
    int64_t documents = 0;
    int64_t lowest = -1;
    for (const RemoteShards::PartitionStatus& s : shards_->PartitionStatuses(deadline)) {
      v1::PartitionStatus* out = response->add_partitions();
      out->set_partition(s.partition);
      out->set_missing(s.missing);
      out->set_replicas(s.replicas);
      out->set_replicas_up(s.replicas_up);
      if (s.missing) {
        out->set_error(s.error);
        response->set_partial(true);
        continue;
      }
      out->set_replica(s.replica);
      out->set_document_count(s.document_count);
      out->set_applied_seq(s.applied_seq);
      int k = 0;
      int n = 0;
      const std::vector<absl::string_view> kn = absl::StrSplit(s.holds, '/');
      if (kn.size() == 2 && absl::SimpleAtoi(kn[0], &k) && absl::SimpleAtoi(kn[1], &n)) {
        out->set_index_partition(k);
        out->set_index_partition_count(n);
      }
      documents += s.document_count;
      if (lowest < 0 || s.applied_seq < lowest) lowest = s.applied_seq;
    }
    response->set_document_count(documents);
    response->set_applied_seq(std::max<int64_t>(lowest, 0));
    response->set_head_seq(response->applied_seq());
    return grpc::Status::OK;
  }

 private:
  // Longest a status call waits for the partitions when the caller set no
  // shorter deadline.
  static constexpr absl::Duration kStatusTimeout = absl::Seconds(10);
  RemoteShards* shards_;
};

}  // namespace

struct RouterServer::Impl {
  SearchServerOptions options;
  server::Registry registry;  // first: everything below may record into it
  std::unique_ptr<analysis::Analyzer> analyzer;
  std::shared_ptr<RemoteShards> shards;
  std::unique_ptr<Searcher> searcher;
  std::unique_ptr<RouterServiceImpl> service;
  std::unique_ptr<server::GrpcServer> server;
  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
  bool stop_readiness ABSL_GUARDED_BY(mu) = false;
  std::thread readiness;

  // Sets health "" and the service from RemoteShards::Ready().
  void ReportReadiness() {
    using grpc::health::v1::HealthCheckResponse;
    bool first = true;
    bool last = false;
    for (;;) {
      const bool ready = shards->Ready();
      if (first || ready != last) {
        const auto serving =
            ready ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
        server->health().SetStatus("", serving);
        server->health().SetStatus("newsearch.v1.SearchService", serving);
        Log(LogLevel::kInfo, "router", ready ? "ready" : "not ready",
            {{"partitions", shards->partitions()}});
        first = false;
        last = ready;
      }
      absl::MutexLock lock(&mu);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return stop_readiness; };
      if (mu.AwaitWithTimeout(absl::Condition(&stop), absl::Milliseconds(100))) return;
    }
  }
};

RouterServer::RouterServer() : impl_(std::make_unique<Impl>()) {}
RouterServer::~RouterServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<RouterServer>> RouterServer::Start(
    const SearchServerOptions& options) {
  std::unique_ptr<RouterServer> router(new RouterServer());
  Impl& impl = *router->impl_;
  impl.options = options;
  NEWSEARCH_ASSIGN_OR_RETURN(impl.analyzer, CreateAnalyzer(options));
  RemoteShardsOptions shard_options;
  shard_options.spec = options.shards;
  shard_options.timeout = options.shard_timeout;
  shard_options.connect_timeout = options.shard_connect_timeout;
  shard_options.probe_interval = options.shard_probe_interval;
  NEWSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<RemoteShards> shards,
                             RemoteShards::Create(shard_options));
  impl.shards = std::move(shards);
  SearcherOptions searcher_options =
      MakeSearcherOptions(options, absl::StrCat("shards ", options.shards));
  searcher_options.remote_shards = impl.shards;
  NEWSEARCH_ASSIGN_OR_RETURN(impl.searcher, Searcher::Create(searcher_options, impl.analyzer.get()));

  RemoteShards* remote = impl.shards.get();
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_router_partitions", "Partitions this router searches (--shards).",
      [remote] { return static_cast<double>(remote->partitions()); }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_router_replicas_up",
      "Shard replicas that answered the router's last probe.", [remote] {
        int up = 0;
        for (const RemoteShards::ReplicaStatus& s : remote->Status()) up += s.up ? 1 : 0;
        return static_cast<double>(up);
      }));
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_router_partitions_unavailable",
      "Partitions without a replica that answered the last probe (queries fail or are "
      "partial).",
      [remote] {
        std::vector<bool> up(static_cast<size_t>(remote->partitions()), false);
        for (const RemoteShards::ReplicaStatus& s : remote->Status()) {
          if (s.up) up[static_cast<size_t>(s.partition)] = true;
        }
        return static_cast<double>(std::count(up.begin(), up.end(), false));
      }));

  impl.service = std::make_unique<RouterServiceImpl>(impl.searcher.get(), impl.shards.get());
  server::GrpcServerOptions grpc_options;
  grpc_options.listen = options.listen;
  grpc_options.port_file = options.port_file;
  grpc_options.metrics_listen = options.metrics_listen;
  grpc_options.metrics_service = "search";
  grpc_options.max_message_bytes = options.max_message_bytes;
  grpc_options.shutdown_grace = options.shutdown_grace;
  server::ApplyServingOptions(options.serving, &grpc_options);
  grpc_options.initially_ready = false;
  NEWSEARCH_ASSIGN_OR_RETURN(impl.server,
                             server::GrpcServer::Start(grpc_options, {impl.service.get()},
                                                       {"newsearch.v1.SearchService"},
                                                       &impl.registry));
  impl.readiness = std::thread([&impl] { impl.ReportReadiness(); });
  Log(LogLevel::kInfo, "router", "serving",
      {{"listen", options.listen},
       {"port", impl.server->port()},
       {"shards", options.shards},
       {"partitions", impl.shards->partitions()}});
  return router;
}

int RouterServer::port() const { return impl_->server->port(); }

int RouterServer::health_port() const { return impl_->server->health_port(); }

void RouterServer::Shutdown() {
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
    impl_->stop_readiness = true;
  }
  Log(LogLevel::kInfo, "router", "shutting down");
  if (impl_->readiness.joinable()) impl_->readiness.join();
  if (impl_->server != nullptr) impl_->server->Shutdown();
  // Closes the shard connections before the prober stops.
  impl_->searcher.reset();
  impl_->shards.reset();
  Log(LogLevel::kInfo, "router", "stopped");
}

}  // namespace newsearch::search
