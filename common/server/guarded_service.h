// Admission control for whole gRPC services: every method of a wrapped
// service, including methods added later, passes the same gate before its
// handler runs:
//   * a call whose deadline has already passed is DEADLINE_EXCEEDED and does
//     no work;
//   * when a token source is set, a call without the right
//     `authorization: Bearer <token>` metadata is UNAUTHENTICATED (logged
//     with method and peer, never the token) and its request is discarded
//     unread by the service;
//   * when a stream limit is set, a streaming call beyond it is
//     RESOURCE_EXHAUSTED.
// Health and reflection are not wrapped: probes and tooling never need a
// token.
//
// GuardedService re-registers the synchronous handlers of a generated
// service (e.g. v1::IngestService::Service) under the same method names, so
// the wrapped service itself must not be registered with a server. A method
// served on gRPC's callback API (IngestArticles reads raw bytes so that an
// undecodable message gets its own answer) cannot be wrapped: its service
// implements SelfAdmittingService, and its handler calls CallGate::Admit
// first and ReleaseStream when it ends.
#ifndef NEWSEARCH_COMMON_SERVER_GUARDED_SERVICE_H_
#define NEWSEARCH_COMMON_SERVER_GUARDED_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/server/auth.h"

namespace newsearch::server {

// The shared gate: one per server, used by every wrapped service.
// Thread-safe.
class CallGate {
 public:
  // `token` (may be null = no authentication) must outlive the gate.
  // `max_concurrent_streams` <= 0 means no limit.
  CallGate(TokenSource* token, int max_concurrent_streams)
      : token_(token), max_streams_(max_concurrent_streams) {}

  // Decides whether a call of `method` may run. For a streaming call that
  // is admitted, the caller must call ReleaseStream() when it ends.
  absl::Status Admit(grpc::ServerContextBase* context, const std::string& method, bool streaming);
  void ReleaseStream();

  int open_streams() const;
  bool requires_token() const { return token_ != nullptr; }

 private:
  TokenSource* const token_;
  const int max_streams_;
  mutable absl::Mutex mu_;
  int open_streams_ ABSL_GUARDED_BY(mu_) = 0;
};

// A service some of whose methods run on gRPC's callback API and admit
// their calls through the gate themselves.
class SelfAdmittingService {
 public:
  virtual ~SelfAdmittingService() = default;
  // Full names ("/newsearch.v1.IngestService/IngestArticles") of the methods
  // whose handlers call CallGate::Admit before doing anything else.
  virtual std::vector<std::string> SelfAdmittedMethods() const = 0;
  // Called by GuardedService::Wrap before the server starts; `gate` outlives
  // every call.
  virtual void SetCallGate(CallGate* gate) = 0;
};

class GuardedService final : public grpc::Service {
 public:
  // Wraps every method of `inner`, a synchronous service generated for the
  // proto service `full_name` ("newsearch.v1.IngestService"). `inner` and
  // `gate` must outlive the result. NOT_FOUND when the proto service is not
  // linked in. When `inner` is a SelfAdmittingService, its self-admitted
  // methods are served as they are (callback API) and it gets the gate.
  static absl::StatusOr<std::unique_ptr<GuardedService>> Wrap(grpc::Service* inner,
                                                              const std::string& full_name,
                                                              CallGate* gate);

 private:
  GuardedService() = default;
  // Method names must stay alive as long as the service (gRPC keeps the
  // pointers).
  std::vector<std::unique_ptr<std::string>> method_names_;
};

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_GUARDED_SERVICE_H_
