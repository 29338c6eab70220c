#include "search-service/query/searcher.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

int64_t UnixSeconds(int y, int m, int d) {
  return absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(y, m, d, 0, 0, 0), absl::UTCTimeZone()));
}

google::protobuf::Timestamp Ts(int y, int m, int d) {
  google::protobuf::Timestamp t;
  t.set_seconds(UnixSeconds(y, m, d));
  return t;
}

struct TestArticle {
  TestArticle(std::string id, std::string title, std::string body, std::string source,
              std::vector<std::string> authors, int year, int month, int day,
              std::string script = "zh-Hans", std::string duplicate_of = "")
      : id(std::move(id)), title(std::move(title)), body(std::move(body)),
        source(std::move(source)), authors(std::move(authors)), year(year), month(month),
        day(day), script(std::move(script)), duplicate_of(std::move(duplicate_of)) {}
  std::string id;
  std::string title;
  std::string body;
  std::string source;
  std::vector<std::string> authors;
  int year, month, day;  // 0: no date
  std::string script;
  std::string duplicate_of;
};

// Hand-written articles in both scripts; dates are all distinct.
const std::vector<TestArticle>& Articles() {
  static const auto* articles = new std::vector<TestArticle>{
      {"a1", "乌镇互联网党建报告", "乌镇的网商党建工作走在前列。互联网企业积极参与。", "光明网",
       {"葛星星"}, 2018, 4, 23},
      {"a2", "烏鎮網絡峰會開幕", "第五屆世界互聯網大會在烏鎮開幕，網絡安全成為焦點。", "中央社",
       {"陳明"}, 2018, 11, 7, "zh-Hant"},
      {"a3", "5G基站建设加速", "中国移动COO表示，5G基站建设今年加速，网络覆盖全国。", "新华网",
       {}, 2019, 6, 1},
      {"a4", "iPhone 手机壳 case 热卖", "新款iPhone手机壳在电商平台热卖，case设计多样。",
       "中国台州网", {}, 2020, 1, 15},
      {"a5", "腾讯发布新网络游戏", "腾讯今天发布了一款游戏。", "光明网", {}, 2017, 3, 2},
      {"a6", "台灣資訊安全新規", "資訊安全法規修訂，受到重視。", "聯合報", {}, 2021, 5, 5,
       "zh-Hant"},
      {"a7", "党建引领乡村振兴", "各地党建工作引领乡村振兴，互联网助力。", "人民网", {"宋爽"},
       2016, 7, 29},
      {"a8", "QQ群管理新规", "腾讯对QQ群管理推出新规定。", "新华网", {}, 2019, 1, 1},
      // A duplicate of a1 (same date, so no sort order prefers it): collapsed.
      {"a9", "乌镇互联网党建报告（转载）", "转载自光明网。乌镇的网商党建工作走在前列。互联网企业积极参与。",
       "转载网", {}, 2018, 4, 23, "zh-Hans", "a1"},
      {"a10", "天气预报", "明天有雨。", "中国气象局", {}, 0, 0, 0},
  };
  return *articles;
}

v1::Article ToArticle(const TestArticle& a) {
  v1::Article article;
  article.set_id(a.id);
  article.set_title(a.title);
  article.set_body(a.body);
  article.set_source(a.source);
  for (const auto& author : a.authors) article.add_authors(author);
  if (a.year != 0) *article.mutable_published_at() = Ts(a.year, a.month, a.day);
  article.set_script(a.script);
  article.set_duplicate_of(a.duplicate_of);
  article.set_url("https://example.com/" + a.id);
  return article;
}

class SearcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto analyzer = analysis::Analyzer::Create();
    ASSERT_TRUE(analyzer.ok()) << analyzer.status();
    analyzer_ = std::move(analyzer).value().release();
  }
  static void TearDownTestSuite() {
    delete analyzer_;
    analyzer_ = nullptr;
  }

  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "searcher_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    options_.path = dir_ + "/index";
    Xapian::WritableDatabase db(options_.path, Xapian::DB_CREATE_OR_OPEN);
    for (const TestArticle& a : Articles()) {
      db.replace_document(schema::IdTerm(a.id), schema::BuildDocument(*analyzer_, ToArticle(a)));
    }
    db.set_metadata(schema::kAppliedSeqKey, "42");
    db.commit();
    db.close();
    auto searcher = Searcher::Create(options_, analyzer_);
    ASSERT_TRUE(searcher.ok()) << searcher.status();
    searcher_ = std::move(searcher).value();
  }

  void TearDown() override {
    searcher_.reset();
    std::filesystem::remove_all(dir_);
  }

  v1::SearchResponse MustSearch(const v1::SearchRequest& request) {
    absl::StatusOr<v1::SearchResponse> response = searcher_->Search(request);
    EXPECT_TRUE(response.ok()) << request.ShortDebugString() << ": " << response.status();
    return response.ok() ? *response : v1::SearchResponse();
  }

  std::vector<std::string> Ids(const std::string& query, int page_size = 100) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_page_size(page_size);
    return Ids(MustSearch(request));
  }

  static std::vector<std::string> Ids(const v1::SearchResponse& response) {
    std::vector<std::string> ids;
    for (const auto& hit : response.hits()) ids.push_back(hit.id());
    return ids;
  }

  absl::Status SearchStatus(const v1::SearchRequest& request) {
    return searcher_->Search(request).status();
  }

  static analysis::Analyzer* analyzer_;
  std::string dir_;
  SearcherOptions options_;
  std::unique_ptr<Searcher> searcher_;
};

analysis::Analyzer* SearcherTest::analyzer_ = nullptr;

struct MatchCase {
  std::string query;
  std::vector<std::string> ids;  // expected hits, any order
  std::string reason;
};

// Names each table row by its reason in test output and ctest names.
void PrintTo(const MatchCase& c, std::ostream* os) { *os << c.reason; }

class SearcherMatchTest : public SearcherTest, public ::testing::WithParamInterface<MatchCase> {};

TEST_P(SearcherMatchTest, FindsExpectedArticles) {
  const MatchCase& c = GetParam();
  EXPECT_THAT(Ids(c.query), UnorderedElementsAreArray(c.ids)) << c.reason << " (query: " << c.query << ")";
}

INSTANTIATE_TEST_SUITE_P(
    Queries, SearcherMatchTest,
    ::testing::Values(
        MatchCase{"网络", {"a2", "a3", "a5"}, "simplified query finds traditional 網絡 too"},
        MatchCase{"網絡", {"a2", "a3", "a5"}, "traditional query finds simplified 网络 too"},
        MatchCase{"烏鎮", {"a1", "a2"}, "a9 duplicates a1 and is collapsed"},
        MatchCase{"乌镇 党建", {"a1"}, "implicit AND"},
        MatchCase{"乌镇 AND 党建", {"a1"}, "explicit AND"},
        MatchCase{"腾讯 OR 乌镇", {"a1", "a2", "a5", "a8"}, "OR"},
        MatchCase{"网络 -腾讯", {"a2", "a3"}, "minus excludes"},
        MatchCase{"网络 NOT 腾讯", {"a2", "a3"}, "NOT excludes"},
        MatchCase{"NOT 网络", {"a1", "a4", "a6", "a7", "a8", "a10"}, "pure negation: all others"},
        MatchCase{"\"互联网 党建\"", {"a1"}, "phrase needs adjacency"},
        MatchCase{"互联网 党建", {"a1", "a7"}, "unquoted words need not be adjacent"},
        MatchCase{"“党建工作”", {"a1", "a7"}, "Chinese quotes"},
        MatchCase{"5G基站", {"a3"}, "mixed atom as a phrase"},
        MatchCase{"COO 网络 5G", {"a3"}, "mixed query Xapian's CJK parser throws on"},
        MatchCase{"iPhone 手机壳 case", {"a4"}, "another one"},
        MatchCase{"IPHONE", {"a4"}, "case-insensitive words"},
        MatchCase{"ｉＰｈｏｎｅ", {"a4"}, "full-width query"},
        MatchCase{"QQ群", {"a8"}, "letters glued to Han"},
        MatchCase{"title:网络", {"a2", "a5"}, "title: ignores body-only matches (a3)"},
        MatchCase{"title:乌镇 OR source:新华网", {"a1", "a2", "a3", "a8"}, "title: OR source:"},
        MatchCase{"source:光明网", {"a1", "a5"}, "source: prefix"},
        MatchCase{"author:葛星星", {"a1"}, "author: prefix"},
        MatchCase{"author:宋爽 OR author:陳明", {"a2", "a7"}, "author: in both scripts"},
        MatchCase{"(腾讯 OR 乌镇) 网络", {"a2", "a5"}, "group ANDed with a word"},
        MatchCase{"资讯安全", {"a6"}, "simplified query, traditional article"},
        MatchCase{"不存在的词", {}, "no match"}));

TEST_F(SearcherTest, ReportsCountsAndAppliedSeq) {
  EXPECT_EQ(searcher_->DocumentCount().value_or(-1), 10);
  EXPECT_EQ(searcher_->AppliedSeq().value_or(-1), 42);
  v1::SearchRequest request;
  request.set_query("网络");
  v1::SearchResponse response = MustSearch(request);
  EXPECT_EQ(response.applied_seq(), 42);
  EXPECT_EQ(response.total_estimate(), 3);
}

TEST_F(SearcherTest, FillsHitsFromStoredArticle) {
  v1::SearchRequest request;
  request.set_query("author:葛星星");
  v1::SearchResponse response = MustSearch(request);
  ASSERT_EQ(response.hits_size(), 1);
  const v1::SearchHit& hit = response.hits(0);
  EXPECT_EQ(hit.id(), "a1");
  EXPECT_EQ(hit.title(), "乌镇互联网党建报告");
  EXPECT_EQ(hit.source(), "光明网");
  EXPECT_EQ(hit.url(), "https://example.com/a1");
  EXPECT_THAT(hit.authors(), ElementsAre("葛星星"));
  EXPECT_EQ(hit.published_at().seconds(), UnixSeconds(2018, 4, 23));
  EXPECT_EQ(hit.rank(), 0);
  EXPECT_GT(hit.score(), 0);
}

TEST_F(SearcherTest, SnippetHighlightsOriginalScript) {
  v1::SearchRequest request;
  request.set_query("网络 安全");
  v1::SearchResponse response = MustSearch(request);
  ASSERT_EQ(response.hits_size(), 1);
  const v1::Snippet& snippet = response.hits(0).snippet();
  EXPECT_EQ(snippet.text(), "第五屆世界互聯網大會在烏鎮開幕，網絡安全成為焦點。");
  ASSERT_EQ(snippet.highlights_size(), 2);
  EXPECT_EQ(snippet.highlights(0).start(), 16);  // 網絡
  EXPECT_EQ(snippet.highlights(0).end(), 18);
  EXPECT_EQ(snippet.highlights(1).start(), 18);  // 安全
  EXPECT_EQ(snippet.highlights(1).end(), 20);
}

TEST_F(SearcherTest, FiltersBySource) {
  v1::SearchRequest request;
  request.set_query("网络");
  request.add_sources("光明网");
  EXPECT_THAT(Ids(MustSearch(request)), ElementsAre("a5"));
  request.add_sources("新华网");
  EXPECT_THAT(Ids(MustSearch(request)), UnorderedElementsAre("a3", "a5")) << "sources are ORed";
}

TEST_F(SearcherTest, EmptyQueryWithFilterListsMatchingArticles) {
  v1::SearchRequest request;
  request.add_sources("光明网");
  EXPECT_THAT(Ids(MustSearch(request)), ElementsAre("a1", "a5")) << "newest first among equals";
}

TEST_F(SearcherTest, EmptyQueryMatchesAllNewestFirst) {
  v1::SearchRequest request;
  request.set_page_size(100);
  EXPECT_THAT(Ids(MustSearch(request)),
              ElementsAre("a6", "a4", "a3", "a8", "a2", "a1", "a5", "a7", "a10"));
}

TEST_F(SearcherTest, FiltersByDateRangeHalfOpen) {
  v1::SearchRequest request;
  *request.mutable_published_after() = Ts(2018, 4, 23);  // a1 exactly: included
  *request.mutable_published_before() = Ts(2019, 1, 1);  // a8 exactly: excluded
  EXPECT_THAT(Ids(MustSearch(request)), UnorderedElementsAre("a1", "a2"));

  v1::SearchRequest after_only;
  *after_only.mutable_published_after() = Ts(2020, 1, 15);
  EXPECT_THAT(Ids(MustSearch(after_only)), UnorderedElementsAre("a4", "a6")) << "open end";

  v1::SearchRequest before_only;
  *before_only.mutable_published_before() = Ts(2017, 3, 2);
  before_only.mutable_published_before()->set_nanos(1);
  EXPECT_THAT(Ids(MustSearch(before_only)), UnorderedElementsAre("a5", "a7"))
      << "open start; a fraction of a second after a5 includes a5";
}

TEST_F(SearcherTest, RejectsReversedDateRange) {
  v1::SearchRequest request;
  *request.mutable_published_after() = Ts(2019, 1, 1);
  *request.mutable_published_before() = Ts(2018, 1, 1);
  absl::Status status = SearchStatus(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("published_after (2019-01-01T00:00:00+00:00) must be"));
}

TEST_F(SearcherTest, SortsByDate) {
  v1::SearchRequest request;
  request.set_query("网络 OR 乌镇 OR 党建");
  request.set_sort(v1::SORT_ORDER_DATE_DESC);
  EXPECT_THAT(Ids(MustSearch(request)), ElementsAre("a3", "a2", "a1", "a5", "a7"));
  request.set_sort(v1::SORT_ORDER_DATE_ASC);
  EXPECT_THAT(Ids(MustSearch(request)), ElementsAre("a7", "a5", "a1", "a2", "a3"));
}

TEST_F(SearcherTest, PagesConcatenateToFullList) {
  v1::SearchRequest request;
  request.set_page_size(100);
  const std::vector<std::string> all = Ids(MustSearch(request));
  ASSERT_EQ(all.size(), 9u);

  request.set_page_size(4);
  std::vector<std::string> paged;
  int pages = 0;
  do {
    v1::SearchResponse response = MustSearch(request);
    for (const auto& hit : response.hits()) {
      EXPECT_EQ(hit.rank(), static_cast<int>(paged.size()));
      paged.push_back(hit.id());
    }
    request.set_page_token(response.next_page_token());
    ASSERT_LT(++pages, 10);
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(paged, all);
}

TEST_F(SearcherTest, LastPageHasNoToken) {
  v1::SearchRequest request;
  request.set_query("网络");
  request.set_page_size(3);
  EXPECT_EQ(MustSearch(request).next_page_token(), "") << "exactly one full page";
}

TEST_F(SearcherTest, RejectsForeignAndMalformedPageTokens) {
  v1::SearchRequest first;
  first.set_query("网络");
  first.set_page_size(1);
  const std::string token = MustSearch(first).next_page_token();
  ASSERT_FALSE(token.empty());

  v1::SearchRequest other = first;
  other.set_query("乌镇");
  other.set_page_token(token);
  absl::Status status = SearchStatus(other);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("page_token does not belong to this query"));

  v1::SearchRequest other_sort = first;
  other_sort.set_sort(v1::SORT_ORDER_DATE_ASC);
  other_sort.set_page_token(token);
  EXPECT_EQ(SearchStatus(other_sort).code(), absl::StatusCode::kInvalidArgument) << "sort differs";

  v1::SearchRequest same = first;
  same.set_page_size(2);
  same.set_page_token(token);
  EXPECT_TRUE(SearchStatus(same).ok()) << "page_size may change between pages";

  v1::SearchRequest garbage = first;
  garbage.set_page_token("not a token!");
  status = SearchStatus(garbage);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("page_token is malformed"));
}

TEST_F(SearcherTest, RejectsPageSizeOutOfRange) {
  for (int page_size : {-1, 101}) {
    v1::SearchRequest request;
    request.set_page_size(page_size);
    absl::Status status = SearchStatus(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << page_size;
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("page_size ", page_size)));
    EXPECT_THAT(status.message(), HasSubstr("100"));
  }
  v1::SearchRequest request;
  request.set_page_size(100);
  EXPECT_TRUE(SearchStatus(request).ok()) << "the limit itself is allowed";
}

TEST_F(SearcherTest, DefaultPageSize) {
  options_.default_page_size = 2;
  auto searcher = Searcher::Create(options_, analyzer_);
  ASSERT_TRUE(searcher.ok());
  auto response = (*searcher)->Search(v1::SearchRequest());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->hits_size(), 2);
  EXPECT_EQ(response->total_estimate(), 9);
}

TEST_F(SearcherTest, ResultDepthLimitCutsLastPage) {
  options_.max_result_depth = 5;
  auto searcher = Searcher::Create(options_, analyzer_);
  ASSERT_TRUE(searcher.ok());
  v1::SearchRequest request;
  request.set_page_size(3);
  auto first = (*searcher)->Search(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->hits_size(), 3);
  request.set_page_token(first->next_page_token());
  auto second = (*searcher)->Search(request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->hits_size(), 2) << "cut at depth 5";
  EXPECT_EQ(second->next_page_token(), "");
}

TEST_F(SearcherTest, RejectsHugeAndInvalidQueries) {
  v1::SearchRequest huge;
  huge.set_query(std::string(1 << 20, 'a'));
  absl::Status status = SearchStatus(huge);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("query is 1048576 characters long; the limit is 1024"));

  v1::SearchRequest bad_utf8;
  bad_utf8.set_query("网络 \xe7\xbd");
  status = SearchStatus(bad_utf8);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("query is not valid UTF-8 at byte 7"));

  v1::SearchRequest syntax;
  syntax.set_query("网络 AND");
  status = SearchStatus(syntax);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("at character 3"));

  v1::SearchRequest empty_source;
  empty_source.add_sources(" ");
  status = SearchStatus(empty_source);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("sources[0] is empty"));
}

TEST_F(SearcherTest, MissingDatabaseGivesEmptyResult) {
  SearcherOptions options;
  options.path = dir_ + "/does-not-exist";
  auto searcher = Searcher::Create(options, analyzer_);
  ASSERT_TRUE(searcher.ok());
  v1::SearchRequest request;
  request.set_query("网络");
  auto response = (*searcher)->Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->hits_size(), 0);
  EXPECT_EQ(response->total_estimate(), 0);
  EXPECT_EQ((*searcher)->DocumentCount().value_or(-1), 0);
  EXPECT_EQ((*searcher)->AppliedSeq().value_or(-1), 0);

  request.set_query("(网络");
  EXPECT_EQ((*searcher)->Search(request).status().code(), absl::StatusCode::kInvalidArgument)
      << "the query is still validated";

  std::filesystem::create_directory(options.path);
  EXPECT_TRUE((*searcher)->Search(v1::SearchRequest()).ok())
      << "an empty directory (writer not committed yet) is also empty";
}

TEST_F(SearcherTest, SeesNewCommitsThroughReopen) {
  EXPECT_THAT(Ids("新闻"), ElementsAre());
  {
    Xapian::WritableDatabase db(options_.path, Xapian::DB_OPEN);
    TestArticle a{"a11", "新闻", "一条新闻。", "光明网", {}, 2022, 2, 2};
    db.replace_document(schema::IdTerm(a.id), schema::BuildDocument(*analyzer_, ToArticle(a)));
    db.set_metadata(schema::kAppliedSeqKey, "43");
    db.commit();
  }
  EXPECT_THAT(Ids("新闻"), ElementsAre("a11"));
  EXPECT_EQ(searcher_->AppliedSeq().value_or(-1), 43);
}

TEST_F(SearcherTest, DescribesQuery) {
  auto description = searcher_->DescribeQuery("网络 -腾讯");
  ASSERT_TRUE(description.ok()) << description.status();
  EXPECT_THAT(*description, HasSubstr("(AND 网络 (NOT 腾讯))"));
  EXPECT_THAT(*description, HasSubstr("AND_NOT"));
}

TEST_F(SearcherTest, NeverFailsOnGarbageQueries) {
  // Deterministic pseudo-random queries from pieces that stress the grammar.
  const std::vector<std::string> pieces = {
      "网络", "烏鎮", " ", "　", "(", ")", "（", "）", "\"", "“", "”", "「", "」", "OR", "AND",
      "NOT", "-", "+", "|", "title:", "source:", "author:", "foo:", "5G", "QQ群", "ｉＰｈｏｎｅ",
      "\xe7\xbd", "\x00", "…", "，", "a", "*", ":", "\\", "\xf0\x9f\x98\x80"};
  uint64_t state = 12345;
  auto next = [&state]() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>(state >> 33);
  };
  for (int i = 0; i < 500; ++i) {
    std::string query;
    const size_t length = next() % 12;
    for (size_t k = 0; k < length; ++k) query += pieces[next() % pieces.size()];
    v1::SearchRequest request;
    request.set_query(query);
    const absl::Status status = SearchStatus(request);
    EXPECT_TRUE(status.ok() || status.code() == absl::StatusCode::kInvalidArgument)
        << "query " << testing::PrintToString(query) << ": " << status;
  }
}

TEST_F(SearcherTest, ConcurrentSearchesShareHandles) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        v1::SearchRequest request;
        request.set_query(i % 2 == 0 ? "网络" : "烏鎮");
        auto response = searcher_->Search(request);
        if (!response.ok() || response->hits_size() != (i % 2 == 0 ? 3 : 2)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(SearcherCreateTest, RejectsBadOptions) {
  SearcherOptions options;
  options.default_page_size = 0;
  auto searcher = Searcher::Create(options, nullptr);
  ASSERT_FALSE(searcher.ok());
  EXPECT_THAT(searcher.status().message(), HasSubstr("analyzer is null"));
  EXPECT_THAT(searcher.status().message(), HasSubstr("path is empty"));
  EXPECT_THAT(searcher.status().message(), HasSubstr("default_page_size"));
}

}  // namespace
}  // namespace newsearch::search
