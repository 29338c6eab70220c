// The partitioned layout on loopback (#12): one ingest, kPartitions
// partitions of two replicas each (every replica serves its index on a shard
// port through xapian-tcpsrv, --shard_listen), one router (--shards) and,
// for reference, one replica holding the whole index. Every query of the
// relevance set (tests/relevance/data, its articles ingested as pages) must
// answer through the router exactly as the single index does: the same ids
// in the same order (articles tied on score and date may swap: their order
// follows Xapian's document ids, which differ between layouts), scores
// within 1e-9, the same facet counts, snippets and page tokens. Then the
// failure cases: kill -9 one replica of a partition during a query loop (no
// query fails), kill both (UNAVAILABLE naming the partition, or partial
// with allow_partial, never past the deadline), bring them back (answers
// resume).
#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/relevance/relevance.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kPartitions = 2;
constexpr int kReplicas = 2;
constexpr double kScoreTolerance = 1e-9;

// The page an article of the relevance set becomes: title, a date and
// source line the parser reads as metadata, then the body.
std::string RenderPage(const v1::Article& article) {
  std::string page = article.title() + "\n\n";
  if (article.has_published_at()) {
    absl::StrAppend(&page,
                    absl::FormatTime("%Y-%m-%d %H:%M:%S",
                                     absl::FromUnixSeconds(article.published_at().seconds()),
                                     absl::FixedTimeZone(8 * 3600)));
  }
  if (!article.source().empty()) absl::StrAppend(&page, "  来源:", article.source());
  absl::StrAppend(&page, "\n\n", article.body(), "\n");
  return page;
}

// Pids of every xapian-tcpsrv serving `port`: the listener and its
// per-connection children, found in /proc.
std::vector<pid_t> ShardServerPids(int port) {
  std::vector<pid_t> pids;
  const std::string port_arg = std::to_string(port);
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(atoi(entry->d_name));
    if (pid <= 0) continue;
    const std::string cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    std::vector<std::string> argv = absl::StrSplit(cmdline, '\0');
    const bool tcpsrv = !argv.empty() && absl::EndsWith(argv[0], "xapian-tcpsrv");
    for (size_t i = 0; tcpsrv && i + 1 < argv.size(); ++i) {
      if (argv[i] == "--port" && argv[i + 1] == port_arg) pids.push_back(pid);
    }
  }
  closedir(proc);
  return pids;
}

// Kills (SIGKILL) every xapian-tcpsrv serving `port`. With the replica
// killed too, this is what losing the replica's machine (or pod) looks like
// to a router: calls in flight on its connections fail.
void KillShardServers(int port) {
  for (pid_t pid : ShardServerPids(port)) kill(pid, SIGKILL);
}

class Router {
 public:
  Router(const std::string& shards, const std::string& work_dir)
      : process_("search-service/server/newsearch-search",
                 {"--shards=" + shards, "--shard_probe_interval_ms=200",
                  "--shard_timeout_ms=2000", "--shard_connect_timeout_ms=500",
                  "--log_level=debug"},
                 work_dir) {}
  bool Start() {
    if (!process_.Start()) return false;
    stub_ = v1::SearchService::NewStub(
        grpc::CreateChannel(process_.address(), grpc::InsecureChannelCredentials()));
    return true;
  }
  grpc::Status Search(const v1::SearchRequest& request, v1::SearchResponse* response,
                      absl::Duration deadline = absl::Seconds(10)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return stub_->Search(&context, request, response);
  }
  grpc::Status Status(v1::GetIndexStatusResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return stub_->GetIndexStatus(&context, v1::GetIndexStatusRequest(), response);
  }
  ServerProcess& process() { return process_; }

 private:
  ServerProcess process_;
  std::unique_ptr<v1::SearchService::Stub> stub_;
};

struct Replica {
  std::unique_ptr<SearchFixture> fixture;
  std::string data_dir;
  int shard_port = 0;
};

class RouterClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(MakeTempDir("router_cluster"));
    ingest_ = new IngestFixture(*root_ + "/ingest", {"--fsync=false"});
    ASSERT_TRUE(ingest_->Start());
    // With positions, as the replicas a router reads always are.
    single_ = new SearchFixture(*root_ + "/single", ingest_->address(),
                                {"--index_shards=2", "--index_positions=true"});
    ASSERT_TRUE(single_->Start());
    replicas_ = new std::vector<std::vector<Replica>>(kPartitions);
    std::vector<std::string> partitions;
    for (int p = 0; p < kPartitions; ++p) {
      std::vector<std::string> addresses;
      for (int r = 0; r < kReplicas; ++r) {
        Replica replica;
        replica.shard_port = FreePort();
        // Compacts once the relevance set is in (SeesChangesAfterCompaction).
        std::vector<std::string> args = {
            absl::StrCat("--shard_listen=127.0.0.1:", replica.shard_port), "--index_shards=2",
            "--compact_after_changes=40"};
        if (kPartitions > 1) args.push_back(absl::StrCat("--partition=", p, "/", kPartitions));
        replica.data_dir = absl::StrCat(*root_, "/p", p, "r", r);
        replica.fixture = std::make_unique<SearchFixture>(replica.data_dir, ingest_->address(), args);
        ASSERT_TRUE(replica.fixture->Start());
        addresses.push_back(absl::StrCat("127.0.0.1:", replica.shard_port));
        (*replicas_)[p].push_back(std::move(replica));
      }
      partitions.push_back(absl::StrJoin(addresses, ","));
    }
    shards_ = new std::string(absl::StrJoin(partitions, ";"));
    router_ = new Router(*shards_, *root_ + "/router");
    ASSERT_TRUE(router_->Start());

    auto articles = relevance::LoadArticles(SourceDir() + "/tests/relevance/data/articles.jsonl");
    ASSERT_TRUE(articles.ok()) << articles.status();
    int64_t head = 0;
    for (const v1::Article& article : *articles) {
      v1::IngestArticleResponse response;
      const grpc::Status status = ingest_->Ingest(RenderPage(article), &response, article.id());
      ASSERT_TRUE(status.ok()) << article.id() << ": " << status.error_message();
      for (const auto& a : response.articles()) head = std::max<int64_t>(head, a.seq());
    }
    ASSERT_GT(head, 100);
    head_ = head;
    ASSERT_TRUE(single_->WaitForSeq(head, absl::Seconds(60)));
    for (auto& partition : *replicas_) {
      for (Replica& replica : partition) {
        ASSERT_TRUE(replica.fixture->WaitForSeq(head, absl::Seconds(60)));
      }
    }
    ASSERT_TRUE(WaitRouterAnswers(absl::Seconds(20)));
  }

  static void TearDownTestSuite() {
    delete router_;
    delete replicas_;
    delete single_;
    delete ingest_;
    delete shards_;
    delete root_;
  }

  // Waits until a plain query through the router succeeds without
  // missing partitions and finds as many articles as the single index.
  static bool WaitRouterAnswers(absl::Duration timeout) {
    return WaitFor(
        [] {
          // Every article, uncollapsed: total_estimate is the exact count
          // (collapsed estimates may differ between layouts).
          v1::SearchRequest request;
          request.set_page_size(1);
          request.set_expand_duplicates(true);
          v1::SearchResponse routed, single;
          return router_->Search(request, &routed).ok() && !routed.partial() &&
                 single_->Search(request, &single).ok() &&
                 routed.total_estimate() == single.total_estimate();
        },
        timeout);
  }

  // Compares one page: scores rank by rank; ids and snippets as sets within each run of hits tied on score and date (a run
  // cut by the end of the page only by score).
  static void ExpectSamePage(const v1::SearchResponse& single, const v1::SearchResponse& routed,
                             const std::string& what) {
    SCOPED_TRACE(what);
    ASSERT_EQ(single.hits_size(), routed.hits_size());
    EXPECT_EQ(single.next_page_token(), routed.next_page_token());
    EXPECT_EQ(single.facets_exact(), routed.facets_exact());
    ASSERT_EQ(single.facets_size(), routed.facets_size());
    for (int i = 0; i < single.facets_size(); ++i) {
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(single.facets(i),
                                                                     routed.facets(i)))
          << "single: " << single.facets(i).ShortDebugString()
          << "\nrouted: " << routed.facets(i).ShortDebugString();
    }
    // duplicate_count is left out: a partition sends the router only its
    // best hits, so copies of a story held by another partition that rank
    // below the page are not counted (a lower bound, README).
    auto key = [](const v1::SearchHit& hit) {
      return absl::StrCat(hit.id(), "|", hit.snippet().text());
    };
    std::map<std::string, int> single_copies;
    for (const v1::SearchHit& hit : single.hits()) single_copies[hit.id()] = hit.duplicate_count();
    for (const v1::SearchHit& hit : routed.hits()) {
      auto it = single_copies.find(hit.id());
      if (it != single_copies.end()) {
        EXPECT_LE(hit.duplicate_count(), it->second) << hit.id();
      }
    }
    int run_start = 0;
    for (int i = 0; i <= single.hits_size(); ++i) {
      if (i < single.hits_size()) {
        EXPECT_NEAR(single.hits(i).score(), routed.hits(i).score(), kScoreTolerance)
            << "rank " << i << ": " << single.hits(i).id() << " vs " << routed.hits(i).id();
      }
      const bool run_ends =
          i == single.hits_size() ||
          std::fabs(single.hits(i).score() - single.hits(run_start).score()) > kScoreTolerance ||
          single.hits(i).published_at().seconds() !=
              single.hits(run_start).published_at().seconds();
      if (!run_ends) continue;
      const bool cut = i == single.hits_size() && !single.next_page_token().empty();
      if (!cut) {
        std::multiset<std::string> a, b;
        for (int j = run_start; j < i; ++j) {
          a.insert(key(single.hits(j)));
          b.insert(key(routed.hits(j)));
        }
        EXPECT_EQ(a, b) << "hits " << run_start << ".." << i - 1;
      }
      run_start = i;
    }
  }

  static std::string* root_;
  static std::string* shards_;
  static IngestFixture* ingest_;
  static SearchFixture* single_;
  static std::vector<std::vector<Replica>>* replicas_;
  static Router* router_;
  static int64_t head_;
};

std::string* RouterClusterTest::root_ = nullptr;
std::string* RouterClusterTest::shards_ = nullptr;
IngestFixture* RouterClusterTest::ingest_ = nullptr;
SearchFixture* RouterClusterTest::single_ = nullptr;
std::vector<std::vector<Replica>>* RouterClusterTest::replicas_ = nullptr;
Router* RouterClusterTest::router_ = nullptr;
int64_t RouterClusterTest::head_ = 0;

TEST_F(RouterClusterTest, EveryRelevanceQueryAnswersAsOneIndex) {
  auto queries = relevance::LoadQueries(SourceDir() + "/tests/relevance/data/queries.tsv");
  ASSERT_TRUE(queries.ok()) << queries.status();
  ASSERT_GT(queries->size(), 100u);
  int with_hits = 0;
  for (const relevance::JudgedQuery& query : *queries) {
    for (const v1::SortOrder sort : {v1::SORT_ORDER_RELEVANCE, v1::SORT_ORDER_DATE_DESC}) {
      v1::SearchRequest request;
      request.set_query(query.text);
      request.set_page_size(20);
      request.set_include_facets(true);
      request.set_sort(sort);
      // Two pages: the page token of the router must work on the router.
      for (int page = 0; page < 2; ++page) {
        v1::SearchResponse single, routed;
        const grpc::Status s = single_->Search(request, &single);
        const grpc::Status r = router_->Search(request, &routed);
        ASSERT_TRUE(s.ok()) << query.qid << ": " << s.error_message();
        ASSERT_TRUE(r.ok()) << query.qid << ": " << r.error_message();
        EXPECT_FALSE(routed.partial());
        ExpectSamePage(single, routed,
                       absl::StrCat(query.qid, " '", query.text, "' sort ", sort, " page ", page));
        if (page == 0 && sort == v1::SORT_ORDER_RELEVANCE && single.hits_size() > 0) ++with_hits;
        if (single.next_page_token().empty()) break;
        request.set_page_token(single.next_page_token());
      }
    }
  }
  EXPECT_GT(with_hits, 80) << "the set must exercise real matches";
}

TEST_F(RouterClusterTest, SimilarArticlesAnswerAsOneIndex) {
  v1::SearchRequest request;
  request.set_query("台风");
  v1::SearchResponse single;
  ASSERT_TRUE(single_->Search(request, &single).ok());
  ASSERT_GT(single.hits_size(), 0);
  v1::SimilarArticlesRequest similar;
  similar.set_id(single.hits(0).id());
  grpc::ClientContext c1, c2;
  v1::SimilarArticlesResponse a, b;
  auto router_stub = v1::SearchService::NewStub(
      grpc::CreateChannel(router_->process().address(), grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(single_->stub().SimilarArticles(&c1, similar, &a).ok());
  ASSERT_TRUE(router_stub->SimilarArticles(&c2, similar, &b).ok());
  ASSERT_EQ(a.hits_size(), b.hits_size());
  for (int i = 0; i < a.hits_size(); ++i) {
    EXPECT_NEAR(a.hits(i).score(), b.hits(i).score(), kScoreTolerance);
  }
}

// A replica's xapian-tcpsrv opens the index once per connection; after a
// compaction swapped in new shard directories, connections made before
// still read the old generation, which no longer receives changes. The
// router notices the new database UUID and reconnects: a change applied
// after the compaction is found through it within a few probe intervals.
TEST_F(RouterClusterTest, SeesChangesAfterReplicasCompact) {
  for (auto& partition : *replicas_) {
    for (Replica& replica : partition) {
      const std::string stub = replica.data_dir + "/xapian/XAPIANDB";
      ASSERT_TRUE(WaitFor([&] { return ReadFile(stub).find("shard-0.1") != std::string::npos; },
                          absl::Seconds(20)))
          << stub << " was never compacted: " << ReadFile(stub);
    }
  }
  // Every router connection so far was opened before the swap or on it.
  v1::SearchRequest request;
  request.set_query("鸭嘴兽博物馆");
  v1::SearchResponse response;
  ASSERT_TRUE(router_->Search(request, &response).ok());
  ASSERT_EQ(response.hits_size(), 0);
  v1::IngestArticleResponse ingested;
  v1::Article article;
  article.set_title("全国首家鸭嘴兽博物馆今日开馆");
  article.set_source("新华网");
  article.mutable_published_at()->set_seconds(1700000000);
  article.set_body(
      "全国首家鸭嘴兽博物馆今日在杭州开馆，展出来自澳大利亚的鸭嘴兽标本和化石。\n\n"
      "馆方表示，鸭嘴兽博物馆将免费向公众开放，并定期举办科普讲座。");
  const grpc::Status ingest_status =
      ingest_->Ingest(RenderPage(article), &ingested, "router-compaction-probe");
  ASSERT_TRUE(ingest_status.ok()) << ingest_status.error_message();
  ASSERT_EQ(ingested.articles_size(), 1);
  head_ = ingested.articles(0).seq();
  for (auto& partition : *replicas_) {
    for (Replica& replica : partition) ASSERT_TRUE(replica.fixture->WaitForSeq(head_));
  }
  ASSERT_TRUE(single_->WaitForSeq(head_));
  EXPECT_TRUE(WaitFor(
      [&] {
        response.Clear();
        return router_->Search(request, &response).ok() && response.hits_size() == 1;
      },
      absl::Seconds(5)))
      << "the router still reads the generation from before the compaction";
}

// xapian-tcpsrv dies on its own: the replica starts it again and the
// router moves back to it.
TEST_F(RouterClusterTest, ReplicaRestartsItsShardServer) {
  Replica& replica = (*replicas_)[0][0];
  const std::vector<pid_t> before = ShardServerPids(replica.shard_port);
  ASSERT_FALSE(before.empty());
  KillShardServers(replica.shard_port);
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::vector<pid_t> now = ShardServerPids(replica.shard_port);
        return !now.empty() && std::find(before.begin(), before.end(), now[0]) == before.end();
      },
      absl::Seconds(10)))
      << "no new xapian-tcpsrv on port " << replica.shard_port;
  EXPECT_TRUE(WaitRouterAnswers(absl::Seconds(10)));
}

// GetIndexStatus through the router tells the partitions apart: per
// partition the replica that answered, the partition its index records,
// its documents and applied_seq; the totals are the sum of the documents
// and the lowest applied_seq.
TEST_F(RouterClusterTest, StatusListsEveryPartition) {
  const v1::GetIndexStatusResponse single = single_->Status();
  v1::GetIndexStatusResponse routed;
  grpc::Status status;
  // Until the prober has seen every replica (one may just have restarted
  // its shard server).
  EXPECT_TRUE(WaitFor(
      [&] {
        routed.Clear();
        status = router_->Status(&routed);
        return status.ok() && std::all_of(routed.partitions().begin(), routed.partitions().end(),
                                          [](const v1::PartitionStatus& p) {
                                            return p.replicas_up() == kReplicas;
                                          });
      },
      absl::Seconds(10)));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(routed.partial());
  ASSERT_EQ(routed.partitions_size(), kPartitions);
  int64_t documents = 0;
  int64_t lowest = -1;
  for (int p = 0; p < kPartitions; ++p) {
    const v1::PartitionStatus& partition = routed.partitions(p);
    SCOPED_TRACE(partition.ShortDebugString());
    EXPECT_EQ(partition.partition(), p);
    EXPECT_FALSE(partition.missing());
    EXPECT_TRUE(partition.error().empty());
    std::vector<std::string> addresses;
    for (const Replica& r : (*replicas_)[p]) {
      addresses.push_back(absl::StrCat("127.0.0.1:", r.shard_port));
    }
    EXPECT_THAT(addresses, ::testing::Contains(partition.replica()));
    EXPECT_EQ(partition.replicas(), kReplicas);
    EXPECT_EQ(partition.replicas_up(), kReplicas);
    if (kPartitions > 1) {
      EXPECT_EQ(partition.index_partition(), p);
      EXPECT_EQ(partition.index_partition_count(), kPartitions);
    }
    // Each partition holds some of the articles, never all of them.
    EXPECT_GT(partition.document_count(), 0);
    if (kPartitions > 1) {
      EXPECT_LT(partition.document_count(), single.document_count());
    }
    EXPECT_GE(partition.applied_seq(), head_);
    documents += partition.document_count();
    if (lowest < 0 || partition.applied_seq() < lowest) lowest = partition.applied_seq();
  }
  EXPECT_EQ(routed.document_count(), documents);
  EXPECT_EQ(routed.document_count(), single.document_count());
  EXPECT_EQ(routed.applied_seq(), lowest);
  EXPECT_EQ(routed.partition_count(), 0);
}

// Runs queries through the router until stopped; counts failures.
class QueryLoop {
 public:
  explicit QueryLoop(Router* router) : router_(router) {
    thread_ = std::thread([this] {
      const char* queries[] = {"台风 登陆", "地震", "高考", "疫苗 安全", ""};
      for (int i = 0; !stop_.load(); ++i) {
        v1::SearchRequest request;
        request.set_query(queries[i % 5]);
        request.set_include_facets(i % 2 == 0);
        v1::SearchResponse response;
        const grpc::Status status = router_->Search(request, &response, absl::Seconds(5));
        ++done_;
        if (!status.ok() || response.partial()) {
          ++failed_;
          last_error_ = status.error_message();
        }
      }
    });
  }
  ~QueryLoop() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int done() const { return done_.load(); }
  int failed() const { return failed_.load(); }
  std::string last_error() const { return last_error_; }

 private:
  Router* router_;
  std::atomic<bool> stop_{false};
  std::atomic<int> done_{0};
  std::atomic<int> failed_{0};
  std::string last_error_;
  std::thread thread_;
};

TEST_F(RouterClusterTest, FailsOverWhenAReplicaIsKilledAndWhenBothAreGone) {
  const int victim = kPartitions - 1;
  std::vector<Replica>& partition = (*replicas_)[victim];
  {
    QueryLoop loop(router_);
    ASSERT_TRUE(WaitFor([&] { return loop.done() > 20; }, absl::Seconds(20)));
    // kill -9 during the loop, the replica and its shard server.
    partition[0].fixture->process().Kill();
    KillShardServers(partition[0].shard_port);
    const int at_kill = loop.done();
    const absl::Time killed = absl::Now();
    // Long enough for the prober to notice (200 ms) several times over.
    ASSERT_TRUE(WaitFor(
        [&] { return loop.done() > at_kill + 50 && absl::Now() - killed > absl::Seconds(1.5); },
        absl::Seconds(30)));
    loop.Stop();
    EXPECT_EQ(loop.failed(), 0) << loop.last_error();
  }

  // A page of every article (an empty query lists them) and its token,
  // while every partition answers.
  v1::SearchRequest listing;
  listing.set_page_size(5);
  listing.set_include_facets(true);
  listing.set_allow_partial(true);
  v1::SearchResponse complete;
  ASSERT_TRUE(router_->Search(listing, &complete).ok());
  ASSERT_FALSE(complete.partial());
  ASSERT_FALSE(complete.next_page_token().empty());
  EXPECT_TRUE(complete.facets_exact());
  // Through a router duplicate_count is a lower bound; one index says exact.
  EXPECT_FALSE(complete.duplicate_counts_exact());
  v1::SearchResponse single_listing;
  ASSERT_TRUE(single_->Search(listing, &single_listing).ok());
  EXPECT_TRUE(single_listing.facets_exact());
  EXPECT_TRUE(single_listing.duplicate_counts_exact());

  // Kill the other one: the partition has no replica left.
  partition[1].fixture->process().Kill();
  KillShardServers(partition[1].shard_port);
  v1::SearchRequest request;
  request.set_query("台风");
  grpc::Status status;
  v1::SearchResponse response;
  ASSERT_TRUE(WaitFor(
      [&] {
        response.Clear();
        status = router_->Search(request, &response, absl::Seconds(3));
        return !status.ok();
      },
      absl::Seconds(10)))
      << "the router keeps answering without partition " << victim;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat("partition ", victim)));
  // Never past the deadline, whatever the request.
  for (const bool allow_partial : {false, true}) {
    request.set_allow_partial(allow_partial);
    const absl::Time start = absl::Now();
    response.Clear();
    status = router_->Search(request, &response, absl::Seconds(2));
    EXPECT_LT(absl::Now() - start, absl::Seconds(2) + absl::Milliseconds(200));
    if (!allow_partial || kPartitions == 1) {
      // With one partition there is nothing to answer a partial result from.
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    } else {
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_TRUE(response.partial());
      ASSERT_EQ(response.missing_shards_size(), 1);
      EXPECT_THAT(response.missing_shards(0), HasSubstr(absl::StrCat("partition ", victim)));
    }
  }

  // Status lists the partition as missing instead of failing; the totals
  // cover the partitions that answer.
  v1::GetIndexStatusResponse index_status;
  status = router_->Status(&index_status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(index_status.partial());
  ASSERT_EQ(index_status.partitions_size(), kPartitions);
  int64_t answering = 0;
  for (const v1::PartitionStatus& p : index_status.partitions()) {
    SCOPED_TRACE(p.ShortDebugString());
    EXPECT_EQ(p.missing(), p.partition() == victim);
    if (p.missing()) {
      EXPECT_EQ(p.replicas_up(), 0);
      EXPECT_TRUE(p.replica().empty());
      EXPECT_THAT(p.error(), HasSubstr(absl::StrCat("127.0.0.1:", partition[0].shard_port)));
      EXPECT_THAT(p.error(), HasSubstr(absl::StrCat("127.0.0.1:", partition[1].shard_port)));
    } else {
      answering += p.document_count();
    }
  }
  EXPECT_EQ(index_status.document_count(), answering);
  const v1::GetIndexStatusResponse single_status = single_->Status();
  EXPECT_LT(index_status.document_count(), single_status.document_count());

  // A partial page: not exact, and its token names the missing partition.
  v1::SearchResponse partial_page;
  status = router_->Search(listing, &partial_page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(partial_page.partial());
  EXPECT_FALSE(partial_page.facets_exact());
  EXPECT_FALSE(partial_page.duplicate_counts_exact());
  ASSERT_FALSE(partial_page.next_page_token().empty());
  // The complete list's token goes on without the partition: marked.
  v1::SearchRequest next = listing;
  next.set_page_token(complete.next_page_token());
  v1::SearchResponse continued;
  status = router_->Search(next, &continued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(continued.partial());
  EXPECT_TRUE(continued.revision_changed());
  // The partial list's token goes on while the same partition is missing.
  next.set_page_token(partial_page.next_page_token());
  status = router_->Search(next, &continued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(continued.partial());
  EXPECT_FALSE(continued.revision_changed());

  // Bring both back on their data: answers resume, as one index again.
  for (Replica& replica : partition) ASSERT_TRUE(replica.fixture->Start());
  for (Replica& replica : partition) {
    ASSERT_TRUE(replica.fixture->WaitForSeq(head_, absl::Seconds(30)));
  }
  ASSERT_TRUE(WaitRouterAnswers(absl::Seconds(20)));
  request.set_allow_partial(false);
  request.set_include_facets(true);
  v1::SearchResponse single, routed;
  ASSERT_TRUE(single_->Search(request, &single).ok());
  ASSERT_TRUE(router_->Search(request, &routed).ok());
  ExpectSamePage(single, routed, "after the partition came back");

  // The partial list's token is not taken for a complete list's.
  next.set_page_token(partial_page.next_page_token());
  continued.Clear();
  status = router_->Search(next, &continued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(),
              HasSubstr(absl::StrCat("partial answer without partition(s) ", victim)));
  EXPECT_THAT(status.error_message(), HasSubstr("search again without page_token"));
  // On a replica holding everything too.
  status = single_->Search(next, &continued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  // The complete list's token still works once every partition is back.
  next.set_page_token(complete.next_page_token());
  status = router_->Search(next, &continued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(continued.partial());

  v1::GetIndexStatusResponse healed;
  ASSERT_TRUE(router_->Status(&healed).ok());
  EXPECT_FALSE(healed.partial());
  EXPECT_EQ(healed.document_count(), single_status.document_count());
}

}  // namespace
}  // namespace newsearch::testing
