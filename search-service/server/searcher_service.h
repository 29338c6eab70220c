// The part of SearchService that a replica (its own index) and a router
// (remote partitions) answer the same way: Search and SimilarArticles through
// a Searcher, each call admitted through the server's call gate and bounded
// by its gRPC deadline. Subclasses add GetIndexStatus (and SnapshotIndex).
#ifndef NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCHER_SERVICE_H_
#define NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCHER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "common/server/call_gate.h"
#include "newsearch/v1/search.grpc.pb.h"
#include "search-service/query/searcher.h"

namespace newsearch::search {

class SearcherService : public v1::SearchService::Service, public server::GatedService {
 public:
  // `logger` names the log lines of failed calls ("search", "router").
  SearcherService(const Searcher* searcher, const char* logger)
      : searcher_(searcher), logger_(logger) {}

  void SetCallGate(server::CallGate* gate) final { gate_ = gate; }

  grpc::Status Search(grpc::ServerContext* context, const v1::SearchRequest* request,
                      v1::SearchResponse* response) final;
  grpc::Status SimilarArticles(grpc::ServerContext* context,
                               const v1::SimilarArticlesRequest* request,
                               v1::SimilarArticlesResponse* response) final;

 protected:
  const Searcher* searcher() const { return searcher_; }
  server::CallGate* gate() const { return gate_; }

 private:
  const Searcher* const searcher_;
  const char* const logger_;
  server::CallGate* gate_ = nullptr;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_SERVER_SEARCHER_SERVICE_H_
