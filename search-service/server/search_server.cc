#include "search-service/server/search_server.h"

#include <filesystem>
#include <system_error>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/analysis/analyzer.h"
#include "common/base/logging.h"
#include "common/base/status_macros.h"
#include "common/server/grpc_status.h"
#include "common/server/grpc_server.h"
#include "common/server/metrics.h"
#include "common/server/server_setup.h"
#include "newsearch/v1/search.grpc.pb.h"
#include "search-service/index/index_writer.h"
#include "search-service/index/log_follower.h"
#include "search-service/query/searcher.h"
#include "search-service/schema/schema.h"

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

class SearchServiceImpl final : public v1::SearchService::Service {
 public:
  SearchServiceImpl(const Searcher* searcher, const LogFollower* follower, std::string index_path,
                    std::string ingest_address)
      : searcher_(searcher),
        follower_(follower),
        index_path_(std::move(index_path)),
        ingest_address_(std::move(ingest_address)) {}

  grpc::Status Search(grpc::ServerContext*, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override {
    absl::StatusOr<v1::SearchResponse> result = searcher_->Search(*request);
    if (!result.ok()) {
      Log(LogLevel::kDebug, "search", "query failed", {{"status", result.status().ToString()}});
      return server::ToGrpcStatus(result.status());
    }
    *response = std::move(*result);
    return grpc::Status::OK;
  }

  grpc::Status GetIndexStatus(grpc::ServerContext*, const v1::GetIndexStatusRequest*,
                              v1::GetIndexStatusResponse* response) override {
    const FollowerStatus status = follower_->status();
    absl::StatusOr<int64_t> count = searcher_->DocumentCount();
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
    response->set_index_size_bytes(DirectorySize(index_path_));
    return grpc::Status::OK;
  }

 private:
  const Searcher* searcher_;
  const LogFollower* follower_;
  std::string index_path_;
  std::string ingest_address_;
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
  std::unique_ptr<server::GrpcServer> server;
  absl::Mutex shutdown_mu;
  bool shut_down ABSL_GUARDED_BY(shutdown_mu) = false;
};

SearchServer::SearchServer() : impl_(std::make_unique<Impl>()) {}
SearchServer::~SearchServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<SearchServer>> SearchServer::Start(
    const SearchServerOptions& options) {
  std::unique_ptr<SearchServer> server(new SearchServer());
  Impl& impl = *server->impl_;
  impl.options = options;
  NEWSEARCH_RETURN_IF_ERROR(server::EnsureDirectory(options.data_dir));
  const std::string index_path = options.data_dir + "/xapian";
  analysis::AnalyzerOptions analyzer_options;
  if (!options.analyzer.empty()) {
    NEWSEARCH_ASSIGN_OR_RETURN(analyzer_options.segmentation,
                               analysis::ParseSegmentation(options.analyzer));
  }
  NEWSEARCH_ASSIGN_OR_RETURN(impl.analyzer, analysis::Analyzer::Create(analyzer_options));
  NEWSEARCH_RETURN_IF_ERROR(schema::CheckIndexAnalyzer(index_path, *impl.analyzer));
  IndexWriterOptions writer_options;
  writer_options.path = index_path;
  NEWSEARCH_ASSIGN_OR_RETURN(impl.writer, IndexWriter::Open(writer_options, impl.analyzer.get()));
  SearcherOptions searcher_options;
  searcher_options.path = index_path;
  searcher_options.max_query_chars = options.max_query_chars;
  searcher_options.max_page_size = options.max_page_size;
  searcher_options.max_result_depth = options.max_result_depth;
  NEWSEARCH_ASSIGN_OR_RETURN(impl.searcher, Searcher::Create(searcher_options, impl.analyzer.get()));

  LogFollowerOptions follower_options;
  follower_options.ingest_address = options.ingest_address;
  follower_options.max_batch_changes = options.max_batch_changes;
  follower_options.flush_interval = options.flush_interval;
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
  NEWSEARCH_RETURN_IF_ERROR(impl.registry.AddCallbackGauge(
      "newsearch_search_documents", "Documents in the latest committed index revision.",
      [searcher] {
        absl::StatusOr<int64_t> count = searcher->DocumentCount();
        return count.ok() ? static_cast<double>(*count) : 0.0;
      }));

  impl.service = std::make_unique<SearchServiceImpl>(impl.searcher.get(), impl.follower.get(),
                                                     index_path, options.ingest_address);
  server::GrpcServerOptions grpc_options;
  grpc_options.listen = options.listen;
  grpc_options.port_file = options.port_file;
  grpc_options.metrics_listen = options.metrics_listen;
  grpc_options.metrics_service = "search";
  grpc_options.max_message_bytes = options.max_message_bytes;
  grpc_options.shutdown_grace = options.shutdown_grace;
  NEWSEARCH_ASSIGN_OR_RETURN(impl.server,
                             server::GrpcServer::Start(grpc_options, {impl.service.get()},
                                                       {"newsearch.v1.SearchService"},
                                                       &impl.registry));
  impl.follower->Start();
  Log(LogLevel::kInfo, "search", "serving",
      {{"listen", options.listen},
       {"port", impl.server->port()},
       {"metrics_port", impl.server->metrics_port()},
       {"data_dir", options.data_dir},
       {"ingest_address", options.ingest_address},
       {"applied_seq", static_cast<long long>(impl.writer->applied_seq())}});
  return server;
}

int SearchServer::port() const { return impl_->server->port(); }

void SearchServer::Shutdown() {
  {
    absl::MutexLock lock(&impl_->shutdown_mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
  }
  Log(LogLevel::kInfo, "search", "shutting down");
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
