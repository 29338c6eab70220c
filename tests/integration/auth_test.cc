// Bearer-token authentication through the real servers: every method of
// IngestService (and of SearchService when search has a token) refuses a
// missing or wrong token with UNAUTHENTICATED and touches no data; health
// needs no token; the token file can be rotated without a restart; search
// presents --ingest_token_file on StreamChanges; token values never reach
// the logs.
#include <string>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIngestToken[] = "ingest-secret-7f3a9c";
constexpr char kRotatedToken[] = "rotated-secret-5b21e8d4";
constexpr char kSearchToken[] = "search-secret-c0ffee";

std::string SeedPage() {
  return ReadFile(SourceDir() + "/tests/testdata/pages/seeds/002_331070705eee9b45.txt");
}

grpc::Status IngestWithToken(v1::IngestService::Stub& stub, const std::string& token,
                             const std::string& page, v1::IngestArticleResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  v1::IngestArticleRequest request;
  request.set_content(page);
  return stub.IngestArticle(&context, request, response);
}

int ListedArticles(v1::IngestService::Stub& stub, const std::string& token) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("authorization", "Bearer " + token);
  v1::ListArticlesResponse response;
  grpc::Status status = stub.ListArticles(&context, v1::ListArticlesRequest(), &response);
  return status.ok() ? response.articles_size() : -1;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("auth");
    token_file_ = root_ + "/ingest.token";
    ASSERT_TRUE(WriteFileAtomically(token_file_, std::string(kIngestToken) + "\n"));
    ingest_ = std::make_unique<IngestFixture>(
        root_, std::vector<std::string>{"--auth_token_file=" + token_file_});
    ASSERT_TRUE(ingest_->Start());
    channel_ = grpc::CreateChannel(ingest_->address(), grpc::InsecureChannelCredentials());
  }

  std::string IngestLog() { return ReadFile(root_ + "/ingest-run/server-1.log"); }

  std::string root_;
  std::string token_file_;
  std::unique_ptr<IngestFixture> ingest_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(AuthTest, EveryIngestMethodRefusesAMissingToken) {
  const auto results = CallEveryMethod(channel_, "newsearch.v1.IngestService", "");
  ASSERT_GE(results.size(), 6u);
  for (const auto& [method, status] : results) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
    EXPECT_THAT(status.error_message(), HasSubstr("authorization")) << method;
  }
  EXPECT_EQ(ListedArticles(ingest_->stub(), kIngestToken), 0);
}

TEST_F(AuthTest, UndecodableRequestWithoutTokenIsUnauthenticatedNotDescribed) {
  // A request that does not decode never reaches its handler's admission
  // check; the caller without a token still learns only that it lacks one.
  for (const char* method : {"GetArticle", "ListArticles", "StreamChanges", "BackupStore"}) {
    const RawCallResult result = CallRaw(
        channel_, std::string("/newsearch.v1.IngestService/") + method, {std::string("\xff\xff\xff", 3)});
    EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
    EXPECT_THAT(result.status.error_message(), Not(HasSubstr("decoded"))) << method;
  }
  const RawCallResult with_token = CallRaw(channel_, "/newsearch.v1.IngestService/GetArticle",
                                           {std::string("\xff\xff\xff", 3)}, kIngestToken);
  EXPECT_EQ(with_token.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuthTest, WrongTokenIsUnauthenticatedAndStoresNothing) {
  const auto results = CallEveryMethod(channel_, "newsearch.v1.IngestService", "not-the-token");
  for (const auto& [method, status] : results) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
  }
  v1::IngestArticleResponse response;
  grpc::Status status = IngestWithToken(ingest_->stub(), "not-the-token", SeedPage(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("not valid"));
  // A token with the right prefix but another scheme is refused too.
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Basic ") + kIngestToken);
  v1::IngestArticleRequest request;
  request.set_content(SeedPage());
  EXPECT_EQ(ingest_->stub().IngestArticle(&context, request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListedArticles(ingest_->stub(), kIngestToken), 0);

  // The refusals are logged with method and peer, never with a token.
  const std::string log = IngestLog();
  EXPECT_THAT(log, HasSubstr("\"msg\":\"call rejected\""));
  EXPECT_THAT(log, HasSubstr("\"method\":\"IngestArticle\""));
  EXPECT_THAT(log, Not(HasSubstr(kIngestToken)));
  EXPECT_THAT(log, Not(HasSubstr("not-the-token")));
}

TEST_F(AuthTest, RightTokenWorksAndHealthNeedsNone) {
  v1::IngestArticleResponse response;
  ASSERT_TRUE(IngestWithToken(ingest_->stub(), kIngestToken, SeedPage(), &response).ok());
  EXPECT_EQ(response.articles_size(), 1);
  EXPECT_EQ(ListedArticles(ingest_->stub(), kIngestToken), 1);
  EXPECT_EQ(HealthStatus(channel_, ""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthStatus(channel_, "liveness"), grpc::health::v1::HealthCheckResponse::SERVING);

  // The CLI presents a token from NEWSEARCH_TOKEN or --token_file.
  const std::string cli =
      BinaryDir() + "/tools/cli/newsearch --timeout=5 --ingest=" + ingest_->address() + " list";
  std::string output;
  EXPECT_EQ(RunCommand(std::string("NEWSEARCH_TOKEN=") + kIngestToken + " " + cli, &output), 0)
      << output;
  EXPECT_THAT(output, HasSubstr(response.articles(0).id()));
  EXPECT_EQ(RunCommand(cli + " --token_file=" + token_file_, &output), 0) << output;
  EXPECT_NE(RunCommand(cli, &output), 0);
  EXPECT_THAT(output, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(IngestLog(), Not(HasSubstr(kIngestToken)));
}

TEST_F(AuthTest, RequestIdIsEchoedAndLogged) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kIngestToken);
  context.AddMetadata("x-request-id", "req-42-abc");
  v1::ListArticlesResponse response;
  ASSERT_TRUE(ingest_->stub().ListArticles(&context, v1::ListArticlesRequest(), &response).ok());
  auto it = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(it, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), "req-42-abc");
  EXPECT_TRUE(WaitFor(
      [&] {
        return IngestLog().find("\"method\":\"ListArticles\",\"code\":\"OK\"") !=
                   std::string::npos &&
               IngestLog().find("\"request_id\":\"req-42-abc\"") != std::string::npos;
      },
      absl::Seconds(5)));
  // Without one the server makes one up and still returns it.
  grpc::ClientContext anonymous;
  anonymous.AddMetadata("authorization", std::string("Bearer ") + kIngestToken);
  ASSERT_TRUE(ingest_->stub().ListArticles(&anonymous, v1::ListArticlesRequest(), &response).ok());
  it = anonymous.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(it, anonymous.GetServerInitialMetadata().end());
  EXPECT_EQ(it->second.size(), 16u);
}

TEST_F(AuthTest, RotatedTokenFileTakesEffectWithoutRestart) {
  v1::IngestArticleResponse response;
  ASSERT_TRUE(IngestWithToken(ingest_->stub(), kIngestToken, SeedPage(), &response).ok());
  ASSERT_TRUE(WriteFileAtomically(token_file_, std::string(kRotatedToken) + "\n"));
  // The file is looked at again within a second (TokenSource::kDefaultRecheck).
  EXPECT_TRUE(WaitFor(
      [&] {
        return IngestWithToken(ingest_->stub(), kIngestToken, SeedPage(), &response).error_code() ==
               grpc::StatusCode::UNAUTHENTICATED;
      },
      absl::Seconds(5)));
  EXPECT_TRUE(IngestWithToken(ingest_->stub(), kRotatedToken, SeedPage(), &response).ok());
  EXPECT_THAT(IngestLog(), HasSubstr("\"msg\":\"token reloaded\""));
  // An emptied file does not lock everyone out: the last token stays.
  ASSERT_TRUE(WriteFileAtomically(token_file_, "\n"));
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_TRUE(IngestWithToken(ingest_->stub(), kRotatedToken, SeedPage(), &response).ok());
  EXPECT_THAT(IngestLog(), Not(HasSubstr(kRotatedToken)));
}

TEST_F(AuthTest, SearchPresentsItsIngestTokenAndRequiresItsOwn) {
  v1::IngestArticleResponse response;
  ASSERT_TRUE(IngestWithToken(ingest_->stub(), kIngestToken, SeedPage(), &response).ok());
  const int64_t seq = response.articles(0).seq();

  const std::string ingest_token_for_search = root_ + "/search-to-ingest.token";
  ASSERT_TRUE(WriteFileAtomically(ingest_token_for_search, kIngestToken));
  const std::string search_token = root_ + "/search.token";
  ASSERT_TRUE(WriteFileAtomically(search_token, kSearchToken));
  SearchFixture search(
      root_ + "/search", ingest_->address(),
      {"--ingest_token_file=" + ingest_token_for_search, "--auth_token_file=" + search_token});
  ASSERT_TRUE(search.Start());
  auto search_channel = grpc::CreateChannel(search.address(), grpc::InsecureChannelCredentials());
  auto stub = v1::SearchService::NewStub(search_channel);
  auto status_with = [&](const std::string& token, v1::GetIndexStatusResponse* out) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    return stub->GetIndexStatus(&context, v1::GetIndexStatusRequest(), out);
  };
  v1::GetIndexStatusResponse index_status;
  ASSERT_TRUE(WaitFor(
      [&] {
        return status_with(kSearchToken, &index_status).ok() && index_status.applied_seq() >= seq;
      },
      absl::Seconds(30)));
  for (const auto& [method, status] :
       CallEveryMethod(search_channel, "newsearch.v1.SearchService", "")) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
  }
  EXPECT_EQ(status_with(kIngestToken, &index_status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(WaitFor(
      [&] {
        return HealthStatus(search_channel, "") == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      absl::Seconds(10)));
}

TEST_F(AuthTest, SearchWithAWrongIngestTokenNeverFollowsNorBecomesReady) {
  v1::IngestArticleResponse response;
  ASSERT_TRUE(IngestWithToken(ingest_->stub(), kIngestToken, SeedPage(), &response).ok());
  const std::string wrong = root_ + "/wrong.token";
  ASSERT_TRUE(WriteFileAtomically(wrong, "definitely-wrong"));
  SearchFixture search(root_ + "/search", ingest_->address(), {"--ingest_token_file=" + wrong});
  ASSERT_TRUE(search.Start());
  auto search_channel = grpc::CreateChannel(search.address(), grpc::InsecureChannelCredentials());
  // Let it try (and be refused) a few times.
  ASSERT_TRUE(WaitFor(
      [&] {
        return ReadFile(root_ + "/search-run/server-1.log").find("UNAUTHENTICATED") !=
                   std::string::npos ||
               ReadFile(root_ + "/search-run/server-1.log").find("\"code\":16") !=
                   std::string::npos;
      },
      absl::Seconds(10)));
  const v1::GetIndexStatusResponse status = search.Status();
  EXPECT_EQ(status.applied_seq(), 0);
  EXPECT_FALSE(status.following());
  EXPECT_EQ(HealthStatus(search_channel, ""), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(HealthStatus(search_channel, "liveness"),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace newsearch::testing
