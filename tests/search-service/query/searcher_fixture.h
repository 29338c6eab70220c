// Test helpers shared by the query tests: hand-written articles
// (TestArticle, ToArticle, dates at midnight UTC) and a fixture that builds a
// fresh Xapian index of given articles in a temporary directory and opens
// the real Searcher on it, with one analyzer per test suite.
#ifndef NEWSEARCH_TESTS_SEARCH_SERVICE_QUERY_SEARCHER_FIXTURE_H_
#define NEWSEARCH_TESTS_SEARCH_SERVICE_QUERY_SEARCHER_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/analysis/analyzer.h"
#include "gtest/gtest.h"
#include "newsearch/v1/article.pb.h"
#include "newsearch/v1/search.pb.h"
#include "search-service/query/searcher.h"

namespace newsearch::search {

// Returns midnight UTC of a calendar day as Unix seconds / a Timestamp.
int64_t UnixSeconds(int y, int m, int d);
google::protobuf::Timestamp Ts(int y, int m, int d);

// A hand-written article; year 0 means no published date.
struct TestArticle {
  TestArticle(std::string id, std::string title, std::string body, std::string source,
              std::vector<std::string> authors, int year, int month, int day,
              std::string script = "zh-Hans", std::string duplicate_of = "");
  std::string id;
  std::string title;
  std::string body;
  std::string source;
  std::vector<std::string> authors;
  int year, month, day;  // 0: no date
  std::string script;
  std::string duplicate_of;
};

// Returns the article as ingest would store it (published at midnight UTC,
// url https://example.com/<id>).
v1::Article ToArticle(const TestArticle& a);

// A Searcher over a fresh index. A test's SetUp sets options_ as it needs
// and calls OpenIndex; TearDown removes the directory.
class SearcherFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // Creates a fresh directory dir_, writes `articles` to the index
  // options_.path = dir_ + "/index" (with applied_seq as its metadata when
  // not empty) and opens searcher_ on it.
  void OpenIndex(const std::vector<v1::Article>& articles, const std::string& applied_seq = "");
  void TearDown() override;

  // The ids of the hits, in order.
  static std::vector<std::string> Ids(const v1::SearchResponse& response);

  static analysis::Analyzer* analyzer_;
  std::string dir_;
  SearcherOptions options_;
  std::unique_ptr<Searcher> searcher_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_TESTS_SEARCH_SERVICE_QUERY_SEARCHER_FIXTURE_H_
