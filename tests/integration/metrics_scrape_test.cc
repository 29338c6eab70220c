// Both servers expose Prometheus metrics on --metrics_listen: scrape them
// over HTTP after real traffic and check the counters moved.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

TEST(MetricsScrapeTest, BothServersExposeRpcAndPipelineMetrics) {
  const std::string root = MakeTempDir("metrics");
  const int ingest_metrics = FreePort();
  const int search_metrics = FreePort();
  IngestFixture ingest(root, {absl::StrCat("--metrics_listen=127.0.0.1:", ingest_metrics)});
  ASSERT_TRUE(ingest.Start());
  SearchFixture search(root + "/search", ingest.address(),
                       {absl::StrCat("--metrics_listen=127.0.0.1:", search_metrics)});
  ASSERT_TRUE(search.Start());

  const std::string seeds = SourceDir() + "/tests/testdata/pages/seeds";
  int64_t max_seq = 0;
  int articles = 0;  // Seed 003 holds five articles.
  for (const std::string& path : ListFiles(seeds)) {
    v1::IngestArticleResponse response;
    ASSERT_TRUE(ingest.Ingest(ReadFile(path), &response).ok());
    for (const auto& a : response.articles()) max_seq = std::max(max_seq, a.seq());
    articles += response.articles_size();
  }
  v1::IngestArticleResponse rejected;
  EXPECT_FALSE(ingest.Ingest("", &rejected).ok());
  ASSERT_TRUE(search.WaitForSeq(max_seq));
  v1::SearchRequest request;
  request.set_query("互联网");
  v1::SearchResponse response;
  ASSERT_TRUE(search.Search(request, &response).ok());

  const std::string ingest_text = HttpGet(ingest_metrics, "/metrics");
  EXPECT_THAT(ingest_text, HasSubstr("200 OK"));
  EXPECT_THAT(ingest_text,
              HasSubstr(absl::StrCat(
                  "newsearch_ingest_articles_total{outcome=\"OUTCOME_CREATED\"} ", articles, "\n")));
  EXPECT_THAT(ingest_text,
              HasSubstr("newsearch_ingest_pages_rejected_total{code=\"INVALID_ARGUMENT\"} 1\n"));
  EXPECT_THAT(ingest_text, HasSubstr(absl::StrCat("newsearch_ingest_head_seq ", max_seq, "\n")));
  EXPECT_THAT(ingest_text, HasSubstr("newsearch_ingest_rpc_requests_total{method=\"IngestArticle\""));
  EXPECT_THAT(ingest_text, HasSubstr("# TYPE newsearch_ingest_rpc_duration_seconds histogram"));

  const std::string search_text = HttpGet(search_metrics, "/metrics");
  EXPECT_THAT(search_text, HasSubstr(absl::StrCat("newsearch_search_applied_seq ", max_seq, "\n")));
  EXPECT_THAT(search_text, HasSubstr(absl::StrCat("newsearch_search_documents ", articles, "\n")));
  EXPECT_THAT(search_text, HasSubstr("newsearch_search_lag 0\n"));
  EXPECT_THAT(search_text, HasSubstr("newsearch_search_rpc_requests_total{method=\"Search\",code=\"OK\"} 1\n"));
  EXPECT_THAT(HttpGet(search_metrics, "/other"), HasSubstr("404"));
}

}  // namespace
}  // namespace newsearch::testing
