#include "search-service/query/snippet.h"

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/query/query_parser.h"
#include "search-service/query/utf8.h"

namespace newsearch::search {
namespace {

using ::testing::StartsWith;

// Renders a snippet with its highlights in brackets: "我們的[網絡]很快".
std::string Render(const v1::Snippet& snippet) {
  const std::vector<char32_t> cps = DecodeUtf8(snippet.text());
  std::string out;
  int next = 0;
  for (const v1::Highlight& h : snippet.highlights()) {
    EXPECT_LE(next, h.start()) << "highlights out of order or overlapping";
    EXPECT_LT(h.start(), h.end()) << "empty highlight";
    EXPECT_LE(h.end(), static_cast<int>(cps.size())) << "highlight beyond the text";
    out += EncodeUtf8(cps, next, h.start());
    out += "[" + EncodeUtf8(cps, h.start(), h.end()) + "]";
    next = h.end();
  }
  out += EncodeUtf8(cps, next, cps.size());
  return out;
}

class SnippetTest : public ::testing::Test {
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

  static v1::Snippet Make(const std::string& query, const std::string& title,
                          const std::string& body, int max_chars = 120) {
    auto parsed = ParseQuery(query);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    SnippetBuilder builder(*analyzer_, parsed->PositiveAtoms(), max_chars);
    return builder.Build(title, body);
  }

  static analysis::Analyzer* analyzer_;
};

analysis::Analyzer* SnippetTest::analyzer_ = nullptr;

struct SnippetCase {
  std::string query;
  std::string title;
  std::string body;
  int max_chars;
  std::string rendered;
  std::string reason;
};

// Names each table row by its reason in test output and ctest names.
void PrintTo(const SnippetCase& c, std::ostream* os) { *os << c.reason; }

class SnippetTableTest : public SnippetTest, public ::testing::WithParamInterface<SnippetCase> {};

TEST_P(SnippetTableTest, HighlightsInOriginalText) {
  const SnippetCase& c = GetParam();
  EXPECT_EQ(Render(Make(c.query, c.title, c.body, c.max_chars)), c.rendered) << c.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SnippetTableTest,
    ::testing::Values(
        SnippetCase{"网络", "標題", "我們的網絡很快。", 120, "我們的[網絡]很快。",
                    "simplified query highlights the traditional original"},
        SnippetCase{"網絡", "标题", "我们的网络很快。", 120, "我们的[网络]很快。",
                    "traditional query highlights the simplified original"},
        SnippetCase{"网络 安全", "", "網絡與資訊安全，網絡。", 120, "[網絡]與資訊[安全]，[網絡]。",
                    "several words, every occurrence, one span per word"},
        SnippetCase{"互联网党建", "", "互联网和党建", 120, "[互联网]和[党建]",
                    "a long unquoted run falls back to its bigrams, overlaps merge"},
        SnippetCase{"互联网", "", "联网设备与互联网", 120, "联网设备与[互联网]",
                    "whole-run matches win over bigram matches"},
        SnippetCase{"\"互联网 党建\"", "", "互联网\n\n党建工作", 120, "[互联网 党建]工作",
                    "a phrase spans whitespace, which collapses to one space"},
        SnippetCase{"IPHONE", "", "新款iPhone发布", 120, "新款[iPhone]发布",
                    "words match case-insensitively"},
        SnippetCase{"5G基站", "", "建设５Ｇ基站。", 120, "建设[５Ｇ基站]。",
                    "full-width original, mixed phrase"},
        SnippetCase{"-网络 天气", "", "网络天气", 120, "网络[天气]", "negated atoms are not highlighted"},
        SnippetCase{"source:光明网 天气", "", "光明网天气", 120, "光明网[天气]",
                    "source: atoms are not highlighted in the body"},
        SnippetCase{"乌镇", "烏鎮峰會", "今天天氣很好。", 120, "[烏鎮]峰會",
                    "only the title matched: the title is the snippet"},
        SnippetCase{"乌镇", "标题", "一二三四五六七八九十", 5, "一二三四五…",
                    "nothing matched: start of the body"},
        SnippetCase{"乌镇", "乌镇", "", 120, "[乌镇]", "empty body: the title"},
        SnippetCase{"", "标题", "正文", 120, "正文", "empty query: body start, no highlights"}));

TEST_F(SnippetTest, ChoosesWindowWithMostDistinctWords) {
  const std::string body = "乌镇在开头。" + std::string(100, '.') + "后来乌镇互联网大会开幕。" +
                           std::string(100, '.') + "互联网结尾";
  const v1::Snippet snippet = Make("乌镇 互联网", "", body, 20);
  EXPECT_EQ(Render(snippet), "…..后来[乌镇][互联网]大会开幕。......…") << "window holding both words";
  EXPECT_THAT(snippet.text(), StartsWith("…"));
}

TEST_F(SnippetTest, StartsAtParagraphInLeadIn) {
  const std::string body = "第一段很长很长很长。\n\n第二段讲乌镇。";
  const v1::Snippet snippet = Make("乌镇", "", body, 12);
  EXPECT_EQ(Render(snippet), "…第二段讲[乌镇]。") << "the lead-in stops at the paragraph break";
}

TEST_F(SnippetTest, WindowShiftsBackAtEndOfText) {
  std::string body(50, '.');
  body += "乌镇";
  const v1::Snippet snippet = Make("乌镇", "", body, 10);
  EXPECT_EQ(Render(snippet), "…........[乌镇]") << "a full window that ends with the text";
}

TEST_F(SnippetTest, HighlightsClipAtWindowEdge) {
  const v1::Snippet snippet = Make("\"互联网党建\"", "", "互联网党建", 3);
  EXPECT_EQ(Render(snippet), "[互联网]…") << "a phrase longer than the window is cut with it";
}

// Long bodies fold only the ranges around characters that can start a match
// (SnippetBuilder::ScreenRanges); these check that the result is what
// folding the whole body gives.
TEST_F(SnippetTest, LongBodyFindsATraditionalMatchFarFromTheStart) {
  std::string filler;
  for (int i = 0; i < 80; ++i) filler += "今天天氣晴朗，市民出門散步。";  // 14 code points each
  const std::string body = filler + "縣府加強網絡安全宣導。" + filler;
  const v1::Snippet snippet = Make("网络安全", "", body, 20);
  EXPECT_THAT(Render(snippet), ::testing::HasSubstr("[網絡安全]"));
  EXPECT_EQ(snippet.highlights_size(), 1) << "one span per matched word";
}

TEST_F(SnippetTest, LongBodyKeepsPhraseLevelConversion) {
  std::string filler;
  for (int i = 0; i < 80; ++i) filler += "今天天氣晴朗，市民出門散步。";
  // `乾` alone folds differently from `乾` in `乾隆`: the screen must not miss it.
  const std::string body = filler + "故宮展出乾隆年間的瓷器。" + filler;
  EXPECT_THAT(Render(Make("乾隆", "", body, 20)), ::testing::HasSubstr("[乾隆]"));
}

TEST_F(SnippetTest, LongBodyWithManyCandidatesStillHighlightsEveryMatch) {
  std::string body;
  for (int i = 0; i < 60; ++i) body += "網絡發展，网络建设。";
  const v1::Snippet snippet = Make("网络", "", body, 30);
  EXPECT_GE(snippet.highlights_size(), 4) << Render(snippet);
}

TEST_F(SnippetTest, LongBodyHighlightsWholeWordsOnlyWithoutFolding) {
  std::string filler;
  for (int i = 0; i < 40; ++i) filler += "今天天气晴朗，市民出门散步。";
  // `covid-19` and `covids` are other words to the tokenizer: the candidate
  // screen must draw the same word boundaries, not highlight their `covid`.
  const std::string body = filler + "covid-19 与 covids 不同，covid 才是。" + filler;
  const std::string rendered = Render(Make("covid", "", body, 40));
  EXPECT_THAT(rendered, ::testing::HasSubstr("，[covid] 才是")) << rendered;
  EXPECT_THAT(rendered, ::testing::Not(::testing::HasSubstr("[covid]-19"))) << rendered;
  EXPECT_THAT(rendered, ::testing::Not(::testing::HasSubstr("[covid]s"))) << rendered;
}

TEST_F(SnippetTest, LongBodyFindsAMatchOnlyPhraseConversionMakes) {
  std::string filler;
  for (int i = 0; i < 40; ++i) filler += "今天天气晴朗，市民出门散步。";
  // `網路` folds to `网络` only as a phrase (tw2sp); character by character
  // it is `网路`, so no candidate exists and the whole body is folded.
  const std::string body = filler + "台灣的網路很快。" + filler;
  EXPECT_THAT(Render(Make("网络", "", body, 30)), ::testing::HasSubstr("[網路]"));
}

TEST(AnalyzerFoldCodePointTest, FoldsOneCharacterAndRemembersIt) {
  auto analyzer = analysis::Analyzer::Create();
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  EXPECT_EQ((*analyzer)->FoldCodePoint(U'網'), U'网');
  EXPECT_EQ((*analyzer)->FoldCodePoint(U'網'), U'网') << "memoised value";
  EXPECT_EQ((*analyzer)->FoldCodePoint(U'Ａ'), U'a') << "NFKC and case folding";
  EXPECT_EQ((*analyzer)->FoldCodePoint(U'中'), U'中');
}

}  // namespace
}  // namespace newsearch::search
