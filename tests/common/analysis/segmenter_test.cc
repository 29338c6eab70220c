#include "common/analysis/segmenter.h"

#include <cstdlib>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::analysis {
namespace {

using ::testing::ElementsAre;

// Loading jieba's dictionary is the slow part: once for the binary.
const Segmenter& TheSegmenter() {
  static const Segmenter* segmenter = [] {
    auto loaded = Segmenter::Load(Segmenter::kDefaultDictionaryPath);
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status();
      std::abort();
    }
    return loaded->release();
  }();
  return *segmenter;
}

// The code points of `run`, one string each.
std::vector<std::string> Characters(const std::string& run) {
  std::vector<std::string> out;
  for (unsigned char c : run) {
    if ((c & 0xC0) != 0x80) out.emplace_back();
    out.back().push_back(static_cast<char>(c));
  }
  return out;
}

TEST(SegmenterTest, CutsRunsIntoDictionaryWords) {
  const Segmenter& segmenter = TheSegmenter();
  EXPECT_THAT(segmenter.Segment("互联网党建"), ElementsAre(3, 2));
  EXPECT_THAT(segmenter.Segment("腾讯在乌镇"), ElementsAre(2, 1, 2));
  // Not in the dictionary: cut into what is.
  EXPECT_THAT(segmenter.Segment("苏宁易购"), ElementsAre(2, 1, 1));
  EXPECT_THAT(segmenter.Segment("乌"), ElementsAre(1));
  EXPECT_TRUE(segmenter.Segment("").empty());
}

TEST(SegmenterTest, CharactersOutsideTheBasicPlaneAreWordsOfTheirOwn) {
  // U+20000 and U+2A6D6 (CJK Extension B) are in no dictionary entry: the
  // lookup falls back from the code point table to the hash table.
  const std::vector<int> lengths = TheSegmenter().Segment("\xF0\xA0\x80\x80中国\xF0\xAA\x9B\x96");
  EXPECT_THAT(lengths, ElementsAre(1, 2, 1));
}

TEST(SegmenterTest, ReportsWhichBigramsAreDictionaryWords) {
  const Segmenter& segmenter = TheSegmenter();
  for (const std::string run :
       {"球拍卖完了", "北京剧院", "管理和服务", "中华人民共和国成立于", "苏宁易购",
        "\xF0\xA0\x80\x80中国", "乌"}) {
    SCOPED_TRACE(run);
    const std::vector<std::string> chars = Characters(run);
    // Appended after what the vector holds already.
    std::vector<bool> word_bigrams = {true, false};
    const std::vector<int> lengths = segmenter.Segment(run, &word_bigrams);
    EXPECT_EQ(std::accumulate(lengths.begin(), lengths.end(), 0),
              static_cast<int>(chars.size()));
    ASSERT_EQ(word_bigrams.size(), chars.size() + 2);
    EXPECT_TRUE(word_bigrams[0]);
    EXPECT_FALSE(word_bigrams[1]);
    for (size_t k = 0; k < chars.size(); ++k) {
      const bool expected = k + 1 < chars.size() && segmenter.IsWord(chars[k] + chars[k + 1]);
      EXPECT_EQ(word_bigrams[2 + k], expected) << "bigram at " << k;
    }
  }
  // The runs above do hold dictionary bigrams (the check is not vacuous).
  EXPECT_TRUE(segmenter.IsWord("拍卖"));
  EXPECT_TRUE(segmenter.IsWord("北京"));
}

}  // namespace
}  // namespace newsearch::analysis
