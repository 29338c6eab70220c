// Relaxed search, field words, dates in the text and number forms through
// the real binaries with their default flags: pages are ingested over gRPC,
// the search replica follows the change log, and searches go over gRPC.
#include <algorithm>
#include <map>
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
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// Plain-text pages in the shape of the seeds: title, a metadata line, body.
const std::vector<KeyedPage> kPages = {
    {"exam", "研究生考试今日开考\n\n2017-12-23 09:00:00 来源:新京报\n\n"
             "2018年全国硕士研究生招生考试今日开考，报考人数达238万，创历史新高。考研热持续升温。\n"},
    {"gaokao", "高考今日开考\n\n2017-06-07 09:00:00 来源:中国教育报\n\n"
               "全国高考今日开考，报名人数940万，比去年增加0.5万人。\n"},
    {"satellite", "北斗卫星发射成功\n\n2020-06-24 10:00:00 来源:新华社\n\n"
                  "北斗三号最后一颗全球组网卫星发射成功，全球组网完成。\n"},
    {"weather", "明天有雨\n\n2018-01-01 10:00:00 来源:新华社\n\n"
                "气象台预报，明天本市有中到大雨，局部暴雨，请市民出门带伞。\n"},
    {"plan", "苏州发布城市总体规划\n\n2018-06-12 10:00:00 来源:苏州日报\n\n"
             "规划提出，到2035年，全市常住人口控制在1500万人以内，投资3千万元建设公园。\n"},
};

class RelaxedSearchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Default flags: relaxation on (--relax_threshold=3).
    served_ = new ServedPages(MakeTempDir("relaxed"), kPages, {});
    ingest_ = &served_->ingest();
    search_ = &served_->search();
  }
  static void TearDownTestSuite() {
    delete served_;
    served_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(served_->ready()) << served_->error(); }

  v1::SearchResponse MustSearch(const std::string& query, bool strict = false) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_debug(true);
    request.set_strict(strict);
    v1::SearchResponse response;
    const grpc::Status status = search_->Search(request, &response);
    EXPECT_TRUE(status.ok()) << query << ": " << status.error_message();
    return response;
  }
  static std::vector<std::string> Keys(const v1::SearchResponse& response) {
    std::vector<std::string> keys;
    for (const auto& hit : response.hits()) keys.push_back(served_->KeyOf(hit.id()));
    return keys;
  }

  static ServedPages* served_;
  static IngestFixture* ingest_;  // served_'s
  static SearchFixture* search_;  // served_'s
};

ServedPages* RelaxedSearchTest::served_ = nullptr;
IngestFixture* RelaxedSearchTest::ingest_ = nullptr;
SearchFixture* RelaxedSearchTest::search_ = nullptr;

TEST_F(RelaxedSearchTest, TooFewStrictMatchesRelaxWithDroppedTerms) {
  // No page has all three words: strictly nothing.
  EXPECT_THAT(Keys(MustSearch("考研 报名 人数", /*strict=*/true)), IsEmpty());
  const v1::SearchResponse r = MustSearch("考研 报名 人数");
  EXPECT_TRUE(r.relaxed());
  ASSERT_THAT(Keys(r), UnorderedElementsAre("exam", "gaokao")) << "two of three words each";
  EXPECT_THAT(r.dropped_terms(), ElementsAre("考研", "报名"));
  for (int i = 0; i < r.hits_size(); ++i) {
    EXPECT_THAT(r.hits(i).missing_terms(),
                ElementsAre(Keys(r)[i] == "exam" ? "报名" : "考研"));
  }
  EXPECT_EQ(r.debug().strict_matches(), 0);
  ASSERT_EQ(r.debug().words_size(), 3);
  EXPECT_EQ(r.debug().words(0).status(), v1::TERM_STATUS_DROPPED);
  EXPECT_EQ(r.debug().words(2).status(), v1::TERM_STATUS_RELAXED);
}

TEST_F(RelaxedSearchTest, QuotedPhrasesStayStrict) {
  const v1::SearchResponse r = MustSearch("\"考研报名\" 人数");
  EXPECT_FALSE(r.relaxed());
  EXPECT_THAT(Keys(r), IsEmpty());
}

TEST_F(RelaxedSearchTest, FieldWordsRestrictTheSource) {
  v1::SearchResponse r = MustSearch("来源 新华社 卫星");
  ASSERT_THAT(Keys(r), Not(IsEmpty()));
  EXPECT_EQ(Keys(r)[0], "satellite");
  EXPECT_THAT(Keys(r), Not(Contains("exam")));
  ASSERT_GE(r.debug().words_size(), 1);
  EXPECT_EQ(r.debug().words(0).status(), v1::TERM_STATUS_FIELD_RESTRICTED);
  EXPECT_THAT(Keys(MustSearch("來源 新京報", /*strict=*/true)), ElementsAre("exam"));
}

TEST_F(RelaxedSearchTest, DatesAndNumbersInTheText) {
  v1::SearchResponse r = MustSearch("2035年 人口", /*strict=*/true);
  EXPECT_THAT(Keys(r), ElementsAre("plan")) << "published 2018, names 2035";
  ASSERT_GE(r.debug().words_size(), 1);
  EXPECT_EQ(r.debug().words(0).status(), v1::TERM_STATUS_DATE_FILTERED);
  EXPECT_THAT(Keys(MustSearch("3000万 公园", /*strict=*/true)), ElementsAre("plan"))
      << "the page writes 3千万";
}

}  // namespace
}  // namespace newsearch::testing
