#include "common/server/serving_flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, auth_token_file, "",
          "File holding the token every call to this server's service must present as "
          "'authorization: Bearer <token>' (re-read when it changes; empty = env "
          "NEWSEARCH_AUTH_TOKEN, else no authentication)");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain; with --tls_key_file turns TLS on");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS)");
ABSL_FLAG(std::string, health_listen, "",
          "Extra plaintext host:port serving only grpc.health.v1 (for probes when TLS is on)");
ABSL_FLAG(int32_t, max_concurrent_streams, 128,
          "Streaming calls in flight; more are RESOURCE_EXHAUSTED (0 = no limit)");

ABSL_FLAG(int32_t, grpc_max_threads, 0,
          "Threads serving gRPC calls (each running unary call and each open stream holds one); "
          "calls beyond are RESOURCE_EXHAUSTED, health checks are always answered "
          "(0 = max_concurrent_streams + 64)");

namespace newsearch::server {

std::vector<std::string> ServingFlagNames() {
  return {"auth_token_file", "tls_cert_file",  "tls_key_file",
          "tls_client_ca_file", "health_listen", "max_concurrent_streams",
          "grpc_max_threads"};
}

ServingOptions ServingOptionsFromFlags() {
  ServingOptions options;
  options.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);
  if (const char* token = std::getenv("NEWSEARCH_AUTH_TOKEN"); token != nullptr) {
    options.auth_token = token;
  }
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.health_listen = absl::GetFlag(FLAGS_health_listen);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.max_threads = absl::GetFlag(FLAGS_grpc_max_threads);
  return options;
}

std::string ServingOptionsProblems(const ServingOptions& options) {
  std::string problems;
  if (options.max_concurrent_streams < 0) problems += " --max_concurrent_streams must be >= 0;";
  if (options.max_threads != 0 && options.max_threads < 4) {
    problems += " --grpc_max_threads must be 0 (default) or at least 4;";
  }
  return problems;
}

void ApplyServingOptions(const ServingOptions& options, GrpcServerOptions* grpc_options) {
  grpc_options->auth_token_file = options.auth_token_file;
  grpc_options->auth_token = options.auth_token;
  grpc_options->tls = options.tls;
  grpc_options->health_listen = options.health_listen;
  grpc_options->max_concurrent_streams = options.max_concurrent_streams;
  grpc_options->max_threads = options.max_threads;
}

}  // namespace newsearch::server
