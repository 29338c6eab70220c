// A person with `buf curl` and no .proto files: every call goes through
// server reflection (gRPC 1.51 serves grpc.reflection.v1alpha only).
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string BufCurl(const std::string& address, const std::string& method,
                    const std::string& json, int* exit_code) {
  return RunShell(absl::StrCat("buf curl --protocol grpc --http2-prior-knowledge --reflect-protocol "
                          "grpc-v1alpha --data '", json, "' http://", address, "/", method),
             exit_code);
}

TEST(BufCurlTest, EveryServiceIsCallableThroughReflection) {
  const std::string root = MakeTempDir("buf");
  IngestFixture ingest(root);
  ASSERT_TRUE(ingest.Start());
  SearchFixture search(root + "/search", ingest.address());
  ASSERT_TRUE(search.Start());

  int code = 0;
  // "量子计算机" page, base64 of its UTF-8 bytes, as a buf curl user sends it.
  const std::string page =
      "量子计算机原型机发布\n\n2022-07-01 09:00 来源:科技日报\n\n"
      "研究团队今天发布了一台量子计算机原型机，它在特定任务上的速度远超传统超级计算机。\n";
  std::string b64 = RunShell(absl::StrCat("printf '%s' '", page, "' | base64 -w0"), &code);
  ASSERT_EQ(code, 0);
  std::string out = BufCurl(ingest.address(), "newsearch.v1.IngestService/IngestArticle",
                            absl::StrCat("{\"content\":\"", b64, "\",\"externalId\":\"buf-1\"}"),
                            &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("OUTCOME_CREATED"));

  ASSERT_TRUE(WaitFor([&] { return search.Status().document_count() == 1; }, absl::Seconds(30)));
  out = BufCurl(search.address(), "newsearch.v1.SearchService/Search",
                "{\"query\":\"量子計算機\"}", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("量子计算机原型机发布"));
  EXPECT_THAT(out, HasSubstr("highlights"));
  // Every message prints proto3's lowerCamelCase JSON names.
  EXPECT_THAT(out, HasSubstr("\"totalEstimate\": \"1\""));
  EXPECT_THAT(out, HasSubstr("\"publishedAt\": \"2022-07-01T01:00:00Z\""));

  // The stored Article too (it once forced snake_case names); input takes
  // either spelling (`page_size` here, `externalId` above).
  out = BufCurl(ingest.address(), "newsearch.v1.IngestService/ListArticles",
                "{\"page_size\":1}", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"externalId\": \"buf-1\""));
  EXPECT_THAT(out, HasSubstr("\"publishedAt\": \"2022-07-01T01:00:00Z\""));
  EXPECT_THAT(out, HasSubstr("\"detectedEncoding\": \"UTF-8\""));
  EXPECT_THAT(out, HasSubstr("\"pageId\": "));
  EXPECT_THAT(out, Not(HasSubstr("\"external_id\"")));
  EXPECT_THAT(out, Not(HasSubstr("\"published_at\"")));

  out = BufCurl(search.address(), "grpc.health.v1.Health/Check",
                "{\"service\":\"newsearch.v1.SearchService\"}", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("SERVING"));

  out = BufCurl(search.address(), "newsearch.v1.SearchService/Search", "{\"query\":\"(网络\"}",
                &code);
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("invalid_argument"));
}

}  // namespace
}  // namespace newsearch::testing
