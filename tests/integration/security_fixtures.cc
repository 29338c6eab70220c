#include "tests/integration/security_fixtures.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {

bool MakeTestCertificates(const std::string& dir, TestCertificates* certs) {
  std::filesystem::create_directories(dir);
  const std::string d = dir + "/";
  {
    std::ofstream(d + "server.ext")
        << "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
    std::ofstream(d + "client.ext") << "extendedKeyUsage=clientAuth\n";
  }
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string ca_ext =
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign";
  const std::string script = absl::StrCat(
      "set -e; cd '", dir, "'; ",
      // The test CA and an unrelated one.
      "openssl req -x509 ", key, " -keyout ca.key -out ca.pem -days 2 -subj /CN=newsearch-test-ca ",
      ca_ext, "; ", "openssl req -x509 ", key, " -keyout other-ca.key -out other-ca.pem -days 2 ",
      "-subj /CN=unrelated-ca ", ca_ext, "; ",
      // Server certificate for 127.0.0.1 and localhost.
      "openssl req ", key, " -keyout server.key -out server.csr -subj /CN=localhost; ",
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 ",
      "-extfile server.ext -out server.pem; ",
      // Client certificates: one from the test CA, one from the other CA.
      "openssl req ", key, " -keyout client.key -out client.csr -subj /CN=newsearch-client; ",
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 ",
      "-extfile client.ext -out client.pem; ", "openssl req ", key,
      " -keyout rogue.key -out rogue.csr -subj /CN=rogue-client; ",
      "openssl x509 -req -in rogue.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial ",
      "-days 2 -extfile client.ext -out rogue.pem");
  std::string output;
  const int status = RunCommand("bash -c \"" + script + "\"", &output);
  std::ofstream(d + "openssl.log") << output;
  if (status != 0) return false;
  certs->ca_cert = d + "ca.pem";
  certs->server_cert = d + "server.pem";
  certs->server_key = d + "server.key";
  certs->client_cert = d + "client.pem";
  certs->client_key = d + "client.key";
  certs->rogue_cert = d + "rogue.pem";
  certs->rogue_key = d + "rogue.key";
  return true;
}

bool WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << content;
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

RawCallResult CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::vector<std::string>& messages, const std::string& token) {
  RawCallResult result;
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  for (size_t i = 0; i < messages.size() && ok; ++i) {
    grpc::Slice slice(messages[i]);
    grpc::ByteBuffer request(&slice, 1);
    if (i + 1 == messages.size()) {
      call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    } else {
      call->Write(request, reinterpret_cast<void*>(2));
    }
    cq.Next(&tag, &ok);
  }
  if (messages.empty()) {
    call->WritesDone(reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
  }
  grpc::ByteBuffer response;
  while (true) {
    call->Read(&response, reinterpret_cast<void*>(3));
    cq.Next(&tag, &ok);
    if (!ok) break;
    grpc::Slice bytes;
    if (response.DumpToSingleSlice(&bytes).ok()) {
      result.responses.emplace_back(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
    }
  }
  call->Finish(&result.status, reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return result;
}

std::map<std::string, grpc::Status> CallEveryMethod(const std::shared_ptr<grpc::Channel>& channel,
                                                    const std::string& service,
                                                    const std::string& token) {
  std::map<std::string, grpc::Status> results;
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  if (descriptor == nullptr) return results;
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const std::string name = descriptor->method(i)->name();
    // One empty message (a valid encoding of every request type); any
    // responses are ignored.
    results[name] = CallRaw(channel, absl::StrCat("/", service, "/", name), {""}, token).status;
  }
  return results;
}

std::shared_ptr<grpc::ChannelCredentials> TlsClientCredentials(const TestCertificates& certs,
                                                               bool with_client_cert) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(certs.ca_cert);
  if (with_client_cert) {
    options.pem_cert_chain = ReadFile(certs.client_cert);
    options.pem_private_key = ReadFile(certs.client_key);
  }
  return grpc::SslCredentials(options);
}

int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return -1 - static_cast<int>(status.error_code());
  return response.status();
}

}  // namespace newsearch::testing
