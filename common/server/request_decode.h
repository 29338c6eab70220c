// Requests that do not decode are the caller's mistake. gRPC's sync server
// answers a request it cannot parse (malformed or truncated protobuf, a
// string field that is not valid UTF-8) with INTERNAL and an empty message,
// which reads as a server fault. RequestDecodeInterceptorFactory turns that
// answer into INVALID_ARGUMENT naming the method and the request type, for
// every method whose request gRPC decodes before the handler runs (unary and
// server-streaming). Such a call never reaches its handler, so never its
// admission check either: the interceptor makes the same deadline and token
// checks first (CallGate::Check), and a call the gate refuses gets the
// gate's answer (UNAUTHENTICATED, DEADLINE_EXCEEDED) instead. A call
// cancelled before its request arrived (often by its deadline) is counted
// as CANCELLED, not as a decode failure. Streams that read their requests
// as raw bytes (IngestArticles) use DescribeUndecodable for each message.
#ifndef NEWSEARCH_COMMON_SERVER_REQUEST_DECODE_H_
#define NEWSEARCH_COMMON_SERVER_REQUEST_DECODE_H_

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/server_interceptor.h>

#include <string>

#include "absl/strings/string_view.h"
#include "common/server/call_gate.h"

namespace newsearch::server {

// Returns what is wrong with `bytes` as an encoding of `type`: "field url
// (2) is not valid UTF-8", "the bytes are not a protobuf message (truncated
// or malformed)", or a general sentence when neither applies.
std::string DescribeUndecodable(const google::protobuf::Descriptor& type,
                                absl::string_view bytes);

// Returns "newsearch.v1.IngestArticleRequest" for
// "/newsearch.v1.IngestService/IngestArticle"; empty when the method is
// not linked in.
std::string RequestTypeName(absl::string_view full_method);

// Creates one interceptor per RPC. Install it before RpcObserverFactory so
// that the observer counts and logs the rewritten status (pre-send hooks
// run in installation order). Thread-safe, stateless.
class RequestDecodeInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `gate` (may be null: no checks) must outlive every call.
  explicit RequestDecodeInterceptorFactory(CallGate* gate = nullptr) : gate_(gate) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  CallGate* const gate_;
};

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_REQUEST_DECODE_H_
