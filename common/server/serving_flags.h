// How a newsearch server serves gRPC, the same for ingest and search:
// bearer-token authentication, TLS / mutual TLS, the plaintext health
// listener and the limit on open streams (README "Security and limits").
// Linking newsearch_serving_flags defines their command-line flags; each
// server's main() reads them with ServingOptionsFromFlags().
#ifndef NEWSEARCH_COMMON_SERVER_SERVING_FLAGS_H_
#define NEWSEARCH_COMMON_SERVER_SERVING_FLAGS_H_

#include <string>
#include <vector>

#include "common/server/grpc_server.h"
#include "common/server/tls.h"

namespace newsearch::server {

struct ServingOptions {
  // Token every call to the server's own service must present as
  // `authorization: Bearer <token>`: the file (re-read when it changes) or,
  // when no file, the literal. Both empty: no authentication.
  std::string auth_token_file;
  std::string auth_token;
  // TLS when cert and key are set; mutual TLS when the client CA is set too.
  ServerTlsFiles tls;
  // Extra plaintext listener serving only grpc.health.v1; empty = none.
  std::string health_listen;
  // Streaming calls in flight; <= 0 = no limit. Beyond it: RESOURCE_EXHAUSTED.
  int max_concurrent_streams = 128;
  // gRPC sync server threads; 0 = DefaultMaxThreads (GrpcServerOptions).
  int max_threads = 0;
};

// The flags' names (auth_token_file, tls_cert_file, ...), for
// ApplyEnvironmentToFlags.
std::vector<std::string> ServingFlagNames();

// Reads the flags, and the token itself from NEWSEARCH_AUTH_TOKEN when set.
ServingOptions ServingOptionsFromFlags();

// Each problem as " --flag ...;" (empty when there is none), to append to a
// main()'s own list.
std::string ServingOptionsProblems(const ServingOptions& options);

// Copies the options into `grpc_options`.
void ApplyServingOptions(const ServingOptions& options, GrpcServerOptions* grpc_options);

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_SERVING_FLAGS_H_
