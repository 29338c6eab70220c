// Token sources, bearer-token checks and TLS option validation, without a
// server (the integration tests drive them through real servers).
#include "common/server/auth.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/server/tls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name()))
      .string();
}

void Write(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << content;
  std::filesystem::rename(tmp, path);
}

absl::Status Check(const std::string& header, const std::string& expected) {
  std::multimap<grpc::string_ref, grpc::string_ref> metadata;
  if (!header.empty()) metadata.emplace("authorization", header);
  return CheckBearerToken(metadata, expected);
}

TEST(ConstantTimeEqualsTest, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(CheckBearerTokenTest, AcceptsOnlyTheExactBearerToken) {
  EXPECT_TRUE(Check("Bearer t0ken", "t0ken").ok());
  EXPECT_TRUE(Check("bearer t0ken", "t0ken").ok());  // the scheme is case-insensitive
  absl::Status missing = Check("", "t0ken");
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(missing.message(), HasSubstr("missing"));
  EXPECT_EQ(Check("Basic t0ken", "t0ken").code(), absl::StatusCode::kUnauthenticated);
  absl::Status wrong = Check("Bearer t0kem", "t0ken");
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(wrong.message(), Not(HasSubstr("t0ken")));
  EXPECT_THAT(wrong.message(), Not(HasSubstr("t0kem")));
  EXPECT_EQ(Check("Bearer ", "").code(), absl::StatusCode::kUnauthenticated);
}

TEST(TokenSourceTest, FileIsReadAgainWhenItChanges) {
  const std::string path = TempPath("token");
  Write(path, "first-token\n");
  absl::StatusOr<std::unique_ptr<TokenSource>> source =
      TokenSource::FromFile(path, /*recheck=*/absl::ZeroDuration());
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Current(), "first-token");
  Write(path, "  second-token-longer \n");
  EXPECT_EQ((*source)->Current(), "second-token-longer");
  // An empty or vanished file keeps the last good token.
  Write(path, "\n");
  EXPECT_EQ((*source)->Current(), "second-token-longer");
  std::filesystem::remove(path);
  EXPECT_EQ((*source)->Current(), "second-token-longer");
  Write(path, "third");
  EXPECT_EQ((*source)->Current(), "third");
  std::filesystem::remove(path);
}

TEST(TokenSourceTest, FileIsLookedAtOncePerRecheckInterval) {
  const std::string path = TempPath("token-recheck");
  Write(path, "first-token\n");
  absl::StatusOr<std::unique_ptr<TokenSource>> source =
      TokenSource::FromFile(path, /*recheck=*/absl::Milliseconds(300));
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Current(), "first-token");  // the first call looks
  Write(path, "second-token-longer\n");
  EXPECT_EQ((*source)->Current(), "first-token");  // within the interval: not looked at
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ((*source)->Current(), "second-token-longer");
  std::filesystem::remove(path);
}

TEST(TokenSourceTest, StartRefusesMissingOrEmptyFiles) {
  EXPECT_EQ(TokenSource::FromFile("/nonexistent/token").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string path = TempPath("empty-token");
  Write(path, " \n");
  absl::StatusOr<std::unique_ptr<TokenSource>> source = TokenSource::FromFile(path);
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(source.status().message(), HasSubstr("empty"));
  std::filesystem::remove(path);
}

TEST(TokenSourceTest, FileWinsOverLiteralAndNeitherMeansNoAuth) {
  const std::string path = TempPath("token");
  Write(path, "from-file");
  auto from_file = MakeTokenSource(path, "from-env");
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ((*from_file)->Current(), "from-file");
  auto from_env = MakeTokenSource("", "from-env");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ((*from_env)->Current(), "from-env");
  EXPECT_EQ((*from_env)->description(), "environment");
  auto none = MakeTokenSource("", "");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  std::filesystem::remove(path);
}

TEST(TlsOptionsTest, IncompleteOrUnreadableSettingsAreInvalidArgument) {
  EXPECT_TRUE(MakeServerCredentials({}).ok());
  EXPECT_TRUE(MakeChannelCredentials({}).ok());
  ServerTlsFiles cert_only;
  cert_only.cert_file = "/x.pem";
  EXPECT_EQ(MakeServerCredentials(cert_only).status().code(), absl::StatusCode::kInvalidArgument);
  ServerTlsFiles ca_only;
  ca_only.client_ca_file = "/ca.pem";
  EXPECT_EQ(MakeServerCredentials(ca_only).status().code(), absl::StatusCode::kInvalidArgument);
  const std::string not_pem = TempPath("not-pem");
  Write(not_pem, "hello");
  ServerTlsFiles bad{not_pem, not_pem, ""};
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = MakeServerCredentials(bad);
  EXPECT_EQ(creds.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(creds.status().message(), HasSubstr("no PEM"));
  ClientTlsFiles client_cert_without_ca;
  client_cert_without_ca.cert_file = "/c.pem";
  client_cert_without_ca.key_file = "/k.pem";
  client_cert_without_ca.flag_prefix = "--ingest_tls_";
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> channel =
      MakeChannelCredentials(client_cert_without_ca);
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(channel.status().message(),
              HasSubstr("--ingest_tls_cert_file needs --ingest_tls_ca_file"));
  ClientTlsFiles missing_ca;
  missing_ca.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(MakeChannelCredentials(missing_ca).status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(not_pem);
}

}  // namespace
}  // namespace newsearch::server
