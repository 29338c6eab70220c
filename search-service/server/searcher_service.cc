#include "search-service/server/searcher_service.h"

#include <chrono>
#include <utility>

#include "absl/time/time.h"
#include "common/base/logging.h"
#include "common/server/grpc_status.h"

namespace newsearch::search {
namespace {

// The call's deadline; none = no limit beyond the searcher's own.
absl::Time Deadline(const grpc::ServerContext* context) {
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

grpc::Status SearcherService::Search(grpc::ServerContext* context,
                                     const v1::SearchRequest* request,
                                     v1::SearchResponse* response) {
  const server::Admission admission(gate_, context, "Search");
  if (!admission.ok()) return admission.status();
  absl::StatusOr<v1::SearchResponse> result = searcher_->Search(*request, Deadline(context));
  if (!result.ok()) {
    Log(LogLevel::kDebug, logger_, "query failed", {{"status", result.status().ToString()}});
    return server::ToGrpcStatus(result.status());
  }
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status SearcherService::SimilarArticles(grpc::ServerContext* context,
                                              const v1::SimilarArticlesRequest* request,
                                              v1::SimilarArticlesResponse* response) {
  const server::Admission admission(gate_, context, "SimilarArticles");
  if (!admission.ok()) return admission.status();
  absl::StatusOr<v1::SimilarArticlesResponse> result =
      searcher_->SimilarArticles(*request, Deadline(context));
  if (!result.ok()) {
    Log(LogLevel::kDebug, logger_, "similar articles failed",
        {{"status", result.status().ToString()}});
    return server::ToGrpcStatus(result.status());
  }
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace newsearch::search
