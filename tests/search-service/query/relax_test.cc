// Relaxed searches, field words, dates written in the text and numbers in
// other forms, through the real Searcher over a small index.
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/query/searcher.h"
#include "tests/search-service/query/searcher_fixture.h"

namespace newsearch::search {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

struct Doc {
  std::string id, title, body, source;
  std::vector<std::string> authors;
  int year, month, day;
};

const std::vector<Doc>& Docs() {
  static const auto* docs = new std::vector<Doc>{
      {"all", "考研报名人数创新高", "今年考研报名人数达到238万。", "新京报", {"冯琪"}, 2017, 12, 23},
      {"two", "研究生考试开考", "考研人数238万，报考人数创新高。", "人民日报", {"王伟"}, 2017, 12, 24},
      {"one", "高考今日开考", "全国高考报名940万人。", "中国教育报", {"柯进"}, 2017, 6, 7},
      {"none", "天气预报", "明天有雨。", "新华社", {"胡喆"}, 2018, 1, 1},
      {"plan", "苏州发布城市规划", "到2035年，常住人口控制在1500万以内。", "苏州日报", {}, 2018, 6,
       12},
      {"dye", "印染企业集聚升级", "项目总投资3千万元，新设企业超过1.2万家。", "绍兴日报",
       {"钱伟民"}, 2019, 5, 14},
      {"sat", "北斗卫星发射成功", "北斗三号最后一颗卫星发射成功。", "新华社", {"胡喆"}, 2020, 6, 24},
      {"copy", "北斗卫星发射成功（转载）", "北斗三号最后一颗卫星发射成功。", "转载网", {}, 2020, 6,
       25},
  };
  return *docs;
}

v1::Article ToArticle(const Doc& d) {
  v1::Article a;
  a.set_id(d.id);
  a.set_title(d.title);
  a.set_body(d.body);
  a.set_source(d.source);
  for (const auto& author : d.authors) a.add_authors(author);
  a.mutable_published_at()->set_seconds(absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(d.year, d.month, d.day, 2, 0, 0), absl::UTCTimeZone())));
  a.set_script("zh-Hans");
  if (d.id == "copy") a.set_duplicate_of("sat");
  return a;
}

class RelaxTest : public SearcherFixture {
 protected:
  void SetUp() override {
    std::vector<v1::Article> articles;
    for (const Doc& d : Docs()) articles.push_back(ToArticle(d));
    OpenIndex(articles);
  }

  v1::SearchResponse Search(const std::string& query, int page_size = 100) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_page_size(page_size);
    request.set_debug(true);
    return Search(request);
  }
  v1::SearchResponse Search(const v1::SearchRequest& request) {
    absl::StatusOr<v1::SearchResponse> response = searcher_->Search(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::SearchResponse();
  }
  v1::SearchResponse StrictSearch(const std::string& query) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_strict(true);
    return Search(request);
  }
  static std::string Status(const v1::SearchResponse& response, const std::string& word) {
    for (const auto& w : response.debug().words()) {
      if (w.text() == word) return v1::TermStatus_Name(w.status());
    }
    return "(no such word)";
  }
};

TEST_F(RelaxTest, StrictMatchesFirstThenMostWordsWithDroppedTerms) {
  const v1::SearchResponse r = Search("考研 报名 人数");
  EXPECT_TRUE(r.relaxed());
  // All three words, then two of them (考研 人数), then one (报名); 'none'
  // has none of them.
  ASSERT_THAT(Ids(r), ElementsAre("all", "two", "one"));
  EXPECT_THAT(r.hits(0).missing_terms(), IsEmpty());
  EXPECT_THAT(r.hits(1).missing_terms(), ElementsAre("报名"));
  EXPECT_THAT(r.hits(2).missing_terms(), ElementsAre("考研", "人数"));
  EXPECT_THAT(r.dropped_terms(), ElementsAre("考研", "报名", "人数"));
  EXPECT_EQ(r.total_estimate(), 3);
  EXPECT_EQ(r.debug().strict_matches(), 1);
  EXPECT_EQ(Status(r, "考研"), "TERM_STATUS_DROPPED");
}

TEST_F(RelaxTest, StopsDroppingWordsOnceEnoughMatch) {
  v1::SearchRequest request;
  request.set_query("考研 报名 人数");
  request.set_relax_threshold(2);
  request.set_debug(true);
  const v1::SearchResponse r = Search(request);
  EXPECT_TRUE(r.relaxed());
  EXPECT_THAT(Ids(r), ElementsAre("all", "two")) << "two of three words were enough";
  EXPECT_THAT(r.dropped_terms(), ElementsAre("报名"));
  EXPECT_EQ(Status(r, "考研"), "TERM_STATUS_RELAXED") << "every relaxed hit has it";
  EXPECT_EQ(Status(r, "报名"), "TERM_STATUS_DROPPED");
}

TEST_F(RelaxTest, EnoughStrictMatchesOrStrictRequestsAreNotRelaxed) {
  v1::SearchRequest request;
  request.set_query("考研 报名 人数");
  request.set_relax_threshold(1);
  v1::SearchResponse r = Search(request);
  EXPECT_FALSE(r.relaxed());
  EXPECT_THAT(Ids(r), ElementsAre("all"));
  request.set_relax_threshold(0);
  request.set_strict(true);
  r = Search(request);
  EXPECT_FALSE(r.relaxed());
  EXPECT_THAT(Ids(r), ElementsAre("all"));
  EXPECT_THAT(r.dropped_terms(), IsEmpty());
  request.set_strict(false);
  request.set_relax_threshold(-1);
  EXPECT_EQ(searcher_->Search(request).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RelaxTest, PhrasesPlusAndWrittenAndStayStrict) {
  for (const std::string query :
       {"\"考研报名\" 卫星", "+考研 +报名 卫星", "考研 AND 报名 卫星"}) {
    const v1::SearchResponse r = Search(query);
    for (const auto& hit : r.hits()) {
      EXPECT_EQ(hit.id(), "all") << query << ": only 'all' has 考研 and 报名";
    }
    EXPECT_THAT(Ids(r), ElementsAre("all")) << query;
    EXPECT_THAT(r.dropped_terms(), ElementsAre("卫星")) << query;
  }
  EXPECT_EQ(Status(Search("+考研 报名 卫星"), "考研"), "TERM_STATUS_STRICT");
  EXPECT_EQ(Status(Search("+考研 报名 卫星"), "报名"), "TERM_STATUS_DROPPED");
  // A single word has nothing to relax to.
  EXPECT_FALSE(Search("卫星发射成功地球").relaxed());
}

TEST_F(RelaxTest, RelaxedListPagesWithoutRepeats) {
  std::vector<std::string> paged;
  v1::SearchRequest request;
  request.set_query("考研 报名 人数");
  request.set_page_size(1);
  for (int page = 0; page < 10; ++page) {
    const v1::SearchResponse r = Search(request);
    for (const auto& hit : r.hits()) {
      EXPECT_EQ(hit.rank(), static_cast<int>(paged.size()));
      paged.push_back(hit.id());
    }
    if (r.next_page_token().empty()) break;
    request.set_page_token(r.next_page_token());
  }
  EXPECT_EQ(paged, Ids(Search("考研 报名 人数")));
}

TEST_F(RelaxTest, DuplicatesOfStrictMatchesDoNotComeBackRelaxed) {
  const v1::SearchResponse r = Search("北斗 卫星 火箭");
  EXPECT_TRUE(r.relaxed());
  EXPECT_THAT(Ids(r), ElementsAre("sat")) << "its copy is collapsed, not listed again";
  EXPECT_EQ(r.hits(0).duplicate_count(), 1);
}

TEST_F(RelaxTest, FieldWordsRestrictTheField) {
  v1::SearchResponse r = Search("来源 新华社 卫星");
  EXPECT_THAT(Ids(r), ElementsAre("sat", "none"))
      << "新华社's satellite story, then (relaxed: 卫星 dropped) its other one";
  EXPECT_EQ(Status(r, "source:新华社"), "TERM_STATUS_FIELD_RESTRICTED");
  EXPECT_THAT(r.debug().words(0).detail(), ::testing::HasSubstr("field word 来源 -> source"));
  EXPECT_THAT(Ids(StrictSearch("来源 新华社 卫星")), ElementsAre("sat"));
  EXPECT_THAT(Ids(Search("作者 胡喆")), UnorderedElementsAre("none", "sat"));
  EXPECT_THAT(Ids(Search("author 王伟")), ElementsAre("two"));
  EXPECT_THAT(Ids(Search("來源 新京報")), ElementsAre("all"));
  // Relaxation never drops the field: the source's other articles follow.
  r = Search("来源 新华社 卫星 火箭");
  EXPECT_TRUE(r.relaxed());
  EXPECT_THAT(Ids(r), ElementsAre("sat", "none"));
  EXPECT_THAT(r.dropped_terms(), ElementsAre("卫星", "火箭"));
  // The field word alone is text.
  EXPECT_THAT(Ids(Search("来源")), IsEmpty());
}

TEST_F(RelaxTest, DatesFilterAndMatchTheText) {
  // Published 2018, speaks of 2035.
  v1::SearchResponse r = Search("2035年 人口");
  EXPECT_THAT(Ids(r), ElementsAre("plan"));
  EXPECT_EQ(Status(r, "date:[2035-01-01..2035-12-31]"), "TERM_STATUS_DATE_FILTERED");
  // Published in 2017 (no text mention needed).
  EXPECT_THAT(Ids(StrictSearch("2017年 开考")), UnorderedElementsAre("two", "one"));
  // Negated dates stay filters on the published date only.
  EXPECT_THAT(Ids(Search("人口 -2035年")), ElementsAre("plan"));
  EXPECT_THAT(Ids(Search("人口 -2018年")), IsEmpty());
}

TEST_F(RelaxTest, NumbersMatchOtherWrittenForms) {
  EXPECT_THAT(Ids(Search("3000万 投资")), ElementsAre("dye")) << "the text says 3千万";
  EXPECT_THAT(Ids(Search("12000家")), ElementsAre("dye")) << "the text says 1.2万家";
  EXPECT_THAT(Ids(Search("２３８万 考研")), UnorderedElementsAre("all", "two"))
      << "full-width digits";
  EXPECT_THAT(Ids(Search("\"3000万\"")), IsEmpty()) << "a quoted number means what it says";
}

}  // namespace
}  // namespace newsearch::search
