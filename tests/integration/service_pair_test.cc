// End-to-end tests of the service pair through the real binaries: ingest
// pages over gRPC, let the search replica follow the change log, and query it.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;

struct SeedQuery {
  const char* file;
  const char* simplified;
  const char* traditional;
  const char* reason;
};

// One query per seed page in each script; the page is in the other script
// for half of them, so these also check traditional/simplified folding.
const SeedQuery kSeedQueries[] = {
    {"000_e08991b09324d687.txt", "拦路虎", "攔路虎", "simplified page, rare word"},
    {"001_f232a6c978050cd9.txt", "青岩刘村", "青巖劉村", "simplified page, village name"},
    {"002_331070705eee9b45.txt", "井喷式", "井噴式", "traditional page with pinyin glosses"},
    {"003_2477d4934d8ca5cb.txt", "稀土高新区", "稀土高新區", "newspaper page, its first article"},
    {"004_88467e9bd05f3f70.txt", "蚂蚁金服", "螞蟻金服", "traditional page, company name"},
};

class ServicePairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("pair");
    ingest_ = std::make_unique<IngestFixture>(root_);
    ASSERT_TRUE(ingest_->Start()) << "newsearch-ingest did not start; see " << root_;
    search_ = std::make_unique<SearchFixture>(root_ + "/search-a", ingest_->address());
    ASSERT_TRUE(search_->Start()) << "newsearch-search did not start; see " << root_;
  }

  // Ingests a file; returns the id of its first article ("" on failure).
  // Every article's id (seed 003 holds five) goes to all_ids_.
  std::string IngestFile(const std::string& path) {
    v1::IngestArticleResponse response;
    grpc::Status status = ingest_->Ingest(ReadFile(path), &response);
    EXPECT_TRUE(status.ok()) << path << ": " << status.error_message();
    if (!status.ok() || response.articles_size() == 0) return "";
    for (const auto& a : response.articles()) {
      max_seq_ = std::max(max_seq_, a.seq());
      all_ids_.push_back(a.id());
    }
    return response.articles(0).id();
  }

  void WaitUntilSearchable() {
    ASSERT_TRUE(search_->WaitForSeq(max_seq_)) << "search did not reach seq " << max_seq_;
  }

  std::string root_;
  std::unique_ptr<IngestFixture> ingest_;
  std::unique_ptr<SearchFixture> search_;
  int64_t max_seq_ = 0;
  std::vector<std::string> all_ids_;
};

TEST_F(ServicePairTest, FindsEverySeedPageInBothScripts) {
  const std::string seeds = SourceDir() + "/tests/testdata/pages/seeds";
  std::map<std::string, std::string> ids;
  for (const SeedQuery& q : kSeedQueries) ids[q.file] = IngestFile(seeds + "/" + q.file);
  WaitUntilSearchable();
  for (const SeedQuery& q : kSeedQueries) {
    SCOPED_TRACE(absl::StrCat(q.file, ": ", q.reason));
    ASSERT_THAT(ids[q.file], Not(IsEmpty()));
    EXPECT_THAT(search_->AllHitIds(q.simplified), Contains(ids[q.file])) << q.simplified;
    EXPECT_THAT(search_->AllHitIds(q.traditional), Contains(ids[q.file])) << q.traditional;
  }
}

TEST_F(ServicePairTest, FindsEverySamplePageInBothScripts) {
  // tests/testdata/pages/README.md has one table row per sample page:
  // | file | title | query_simplified | query_traditional | what makes it messy |
  const std::string pages = SourceDir() + "/tests/testdata/pages";
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(ReadFile(pages + "/README.md"), '\n')) {
    if (!absl::StartsWith(line, "| s")) continue;
    std::vector<std::string> cells;
    for (absl::string_view cell : absl::StrSplit(line, '|')) {
      cells.emplace_back(absl::StripAsciiWhitespace(cell));
    }
    rows.push_back(cells);  // cells[0] is the empty text before the first '|'
  }
  ASSERT_GE(rows.size(), 8u);
  std::map<std::string, std::string> ids;
  for (const auto& row : rows) ids[row[1]] = IngestFile(pages + "/samples/" + row[1]);
  WaitUntilSearchable();
  EXPECT_EQ(search_->Status().document_count(), static_cast<int64_t>(rows.size()));
  for (const auto& row : rows) {
    SCOPED_TRACE(row[1]);
    ASSERT_THAT(ids[row[1]], Not(IsEmpty()));
    EXPECT_THAT(search_->AllHitIds(row[3]), Contains(ids[row[1]])) << row[3];
    EXPECT_THAT(search_->AllHitIds(row[4]), Contains(ids[row[1]])) << row[4];
  }
}

TEST_F(ServicePairTest, ReingestIsIdempotentUpdateAndDeleteReachSearch) {
  const std::string page_v1 =
      "量子通信骨干网开通\n\n2021-03-05 10:00:00 来源:科技日报\n\n"
      "连接北京和上海的量子通信骨干网今日正式开通，全长两千余公里，沿线设有三十二个中继站。"
      "项目负责人表示，这条线路将首先服务于金融和政务领域。\n";
  v1::IngestArticleResponse first;
  ASSERT_TRUE(ingest_->Ingest(page_v1, &first, "story-42").ok());
  ASSERT_EQ(first.articles_size(), 1);
  EXPECT_EQ(first.articles(0).outcome(), v1::OUTCOME_CREATED);
  const std::string id = first.articles(0).id();

  v1::IngestArticleResponse again;
  ASSERT_TRUE(ingest_->Ingest(page_v1, &again, "story-42").ok());
  EXPECT_EQ(again.articles(0).outcome(), v1::OUTCOME_UNCHANGED);
  EXPECT_EQ(again.articles(0).id(), id);
  EXPECT_EQ(again.articles(0).seq(), first.articles(0).seq()) << "unchanged takes no new seq";

  ASSERT_TRUE(search_->WaitForSeq(first.articles(0).seq()));
  EXPECT_THAT(search_->AllHitIds("中继站"), Contains(id));

  const std::string page_v2 =
      "量子通信骨干网开通\n\n2021-03-05 10:00:00 来源:科技日报\n\n"
      "连接北京和上海的量子通信骨干网今日正式开通，全长两千余公里，沿线设有三十二个卫星地面站。"
      "项目负责人表示，这条线路将首先服务于金融和政务领域。\n";
  v1::IngestArticleResponse update;
  ASSERT_TRUE(ingest_->Ingest(page_v2, &update, "story-42").ok());
  EXPECT_EQ(update.articles(0).outcome(), v1::OUTCOME_UPDATED);
  EXPECT_EQ(update.articles(0).id(), id);
  EXPECT_GT(update.articles(0).seq(), first.articles(0).seq());
  ASSERT_TRUE(search_->WaitForSeq(update.articles(0).seq()));
  EXPECT_THAT(search_->AllHitIds("地面站"), Contains(id));
  EXPECT_THAT(search_->AllHitIds("中继站"), Not(Contains(id))) << "old text must be gone";
  EXPECT_EQ(search_->Status().document_count(), 1);

  grpc::ClientContext context;
  v1::DeleteArticleRequest del;
  del.set_id(id);
  v1::DeleteArticleResponse deleted;
  ASSERT_TRUE(ingest_->stub().DeleteArticle(&context, del, &deleted).ok());
  ASSERT_TRUE(search_->WaitForSeq(deleted.seq()));
  EXPECT_THAT(search_->AllHitIds("地面站"), IsEmpty());
  EXPECT_EQ(search_->Status().document_count(), 0);

  grpc::ClientContext get_context;
  v1::GetArticleRequest get;
  get.set_id(id);
  v1::Article article;
  EXPECT_EQ(ingest_->stub().GetArticle(&get_context, get, &article).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServicePairTest, GetAndListReturnStoredArticles) {
  const std::string seeds = SourceDir() + "/tests/testdata/pages/seeds";
  std::vector<std::string> ids;
  for (const std::string& path : ListFiles(seeds)) ids.push_back(IngestFile(path));
  grpc::ClientContext context;
  v1::GetArticleRequest get;
  get.set_id(ids[0]);
  v1::Article article;
  ASSERT_TRUE(ingest_->stub().GetArticle(&context, get, &article).ok());
  EXPECT_EQ(article.id(), ids[0]);
  EXPECT_FALSE(article.title().empty());
  EXPECT_FALSE(article.body().empty());

  std::vector<std::string> listed;
  v1::ListArticlesRequest list;
  list.set_page_size(2);
  while (true) {
    grpc::ClientContext list_context;
    v1::ListArticlesResponse page;
    ASSERT_TRUE(ingest_->stub().ListArticles(&list_context, list, &page).ok());
    EXPECT_LE(page.articles_size(), 2);
    for (const auto& a : page.articles()) listed.push_back(a.id());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  std::sort(all_ids_.begin(), all_ids_.end());
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, all_ids_);
}

TEST_F(ServicePairTest, ReingestedPageWithFewerArticlesTakesTheRestOutOfSearch) {
  // The newspaper page (seed 003) carries several articles; the same
  // request later yields one.
  const std::string paper =
      ReadFile(SourceDir() + "/tests/testdata/pages/seeds/003_2477d4934d8ca5cb.txt");
  v1::IngestArticleResponse first;
  ASSERT_TRUE(ingest_->Ingest(paper, &first, "daily-page-3").ok());
  ASSERT_GT(first.articles_size(), 1);
  ASSERT_TRUE(search_->WaitForSeq(first.articles(first.articles_size() - 1).seq()));
  EXPECT_EQ(search_->Status().document_count(), first.articles_size());

  const std::string single =
      "量子通信骨干网开通\n\n2021-03-05 10:00:00 来源:科技日报\n\n"
      "连接北京和上海的量子通信骨干网今日正式开通，全长两千余公里，沿线设有三十二个中继站。\n";
  v1::IngestArticleResponse second;
  ASSERT_TRUE(ingest_->Ingest(single, &second, "daily-page-3").ok());
  ASSERT_EQ(second.articles_size(), first.articles_size());
  EXPECT_EQ(second.articles(0).outcome(), v1::OUTCOME_UPDATED);
  int64_t last_seq = 0;
  for (int i = 1; i < second.articles_size(); ++i) {
    EXPECT_EQ(second.articles(i).outcome(), v1::OUTCOME_DELETED);
    EXPECT_EQ(second.articles(i).id(), first.articles(i).id());
    last_seq = std::max(last_seq, second.articles(i).seq());
    grpc::ClientContext context;
    v1::GetArticleRequest get;
    get.set_id(first.articles(i).id());
    v1::Article article;
    EXPECT_EQ(ingest_->stub().GetArticle(&context, get, &article).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  ASSERT_TRUE(search_->WaitForSeq(last_seq));
  EXPECT_EQ(search_->Status().document_count(), 1);
}

TEST_F(ServicePairTest, SecondReplicaCatchesUpFromZeroAndAnswersTheSame) {
  const std::string seeds = SourceDir() + "/tests/testdata/pages/seeds";
  for (const std::string& path : ListFiles(seeds)) IngestFile(path);
  WaitUntilSearchable();
  SearchFixture second(root_ + "/search-b", ingest_->address());
  ASSERT_TRUE(second.Start());
  ASSERT_TRUE(second.WaitForSeq(max_seq_));
  for (const char* query : {"互联网", "網絡", "党建 企业", "\"互联网企业\"", "淘宝 OR 天猫"}) {
    SCOPED_TRACE(query);
    std::vector<std::string> a = search_->AllHitIds(query);
    EXPECT_THAT(a, Not(IsEmpty()));
    EXPECT_EQ(a, second.AllHitIds(query));
  }
  EXPECT_EQ(search_->Status().document_count(), second.Status().document_count());
}

TEST_F(ServicePairTest, ReplicaReconnectsWhenIngestComesBack) {
  const std::string seeds = SourceDir() + "/tests/testdata/pages/seeds";
  const auto files = ListFiles(seeds);
  IngestFile(files[0]);
  WaitUntilSearchable();
  ASSERT_EQ(ingest_->process().Terminate(), 0) << "ingest exits 0 on SIGTERM";
  EXPECT_TRUE(WaitFor([&] { return !search_->Status().following(); }, absl::Seconds(30)));
  // Queries keep working while the ingest service is down.
  EXPECT_THAT(search_->AllHitIds(kSeedQueries[0].simplified), Not(IsEmpty()));
  ingest_->process().KeepPort();
  ASSERT_TRUE(ingest_->Start());
  IngestFile(files[1]);
  WaitUntilSearchable();
  EXPECT_EQ(search_->Status().document_count(), 2);
  EXPECT_TRUE(search_->Status().following());
}

TEST_F(ServicePairTest, SigtermCommitsAndRestartResumes) {
  const std::string seeds = SourceDir() + "/tests/testdata/pages/seeds";
  for (const std::string& path : ListFiles(seeds)) IngestFile(path);
  WaitUntilSearchable();
  const int64_t applied = search_->Status().applied_seq();
  ASSERT_EQ(search_->process().Terminate(), 0);
  ASSERT_TRUE(search_->Start());
  EXPECT_EQ(search_->Status().applied_seq(), applied) << "resumes from its last commit";
  EXPECT_EQ(search_->Status().document_count(), static_cast<int64_t>(all_ids_.size()));
}

}  // namespace
}  // namespace newsearch::testing
