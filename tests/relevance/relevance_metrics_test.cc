#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/relevance/relevance.h"

namespace newsearch::relevance {
namespace {

TEST(ScoreQueryTest, PerfectOrderScoresOne) {
  const std::map<std::string, int> judged = {{"a", 3}, {"b", 2}, {"c", 1}};
  const Scores s = ScoreQuery(judged, {"a", "b", "c", "x"});
  EXPECT_DOUBLE_EQ(s.ndcg10, 1.0);
  EXPECT_DOUBLE_EQ(s.mrr10, 1.0);
  EXPECT_DOUBLE_EQ(s.p5, 3.0 / 5);
  EXPECT_DOUBLE_EQ(s.recall100, 1.0);
  EXPECT_EQ(s.queries, 1);
}

TEST(ScoreQueryTest, GradedGainsAndLogDiscount) {
  const std::map<std::string, int> judged = {{"a", 3}, {"b", 1}};
  // b first, a third: DCG = 1/log2(2) + 7/log2(4); ideal = 7 + 1/log2(3).
  const Scores s = ScoreQuery(judged, {"b", "x", "a"});
  EXPECT_NEAR(s.ndcg10, (1.0 + 7.0 / 2) / (7.0 + 1.0 / std::log2(3.0)), 1e-12);
  EXPECT_DOUBLE_EQ(s.mrr10, 1.0);
  const Scores late = ScoreQuery(judged, {"x", "y", "z", "a"});
  EXPECT_DOUBLE_EQ(late.mrr10, 0.25);
  EXPECT_DOUBLE_EQ(late.recall100, 0.5);
}

TEST(ScoreQueryTest, RepeatedIdsCountOnceAndDepthIsLimited) {
  const std::map<std::string, int> judged = {{"a", 2}};
  EXPECT_DOUBLE_EQ(ScoreQuery(judged, {"a", "a", "a"}).p5, 1.0 / 5);
  std::vector<std::string> ranked;
  for (int i = 0; i < 100; ++i) ranked.push_back("x" + std::to_string(i));
  ranked.push_back("a");
  const Scores s = ScoreQuery(judged, ranked);
  EXPECT_DOUBLE_EQ(s.recall100, 0.0);
  EXPECT_DOUBLE_EQ(s.mrr10, 0.0);
  EXPECT_DOUBLE_EQ(s.ndcg10, 0.0);
}

TEST(EvaluateTest, QueriesWithoutRelevantArticlesAreLeftOut) {
  const Qrels qrels = {{"q1", {{"a", 3}}}, {"q2", {{"b", 0}}}};
  const std::vector<JudgedQuery> queries = {{"q1", "topic", "x", ""}, {"q2", "none", "y", ""},
                                            {"q3", "none", "z", ""}};
  const relevance::Run run = {{"q1", {"x", "a"}}, {"q2", {"b"}}};
  const Scores s = Evaluate(qrels, run, queries);
  EXPECT_EQ(s.queries, 1);
  EXPECT_DOUBLE_EQ(s.mrr10, 0.5);
  EXPECT_EQ(Evaluate(qrels, run, queries, "none").queries, 0);
}

TEST(RunFileTest, WriteThenLoadKeepsTheOrder) {
  const std::string path = ::testing::TempDir() + "/run.tsv";
  const relevance::Run run = {{"q1", {"c", "a", "b"}}, {"q2", {"z"}}};
  ASSERT_TRUE(WriteRun(run, path).ok());
  auto loaded = LoadRun(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, run);
  std::remove(path.c_str());
}

TEST(LoadTest, MalformedLinesNameFileAndLine) {
  const std::string path = ::testing::TempDir() + "/articles.jsonl";
  {
    std::ofstream out(path);
    out << "{\"id\": \"a1\", \"title\": \"t\", \"published_at\": \"2018-04-23T07:36:02+08:00\","
           " \"authors\": [\"张三\"], \"body\": \"正文\"}\n{not json\n";
  }
  auto articles = LoadArticles(path);
  ASSERT_FALSE(articles.ok());
  EXPECT_NE(articles.status().message().find("line 2"), std::string::npos);
  {
    std::ofstream out(path);
    out << "{\"id\": \"a1\", \"title\": \"t\", \"published_at\": \"2018-04-23T07:36:02+08:00\","
           " \"authors\": [\"张三\"], \"body\": \"正文\"}\n";
  }
  articles = LoadArticles(path);
  ASSERT_TRUE(articles.ok()) << articles.status();
  ASSERT_EQ(articles->size(), 1u);
  EXPECT_EQ((*articles)[0].published_at().seconds(), 1524440162);
  EXPECT_EQ((*articles)[0].authors(0), "张三");
  auto distractors = LoadDistractors(path);
  ASSERT_TRUE(distractors.ok());
  EXPECT_EQ((*distractors)[0].id(), "gen-a1");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace newsearch::relevance
