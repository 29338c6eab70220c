// newsearch-search in router mode (#12, --shards): answers SearchService over
// one Xapian database made of the partitions' remote shards (RemoteShards),
// through the same Searcher as a replica, so scores, facets, collapsing,
// sorting, page tokens and snippets are those of one index. Follows no
// change log and writes no index. Ready while every partition has a replica
// that answers the prober.
#ifndef NEWSEARCH_SEARCH_SERVICE_SERVER_ROUTER_SERVER_H_
#define NEWSEARCH_SEARCH_SERVICE_SERVER_ROUTER_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "search-service/server/search_server.h"

namespace newsearch::search {

class RouterServer {
 public:
  // Uses options.shards (required), the shard_* timeouts, the listener,
  // security, query limits and analyzer; INVALID_ARGUMENT for a bad
  // --shards. Starts even when no replica answers yet (not ready then).
  static absl::StatusOr<std::unique_ptr<RouterServer>> Start(const SearchServerOptions& options);
  ~RouterServer();

  int port() const;
  int health_port() const;
  // Stops serving; in-flight calls finish within the grace period. Idempotent.
  void Shutdown();

 private:
  RouterServer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_SERVER_ROUTER_SERVER_H_
