#include "search-service/query/searcher.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include "absl/time/time.h"
#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/schema/schema.h"
#include "tests/search-service/query/searcher_fixture.h"

namespace newsearch::search {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

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

class SearcherTest : public SearcherFixture {
 protected:
  void SetUp() override {
    // These tests pin down strict matching (every word required); the
    // relaxation tests turn it on themselves.
    options_.relax_threshold = 0;
    std::vector<v1::Article> articles;
    for (const TestArticle& a : Articles()) articles.push_back(ToArticle(a));
    OpenIndex(articles, /*applied_seq=*/"42");
  }

  using SearcherFixture::Ids;

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

  absl::Status SearchStatus(const v1::SearchRequest& request) {
    return searcher_->Search(request).status();
  }
};

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

// 90 articles about glaciers: 60 that say so often, then 30 weaker copies of
// the first 30, so that the best matches (the ones a search examines first)
// show no copies at all; plus 40 other articles.
class SmallResultSetTest : public SearcherFixture {
 protected:
  void SetUp() override {
    options_.relax_threshold = 0;
    std::vector<v1::Article> articles;
    for (int i = 0; i < 60; ++i) {
      articles.push_back(ToArticle({"g" + std::to_string(i), "冰川消融第" + std::to_string(i) + "期",
                                    "高原冰川持续消融，冰川学家记录冰川第" + std::to_string(i) +
                                        "组数据。",
                                    "科技日报", {}, 2020, 1 + i % 12, 1 + i % 28}));
    }
    for (int i = 0; i < 30; ++i) {
      articles.push_back(ToArticle(
          {"c" + std::to_string(i), "转载第" + std::to_string(i) + "期",
           "转载：高原冰川持续消融。科考队今年走访了许多地方，沿途记录天气、道路、村庄和牧场的情况，"
           "并整理成册，供各地参考使用。",
           "转载网", {}, 2021, 1 + i % 12, 1 + i % 28, "zh-Hans", "g" + std::to_string(i)}));
    }
    for (int i = 0; i < 40; ++i) {
      articles.push_back(ToArticle({"o" + std::to_string(i), "城市交通", "地铁新线开通。",
                                    "新华网", {}, 2021, 1, 1 + i % 28}));
    }
    OpenIndex(articles);
  }
};

TEST_F(SmallResultSetTest, CollapsedTotalIsExactWhenTheWordIsRare) {
  v1::SearchRequest request;
  request.set_query("冰川");
  request.set_page_size(10);
  absl::StatusOr<v1::SearchResponse> response = searcher_->Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->hits_size(), 10);
  EXPECT_EQ(response->total_estimate(), 60) << "90 articles, 30 of them copies";
  request.set_expand_duplicates(true);
  response = searcher_->Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->total_estimate(), 90);
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

TEST_F(SearcherTest, PageTokensCarryTheIndexRevision) {
  v1::SearchRequest first;
  first.set_query("网络");
  first.set_page_size(1);
  const v1::SearchResponse page1 = MustSearch(first);
  ASSERT_FALSE(page1.next_page_token().empty());
  EXPECT_FALSE(page1.revision_changed());
  v1::SearchRequest next = first;
  next.set_page_token(page1.next_page_token());
  EXPECT_FALSE(MustSearch(next).revision_changed()) << "same revision (applied_seq 42)";

  auto set_seq = [&](const char* seq) {
    Xapian::WritableDatabase db(options_.path, Xapian::DB_OPEN);
    db.set_metadata(schema::kAppliedSeqKey, seq);
    db.commit();
  };
  set_seq("43");
  const v1::SearchResponse moved = MustSearch(next);
  EXPECT_TRUE(moved.revision_changed()) << "answered at 43 for a token made at 42";
  EXPECT_EQ(moved.applied_seq(), 43);
  ASSERT_FALSE(moved.next_page_token().empty());
  v1::SearchRequest after_moved = first;
  after_moved.set_page_token(moved.next_page_token());
  EXPECT_FALSE(MustSearch(after_moved).revision_changed()) << "the new token carries 43";

  // A replica behind the token (here: the same index rolled back to 41)
  // cannot answer for it.
  set_seq("41");
  const absl::Status behind = SearchStatus(after_moved);
  EXPECT_EQ(behind.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(behind.message(), HasSubstr("behind the revision the page_token was made at"));
}

TEST_F(SearcherTest, DebugShowsDateFiltersAsDates) {
  v1::SearchRequest request;
  request.set_query("网络 2018年4月");
  *request.mutable_published_before() = Ts(2020, 1, 1);
  request.set_debug(true);
  const std::string xapian = MustSearch(request).debug().xapian_query();
  EXPECT_THAT(xapian, HasSubstr("VALUE_RANGE 0 2018-04-01T00:00:00+08:00 2018-04-30T23:59:59+08:00"));
  EXPECT_THAT(xapian, HasSubstr("VALUE_LE 0 2020-01-01T07:59:59+08:00"));
  EXPECT_THAT(xapian, ::testing::Not(HasSubstr("\\x"))) << xapian;
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

TEST_F(SearcherTest, SearchesBeyondMaxConcurrentSearchesWaitAndSucceed) {
  SearcherOptions options = options_;
  options.max_concurrent_searches = 1;
  auto one = Searcher::Create(options, analyzer_);
  ASSERT_TRUE(one.ok()) << one.status();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        v1::SearchRequest request;
        request.set_query(i % 2 == 0 ? "网络" : "烏鎮");
        auto response = (*one)->Search(request);
        if (!response.ok() || response->hits_size() != (i % 2 == 0 ? 3 : 2)) ++failures;
        if (!(*one)->DocumentCount().ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  options.max_concurrent_searches = -1;
  EXPECT_EQ(Searcher::Create(options, analyzer_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SearcherTest, QueryDatesFilterByPublishedDay) {
  EXPECT_THAT(Ids("2018年"), UnorderedElementsAre("a1", "a2")) << "a9 is a1's duplicate";
  EXPECT_THAT(Ids("乌镇 2018年4月"), ElementsAre("a1"));
  EXPECT_THAT(Ids("2018年4月23日"), ElementsAre("a1"));
  EXPECT_THAT(Ids("2017年 OR 2019年"), UnorderedElementsAre("a3", "a5", "a8"));
  EXPECT_THAT(Ids("2018-11-07..2019-06-01"), UnorderedElementsAre("a2", "a3", "a8"))
      << "both ends inclusive";
  EXPECT_THAT(Ids("..2016"), ElementsAre("a7"));
  EXPECT_THAT(Ids("网络 -2018年"), UnorderedElementsAre("a3", "a5"));
  EXPECT_THAT(Ids("2010年"), ElementsAre());
  v1::SearchRequest request;
  request.set_query("2018年 2018年13月");
  EXPECT_EQ(SearchStatus(request).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SearcherTest, QueryDatesFollowChinaStandardTime) {
  {
    Xapian::WritableDatabase db(options_.path, Xapian::DB_OPEN);
    v1::Article late = ToArticle({"late", "跨年新闻", "跨年。", "光明网", {}, 2018, 12, 31});
    // 20:00 UTC on 2018-12-31 is 04:00 on 2019-01-01 in China.
    late.mutable_published_at()->set_seconds(UnixSeconds(2018, 12, 31) + 20 * 3600);
    db.replace_document(schema::IdTerm("late"), schema::BuildDocument(*analyzer_, late));
    db.commit();
  }
  EXPECT_THAT(Ids("跨年 2019年1月1日"), ElementsAre("late"));
  EXPECT_THAT(Ids("跨年 2018年"), ElementsAre());
  v1::SearchRequest request;
  request.set_query("跨年");
  request.add_years("2019");
  EXPECT_THAT(Ids(MustSearch(request)), ElementsAre("late")) << "years filter agrees";
}

TEST_F(SearcherTest, FiltersByYearsAndMonths) {
  v1::SearchRequest request;
  request.add_years("2018");
  request.add_years("2019");
  EXPECT_THAT(Ids(MustSearch(request)), UnorderedElementsAre("a1", "a2", "a3", "a8"));
  request.add_months("2018-11");
  request.add_months("2019-1");
  EXPECT_THAT(Ids(MustSearch(request)), UnorderedElementsAre("a2", "a8"));
  for (const std::string bad : {"18", "2018-13", "abcd", "2018-04-01"}) {
    v1::SearchRequest r;
    r.add_months(bad);
    const absl::Status status = SearchStatus(r);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("months[0] is '" + bad + "'"));
  }
  v1::SearchRequest bad_year;
  bad_year.add_years("2018-04");
  EXPECT_THAT(SearchStatus(bad_year).message(), HasSubstr("expected a year like 2018"));
}

std::map<std::string, int64_t> FacetCounts(const v1::SearchResponse& response,
                                           const std::string& name, bool articles = false) {
  std::map<std::string, int64_t> counts;
  for (const v1::Facet& facet : response.facets()) {
    if (facet.name() != name) continue;
    for (const v1::FacetValue& value : facet.values()) {
      counts[value.value()] = articles ? value.article_count() : value.count();
    }
  }
  return counts;
}

TEST_F(SearcherTest, FacetsCountTheWholeMatchSet) {
  v1::SearchRequest request;
  request.set_query("乌镇 OR 网络");
  request.set_page_size(1);  // facets do not depend on the page
  request.set_include_facets(true);
  const v1::SearchResponse response = MustSearch(request);
  EXPECT_TRUE(response.facets_exact());
  EXPECT_EQ(response.facet_documents_examined(), 5);
  EXPECT_EQ(FacetCounts(response, "source"),
            (std::map<std::string, int64_t>{
                {"光明网", 2}, {"中央社", 1}, {"新华网", 1}, {"转载网", 1}}))
      << "duplicates are counted as the articles they are";
  // a9 is a copy of a1 (same day, another source): one story, shown once,
  // so the dates count it once; the sources count it under each.
  EXPECT_EQ(FacetCounts(response, "year"),
            (std::map<std::string, int64_t>{{"2017", 1}, {"2018", 2}, {"2019", 1}}));
  EXPECT_EQ(FacetCounts(response, "month"),
            (std::map<std::string, int64_t>{
                {"2017-03", 1}, {"2018-04", 1}, {"2018-11", 1}, {"2019-06", 1}}));
  EXPECT_EQ(FacetCounts(response, "month", /*articles=*/true),
            (std::map<std::string, int64_t>{
                {"2017-03", 1}, {"2018-04", 2}, {"2018-11", 1}, {"2019-06", 1}}));
  v1::SearchRequest expanded = request;
  expanded.set_expand_duplicates(true);
  EXPECT_EQ(FacetCounts(MustSearch(expanded), "year"),
            (std::map<std::string, int64_t>{{"2017", 1}, {"2018", 3}, {"2019", 1}}))
      << "every copy is a hit when expanded";
  ASSERT_EQ(response.facets_size(), 3);
  EXPECT_EQ(response.facets(0).values(0).value(), "光明网") << "most frequent source first";
  EXPECT_EQ(response.facets(1).values(0).value(), "2019") << "newest year first";

  // Each facet value is a filter of the next request.
  v1::SearchRequest narrowed = request;
  narrowed.add_months(response.facets(2).values(0).value());  // 2019-06
  narrowed.set_page_size(10);
  EXPECT_THAT(Ids(MustSearch(narrowed)), ElementsAre("a3"));
  narrowed.clear_months();
  narrowed.add_sources("光明网");
  narrowed.add_years("2018");
  EXPECT_THAT(Ids(MustSearch(narrowed)), ElementsAre("a1"));

  request.set_include_facets(false);
  EXPECT_EQ(MustSearch(request).facets_size(), 0);
}

TEST_F(SearcherTest, FacetsOfAnIndexWithoutStorySlotsCountArticles) {
  {
    // As indexed before the story slots existed.
    Xapian::WritableDatabase db(options_.path, Xapian::DB_OPEN);
    for (const std::string id : {"a1", "a9"}) {
      Xapian::PostingIterator it = db.postlist_begin(schema::IdTerm(id));
      Xapian::Document doc = db.get_document(*it);
      doc.remove_value(schema::kSourceStorySlot);
      doc.remove_value(schema::kMonthStorySlot);
      db.replace_document(*it, doc);
    }
    db.commit();
  }
  v1::SearchRequest request;
  request.set_query("乌镇 OR 网络");
  request.set_include_facets(true);
  const v1::SearchResponse response = MustSearch(request);
  EXPECT_EQ(FacetCounts(response, "month"), FacetCounts(response, "month", true));
  EXPECT_EQ(FacetCounts(response, "month")["2018-04"], 2);
}

TEST_F(SearcherTest, FacetsSayWhenTheyAreNotExact) {
  options_.facet_exact_limit = 3;
  auto searcher = Searcher::Create(options_, analyzer_);
  ASSERT_TRUE(searcher.ok());
  v1::SearchRequest request;  // matches all ten articles
  request.set_include_facets(true);
  absl::StatusOr<v1::SearchResponse> response = (*searcher)->Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->facets_exact());
  EXPECT_GE(response->facet_documents_examined(), 3);
  request.set_query("腾讯");  // two matches: below the limit
  response = (*searcher)->Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->facets_exact());
  EXPECT_EQ(FacetCounts(*response, "source"),
            (std::map<std::string, int64_t>{{"光明网", 1}, {"新华网", 1}}));
}

TEST_F(SearcherTest, CollapsesDuplicatesWithCountUnlessExpanded) {
  v1::SearchRequest request;
  request.set_query("乌镇 党建");
  v1::SearchResponse response = MustSearch(request);
  ASSERT_EQ(response.hits_size(), 1);
  EXPECT_EQ(response.hits(0).id(), "a1");
  EXPECT_EQ(response.hits(0).duplicate_count(), 1);

  request.set_expand_duplicates(true);
  response = MustSearch(request);
  EXPECT_THAT(Ids(response), UnorderedElementsAre("a1", "a9"));
  for (const auto& hit : response.hits()) {
    EXPECT_EQ(hit.duplicate_count(), 0);
    EXPECT_EQ(hit.duplicate_of(), hit.id() == "a9" ? "a1" : "");
  }
  // A page token of the collapsed list does not page the expanded one.
  v1::SearchRequest collapsed;
  collapsed.set_query("乌镇 OR 网络");
  collapsed.set_page_size(1);
  v1::SearchRequest expanded = collapsed;
  expanded.set_expand_duplicates(true);
  expanded.set_page_token(MustSearch(collapsed).next_page_token());
  EXPECT_THAT(SearchStatus(expanded).message(), HasSubstr("does not belong to this query"));
}

TEST_F(SearcherTest, RecencySortBoostsNewerArticles) {
  {
    Xapian::WritableDatabase db(options_.path, Xapian::DB_OPEN);
    // r1 is the better text match (气候 three times) but ten years older.
    for (const TestArticle& a : std::vector<TestArticle>{
             {"r1", "气候会议", "气候变化，气候谈判。", "光明网", {}, 2011, 5, 1},
             {"r2", "会议报告", "关于气候的报告。", "光明网", {}, 2021, 5, 1}}) {
      db.replace_document(schema::IdTerm(a.id), schema::BuildDocument(*analyzer_, ToArticle(a)));
    }
    db.commit();
  }
  v1::SearchRequest request;
  request.set_query("气候");
  v1::SearchResponse relevance = MustSearch(request);
  EXPECT_THAT(Ids(relevance), ElementsAre("r1", "r2"));
  request.set_sort(v1::SORT_ORDER_RELEVANCE_RECENCY);
  v1::SearchResponse recency = MustSearch(request);
  EXPECT_THAT(Ids(recency), ElementsAre("r2", "r1"));
  ASSERT_EQ(recency.hits_size(), 2);
  // The newest month gets the whole boost, ten years back almost nothing.
  EXPECT_NEAR(recency.hits(0).score() - relevance.hits(1).score(), options_.recency_boost, 1e-6);
  EXPECT_NEAR(recency.hits(1).score(), relevance.hits(0).score(), 0.01);
}

TEST_F(SearcherTest, DebugExplainsTheParse) {
  v1::SearchRequest request;
  request.set_query("网络 2018年 -腾讯");
  request.add_sources("中央社");
  request.set_debug(true);
  const v1::SearchResponse response = MustSearch(request);
  EXPECT_THAT(Ids(response), ElementsAre("a2"));
  const v1::QueryDebug& debug = response.debug();
  EXPECT_EQ(debug.parsed_query(), "(AND 网络 date:[2018-01-01..2018-12-31] (NOT 腾讯))");
  EXPECT_THAT(debug.filters(),
              ElementsAre("date:[2018-01-01..2018-12-31]", "sources in [中央社]"));
  EXPECT_THAT(debug.terms(), ::testing::Contains("网络"));
  EXPECT_THAT(debug.xapian_query(), HasSubstr("VALUE_RANGE"));
  request.set_debug(false);
  EXPECT_FALSE(MustSearch(request).has_debug());
}

TEST_F(SearcherTest, TimeLimitMarksResponsePartial) {
  v1::SearchRequest request;
  request.set_query("网络 OR 乌镇");
  EXPECT_FALSE(MustSearch(request).partial()) << "no limit by default";
  options_.query_time_limit = absl::Nanoseconds(1);
  auto searcher = Searcher::Create(options_, analyzer_);
  ASSERT_TRUE(searcher.ok());
  absl::StatusOr<v1::SearchResponse> response = (*searcher)->Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->partial());
  request.set_include_facets(true);
  response = (*searcher)->Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->facets_exact()) << "a cut-short match has no exact counts";
}

TEST_F(SearcherTest, SnippetHighlightsWholeWords) {
  v1::SearchRequest request;
  request.set_query("网络安全");
  const v1::SearchResponse response = MustSearch(request);
  ASSERT_EQ(response.hits_size(), 1);
  const v1::Snippet& snippet = response.hits(0).snippet();
  ASSERT_EQ(snippet.highlights_size(), 1) << "one span for the word, not one per character";
  EXPECT_EQ(snippet.highlights(0).start(), 16);  // 網絡安全
  EXPECT_EQ(snippet.highlights(0).end(), 20);
}

std::vector<std::string> SimilarIds(const v1::SimilarArticlesResponse& response) {
  std::vector<std::string> ids;
  for (const auto& hit : response.hits()) ids.push_back(hit.id());
  return ids;
}

TEST_F(SearcherTest, SimilarArticlesExcludeSelfAndDuplicates) {
  v1::SimilarArticlesRequest request;
  request.set_id("a1");
  request.set_debug(true);
  absl::StatusOr<v1::SimilarArticlesResponse> response = searcher_->SimilarArticles(request);
  ASSERT_TRUE(response.ok()) << response.status();
  const std::vector<std::string> ids = SimilarIds(*response);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], "a7") << "the other 党建/互联网 article";
  EXPECT_THAT(ids, ::testing::Not(::testing::Contains("a1")));
  EXPECT_THAT(ids, ::testing::Not(::testing::Contains("a9")));
  EXPECT_THAT(response->terms(), ::testing::Contains("党建"));
  for (const std::string& term : response->terms()) {
    EXPECT_FALSE(term[0] >= 'A' && term[0] <= 'Z') << "no prefixed term: " << term;
  }
  EXPECT_EQ(response->applied_seq(), 42);

  request.set_id("a9");  // a duplicate: its original is excluded too
  response = searcher_->SimilarArticles(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(SimilarIds(*response), ::testing::Not(::testing::Contains("a1")));
  EXPECT_THAT(SimilarIds(*response), ::testing::Not(::testing::Contains("a9")));
}

TEST_F(SearcherTest, SimilarArticlesRejectsUnknownAndBadIds) {
  v1::SimilarArticlesRequest request;
  request.set_id("nope");
  EXPECT_EQ(searcher_->SimilarArticles(request).status().code(), absl::StatusCode::kNotFound);
  request.set_id("");
  EXPECT_EQ(searcher_->SimilarArticles(request).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.set_id("a1");
  request.set_page_size(1000);
  EXPECT_THAT(searcher_->SimilarArticles(request).status().message(),
              HasSubstr("page_size 1000 is out of range"));
}

TEST_F(SearcherTest, ProximityWeightRanksAtomsThatStandTogetherFirst) {
  // p1 is short and has both words far apart; p2 is longer and has them
  // side by side.
  const std::string path = dir_ + "/proximity";
  {
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OPEN);
    for (const TestArticle& a : std::vector<TestArticle>{
             {"p1", "", "台风过后，市民清理街道、修补屋顶、恢复供电，飞机登陆", "", {}, 0, 0, 0},
             {"p2", "", "昨天台风登陆浙江沿海，市民清理街道、修补屋顶、恢复供电、排查隐患、转移物资",
              "", {}, 0, 0, 0}}) {
      db.replace_document(schema::IdTerm(a.id), schema::BuildDocument(*analyzer_, ToArticle(a)));
    }
    db.commit();
  }
  const auto ids = [&](double proximity_weight) {
    SearcherOptions options = options_;
    options.path = path;
    options.proximity_weight = proximity_weight;
    auto searcher = Searcher::Create(options, analyzer_);
    EXPECT_TRUE(searcher.ok()) << searcher.status();
    v1::SearchRequest request;
    request.set_query("台风 登陆");
    auto response = (*searcher)->Search(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? Ids(*response) : std::vector<std::string>();
  };
  EXPECT_THAT(ids(0), ElementsAre("p1", "p2"));
  EXPECT_THAT(ids(1), ElementsAre("p2", "p1"));
}

TEST(SearcherCreateTest, RejectsBadOptions) {
  SearcherOptions options;
  options.default_page_size = 0;
  auto searcher = Searcher::Create(options, nullptr);
  ASSERT_FALSE(searcher.ok());
  EXPECT_THAT(searcher.status().message(), HasSubstr("analyzer is null"));
  EXPECT_THAT(searcher.status().message(), HasSubstr("path is empty"));
  EXPECT_THAT(searcher.status().message(), HasSubstr("default_page_size"));
  options.proximity_window = 1;
  EXPECT_THAT(Searcher::Create(options, nullptr).status().message(),
              HasSubstr("proximity_window"));
}

}  // namespace
}  // namespace newsearch::search
