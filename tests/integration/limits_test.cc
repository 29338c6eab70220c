// Limits through the real ingest server, each with a clear status code:
// too many concurrent streams (RESOURCE_EXHAUSTED), too many pages on one
// IngestArticles stream (RESOURCE_EXHAUSTED, earlier pages kept), an
// oversized message (RESOURCE_EXHAUSTED, nothing stored), and deadlines
// (an expired one does no work; streams end when theirs passes).
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

std::string Seed(int i) {
  const std::vector<std::string> files = ListFiles(SourceDir() + "/tests/testdata/pages/seeds");
  return ReadFile(files[static_cast<size_t>(i) % files.size()]);
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("limits");
    metrics_port_ = FreePort();
    ingest_ = std::make_unique<IngestFixture>(
        root_,
        std::vector<std::string>{"--max_concurrent_streams=2", "--max_articles_per_stream=3",
                                 "--max_message_bytes=1048576", "--max_page_bytes=524288",
                                 absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port_)});
    ASSERT_TRUE(ingest_->Start());
  }

  int StoredArticles() {
    grpc::ClientContext context;
    v1::ListArticlesRequest request;
    request.set_page_size(1000);
    v1::ListArticlesResponse response;
    if (!ingest_->stub().ListArticles(&context, request, &response).ok()) return -1;
    return response.articles_size();
  }

  std::string root_;
  int metrics_port_ = 0;
  std::unique_ptr<IngestFixture> ingest_;
};

TEST_F(LimitsTest, StreamsBeyondTheLimitAreResourceExhausted) {
  struct OpenStream {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::StreamChangesResponse>> reader;
  };
  std::vector<std::unique_ptr<OpenStream>> streams;
  for (int i = 0; i < 2; ++i) {
    auto stream = std::make_unique<OpenStream>();
    stream->reader = ingest_->stub().StreamChanges(&stream->context, v1::StreamChangesRequest());
    v1::StreamChangesResponse first;
    ASSERT_TRUE(stream->reader->Read(&first));  // admitted: the head arrives at once
    streams.push_back(std::move(stream));
  }
  grpc::ClientContext context;
  auto third = ingest_->stub().StreamChanges(&context, v1::StreamChangesRequest());
  v1::StreamChangesResponse response;
  EXPECT_FALSE(third->Read(&response));
  grpc::Status status = third->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("--max_concurrent_streams=2"));
  // Unary calls are not streams: still served.
  EXPECT_EQ(StoredArticles(), 0);

  // Closing one stream frees its slot.
  streams[0]->context.TryCancel();
  streams[0]->reader->Finish();
  EXPECT_TRUE(WaitFor(
      [&] {
        grpc::ClientContext retry_context;
        auto retry = ingest_->stub().StreamChanges(&retry_context, v1::StreamChangesRequest());
        const bool admitted = retry->Read(&response);
        retry_context.TryCancel();
        retry->Finish();
        return admitted;
      },
      absl::Seconds(5)));
  for (auto& stream : streams) stream->context.TryCancel();
  EXPECT_THAT(HttpGet(metrics_port_, "/metrics"),
              HasSubstr("newsearch_ingest_rpc_requests_total{method=\"StreamChanges\","
                        "code=\"RESOURCE_EXHAUSTED\"}"));
}

TEST_F(LimitsTest, PageStreamsCountAgainstTheStreamLimitToo) {
  // IngestArticles runs on the callback API and admits itself through the
  // same gate as the wrapped sync methods.
  struct OpenStream {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReaderWriter<v1::IngestArticleRequest, v1::IngestArticleResponse>>
        stream;
  };
  std::vector<std::unique_ptr<OpenStream>> streams;
  for (int i = 0; i < 2; ++i) {
    auto open = std::make_unique<OpenStream>();
    open->stream = ingest_->stub().IngestArticles(&open->context);
    v1::IngestArticleRequest request;
    request.set_content(Seed(i));
    ASSERT_TRUE(open->stream->Write(request));
    v1::IngestArticleResponse response;
    ASSERT_TRUE(open->stream->Read(&response));  // admitted and answered
    EXPECT_FALSE(response.has_error()) << response.error().message();
    streams.push_back(std::move(open));
  }
  {
    grpc::ClientContext context;
    auto third = ingest_->stub().IngestArticles(&context);
    v1::IngestArticleResponse response;
    EXPECT_FALSE(third->Read(&response));
    const grpc::Status status = third->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(), HasSubstr("--max_concurrent_streams=2"));
  }
  // Ending a page stream frees its slot.
  streams[0]->stream->WritesDone();
  EXPECT_TRUE(streams[0]->stream->Finish().ok());
  grpc::ClientContext context;
  auto next = ingest_->stub().IngestArticles(&context);
  v1::IngestArticleRequest request;
  request.set_content(Seed(2));
  ASSERT_TRUE(next->Write(request));
  v1::IngestArticleResponse response;
  EXPECT_TRUE(next->Read(&response));
  next->WritesDone();
  EXPECT_TRUE(next->Finish().ok());
  streams[1]->stream->WritesDone();
  EXPECT_TRUE(streams[1]->stream->Finish().ok());
}

TEST_F(LimitsTest, StreamEndsAfterMaxArticlesPerStreamKeepingEarlierPages) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = ingest_->stub().IngestArticles(&context);
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    v1::IngestArticleRequest request;
    request.set_content(Seed(i));
    request.set_external_id(absl::StrCat("page-", i));
    if (!stream->Write(request)) break;
    v1::IngestArticleResponse response;
    if (!stream->Read(&response)) break;
    EXPECT_FALSE(response.has_error()) << response.error().message();
    ++answered;
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("--max_articles_per_stream"));
  EXPECT_GE(StoredArticles(), 3);  // seed 003 holds several articles
}

TEST_F(LimitsTest, OversizedMessageIsResourceExhaustedAndStoresNothing) {
  std::string page = "超大页面\n\n";
  while (page.size() < (2u << 20)) page += "这是一段被重复了很多次的正文内容。";
  v1::IngestArticleResponse response;
  grpc::Status status = ingest_->Ingest(page, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(StoredArticles(), 0);
  // Below the message limit but above --max_page_bytes: INVALID_ARGUMENT.
  status = ingest_->Ingest(page.substr(0, 700 * 1024), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("max_page_bytes"));
  EXPECT_TRUE(ingest_->Ingest(Seed(0), &response).ok());
  EXPECT_EQ(StoredArticles(), 1);
}

TEST_F(LimitsTest, ExpiredDeadlineDoesNoWork) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  v1::IngestArticleRequest request;
  request.set_content(Seed(0));
  v1::IngestArticleResponse response;
  EXPECT_EQ(ingest_->stub().IngestArticle(&context, request, &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(StoredArticles(), 0);
}

TEST_F(LimitsTest, StreamsEndWhenTheirDeadlinePasses) {
  // A page stream whose deadline passes between pages: the first page is
  // stored, the stream ends DEADLINE_EXCEEDED, later pages are not.
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
    auto stream = ingest_->stub().IngestArticles(&context);
    v1::IngestArticleRequest request;
    request.set_content(Seed(0));
    ASSERT_TRUE(stream->Write(request));
    v1::IngestArticleResponse response;
    ASSERT_TRUE(stream->Read(&response));
    absl::SleepFor(absl::Milliseconds(2000));
    request.set_content(Seed(1));
    stream->Write(request);
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  EXPECT_EQ(StoredArticles(), 1);

  // A change stream with a deadline ends with it and frees its slot.
  const absl::Time start = absl::Now();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(700));
  auto changes = ingest_->stub().StreamChanges(&context, v1::StreamChangesRequest());
  v1::StreamChangesResponse response;
  while (changes->Read(&response)) {
  }
  EXPECT_EQ(changes->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(WaitFor(
      [&] {
        return HttpGet(metrics_port_, "/metrics")
                   .find("newsearch_ingest_open_streams{method=\"StreamChanges\"} 0\n") !=
               std::string::npos;
      },
      absl::Seconds(10)));
}

}  // namespace
}  // namespace newsearch::testing
