// A gRPC server interceptor that observes every RPC of one service: it
// counts requests by method and status code, times them, tracks streams in
// flight, and writes one JSON log line per RPC (info; warning for
// INTERNAL, UNKNOWN and DATA_LOSS) with method, code, latency, peer and
// request id. The request id is the client's `x-request-id` metadata when it
// is short printable ASCII, else a fresh random one; it is sent back in the
// response's initial metadata as `x-request-id`. Service code therefore does not record
// per-RPC metrics itself (STYLE.md: "map once, record metrics, log failures
// at debug"). Metrics, for <service> = "ingest" or "search":
//   newsearch_<service>_rpc_requests_total{method,code}   counter
//   newsearch_<service>_rpc_duration_seconds{method}      histogram, 0.5 ms..10 s
//   newsearch_<service>_open_streams{method}              gauge, streaming RPCs only
// `method` is the last segment of the full name ("/newsearch.v1.SearchService/Search"
// -> "Search"); `code` is the canonical name ("OK", "INVALID_ARGUMENT").
//
// Install it with
//   builder.experimental().SetInterceptorCreators(std::move(creators));
// SetInterceptorCreators replaces earlier creators: pass every interceptor
// of the server in one vector.
#ifndef NEWSEARCH_COMMON_SERVER_RPC_OBSERVER_H_
#define NEWSEARCH_COMMON_SERVER_RPC_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/server/metrics.h"

namespace newsearch::server {

// Creates one observing interceptor per RPC. Thread-safe. The registry must
// outlive every server the factory is installed in.
class RpcObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Registers the three metric families for `service` (lower case,
  // [a-z0-9_]+, e.g. "ingest") in `registry`. INVALID_ARGUMENT for a bad
  // service name; ALREADY_EXISTS when the names are taken by other metrics.
  // Creating two factories for the same service and registry shares the
  // families.
  static absl::StatusOr<std::unique_ptr<RpcObserverFactory>> Create(absl::string_view service,
                                                                    Registry* registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // The metric families, for tests and for code that reads them back.
  CounterFamily* requests() const { return requests_; }
  HistogramFamily* duration() const { return duration_; }
  GaugeFamily* open_streams() const { return open_streams_; }

 private:
  RpcObserverFactory(std::string service, CounterFamily* requests, HistogramFamily* duration,
                     GaugeFamily* open_streams)
      : service_(std::move(service)),
        requests_(requests),
        duration_(duration),
        open_streams_(open_streams) {}

  const std::string service_;
  CounterFamily* const requests_;
  HistogramFamily* const duration_;
  GaugeFamily* const open_streams_;
};

// Returns the label used for a full gRPC method name: its last path segment,
// or "unknown" when that is empty, longer than 64 bytes or not made of
// [A-Za-z0-9_] (keeps label cardinality bounded whatever a client sends).
std::string RpcMethodLabel(absl::string_view full_method);

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_RPC_OBSERVER_H_
