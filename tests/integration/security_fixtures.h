// Helpers for the security, limits and observability integration tests:
// certificates made at test time with the openssl CLI, token files, and calling every method of a service by name.
#ifndef NEWSEARCH_TESTS_INTEGRATION_SECURITY_FIXTURES_H_
#define NEWSEARCH_TESTS_INTEGRATION_SECURITY_FIXTURES_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace newsearch::testing {

// PEM files written by MakeTestCertificates, all in one directory.
struct TestCertificates {
  std::string ca_cert;      // the test CA
  std::string server_cert;  // for 127.0.0.1 and localhost, signed by the CA
  std::string server_key;
  std::string client_cert;  // client certificate signed by the CA
  std::string client_key;
  std::string rogue_cert;  // client certificate signed by another CA
  std::string rogue_key;
};

// Generates a CA, a server certificate for 127.0.0.1/localhost, a client
// certificate, and a client certificate from an unrelated CA (EC P-256,
// valid two days) under `dir`. Returns false when openssl fails (its output
// is in dir/openssl.log).
bool MakeTestCertificates(const std::string& dir, TestCertificates* certs);

// Writes `content` to `path` through a temporary file and rename (as a
// secret rotation does). Returns false on error.
bool WriteFileAtomically(const std::string& path, const std::string& content);

// Calls every method of the proto service `service` (full name) on
// `channel` with one empty request message (and the bearer `token` when
// non-empty); returns method name -> final status. Works for every call
// shape, so methods added later are covered too.
std::map<std::string, grpc::Status> CallEveryMethod(const std::shared_ptr<grpc::Channel>& channel,
                                                    const std::string& service,
                                                    const std::string& token);

// What a raw call answered.
struct RawCallResult {
  grpc::Status status;
  // Each response message's bytes, in order.
  std::vector<std::string> responses;
};

// Calls `method` ("/newsearch.v1.IngestService/IngestArticles") on
// `channel` through a generic stub, sending each of `messages` as the raw
// bytes of one request message (so bytes a typed stub could never encode
// reach the server), then half-closes and reads every response. Works for
// every call shape.
RawCallResult CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::vector<std::string>& messages, const std::string& token = "");

// Channel credentials for a client of the test servers.
std::shared_ptr<grpc::ChannelCredentials> TlsClientCredentials(const TestCertificates& certs,
                                                               bool with_client_cert);

// grpc.health.v1 Check of `service` ("" = readiness); returns the serving
// status, or -1 - code when the call fails.
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service);

}  // namespace newsearch::testing

#endif  // NEWSEARCH_TESTS_INTEGRATION_SECURITY_FIXTURES_H_
