// The query features of SearchService through the real binaries: pages are
// ingested over gRPC, the search replica follows the change log, and every
// feature (grammar and query dates, sort, facets, snippets, duplicates,
// SimilarArticles, debug, limits) is checked over gRPC. One pair of servers
// is shared by the whole suite; no test changes the data.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// Plain-text pages in the shape of the seeds: title, a metadata line, body.
const std::vector<KeyedPage> kPages = {
    {"summit", "乌镇互联网大会开幕\n\n2018-11-07 09:00:00 来源:新华网\n\n"
               "第五届世界互联网大会在乌镇开幕，网络安全成为焦点。来自各国的代表讨论数字经济。\n"},
    {"summit_hant", "烏鎮峰會聚焦網絡安全\n\n2018-11-08 10:00:00 来源:中央社\n\n"
                    "世界互聯網大會在烏鎮舉行，網絡安全成為焦點議題，各國代表出席。\n"},
    {"party", "乌镇党建工作报告\n\n2018-04-23 07:36:02 来源:光明网\n\n"
              "乌镇的网商党建工作走在前列。互联网企业积极参与党建，党员带头创业。"
              "该镇还组织了多场培训活动，帮助商户提升经营水平，当地干部群众反响热烈。\n"},
    {"village", "党建引领乡村振兴\n\n2016-07-29 08:00:00 来源:人民网\n\n"
                "各地党建工作引领乡村振兴，党员带头，互联网助力农村电商发展。\n"},
    {"base", "5G基站建设加速\n\n2019-06-01 12:00:00 来源:新华网\n\n"
             "中国移动COO表示，5G基站建设今年加速，网络覆盖全国。\n"},
    {"game", "腾讯发布新游戏\n\n2017-03-02 12:00:00 来源:光明网\n\n"
             "腾讯今天在深圳发布了一款新的网络游戏，玩家可以在手机上免费下载。\n"},
    // A reprint of "party": same story, another site, a day later. The body
    // is long enough (50+ letters) for ingest's near-duplicate detection.
    {"reprint", "乌镇党建工作报告\n\n2018-04-24 08:00:00 来源:转载网\n\n"
                "乌镇的网商党建工作走在前列。互联网企业积极参与党建，党员带头创业。"
              "该镇还组织了多场培训活动，帮助商户提升经营水平，当地干部群众反响热烈。\n"},
};

class SearchFeaturesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(MakeTempDir("features"));
    // Strict matching: these tests pin down the grammar; relaxation has its
    // own suite (relaxed_search_test).
    served_ = new ServedPages(*root_, kPages,
                              {"--query_time_limit_ms=5000", "--facet_exact_limit=1000",
                               "--relax_threshold=0"});
    ingest_ = &served_->ingest();
    search_ = &served_->search();
  }
  static void TearDownTestSuite() {
    delete served_;
    delete root_;
    served_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(served_->ready()) << served_->error(); }

  static std::string Id(const std::string& key) { return served_->IdOf(key); }

  v1::SearchResponse MustSearch(const v1::SearchRequest& request) {
    v1::SearchResponse response;
    const grpc::Status status = search_->Search(request, &response);
    EXPECT_TRUE(status.ok()) << request.ShortDebugString() << ": " << status.error_message();
    return response;
  }

  // Hit ids as page keys ("?" for an unknown id).
  std::vector<std::string> Keys(const v1::SearchResponse& response) {
    std::vector<std::string> keys;
    for (const auto& hit : response.hits()) keys.push_back(KeyOf(hit.id()));
    return keys;
  }
  std::vector<std::string> Keys(const std::string& query) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_page_size(100);
    request.set_expand_duplicates(true);  // independent of ingest's duplicate links
    return Keys(MustSearch(request));
  }
  static std::string KeyOf(const std::string& id) { return served_->KeyOf(id); }

  static std::string* root_;
  static ServedPages* served_;
  static IngestFixture* ingest_;  // served_'s
  static SearchFixture* search_;  // served_'s
};

std::string* SearchFeaturesTest::root_ = nullptr;
ServedPages* SearchFeaturesTest::served_ = nullptr;
IngestFixture* SearchFeaturesTest::ingest_ = nullptr;
SearchFixture* SearchFeaturesTest::search_ = nullptr;

TEST_F(SearchFeaturesTest, GrammarOperatorsPrefixesAndPhrases) {
  EXPECT_THAT(Keys("\"网络安全\""), UnorderedElementsAre("summit", "summit_hant"));
  EXPECT_THAT(Keys("title:乌镇 -党建"), UnorderedElementsAre("summit", "summit_hant"));
  EXPECT_THAT(Keys("腾讯 OR 5G基站"), UnorderedElementsAre("game", "base"));
  EXPECT_THAT(Keys("source:光明网 NOT 乌镇"), ElementsAre("game"));
  EXPECT_THAT(Keys("党建 AND (乡村 OR 创业)"),
              UnorderedElementsAre("party", "village", "reprint"));
}

TEST_F(SearchFeaturesTest, DatesInTheQueryFilterByPublishedDate) {
  EXPECT_THAT(Keys("乌镇 2018年11月"), UnorderedElementsAre("summit", "summit_hant"));
  EXPECT_THAT(Keys("党建 2018年4月23日"), ElementsAre("party"));
  EXPECT_THAT(Keys("2018-11-08..2019-12-31"), UnorderedElementsAre("summit_hant", "base"));
  EXPECT_THAT(Keys("党建 ..2017"), ElementsAre("village"));
  EXPECT_THAT(Keys("2018年 -乌镇"), IsEmpty()) << "every 2018 page mentions 乌镇";

  v1::SearchRequest bad;
  bad.set_query("乌镇 2018年13月");
  v1::SearchResponse response;
  const grpc::Status status = search_->Search(bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("not a valid date"));
  EXPECT_THAT(status.error_message(), HasSubstr("at character 3"));
}

TEST_F(SearchFeaturesTest, StructuredFiltersCombineWithTheQuery) {
  v1::SearchRequest request;
  request.set_query("网络 OR 党建");
  request.set_expand_duplicates(true);
  request.add_sources("新华网");
  EXPECT_THAT(Keys(MustSearch(request)), UnorderedElementsAre("summit", "base"));
  request.clear_sources();
  request.add_years("2018");
  request.add_months("2018-04");
  EXPECT_THAT(Keys(MustSearch(request)), UnorderedElementsAre("party", "reprint"));
}

TEST_F(SearchFeaturesTest, SortsByDateAndByRecencyBoostedRelevance) {
  v1::SearchRequest request;
  request.set_query("网络 OR 互联网");
  request.set_expand_duplicates(true);
  request.set_sort(v1::SORT_ORDER_DATE_DESC);
  EXPECT_THAT(Keys(MustSearch(request)),
              ElementsAre("base", "summit_hant", "summit", "reprint", "party", "game", "village"));
  request.set_sort(v1::SORT_ORDER_DATE_ASC);
  EXPECT_THAT(Keys(MustSearch(request)),
              ElementsAre("village", "game", "party", "reprint", "summit", "summit_hant", "base"));

  request.set_sort(v1::SORT_ORDER_RELEVANCE);
  const v1::SearchResponse relevance = MustSearch(request);
  request.set_sort(v1::SORT_ORDER_RELEVANCE_RECENCY);
  const v1::SearchResponse recency = MustSearch(request);
  ASSERT_EQ(recency.hits_size(), relevance.hits_size());
  std::map<std::string, double> plain;
  for (const auto& hit : relevance.hits()) plain[hit.id()] = hit.score();
  for (int i = 0; i < recency.hits_size(); ++i) {
    const auto& hit = recency.hits(i);
    if (i > 0) {
      EXPECT_LE(hit.score(), recency.hits(i - 1).score()) << "ordered by boosted score";
    }
    // The newest article gets the whole boost (2.0), older ones less.
    const double boost = hit.score() - plain[hit.id()];
    if (KeyOf(hit.id()) == "base") {
      EXPECT_NEAR(boost, 2.0, 1e-6);
    } else {
      EXPECT_GT(boost, 0.0) << KeyOf(hit.id());
      EXPECT_LT(boost, 2.0) << KeyOf(hit.id());
    }
  }
}

std::map<std::string, int64_t> FacetCounts(const v1::SearchResponse& response,
                                           const std::string& name) {
  std::map<std::string, int64_t> counts;
  for (const v1::Facet& facet : response.facets()) {
    if (facet.name() != name) continue;
    for (const v1::FacetValue& value : facet.values()) counts[value.value()] = value.count();
  }
  return counts;
}

TEST_F(SearchFeaturesTest, FacetsCountWhatTheHitsShowAndWorkAsFilters) {
  v1::SearchRequest request;
  request.set_query("乌镇 OR 党建");
  request.set_page_size(1);
  request.set_include_facets(true);
  const v1::SearchResponse response = MustSearch(request);
  EXPECT_TRUE(response.facets_exact());
  EXPECT_EQ(response.facet_documents_examined(), 5);
  EXPECT_EQ(FacetCounts(response, "source"),
            (std::map<std::string, int64_t>{
                {"新华网", 1}, {"中央社", 1}, {"光明网", 1}, {"人民网", 1}, {"转载网", 1}}));
  // "reprint" is a copy of "party": one story, shown once, counted once
  // (article_count counts both).
  EXPECT_EQ(FacetCounts(response, "year"),
            (std::map<std::string, int64_t>{{"2016", 1}, {"2018", 3}}));
  EXPECT_EQ(FacetCounts(response, "month"),
            (std::map<std::string, int64_t>{{"2016-07", 1}, {"2018-04", 1}, {"2018-11", 2}}));
  ASSERT_EQ(response.facets_size(), 3);
  ASSERT_EQ(response.facets(2).values(1).value(), "2018-04");
  EXPECT_EQ(response.facets(2).values(1).article_count(), 2);
  // A facet's count is the number of hits its value gives as a filter.
  v1::SearchRequest april = request;
  april.add_months("2018-04");
  april.set_page_size(10);
  const v1::SearchResponse april_hits = MustSearch(april);
  EXPECT_EQ(april_hits.hits_size(), 1);
  EXPECT_EQ(april_hits.hits(0).duplicate_count(), 1);
  EXPECT_EQ(april_hits.total_estimate(), 1);

  // The newest month's value, passed back as a filter, selects its articles.
  ASSERT_EQ(response.facets_size(), 3);
  ASSERT_EQ(response.facets(2).name(), "month");
  v1::SearchRequest next = request;
  next.set_page_size(10);
  next.set_expand_duplicates(true);
  next.add_months(response.facets(2).values(0).value());
  const v1::SearchResponse narrowed = MustSearch(next);
  EXPECT_THAT(Keys(narrowed), UnorderedElementsAre("summit", "summit_hant"));
  EXPECT_EQ(FacetCounts(narrowed, "month"), (std::map<std::string, int64_t>{{"2018-11", 2}}));
}

TEST_F(SearchFeaturesTest, SnippetHighlightsWholeWordsInTheOriginalScript) {
  v1::SearchRequest request;
  request.set_query("网络安全 乌镇");
  request.add_sources("中央社");
  const v1::SearchResponse response = MustSearch(request);
  ASSERT_EQ(response.hits_size(), 1);
  const v1::Snippet& snippet = response.hits(0).snippet();
  const std::u32string text = [&] {
    std::u32string out;
    for (size_t i = 0; i < snippet.text().size();) {
      const unsigned char c = snippet.text()[i];
      const int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      char32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
      for (int k = 1; k < n; ++k) cp = (cp << 6) | (snippet.text()[i + k] & 0x3F);
      out.push_back(cp);
      i += n;
    }
    return out;
  }();
  std::vector<std::u32string> highlighted;
  for (const auto& h : snippet.highlights()) {
    highlighted.push_back(text.substr(h.start(), h.end() - h.start()));
  }
  EXPECT_THAT(highlighted, UnorderedElementsAre(U"烏鎮", U"網絡安全"))
      << "one span per matched word, traditional characters: " << snippet.text();
}

TEST_F(SearchFeaturesTest, DuplicatesCollapseWithCountsAndExpand) {
  v1::SearchRequest request;
  request.set_query("党建 创业");
  request.set_expand_duplicates(true);
  v1::SearchResponse expanded = MustSearch(request);
  EXPECT_THAT(Keys(expanded), UnorderedElementsAre("party", "reprint"));

  grpc::ClientContext context;
  v1::GetArticleRequest get;
  get.set_id(Id("reprint"));
  v1::Article reprint;
  ASSERT_TRUE(ingest_->stub().GetArticle(&context, get, &reprint).ok());
  if (reprint.duplicate_of().empty()) {
    GTEST_SKIP() << "this ingest build does not link the reprint to its original "
                    "(Article.duplicate_of), so there is nothing to collapse";
  }
  request.set_expand_duplicates(false);
  const v1::SearchResponse collapsed = MustSearch(request);
  ASSERT_EQ(collapsed.hits_size(), 1);
  EXPECT_EQ(collapsed.hits(0).duplicate_count(), 1);
  for (const auto& hit : expanded.hits()) {
    EXPECT_EQ(hit.duplicate_count(), 0);
    if (hit.id() == reprint.id()) {
      EXPECT_EQ(hit.duplicate_of(), reprint.duplicate_of());
    }
  }
}

TEST_F(SearchFeaturesTest, SimilarArticlesExcludeTheArticleAndItsCopies) {
  grpc::ClientContext context;
  v1::SimilarArticlesRequest request;
  request.set_id(Id("summit"));
  request.set_debug(true);
  v1::SimilarArticlesResponse response;
  ASSERT_TRUE(search_->stub().SimilarArticles(&context, request, &response).ok());
  std::vector<std::string> keys;
  for (const auto& hit : response.hits()) keys.push_back(KeyOf(hit.id()));
  ASSERT_THAT(keys, Not(IsEmpty()));
  EXPECT_EQ(keys[0], "summit_hant") << "the same event in the other script";
  EXPECT_THAT(keys, Not(Contains("summit")));
  EXPECT_THAT(response.terms(), Not(IsEmpty()));

  grpc::ClientContext party_context;
  request.set_id(Id("party"));
  ASSERT_TRUE(search_->stub().SimilarArticles(&party_context, request, &response).ok());
  keys.clear();
  for (const auto& hit : response.hits()) keys.push_back(KeyOf(hit.id()));
  EXPECT_THAT(keys, Not(Contains("party")));
  grpc::ClientContext get_context;
  v1::GetArticleRequest get;
  get.set_id(Id("reprint"));
  v1::Article reprint;
  ASSERT_TRUE(ingest_->stub().GetArticle(&get_context, get, &reprint).ok());
  if (!reprint.duplicate_of().empty()) {
    EXPECT_THAT(keys, Not(Contains("reprint"))) << "a copy of the article is not similar to it";
  } else {
    EXPECT_EQ(keys[0], "reprint") << "unlinked, the identical reprint is the most similar";
  }

  grpc::ClientContext missing_context;
  request.set_id("no-such-article");
  const grpc::Status missing =
      search_->stub().SimilarArticles(&missing_context, request, &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(missing.error_message(), HasSubstr("no-such-article"));
}

TEST_F(SearchFeaturesTest, DebugShowsTermsOperatorsAndFilters) {
  v1::SearchRequest request;
  request.set_query("title:乌镇 2018年 -党建");
  request.add_sources("新华网");
  request.set_debug(true);
  const v1::SearchResponse response = MustSearch(request);
  EXPECT_THAT(Keys(response), ElementsAre("summit"));
  EXPECT_EQ(response.debug().parsed_query(),
            "(AND title:乌镇 date:[2018-01-01..2018-12-31] (NOT 党建))");
  EXPECT_THAT(response.debug().filters(),
              ElementsAre("date:[2018-01-01..2018-12-31]", "sources in [新华网]"));
  EXPECT_THAT(response.debug().terms(), Not(IsEmpty()));
  EXPECT_THAT(response.debug().xapian_query(), HasSubstr("AND_NOT"));
}

TEST_F(SearchFeaturesTest, LimitsGiveClearErrorsAndNoPartialResultsInTime) {
  v1::SearchRequest request;
  request.set_query("网络");
  EXPECT_FALSE(MustSearch(request).partial()) << "5 s is plenty for seven articles";

  v1::SearchResponse response;
  request.set_query(std::string(1025, 'a'));
  grpc::Status status = search_->Search(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("the limit is 1024"));
  request.set_query("网络");
  request.set_page_size(101);
  status = search_->Search(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_page_size(10);
  request.add_months("2018-13");
  status = search_->Search(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("months[0]"));
}

TEST_F(SearchFeaturesTest, BadTimeLimitFlagStopsTheServer) {
  SearchFixture bad(*root_ + "/search-bad", ingest_->address(), {"--query_time_limit_ms=-1"});
  EXPECT_FALSE(bad.process().Start(absl::Seconds(10)));
}

}  // namespace
}  // namespace newsearch::testing
