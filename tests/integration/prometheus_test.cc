// Both servers' /metrics scraped by a real Prometheus server (Debian's
// `prometheus` package) and linted by `promtool check metrics`: after real
// traffic, Prometheus's query API returns the newsearch series with the
// values the servers reached.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

// The body of an HTTP response.
std::string Body(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// Runs `promtool check metrics` on an exposition; returns its output, or
// "exit N: output" when it found problems.
std::string PromtoolCheck(const std::string& dir, const std::string& name,
                          const std::string& exposition) {
  const std::string path = dir + "/" + name + ".prom";
  std::ofstream(path) << exposition;
  std::string output;
  const int status = RunCommand("promtool check metrics < '" + path + "'", &output);
  return status == 0 ? output : absl::StrCat("exit ", status, ": ", output);
}

class PrometheusProcess {
 public:
  ~PrometheusProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool Start(const std::string& dir, const std::vector<int>& targets) {
    port_ = FreePort();
    std::string config =
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: newsearch\n    static_configs:\n      - targets: [";
    for (size_t i = 0; i < targets.size(); ++i) {
      absl::StrAppend(&config, i > 0 ? ", " : "", "'127.0.0.1:", targets[i], "'");
    }
    config += "]\n";
    std::ofstream(dir + "/prometheus.yml") << config;
    std::vector<std::string> args = {"prometheus", "--config.file=" + dir + "/prometheus.yml",
                                     "--storage.tsdb.path=" + dir + "/tsdb",
                                     absl::StrCat("--web.listen-address=127.0.0.1:", port_),
                                     "--log.level=warn"};
    const std::string log = dir + "/prometheus.log";
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      FILE* out = freopen(log.c_str(), "w", stderr);
      (void)out;
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("prometheus", argv.data());
      _exit(127);
    }
    return WaitFor([&] { return HttpGet(port_, "/-/ready").find(" 200 ") != std::string::npos; },
                   absl::Seconds(15));
  }
  // The body of an instant query's answer (JSON).
  std::string Query(const std::string& expression) {
    return Body(HttpGet(port_, "/api/v1/query?query=" + expression));
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST(PrometheusTest, RealPrometheusScrapesBothServers) {
  std::string which;
  ASSERT_EQ(RunCommand("command -v prometheus && command -v promtool", &which), 0)
      << "install the Debian prometheus package (scripts/install-deps.sh)";
  const std::string root = MakeTempDir("prometheus");
  const int ingest_metrics = FreePort();
  const int search_metrics = FreePort();
  IngestFixture ingest(root, {absl::StrCat("--metrics_listen=127.0.0.1:", ingest_metrics)});
  ASSERT_TRUE(ingest.Start());
  SearchFixture search(root + "/search", ingest.address(),
                       {absl::StrCat("--metrics_listen=127.0.0.1:", search_metrics)});
  ASSERT_TRUE(search.Start());

  int64_t max_seq = 0;
  for (const std::string& path : ListFiles(SourceDir() + "/tests/testdata/pages/seeds")) {
    v1::IngestArticleResponse response;
    ASSERT_TRUE(ingest.Ingest(ReadFile(path), &response).ok());
    for (const auto& article : response.articles()) max_seq = std::max(max_seq, article.seq());
  }
  ASSERT_TRUE(search.WaitForSeq(max_seq));
  v1::SearchRequest request;
  request.set_query("互联网");
  v1::SearchResponse response;
  ASSERT_TRUE(search.Search(request, &response).ok());

  // Every family the operators' dashboards use, in valid exposition format.
  const std::string ingest_text = Body(HttpGet(ingest_metrics, "/metrics"));
  const std::string search_text = Body(HttpGet(search_metrics, "/metrics"));
  for (const char* name :
       {"newsearch_ingest_rpc_requests_total", "newsearch_ingest_rpc_duration_seconds_bucket",
        "newsearch_ingest_open_streams", "newsearch_ingest_articles_total",
        "newsearch_ingest_parse_warnings_total{kind=", "newsearch_ingest_head_seq"}) {
    EXPECT_THAT(ingest_text, HasSubstr(name));
  }
  for (const char* name :
       {"newsearch_search_rpc_requests_total", "newsearch_search_applied_seq",
        "newsearch_search_lag", "newsearch_search_commit_duration_seconds_bucket",
        "newsearch_search_documents", "newsearch_search_index_size_bytes"}) {
    EXPECT_THAT(search_text, HasSubstr(name));
  }
  EXPECT_EQ(PromtoolCheck(root, "ingest", ingest_text), "");
  EXPECT_EQ(PromtoolCheck(root, "search", search_text), "");

  PrometheusProcess prometheus;
  ASSERT_TRUE(prometheus.Start(root, {ingest_metrics, search_metrics}))
      << ReadFile(root + "/prometheus.log");
  const std::string want_seq = absl::StrCat("\"", max_seq, "\"]");
  // Each target is scraped at its own offset in the interval: wait for both.
  std::string answer;
  std::string ingest_answer;
  EXPECT_TRUE(WaitFor(
      [&] {
        answer = prometheus.Query("newsearch_search_applied_seq");
        ingest_answer = prometheus.Query("newsearch_ingest_head_seq");
        return answer.find(want_seq) != std::string::npos &&
               ingest_answer.find(want_seq) != std::string::npos;
      },
      absl::Seconds(15)))
      << answer << "\n"
      << ingest_answer;
  answer = prometheus.Query("sum(up%7Bjob%3D%22newsearch%22%7D)");
  EXPECT_THAT(answer, HasSubstr("\"2\"]"));
  answer = prometheus.Query("newsearch_search_lag");
  EXPECT_THAT(answer, HasSubstr("\"0\"]"));
  answer = prometheus.Query(
      "newsearch_search_rpc_requests_total%7Bmethod%3D%22Search%22%2Ccode%3D%22OK%22%7D");
  EXPECT_THAT(answer, HasSubstr("\"1\"]"));
}

}  // namespace
}  // namespace newsearch::testing
