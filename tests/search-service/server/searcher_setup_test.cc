#include "search-service/server/searcher_setup.h"

#include <filesystem>
#include <string>

#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

// --index_cut_bigrams decides for a new index only; an existing one is
// served as it records, whichever way the flag points.
TEST(CreateAnalyzerTest, CutBigramsAsTheIndexRecordsElseAsTheFlagSays) {
  const std::string path = ::testing::TempDir() + "/searcher_setup_cut_bigrams";
  std::filesystem::remove_all(path);
  SearchServerOptions options;
  EXPECT_FALSE(options.index_cut_bigrams) << "off by default";
  options.index_cut_bigrams = false;
  auto plain = CreateAnalyzer(options, path);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT((*plain)->Signature(), Not(HasSubstr(analysis::kCutBigramsSignature)));
  options.index_cut_bigrams = true;
  auto cut = CreateAnalyzer(options, path);
  ASSERT_TRUE(cut.ok()) << cut.status();
  EXPECT_THAT((*cut)->Signature(), EndsWith(analysis::kCutBigramsSignature));

  // An index built with cut bigrams keeps them when the flag is off...
  ASSERT_TRUE(schema::CheckIndexAnalyzer(path, **cut).ok());
  options.index_cut_bigrams = false;
  auto served = CreateAnalyzer(options, path);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ((*served)->Signature(), (*cut)->Signature());
  // ... and one built without keeps all bigrams when it is on.
  std::filesystem::remove_all(path);
  ASSERT_TRUE(schema::CheckIndexAnalyzer(path, **plain).ok());
  options.index_cut_bigrams = true;
  served = CreateAnalyzer(options, path);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ((*served)->Signature(), (*plain)->Signature());
  std::filesystem::remove_all(path);
}

}  // namespace
}  // namespace newsearch::search
