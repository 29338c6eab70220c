// TLS and mutual TLS through the real servers, with certificates made by
// the openssl CLI at test time: ingest requires client certificates from the
// test CA, search follows it over mutual TLS and serves TLS itself, and both
// keep grpc.health.v1 reachable in plaintext on --health_listen.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_dir_ = new std::string(MakeTempDir("certs"));
    certs_ = new TestCertificates();
    ASSERT_TRUE(MakeTestCertificates(*certs_dir_, certs_))
        << ReadFile(*certs_dir_ + "/openssl.log");
  }
  static void TearDownTestSuite() {
    delete certs_;
    delete certs_dir_;
  }

  void SetUp() override {
    root_ = MakeTempDir("tls");
    ingest_health_port_ = FreePort();
    ingest_ = std::make_unique<IngestFixture>(
        root_, std::vector<std::string>{
                   "--tls_cert_file=" + certs_->server_cert, "--tls_key_file=" + certs_->server_key,
                   "--tls_client_ca_file=" + certs_->ca_cert,
                   absl::StrCat("--health_listen=127.0.0.1:", ingest_health_port_)});
    ASSERT_TRUE(ingest_->process().Start());
  }

  std::shared_ptr<grpc::Channel> IngestChannel(std::shared_ptr<grpc::ChannelCredentials> creds) {
    return grpc::CreateChannel(ingest_->address(), std::move(creds));
  }

  grpc::Status Ingest(const std::shared_ptr<grpc::Channel>& channel,
                      v1::IngestArticleResponse* response) {
    auto stub = v1::IngestService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::IngestArticleRequest request;
    request.set_content(
        ReadFile(SourceDir() + "/tests/testdata/pages/seeds/002_331070705eee9b45.txt"));
    return stub->IngestArticle(&context, request, response);
  }

  static std::string* certs_dir_;
  static TestCertificates* certs_;
  std::string root_;
  int ingest_health_port_ = 0;
  std::unique_ptr<IngestFixture> ingest_;
};

std::string* TlsTest::certs_dir_ = nullptr;
TestCertificates* TlsTest::certs_ = nullptr;

TEST_F(TlsTest, MutualTlsClientIsServedAndOthersAreRefused) {
  v1::IngestArticleResponse response;
  EXPECT_TRUE(Ingest(IngestChannel(TlsClientCredentials(*certs_, true)), &response).ok());

  // TLS without a client certificate: the handshake fails.
  grpc::Status no_cert = Ingest(IngestChannel(TlsClientCredentials(*certs_, false)), &response);
  EXPECT_EQ(no_cert.error_code(), grpc::StatusCode::UNAVAILABLE) << no_cert.error_message();

  // A client certificate from another CA is refused too.
  grpc::SslCredentialsOptions rogue;
  rogue.pem_root_certs = ReadFile(certs_->ca_cert);
  rogue.pem_cert_chain = ReadFile(certs_->rogue_cert);
  rogue.pem_private_key = ReadFile(certs_->rogue_key);
  EXPECT_EQ(Ingest(IngestChannel(grpc::SslCredentials(rogue)), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // Plaintext to the TLS port gets nowhere.
  EXPECT_EQ(Ingest(IngestChannel(grpc::InsecureChannelCredentials()), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // The CLI with the same files lists the article; without its certificate
  // it fails.
  const std::string cli =
      absl::StrCat(BinaryDir(), "/tools/cli/newsearch --ingest=", ingest_->address(),
                   " --tls_ca_file=", certs_->ca_cert, " --timeout=5");
  std::string output;
  EXPECT_EQ(RunCommand(absl::StrCat(cli, " --tls_cert_file=", certs_->client_cert,
                                    " --tls_key_file=", certs_->client_key, " list"),
                       &output),
            0)
      << output;
  EXPECT_THAT(output, ::testing::HasSubstr(response.articles(0).id()));
  EXPECT_NE(RunCommand(cli + " list", &output), 0) << output;
  EXPECT_THAT(output, ::testing::HasSubstr("UNAVAILABLE"));
}

TEST_F(TlsTest, PlaintextHealthListenerServesOnlyHealth) {
  auto plain = grpc::CreateChannel(absl::StrCat("127.0.0.1:", ingest_health_port_),
                                   grpc::InsecureChannelCredentials());
  EXPECT_EQ(HealthStatus(plain, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthStatus(plain, "liveness"), HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthStatus(plain, "newsearch.v1.IngestService"), HealthCheckResponse::SERVING);
  // The same health answers over mutual TLS on the main port.
  EXPECT_EQ(HealthStatus(IngestChannel(TlsClientCredentials(*certs_, true)), ""),
            HealthCheckResponse::SERVING);
  // No IngestService on the health listener.
  v1::IngestArticleResponse response;
  EXPECT_EQ(Ingest(plain, &response).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(TlsTest, SearchFollowsIngestOverMutualTlsAndServesTls) {
  v1::IngestArticleResponse response;
  ASSERT_TRUE(Ingest(IngestChannel(TlsClientCredentials(*certs_, true)), &response).ok());
  const int64_t seq = response.articles(0).seq();

  const int search_health_port = FreePort();
  SearchFixture search(
      root_ + "/search", absl::StrCat("127.0.0.1:", ingest_->process().port()),
      {"--ingest_tls_ca_file=" + certs_->ca_cert, "--ingest_tls_cert_file=" + certs_->client_cert,
       "--ingest_tls_key_file=" + certs_->client_key, "--tls_cert_file=" + certs_->server_cert,
       "--tls_key_file=" + certs_->server_key,
       absl::StrCat("--health_listen=127.0.0.1:", search_health_port)});
  ASSERT_TRUE(search.process().Start());
  auto channel = grpc::CreateChannel(search.address(), TlsClientCredentials(*certs_, false));
  auto stub = v1::SearchService::NewStub(channel);
  v1::GetIndexStatusResponse status;
  ASSERT_TRUE(WaitFor(
      [&] {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        return stub->GetIndexStatus(&context, v1::GetIndexStatusRequest(), &status).ok() &&
               status.applied_seq() >= seq;
      },
      absl::Seconds(30)))
      << status.DebugString();
  EXPECT_TRUE(status.following());

  grpc::ClientContext context;
  v1::SearchRequest request;
  request.set_query("乌镇");
  v1::SearchResponse hits;
  ASSERT_TRUE(stub->Search(&context, request, &hits).ok());
  EXPECT_EQ(hits.hits_size(), 1);

  // Readiness on the plaintext listener follows the replica's lag.
  auto plain = grpc::CreateChannel(absl::StrCat("127.0.0.1:", search_health_port),
                                   grpc::InsecureChannelCredentials());
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(plain, "") == HealthCheckResponse::SERVING; },
                      absl::Seconds(10)));
  // Plaintext to search's TLS port fails.
  auto insecure = v1::SearchService::NewStub(
      grpc::CreateChannel(search.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext plain_context;
  plain_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(insecure->Search(&plain_context, request, &hits).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, SearchWithoutAClientCertificateCannotFollow) {
  SearchFixture search(root_ + "/search", absl::StrCat("127.0.0.1:", ingest_->process().port()),
                       {"--ingest_tls_ca_file=" + certs_->ca_cert});
  ASSERT_TRUE(search.Start());
  absl::SleepFor(absl::Seconds(1));
  const v1::GetIndexStatusResponse status = search.Status();
  EXPECT_FALSE(status.following());
  auto channel = grpc::CreateChannel(search.address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(HealthStatus(channel, ""), HealthCheckResponse::NOT_SERVING);
}

}  // namespace
}  // namespace newsearch::testing
