// --analyzer through the real binaries: a replica built with one analyzer
// answers with it (regional folding included), records it in its index, and
// refuses to start on that index with another analyzer.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(AnalyzerFlagTest, ReplicaKeepsItsAnalyzerAndRefusesAnother) {
  const std::string root = MakeTempDir("analyzer");
  IngestFixture ingest(root);
  ASSERT_TRUE(ingest.Start()) << "newsearch-ingest did not start; see " << root;
  v1::IngestArticleResponse response;
  const std::string page =
      "臺灣網路詐騙案件增加\n\n2019-05-02 10:00:00 來源:中央社\n\n"
      "警方表示，今年以來網路詐騙案件明顯增加，軟體下載與假冒客服是主要手法。"
      "民眾在網路購物時應提高警覺，不要輕易提供帳號資訊。\n";
  ASSERT_TRUE(ingest.Ingest(page, &response).ok());
  ASSERT_GT(response.articles_size(), 0);
  const std::string id = response.articles(0).id();
  const int64_t seq = response.articles(0).seq();
  const std::string data_dir = root + "/search";
  {
    SearchFixture search(data_dir, ingest.address(), {"--analyzer=words+bigrams"});
    ASSERT_TRUE(search.Start()) << "newsearch-search did not start; see " << root;
    ASSERT_TRUE(search.WaitForSeq(seq));
    // Mainland vocabulary and simplified script find the Taiwan article.
    EXPECT_THAT(search.AllHitIds("网络诈骗"), Contains(id));
    EXPECT_THAT(search.AllHitIds("软件"), Contains(id));
    EXPECT_THAT(search.AllHitIds("\"网络购物\""), Contains(id));
    EXPECT_THAT(search.AllHitIds("地震"), IsEmpty());
    EXPECT_EQ(search.process().Terminate(), 0);
  }
  {
    SearchFixture other(data_dir, ingest.address(), {"--analyzer=bigrams"});
    EXPECT_FALSE(other.process().Start(absl::Seconds(10)))
        << "a replica with another analyzer must refuse the index";
  }
  {
    SearchFixture same(data_dir, ingest.address(), {"--analyzer=words+bigrams"});
    ASSERT_TRUE(same.Start()) << "the index's own analyzer must still open it";
    EXPECT_THAT(same.AllHitIds("网络诈骗"), Not(IsEmpty()));
  }
}

}  // namespace
}  // namespace newsearch::testing
