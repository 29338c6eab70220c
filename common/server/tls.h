// TLS settings of the servers and of their clients, read from PEM files.
//
// Server: --tls_cert_file + --tls_key_file turn TLS on; --tls_client_ca_file
// additionally requires and verifies a client certificate signed by that CA
// (mutual TLS). Client: a CA file turns TLS on; a certificate and key file
// present a client certificate. Files are read once, at start.
#ifndef NEWSEARCH_COMMON_SERVER_TLS_H_
#define NEWSEARCH_COMMON_SERVER_TLS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace newsearch::server {

struct ServerTlsFiles {
  std::string cert_file;       // PEM certificate chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CA bundle; non-empty = mutual TLS
  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

struct ClientTlsFiles {
  std::string ca_file;    // PEM CA bundle that signed the server; non-empty = TLS
  std::string cert_file;  // PEM client certificate (mutual TLS)
  std::string key_file;   // PEM client key (mutual TLS)
  // Flag names in error messages: <prefix>ca_file, <prefix>cert_file, ...
  std::string flag_prefix = "--tls_";
  bool enabled() const { return !ca_file.empty(); }
};

// Insecure credentials when `files` is not enabled. INVALID_ARGUMENT when
// only one of cert/key is set, a client CA is set without them, or a file
// cannot be read or holds no PEM block.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files);
// Insecure credentials when `files` is not enabled. INVALID_ARGUMENT when
// only one of cert/key is set, they are set without a CA, or a file cannot
// be read.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsFiles& files);

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_TLS_H_
