// Drives RunInvocation against in-process fake IngestService and
// SearchService servers, so the client's RPC handling (streams, metadata,
// errors, exit codes, wait polling) is tested without the real services.
#include "tools/cli/commands.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "newsearch/v1/ingest.grpc.pb.h"
#include "newsearch/v1/search.grpc.pb.h"
#include "tools/cli/args.h"

namespace newsearch::cli {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::newsearch::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string AuthorizationOf(const grpc::ServerContext* ctx) {
  auto it = ctx->client_metadata().find("authorization");
  if (it == ctx->client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

class FakeIngest final : public v1::IngestService::Service {
 public:
  grpc::Status IngestArticles(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::IngestArticleResponse, v1::IngestArticleRequest>* stream)
      override {
    {
      std::lock_guard<std::mutex> lock(mu);
      authorization = AuthorizationOf(ctx);
    }
    v1::IngestArticleRequest request;
    int64_t index = 0;
    while (stream->Read(&request)) {
      {
        std::lock_guard<std::mutex> lock(mu);
        requests.push_back(request);
      }
      v1::IngestArticleResponse response;
      response.set_request_index(index++);
      if (absl::StrContains(request.content(), "BAD")) {
        response.mutable_error()->set_code(3);
        response.mutable_error()->set_message("page has no article");
      } else {
        v1::IngestedArticle* a = response.add_articles();
        a->set_id(request.external_id());
        a->set_outcome(absl::StrContains(request.content(), "SAME") ? v1::OUTCOME_UNCHANGED
                                                                    : v1::OUTCOME_CREATED);
      }
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status GetArticle(grpc::ServerContext*, const v1::GetArticleRequest* request,
                          v1::Article* article) override {
    if (request->id() != "a1") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no article a1x");
    }
    article->set_id("a1");
    article->set_title("标题");
    article->set_body("正文");
    article->set_detected_encoding("GB18030");
    return grpc::Status::OK;
  }

  grpc::Status DeleteArticle(grpc::ServerContext*, const v1::DeleteArticleRequest*,
                             v1::DeleteArticleResponse* response) override {
    response->set_seq(77);
    return grpc::Status::OK;
  }

  grpc::Status StreamChanges(grpc::ServerContext*, const v1::StreamChangesRequest*,
                             grpc::ServerWriter<v1::StreamChangesResponse>* writer) override {
    v1::StreamChangesResponse response;
    response.set_head_seq(head_seq);
    writer->Write(response);
    return grpc::Status::OK;
  }

  std::mutex mu;
  std::vector<v1::IngestArticleRequest> requests;
  std::string authorization;
  std::atomic<int64_t> head_seq{0};
};

class FakeSearch final : public v1::SearchService::Service {
 public:
  grpc::Status Search(grpc::ServerContext*, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      last_request = *request;
    }
    if (absl::StrContains(request->query(), "\"")) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unbalanced quote at 5");
    }
    response->set_total_estimate(1);
    v1::SearchHit* hit = response->add_hits();
    hit->set_id("a1");
    hit->set_title("网络安全");
    hit->mutable_snippet()->set_text("网络安全");
    v1::Highlight* h = hit->mutable_snippet()->add_highlights();
    h->set_start(0);
    h->set_end(2);
    return grpc::Status::OK;
  }

  // Each call applies `step` more changes; the stream is always open.
  grpc::Status GetIndexStatus(grpc::ServerContext*, const v1::GetIndexStatusRequest*,
                              v1::GetIndexStatusResponse* response) override {
    if (unavailable_after_call > 0 && calls >= unavailable_after_call) {
      ++calls;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "replica restarting");
    }
    const int64_t applied = step * ++calls;
    response->set_applied_seq(applied);
    response->set_head_seq(applied);  // The replica's own (possibly stale) view.
    response->set_lag(0);
    response->set_following(true);
    response->set_document_count(applied);
    response->set_compaction_pending(calls <= compacting_until_call);
    return grpc::Status::OK;
  }

  std::mutex mu;
  v1::SearchRequest last_request;
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> step{0};
  // GetIndexStatus reports a compaction pending up to this call.
  std::atomic<int64_t> compacting_until_call{0};
  // GetIndexStatus fails (UNAVAILABLE) after this many calls (0 = never).
  std::atomic<int64_t> unavailable_after_call{0};
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "newsearch_cli_cmd.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&ingest_);
    builder.RegisterService(&search_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    fs::remove_all(dir_);
  }

  std::string Address() const { return absl::StrCat("127.0.0.1:", port_); }

  std::string Write(const std::string& relative, const std::string& content) {
    const fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  // Parses `args` (with both addresses pointing at the fakes) and runs them.
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--ingest", Address(), "--search", Address()});
    absl::StatusOr<Invocation> inv =
        ParseCommandLine(args, [](const std::string&) { return std::nullopt; });
    EXPECT_TRUE(inv.ok()) << inv.status();
    if (!inv.ok()) return -1;
    out_.str("");
    err_.str("");
    CommandIo io;
    io.out = &out_;
    io.err = &err_;
    io.wait_poll_interval = absl::Milliseconds(1);
    return RunInvocation(*inv, io);
  }

  fs::path dir_;
  int port_ = 0;
  FakeIngest ingest_;
  FakeSearch search_;
  std::unique_ptr<grpc::Server> server_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CommandsTest, IngestStreamsEveryFileAndReportsFailedPages) {
  Write("pages/2018/a.txt", "页面一");
  const std::string bad = Write("pages/2018/b.txt", "BAD");
  Write("pages/c.txt", "SAME");
  Write("token", "  secret-token\n");
  const int code = Run({"ingest", (dir_ / "pages").string(), "--source_hint", "台州日报", "--token_file", (dir_ / "token").string()});
  EXPECT_EQ(code, kExitSomePagesFailed);
  EXPECT_THAT(err_.str(), HasSubstr(absl::StrCat("FAILED ", bad,
                                                 ": INVALID_ARGUMENT: page has no article\n")));
  EXPECT_THAT(err_.str(), HasSubstr("ingested 3/3 pages (created 1, updated 0, unchanged 1, "
                                    "failed 1)"));
  std::lock_guard<std::mutex> lock(ingest_.mu);
  ASSERT_EQ(ingest_.requests.size(), 3u);
  EXPECT_EQ(ingest_.requests[0].external_id(), "2018/a.txt");
  EXPECT_EQ(ingest_.requests[0].content(), "页面一");
  EXPECT_EQ(ingest_.requests[0].source_hint(), "台州日报");
  EXPECT_EQ(ingest_.requests[2].external_id(), "c.txt");
  EXPECT_EQ(ingest_.authorization, "Bearer secret-token");
}

TEST_F(CommandsTest, IngestAllOkExitsZeroAndPrintsJsonPerPage) {
  Write("p/a.txt", "一");
  Write("p/b.txt", "二");
  EXPECT_EQ(Run({"--json", "ingest", (dir_ / "p").string(), "--no_external_id_from_path"}),
            kExitOk);
  const std::string out = out_.str();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
  EXPECT_THAT(out, HasSubstr("\"outcome\":\"OUTCOME_CREATED\""));
  std::lock_guard<std::mutex> lock(ingest_.mu);
  EXPECT_EQ(ingest_.requests[0].external_id(), "") << "--no_external_id_from_path";
  EXPECT_EQ(ingest_.authorization, "") << "no token file, no metadata";
}

TEST_F(CommandsTest, IngestOfEmptyDirectorySendsNothing) {
  fs::create_directories(dir_ / "empty");
  EXPECT_EQ(Run({"ingest", (dir_ / "empty").string()}), kExitOk);
  EXPECT_THAT(err_.str(), HasSubstr("ingested 0/0 pages"));
}

TEST_F(CommandsTest, IngestRefusesTwoFilesWithOneExternalId) {
  const std::string a = Write("a/index.html", "一");
  const std::string b = Write("b/index.html", "二");
  EXPECT_EQ(Run({"ingest", a, b}), kExitError);
  EXPECT_THAT(err_.str(), HasSubstr("would both get external_id 'index.html'"));
  {
    std::lock_guard<std::mutex> lock(ingest_.mu);
    EXPECT_TRUE(ingest_.requests.empty()) << "refused before sending anything";
  }
  EXPECT_EQ(Run({"ingest", a, b, "--no_external_id_from_path"}), kExitOk);
  EXPECT_EQ(Run({"ingest", (dir_ / "a").string(), (dir_ / "b").string()}), kExitError)
      << "the same relative name under two directory arguments";
}

TEST_F(CommandsTest, IngestOfMissingPathFailsBeforeConnecting) {
  EXPECT_EQ(Run({"ingest", (dir_ / "nope").string()}), kExitError);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND: no such file or directory"));
}

TEST_F(CommandsTest, UnreachableServerIsUnavailable) {
  Write("p/a.txt", "一");
  server_->Shutdown();
  server_.reset();
  EXPECT_EQ(Run({"ingest", (dir_ / "p").string(), "--timeout", "5"}), kExitError);
  EXPECT_THAT(err_.str(), HasSubstr("newsearch: UNAVAILABLE: "));
  EXPECT_THAT(err_.str(), HasSubstr(absl::StrCat("(ingest ", Address(), ")")));
  EXPECT_EQ(Run({"status", "--timeout", "5"}), kExitError);
  EXPECT_THAT(err_.str(), HasSubstr("UNAVAILABLE"));
}

TEST_F(CommandsTest, SearchSendsTheRequestAndRendersHighlights) {
  EXPECT_EQ(Run({"search", "网络", "--source", "新华网", "--page_size", "5"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("total ~1\n"));
  EXPECT_THAT(out_.str(), HasSubstr("   【网络】安全\n"));
  std::lock_guard<std::mutex> lock(search_.mu);
  EXPECT_EQ(search_.last_request.query(), "网络");
  EXPECT_THAT(search_.last_request.sources(), ElementsAre("新华网"));
  EXPECT_EQ(search_.last_request.page_size(), 5);
}

TEST_F(CommandsTest, SearchErrorShowsCodeNameAndMessage) {
  EXPECT_EQ(Run({"search", "\"网络"}), kExitError);
  EXPECT_EQ(err_.str(), absl::StrCat("newsearch: INVALID_ARGUMENT: unbalanced quote at 5 (search ",
                                     Address(), ")\n"));
}

TEST_F(CommandsTest, GetAndDelete) {
  EXPECT_EQ(Run({"get", "a1"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("title:            标题\n"));
  EXPECT_EQ(Run({"get", "a1x"}), kExitError);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND: no article a1x"));
  EXPECT_EQ(Run({"get", "a1", "--json"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "{\"id\":\"a1\",\"title\":\"标题\",\"body\":\"正文\",\"detectedEncoding\":\"GB18030\"}\n")
      << "UTF-8 stays readable, proto3 JSON names, one line";
  EXPECT_EQ(Run({"--json", "delete", "a1"}), kExitOk);
  EXPECT_EQ(out_.str(), "{\"seq\":\"77\"}\n");
}

TEST_F(CommandsTest, WaitPollsUntilAppliedReachesTheIngestHead) {
  ingest_.head_seq = 10;
  search_.step = 4;  // 4, 8, 12: caught up on the third poll.
  EXPECT_EQ(Run({"wait", "--timeout", "30"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("caught up: applied_seq 12, ingest head 10"));
  EXPECT_EQ(search_.calls, 3);
}

TEST_F(CommandsTest, WaitAlsoWaitsForTheCompactionAfterABulkLoad) {
  ingest_.head_seq = 10;
  search_.step = 10;  // caught up at once, compacting until the fourth poll
  search_.compacting_until_call = 3;
  EXPECT_EQ(Run({"wait", "--timeout", "30"}), kExitOk);
  EXPECT_THAT(err_.str(), HasSubstr("waiting for the replica to compact its index"));
  EXPECT_THAT(out_.str(), HasSubstr("caught up: applied_seq 40, ingest head 10"));
  EXPECT_EQ(search_.calls, 4);
}

TEST_F(CommandsTest, WaitSearchableOnlyDoesNotWaitForTheCompaction) {
  ingest_.head_seq = 10;
  search_.step = 10;
  search_.compacting_until_call = 100;
  EXPECT_EQ(Run({"wait", "--timeout", "30", "--searchable_only"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("caught up: applied_seq 10, ingest head 10"));
  EXPECT_EQ(search_.calls, 1);
}

TEST_F(CommandsTest, WaitEndsWellWhenOnlyTheCompactionOutlastsIt) {
  ingest_.head_seq = 10;
  search_.step = 10;
  search_.compacting_until_call = 1000000;
  EXPECT_EQ(Run({"wait", "--timeout", "2"}), kExitOk);
  EXPECT_THAT(err_.str(), HasSubstr("still compacting its index when the wait ended"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("DEADLINE_EXCEEDED")));
}

TEST_F(CommandsTest, WaitTimesOutWhenTheReplicaLags) {
  ingest_.head_seq = 10;
  search_.step = 0;
  EXPECT_EQ(Run({"wait", "--timeout", "2"}), kExitError);
  EXPECT_THAT(err_.str(), HasSubstr("newsearch: DEADLINE_EXCEEDED: not caught up after"));
  EXPECT_THAT(err_.str(), HasSubstr("applied_seq 0, ingest head 10"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("caught up")));
}

TEST_F(CommandsTest, WaitThatTimesOutSaysTheLastStateAndTheErrorSince) {
  ingest_.head_seq = 10;
  search_.step = 0;
  search_.unavailable_after_call = 1;
  EXPECT_EQ(Run({"wait", "--timeout", "2"}), kExitError);
  EXPECT_THAT(err_.str(), HasSubstr("not caught up after"));
  EXPECT_THAT(err_.str(), HasSubstr("applied_seq 0, ingest head 10"));
  EXPECT_THAT(err_.str(), HasSubstr("; last error from search: UNAVAILABLE: replica restarting"));
}

TEST_F(CommandsTest, WaitGivesUpAtOnceOnAPermanentError) {
  // A server without IngestService answers StreamChanges with UNIMPLEMENTED:
  // a wrong --ingest address, which waiting will not fix.
  FakeSearch search_only;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&search_only);
  std::unique_ptr<grpc::Server> wrong = builder.BuildAndStart();
  ASSERT_NE(wrong, nullptr);
  const absl::Time start = absl::Now();
  EXPECT_EQ(Run({"wait", "--timeout", "60", "--ingest", absl::StrCat("127.0.0.1:", port)}),
            kExitError);
  EXPECT_LT(absl::Now() - start, absl::Seconds(30)) << "did not wait for the timeout";
  EXPECT_THAT(err_.str(), HasSubstr("newsearch: UNIMPLEMENTED: "));
  EXPECT_THAT(err_.str(), HasSubstr(absl::StrCat("(ingest 127.0.0.1:", port, ")")));
  wrong->Shutdown();
}

TEST_F(CommandsTest, MissingTokenFileFailsWithoutCalling) {
  EXPECT_EQ(Run({"status", "--token_file", (dir_ / "none").string()}), kExitError);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND: cannot open"));
  EXPECT_EQ(search_.calls, 0);
}

}  // namespace
}  // namespace newsearch::cli
