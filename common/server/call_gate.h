// Admission control for the newsearch gRPC services. Every handler of a
// served service starts by admitting its call through the server's one
// CallGate (an Admission object, or CallGate::Admit for a callback
// reactor), before it looks at its request:
//   * a call whose deadline has already passed is DEADLINE_EXCEEDED and does
//     no work;
//   * when a token source is set, a call without the right
//     `authorization: Bearer <token>` metadata is UNAUTHENTICATED (logged
//     with method and peer, never the token) and the handler does nothing
//     with its request;
//   * when a stream limit is set, a streaming call beyond it is
//     RESOURCE_EXHAUSTED.
// GrpcServer serves only services that implement GatedService (it hands
// them the gate); that every method of every such service really admits
// its calls is checked by tests/integration/auth_test.cc, which calls each
// method the proto service declares without a token. Health and reflection
// are not gated: probes and tooling never need a token.
//
// A request gRPC could not decode never reaches its handler;
// RequestDecodeInterceptorFactory answers it, after CallGate::Check (so an
// unauthenticated caller learns nothing about what it sent).
#ifndef NEWSEARCH_COMMON_SERVER_CALL_GATE_H_
#define NEWSEARCH_COMMON_SERVER_CALL_GATE_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/server/auth.h"

namespace newsearch::server {

// The shared gate: one per server. Thread-safe.
class CallGate {
 public:
  // `token` (may be null = no authentication) must outlive the gate.
  // `max_concurrent_streams` <= 0 means no limit.
  CallGate(TokenSource* token, int max_concurrent_streams)
      : token_(token), max_streams_(max_concurrent_streams) {}

  // Decides whether a call of `method` (a short name, "Search") may run.
  // For a streaming call that is admitted, the caller must call
  // ReleaseStream() when it ends (Admission does).
  absl::Status Admit(grpc::ServerContextBase* context, absl::string_view method, bool streaming);
  void ReleaseStream();
  // The deadline and token checks of Admit, taking no stream slot: for a
  // call answered without its handler (a request that did not decode).
  absl::Status Check(grpc::ServerContextBase* context, absl::string_view method);

  int open_streams() const;
  bool requires_token() const { return token_ != nullptr; }

 private:
  TokenSource* const token_;
  const int max_streams_;
  mutable absl::Mutex mu_;
  int open_streams_ ABSL_GUARDED_BY(mu_) = 0;
};

// One call's admission, taken first thing in a synchronous handler:
//   const server::Admission admission(gate_, context, "GetArticle");
//   if (!admission.ok()) return admission.status();
// A streaming call holds its stream slot until the Admission is destroyed
// (when the handler returns). A null gate admits everything.
class Admission {
 public:
  enum class Kind { kUnary, kStreaming };
  Admission(CallGate* gate, grpc::ServerContextBase* context, absl::string_view method,
            Kind kind = Kind::kUnary);
  ~Admission();
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  bool ok() const { return status_.ok(); }
  // The refusal as the call's final status.
  grpc::Status status() const;

 private:
  CallGate* const gate_;
  bool holds_stream_ = false;
  absl::Status status_;
};

// A service every handler of which admits its calls through the gate.
class GatedService {
 public:
  virtual ~GatedService() = default;
  // Called by GrpcServer before the server starts; `gate` outlives every
  // call.
  virtual void SetCallGate(CallGate* gate) = 0;
};

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_CALL_GATE_H_
