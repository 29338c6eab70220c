// ParseArticle, the dry run, against the real newsearch-ingest binary: over
// gRPC, through `buf curl` with reflection only, and through `newsearch parse`.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class ParseRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("parse");
    ingest_ = std::make_unique<IngestFixture>(root_, std::vector<std::string>{"--fsync=false"});
    ASSERT_TRUE(ingest_->Start()) << "newsearch-ingest did not start; see " << root_;
  }

  grpc::Status Parse(const v1::IngestArticleRequest& request, v1::ParseArticleResponse* out) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ingest_->stub().ParseArticle(&context, request, out);
  }

  std::vector<std::string> PageFiles() {
    std::vector<std::string> files;
    for (const char* dir : {"/tests/testdata/pages/seeds", "/tests/testdata/pages/samples"}) {
      for (const std::string& f : ListFiles(SourceDir() + dir)) files.push_back(f);
    }
    return files;
  }

  std::string root_;
  std::unique_ptr<IngestFixture> ingest_;
};

TEST_F(ParseRpcTest, DryRunReturnsWhatIngestStoresAndStoresNothing) {
  const std::vector<std::string> files = PageFiles();
  ASSERT_GE(files.size(), 13u);
  std::vector<v1::ParseArticleResponse> dry(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(files[i]);
    v1::IngestArticleRequest request;
    request.set_content(ReadFile(files[i]));
    request.set_external_id(absl::StrCat("parse-", i));
    request.set_url(absl::StrCat("http://example.com/", i));
    const grpc::Status status = Parse(request, &dry[i]);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_GE(dry[i].articles_size(), 1);
    EXPECT_THAT(dry[i].detected_encoding(), Not(IsEmpty()));
    for (const v1::Article& article : dry[i].articles()) {
      EXPECT_THAT(article.id(), Not(IsEmpty()));
      EXPECT_THAT(article.title(), Not(IsEmpty()));
      EXPECT_THAT(article.body(), Not(IsEmpty()));
      EXPECT_THAT(article.page_id(), Not(IsEmpty()));
      EXPECT_EQ(article.page_id(), dry[i].articles(0).page_id());
      EXPECT_EQ(article.external_id(), request.external_id());
      EXPECT_EQ(article.seq(), 0);
    }
  }
  // Nothing was stored: the change log is empty.
  EXPECT_EQ(ingest_->HeadSeq(), 0);

  // Ingesting the same requests stores exactly what the dry run showed.
  for (size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(files[i]);
    v1::IngestArticleResponse response;
    ASSERT_TRUE(ingest_->Ingest(ReadFile(files[i]), &response, absl::StrCat("parse-", i),
                                absl::StrCat("http://example.com/", i))
                    .ok());
    ASSERT_EQ(response.articles_size(), dry[i].articles_size());
    for (int k = 0; k < response.articles_size(); ++k) {
      EXPECT_EQ(response.articles(k).id(), dry[i].articles(k).id());
      grpc::ClientContext context;
      v1::GetArticleRequest get;
      get.set_id(response.articles(k).id());
      v1::Article stored;
      ASSERT_TRUE(ingest_->stub().GetArticle(&context, get, &stored).ok());
      v1::Article expected = dry[i].articles(k);
      // Filled by the store only.
      expected.set_seq(stored.seq());
      *expected.mutable_ingested_at() = stored.ingested_at();
      *expected.mutable_updated_at() = stored.updated_at();
      EXPECT_EQ(stored.SerializeAsString(), expected.SerializeAsString())
          << stored.DebugString() << "\nvs dry run\n"
          << expected.DebugString();
    }
  }
}

TEST_F(ParseRpcTest, PageWithoutArticleIsInvalidArgumentWithReason) {
  v1::ParseArticleResponse response;
  v1::IngestArticleRequest request;
  request.set_content("关闭\n\n您当前的位置：首页 > 新闻 > 正文\n\n相关阅读\n");
  grpc::Status status = Parse(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no article"));
  request.set_content("");
  status = Parse(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("content is empty"));
  request.set_content(std::string("\xff\xfe\xfd\x80\x81 not any charset \xff", 22));
  status = Parse(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ingest_->HeadSeq(), 0);
}

TEST_F(ParseRpcTest, DryRunShowsTheDuplicateLinkIngestWouldSet) {
  const std::string original =
      ReadFile(SourceDir() + "/tests/testdata/dedup/pairs/09_a.txt");
  const std::string copy = ReadFile(SourceDir() + "/tests/testdata/dedup/pairs/09_b.txt");
  v1::IngestArticleResponse stored;
  ASSERT_TRUE(ingest_->Ingest(original, &stored, "original").ok());
  v1::IngestArticleRequest request;
  request.set_content(copy);
  request.set_external_id("copy");
  v1::ParseArticleResponse response;
  ASSERT_TRUE(Parse(request, &response).ok());
  ASSERT_EQ(response.articles_size(), 1);
  EXPECT_EQ(response.articles(0).duplicate_of(), stored.articles(0).id());
}

TEST_F(ParseRpcTest, BufCurlAndTheCliShowTheParse) {
  const std::string page = SourceDir() + "/tests/testdata/pages/samples/s02_gbk_anxi_tea.txt";
  int code = 0;
  const std::string b64 = RunShell(absl::StrCat("base64 -w0 ", page), &code);
  ASSERT_EQ(code, 0);
  std::string out = RunShell(
      absl::StrCat("buf curl --protocol grpc --http2-prior-knowledge --reflect-protocol "
                   "grpc-v1alpha --data '{\"content\":\"",
                   b64, "\"}' http://", ingest_->address(),
                   "/newsearch.v1.IngestService/ParseArticle"),
      &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"articles\""));
  // proto3 JSON names (lowerCamelCase), like every other message's.
  EXPECT_THAT(out, HasSubstr("\"detectedEncoding\": \"GB18030\""));
  EXPECT_THAT(out, HasSubstr("\"publishedAt\": \"2019-06-04T16:00:00Z\""));
  EXPECT_THAT(out, HasSubstr("\"pageId\": "));
  EXPECT_THAT(out, Not(HasSubstr("\"detected_encoding\"")));
  EXPECT_THAT(out, HasSubstr("安溪茶农开起直播间"));

  const std::string cli = BinaryDir() + "/tools/cli/newsearch --ingest " + ingest_->address();
  out = RunShell(absl::StrCat(cli, " parse ", page), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("detected_encoding: GB18030"));
  EXPECT_THAT(out, HasSubstr("=== article 1/1 ==="));
  EXPECT_THAT(out, HasSubstr("安溪茶农开起直播间"));
  out = RunShell(absl::StrCat(cli, " parse --json ", page), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"detectedEncoding\":\"GB18030\""));

  const std::string junk = root_ + "/junk.txt";
  FILE* f = fopen(junk.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("关闭\n\n首页 > 新闻\n", f);
  fclose(f);
  out = RunShell(absl::StrCat(cli, " parse ", junk), &code);
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_EQ(ingest_->HeadSeq(), 0);
}

}  // namespace
}  // namespace newsearch::testing
