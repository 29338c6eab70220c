#include "common/analysis/analyzer.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::analysis {
namespace {

using ::testing::ElementsAreArray;

// One analyzer per variant for the whole binary: loading OpenCC and the
// dictionary is the slow part. TheAnalyzer() is the `bigrams` variant
// without boundary evidence, whose terms the term-level tests below spell
// out; the BoundaryEvidence tests cover the straddle markers.
const Analyzer& AnalyzerFor(Segmentation segmentation) {
  static const Analyzer* analyzers[3] = {nullptr, nullptr, nullptr};
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  const Analyzer*& analyzer = analyzers[static_cast<int>(segmentation)];
  if (analyzer == nullptr) {
    AnalyzerOptions options;
    options.segmentation = segmentation;
    auto created = Analyzer::Create(options);
    if (!created.ok()) {
      ADD_FAILURE() << created.status();
      std::abort();
    }
    analyzer = created->release();
  }
  return *analyzer;
}

const Analyzer& TheAnalyzer() {
  static const Analyzer* analyzer = [] {
    AnalyzerOptions options;
    options.segmentation = Segmentation::kBigrams;
    options.boundary_evidence = false;
    auto created = Analyzer::Create(options);
    if (!created.ok()) {
      ADD_FAILURE() << created.status();
      std::abort();
    }
    return created->release();
  }();
  return *analyzer;
}

int CountCodePoints(const std::string& s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

TEST(AnalyzerCreateTest, MissingOpenCcConfigIsFailedPrecondition) {
  AnalyzerOptions options;
  options.opencc_config = "/nonexistent/t2s.json";
  auto analyzer = Analyzer::Create(options);
  ASSERT_FALSE(analyzer.ok());
  EXPECT_EQ(analyzer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(analyzer.status().message()),
              ::testing::HasSubstr("/nonexistent/t2s.json"));
}

struct FoldCase {
  std::string reason;
  std::string input;
  std::string expected;
};

TEST(AnalyzerTest, Fold) {
  const std::vector<FoldCase> cases = {
      {"full-width digits become ASCII", "２０１８年", "2018年"},
      {"full-width Latin becomes ASCII lowercase", "ＣＯＯ", "coo"},
      {"ASCII is lowercased", "QQ群 iPhone", "qq群 iphone"},
      {"traditional becomes simplified", "網絡", "网络"},
      {"phrase table keeps 乾隆 (not 干隆)", "乾隆", "乾隆"},
      {"phrase table folds 乾燥 to 干燥", "乾燥", "干燥"},
      {"simplified is unchanged", "网络安全", "网络安全"},
      {"Taiwan vocabulary folds to the mainland's: 軟體 is 软件", "軟體", "软件"},
      {"Taiwan vocabulary folds to the mainland's: 網路 is 网络", "網路", "网络"},
      {"regional folding is symmetric: simplified 资讯 meets traditional 資訊", "资讯", "信息"},
      {"regional folding is symmetric: 資訊 is 信息", "資訊", "信息"},
      {"never by sound: 景点 is not 经典", "景點", "景点"},
      {"length-changing regional folding: 記憶體 is 内存", "記憶體", "内存"},
      {"mixed scripts, widths and cases", "ＱＱ群裡的iPhone手機殼", "qq群里的iphone手机壳"},
      {"pinyin gloss keeps its accents", "烏鎮(zhèn)", "乌镇(zhèn)"},
      {"full-width punctuation becomes ASCII", "你好，世界！", "你好,世界!"},
      {"ideographic punctuation stays", "新闻。", "新闻。"},
      {"case folding expands ß", "Straße", "strasse"},
      {"ligatures decompose", "ﬁle", "file"},
      {"combining accent composes", "e\xCC\x81", "\xC3\xA9"},
      {"soft hyphen is dropped", "ab\xC2\xAD" "cd", "abcd"},
      {"CJK compatibility ideograph 豈 becomes unified, then simplified", "\xEF\xA4\x80", "岂"},
      {"invalid UTF-8 becomes U+FFFD", "a\xFF" "b", "a\xEF\xBF\xBD" "b"},
      {"truncated sequence becomes U+FFFD", "\xE7\xBD", "\xEF\xBF\xBD"},
      {"empty stays empty", "", ""},
  };
  const Analyzer& analyzer = TheAnalyzer();
  for (const FoldCase& c : cases) {
    SCOPED_TRACE(c.reason);
    const std::string folded = analyzer.Fold(c.input);
    EXPECT_EQ(folded, c.expected);
    EXPECT_EQ(analyzer.Fold(folded), folded) << "folding is idempotent";
  }
}

TEST(AnalyzerTest, FoldNeverFailsOnArbitraryBytes) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (int i = 255; i >= 0; --i) bytes.push_back(static_cast<char>(i));
  const FoldedText folded = TheAnalyzer().FoldWithOffsets(bytes);
  EXPECT_EQ(static_cast<int>(folded.source.size()), CountCodePoints(folded.text));
  EXPECT_TRUE(std::is_sorted(folded.source.begin(), folded.source.end()));
}

TEST(AnalyzerTest, FoldIsSafeFromManyThreads) {
  const Analyzer& analyzer = TheAnalyzer();
  const std::string text = "網絡經濟發展會議在烏鎮舉行，ＣＯＯ出席。乾隆年間的軟體？";
  const std::string expected = analyzer.Fold(text);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) mismatches[t] += analyzer.Fold(text) != expected;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ::testing::Each(0));
}

struct FoldOffsetsCase {
  std::string reason;
  std::string input;
  std::string expected_text;
  std::vector<int32_t> expected_source;
};

TEST(AnalyzerTest, FoldWithOffsetsMapsBackToOriginalCodePoints) {
  const std::vector<FoldOffsetsCase> cases = {
      {"one to one for width, case and t2s", "ＡＢ網絡", "ab网络", {0, 1, 2, 3}},
      {"expansion maps both outputs to the source", "Straße", "strasse", {0, 1, 2, 3, 4, 4, 5}},
      {"ligature expands onto one source", "ﬁx", "fix", {0, 0, 1}},
      {"removed code point leaves a gap", "a\xC2\xAD" "b", "ab", {0, 2}},
      {"composition maps to the first of the segment", "e\xCC\x81x", "\xC3\xA9x", {0, 2}},
      {"each invalid byte is one code point", "a\xFF\xFE" "b", "a\xEF\xBF\xBD\xEF\xBF\xBD" "b",
       {0, 1, 2, 3}},
      {"Han run after ASCII keeps offsets", "5G基站網絡", "5g基站网络", {0, 1, 2, 3, 4, 5}},
      {"full-width digits inside Han", "２０１８年", "2018年", {0, 1, 2, 3, 4}},
  };
  const Analyzer& analyzer = TheAnalyzer();
  for (const FoldOffsetsCase& c : cases) {
    SCOPED_TRACE(c.reason);
    const FoldedText folded = analyzer.FoldWithOffsets(c.input);
    EXPECT_EQ(folded.text, c.expected_text);
    EXPECT_THAT(folded.source, ElementsAreArray(c.expected_source));
    EXPECT_EQ(static_cast<int>(folded.source.size()), CountCodePoints(folded.text));
  }
}

// Renders tokens as `text` for words and Han characters, `+` marking a Han
// character that forms a bigram with the next one.
std::string DescribeTokens(const std::vector<Token>& tokens) {
  std::vector<std::string> parts;
  for (const Token& token : tokens) {
    parts.push_back(absl::StrCat(token.kind == Token::Kind::kHan ? "" : "w:", token.text,
                                 token.joins_next ? "+" : ""));
  }
  return absl::StrJoin(parts, " ");
}

struct TokenizeCase {
  std::string reason;
  std::string input;  // Folded before tokenising.
  std::string expected;
};

TEST(AnalyzerTest, Tokenize) {
  const std::vector<TokenizeCase> cases = {
      {"alnum word then a Han run", "5G基站", "w:5g 基+ 站"},
      {"Latin letters glued to Han", "QQ群", "w:qq 群"},
      {"spaces separate words and runs", "iPhone 手机壳 case", "w:iphone 手+ 机+ 壳 w:case"},
      {"pinyin gloss is a word, parentheses separate", "烏鎮(zhèn)", "乌+ 镇 w:zhèn"},
      {"punctuation only yields no token", "，。！？……——《》「」", ""},
      {"connectors inside words are kept", "covid-19 1.5 a_b", "w:covid-19 w:1.5 w:a_b"},
      {"connectors at word edges separate", "end. -x y-", "w:end w:x w:y"},
      {"connector before Han is not kept", "5g-基站", "w:5g 基+ 站"},
      {"a space breaks the Han run", "网 络", "网 络"},
      {"punctuation breaks the Han run", "互联网，新闻", "互+ 联+ 网 新+ 闻"},
      {"digits between Han characters", "2018年4月23日", "w:2018 年 w:4 月 w:23 日"},
      {"katakana with prolonged sound mark is CJK", "コーヒー", "コ+ ー+ ヒ+ ー"},
      {"Hangul is CJK", "한국어", "한+ 국+ 어"},
      {"Cyrillic is a word", "Москва", "w:москва"},
      {"replacement character separates", "a\xFF" "b", "w:a w:b"},
      {"empty text", "", ""},
  };
  const Analyzer& analyzer = TheAnalyzer();
  for (const TokenizeCase& c : cases) {
    SCOPED_TRACE(c.reason);
    const std::vector<Token> tokens = analyzer.Tokenize(analyzer.Fold(c.input));
    EXPECT_EQ(DescribeTokens(tokens), c.expected);
    for (size_t i = 0; i < tokens.size(); ++i) {
      EXPECT_EQ(tokens[i].position, i) << "positions are consecutive";
    }
  }
}

TEST(AnalyzerTest, TokenOffsetsAreCodePointsOfFoldedText) {
  const std::vector<Token> tokens = TheAnalyzer().Tokenize("ab 网络-x");
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[0].begin, 0);
  EXPECT_EQ(tokens[0].end, 2);
  EXPECT_EQ(tokens[1].begin, 3);
  EXPECT_EQ(tokens[1].end, 4);
  EXPECT_EQ(tokens[2].begin, 4);
  EXPECT_EQ(tokens[2].end, 5);
  EXPECT_EQ(tokens[3].begin, 6);
  EXPECT_EQ(tokens[3].end, 7);
}

// Renders a document's terms as `term/wdf@p1,p2` in term order.
std::string DescribeDocument(const Xapian::Document& doc) {
  std::vector<std::string> parts;
  for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
    std::string part = absl::StrCat(*it, "/", it.get_wdf());
    std::vector<std::string> positions;
    for (auto p = it.positionlist_begin(); p != it.positionlist_end(); ++p) {
      positions.push_back(absl::StrCat(*p));
    }
    if (!positions.empty()) absl::StrAppend(&part, "@", absl::StrJoin(positions, ","));
    parts.push_back(part);
  }
  return absl::StrJoin(parts, " ");
}

struct IndexTextCase {
  std::string reason;
  std::string text;
  std::string prefix;
  uint32_t wdf_inc;
  bool with_positions;
  uint32_t start_position;
  std::string expected_terms;
  uint32_t expected_next_position;
};

TEST(AnalyzerTest, IndexText) {
  const std::string long_word(250, 'x');
  const std::vector<IndexTextCase> cases = {
      {"unigrams at the character's position, bigrams without positions, words once",
       "網絡 5G", "S", 1, true, 10, "S5g/1@12 S络/1@11 S网/1@10 S网络/1", 113},
      {"unprefixed with a higher wdf", "新闻", "", 3, true, 0, "新/3@0 新闻/3 闻/3@1", 102},
      {"without positions wdf accumulates", "abc ABC", "XS", 2, false, 0, "XSabc/4", 102},
      {"repeated characters repeat positions", "网网网", "", 1, true, 1,
       "网/3@1,2,3 网网/2", 104},
      {"punctuation only adds nothing and keeps the position", "，。!?", "A", 1, true, 7, "", 7},
      {"terms longer than 200 bytes are skipped, position still taken",
       long_word + " ok", "", 1, true, 0, "ok/1@1", 102},
  };
  const Analyzer& analyzer = TheAnalyzer();
  for (const IndexTextCase& c : cases) {
    SCOPED_TRACE(c.reason);
    Xapian::Document doc;
    uint32_t next_position = c.start_position;
    analyzer.IndexText(c.text, c.prefix, c.wdf_inc, c.with_positions, &next_position, &doc);
    EXPECT_EQ(DescribeDocument(doc), c.expected_terms);
    EXPECT_EQ(next_position, c.expected_next_position);
  }
}

struct QueryCase {
  std::string reason;
  std::string atom;
  std::string prefix;
  bool phrase;
  std::string expected;
};

TEST(AnalyzerTest, QueryForAtom) {
  const std::vector<QueryCase> cases = {
      {"one Han character is its unigram", "网", "", false, "Query(网)"},
      {"two Han characters are their bigram", "網絡", "", false, "Query(网络)"},
      {"longer runs are the AND of their bigrams", "互联网", "", false,
       "Query((互联 AND 联网))"},
      {"words and runs are ANDed", "5G基站", "", false, "Query((5g AND 基站))"},
      {"prefix applies to every term", "ＣＯＯ 网", "S", false, "Query((Scoo AND S网))"},
      {"punctuation only is the empty query", "，。", "", false, "Query()"},
      {"phrase: the AND of one term per position, filtered by the unigrams' phrase",
       "互联网", "", true, "Query(((互联 AND 联网 AND 网) FILTER (互 PHRASE 3 联 PHRASE 3 网)))"},
      {"phrase over words and Han", "5G 基站", "", true,
       "Query(((5g AND 基站 AND 站) FILTER (5g PHRASE 3 基 PHRASE 3 站)))"},
      {"a single-term phrase is the term", "QQ", "A", true, "Query(Aqq)"},
      {"empty phrase is the empty query", "", "", true, "Query()"},
  };
  const Analyzer& analyzer = TheAnalyzer();
  for (const QueryCase& c : cases) {
    SCOPED_TRACE(c.reason);
    EXPECT_EQ(analyzer.QueryForAtom(c.atom, c.prefix, c.phrase).get_description(), c.expected);
  }
}

// Lists every posting of `doc` as "term@position×wdf" lines.
std::string Postings(const Xapian::Document& doc) {
  std::string out;
  for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
    out += *t + " wdf=" + std::to_string(t.get_wdf());
    for (auto p = t.positionlist_begin(); p != t.positionlist_end(); ++p) {
      out += " @" + std::to_string(*p);
    }
    out += "\n";
  }
  return out;
}

TEST(AnalyzerIndexTextTest, SeveralPrefixesPostWhatSeparateCallsWould) {
  for (const Segmentation segmentation :
       {Segmentation::kBigrams, Segmentation::kWords, Segmentation::kWordsPlusBigrams}) {
    const Analyzer& analyzer = AnalyzerFor(segmentation);
    const std::string text = "烏鎮互联网大会 5G";
    Xapian::Document separate;
    uint32_t prefixed_position = 7;
    uint32_t separate_position = 7;
    analyzer.IndexText(text, "S", 1, true, &prefixed_position, &separate);
    analyzer.IndexText(text, "", 8, true, &separate_position, &separate);
    Xapian::Document together;
    uint32_t together_position = 7;
    analyzer.IndexText(text, {{"S", 1}, {"", 8}}, true, &together_position, &together);
    EXPECT_EQ(Postings(together), Postings(separate)) << SegmentationName(segmentation);
    EXPECT_EQ(together_position, separate_position);
    EXPECT_EQ(together_position, prefixed_position);
  }
}

class AnalyzerSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = Xapian::WritableDatabase(std::string(), Xapian::DB_BACKEND_INMEMORY);
    for (const char* text :
         {"網絡安全", "网络公司", "互联网", "互联 网", "联网互", "网 络", "無關的文章"}) {
      Xapian::Document doc;
      uint32_t position = 1;
      TheAnalyzer().IndexText(text, "", 1, true, &position, &doc);
      doc.set_data(text);
      db_.add_document(doc);
    }
    db_.commit();
  }

  std::set<std::string> Search(const std::string& atom, bool phrase) {
    Xapian::Enquire enquire(db_);
    enquire.set_query(TheAnalyzer().QueryForAtom(atom, "", phrase));
    std::set<std::string> found;
    const Xapian::MSet mset = enquire.get_mset(0, 100);
    for (auto it = mset.begin(); it != mset.end(); ++it) found.insert(it.get_document().get_data());
    return found;
  }

  Xapian::WritableDatabase db_;
};

TEST_F(AnalyzerSearchTest, SimplifiedQueryFindsTraditionalText) {
  EXPECT_EQ(Search("网络", false), (std::set<std::string>{"網絡安全", "网络公司"}));
}

TEST_F(AnalyzerSearchTest, TraditionalQueryFindsSimplifiedText) {
  EXPECT_EQ(Search("網絡", false), (std::set<std::string>{"網絡安全", "网络公司"}));
}

TEST_F(AnalyzerSearchTest, PhraseMatchesOnlyTheExactSequence) {
  EXPECT_EQ(Search("互联网", true), (std::set<std::string>{"互联网"}));
  EXPECT_EQ(Search("互联网", false), (std::set<std::string>{"互联网"}));
}

TEST_F(AnalyzerSearchTest, PhraseNeedsTheCharactersAdjacentAndInOrder) {
  // Positions are on the unigrams; `互联 网` has 联 and 网 adjacent but no
  // bigram 联网, `联网互` has it in another order than `互联网`.
  EXPECT_EQ(Search("联网", true), (std::set<std::string>{"互联网", "联网互"}));
  EXPECT_EQ(Search("网互", true), (std::set<std::string>{"联网互"}));
  EXPECT_EQ(Search("联网互", true), (std::set<std::string>{"联网互"}));
}

TEST_F(AnalyzerSearchTest, PhraseDoesNotMatchAcrossSeparatedCharacters) {
  EXPECT_EQ(Search("网络", true), (std::set<std::string>{"網絡安全", "网络公司"}));
  EXPECT_EQ(Search("网", false).count("网 络"), 1u);
}

}  // namespace
}  // namespace newsearch::analysis

namespace newsearch::analysis {
namespace {

TEST(SegmentationTest, NamesRoundTrip) {
  for (Segmentation s :
       {Segmentation::kBigrams, Segmentation::kWords, Segmentation::kWordsPlusBigrams}) {
    auto parsed = ParseSegmentation(SegmentationName(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(SegmentationName(Segmentation::kWordsPlusBigrams), "words+bigrams");
}

TEST(SegmentationTest, UnknownNameListsTheValidOnes) {
  auto parsed = ParseSegmentation("icu");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              ::testing::AllOf(::testing::HasSubstr("`icu`"), ::testing::HasSubstr("words+bigrams")));
}

TEST(SegmentationTest, MissingDictionaryIsFailedPreconditionNamingIt) {
  AnalyzerOptions options;
  options.segmentation = Segmentation::kWords;
  options.dictionary_path = "/nonexistent/dict.txt";
  auto analyzer = Analyzer::Create(options);
  ASSERT_FALSE(analyzer.ok());
  EXPECT_EQ(analyzer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(analyzer.status().message()),
              ::testing::HasSubstr("/nonexistent/dict.txt"));
  // Boundary evidence needs it for the bigrams variant too; without
  // evidence the bigrams variant never reads the dictionary.
  options.segmentation = Segmentation::kBigrams;
  EXPECT_EQ(Analyzer::Create(options).status().code(), absl::StatusCode::kFailedPrecondition);
  options.boundary_evidence = false;
  EXPECT_TRUE(Analyzer::Create(options).ok());
}

TEST(SegmentationTest, SignatureNamesVariantAndFolding) {
  EXPECT_EQ(AnalyzerFor(Segmentation::kWordsPlusBigrams).Signature(),
            "words+bigrams fold=s2t+tw2sp positions=unigrams boundaries=jieba");
  EXPECT_EQ(AnalyzerFor(Segmentation::kBigrams).Signature(),
            "bigrams fold=s2t+tw2sp positions=unigrams boundaries=jieba");
  EXPECT_EQ(TheAnalyzer().Signature(), "bigrams fold=s2t+tw2sp positions=unigrams");
  EXPECT_EQ(AnalyzerFor(Segmentation::kWords).Signature(), "words fold=s2t+tw2sp");
}

TEST(SegmentationTest, DictionaryKeepsNewsVocabularyWhole) {
  const Analyzer& analyzer = AnalyzerFor(Segmentation::kWords);
  // ICU 72's dictionary breaks these into pieces; jieba's keeps them.
  EXPECT_THAT(analyzer.SegmentWords("互联网党建"), ElementsAreArray({"互联网", "党建"}));
  EXPECT_THAT(analyzer.SegmentWords("腾讯在乌镇"), ElementsAreArray({"腾讯", "在", "乌镇"}));
  // Not in the dictionary: cut into what is (there is no unknown-word model).
  EXPECT_THAT(analyzer.SegmentWords("苏宁易购"), ElementsAreArray({"苏宁", "易", "购"}));
  // Traditional text is folded first, then segmented like simplified.
  EXPECT_THAT(analyzer.SegmentWords("網際網路公司"), ElementsAreArray({"互联网", "公司"}));
  // Non-Han words stay whole, runs are segmented on their own.
  EXPECT_THAT(analyzer.SegmentWords("5G基站，QQ群"),
              ElementsAreArray({"5g", "基站", "qq", "群"}));
  // The bigrams variant has one word per character.
  EXPECT_THAT(AnalyzerFor(Segmentation::kBigrams).SegmentWords("乌镇"),
              ElementsAreArray({"乌", "镇"}));
}

TEST(SegmentationTest, WordsCoverEveryTokenInOrder) {
  const Analyzer& analyzer = AnalyzerFor(Segmentation::kWords);
  const std::string text = "中华人民共和国成立于1949年，首都北京。iPhone与华为手机";
  const std::vector<Token> tokens = analyzer.Tokenize(analyzer.Fold(text));
  size_t next = 0;
  for (const auto& [first, last] : analyzer.Words(tokens)) {
    EXPECT_EQ(first, next);
    EXPECT_LT(first, last);
    next = last;
  }
  EXPECT_EQ(next, tokens.size());
}

TEST(SegmentationTest, WordsVariantIndexesWordsAtTheirFirstCharacter) {
  Xapian::Document doc;
  uint32_t position = 1;
  AnalyzerFor(Segmentation::kWords).IndexText("乌镇互联网", "S", 1, true, &position, &doc);
  EXPECT_EQ(DescribeDocument(doc), "S乌镇/1@1 S互联网/1@3");
  EXPECT_EQ(position, 1u + 5 + 100);  // positions still count characters
}

TEST(SegmentationTest, WordsPlusBigramsAddsMarkedWordsWithoutPositions) {
  Xapian::Document doc;
  uint32_t position = 0;
  AnalyzerFor(Segmentation::kWordsPlusBigrams).IndexText("網路在乌镇", "", 2, true, &position, &doc);
  EXPECT_EQ(DescribeDocument(doc),
            "W乌镇/2 W网络/2 乌/2@3 乌镇/2 在/2@2 在乌/2 络/2@1 络在/2 网/2@0 网络/2 镇/2@4");
}

TEST(SegmentationTest, WordsPlusBigramsAddsDictionaryWordsInsideLongerWords) {
  Xapian::Document doc;
  uint32_t position = 0;
  AnalyzerFor(Segmentation::kWordsPlusBigrams).IndexText("互联网企业", "", 1, true, &position, &doc);
  std::set<std::string> terms;
  for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) terms.insert(*it);
  EXPECT_TRUE(terms.count("W互联网"));
  EXPECT_TRUE(terms.count("W企业"));
  EXPECT_TRUE(terms.count("W互联")) << "a dictionary word inside 互联网";
  EXPECT_FALSE(terms.count("W网企")) << "characters across a word boundary are no word";
}

TEST(SegmentationTest, WordWeightScalesOnlyTheWordEvidence) {
  AnalyzerOptions options;
  options.segmentation = Segmentation::kWordsPlusBigrams;
  options.boundary_evidence = false;
  options.word_weight = 0.5;
  auto analyzer = Analyzer::Create(options);
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  EXPECT_EQ((*analyzer)->QueryForAtom("网络", "", false).get_description(),
            "Query((网络 AND_MAYBE 0.5 * W网络))");
  options.word_weight = -1;
  EXPECT_EQ(Analyzer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SegmentationTest, QueryForAtomPerVariant) {
  const Analyzer& words = AnalyzerFor(Segmentation::kWords);
  EXPECT_EQ(words.QueryForAtom("互联网党建", "", false).get_description(),
            "Query((互联网 AND 党建))");
  EXPECT_EQ(words.QueryForAtom("互联网党建", "S", true).get_description(),
            "Query((S互联网 PHRASE 5 S党建))");
  const Analyzer& both = AnalyzerFor(Segmentation::kWordsPlusBigrams);
  EXPECT_EQ(both.QueryForAtom("网络", "", false).get_description(),
            "Query((((网络 AND_NOT B网络) OR 0 * (网络 FILTER B网络)) AND_MAYBE W网络))");
  EXPECT_EQ(both.QueryForAtom("互联网党建", "", true).get_description(),
            "Query((((互联 AND 联网 AND 网党 AND 党建 AND 建) FILTER (互 PHRASE 5 联 PHRASE 5 网 "
            "PHRASE 5 党 PHRASE 5 建)) AND_MAYBE (W互联网 OR W党建)))");
  EXPECT_EQ(both.QueryForAtom("网", "", false).get_description(), "Query(网)");
}

// Builds a small index with one variant and returns what an atom finds.
std::set<std::string> SearchWith(Segmentation segmentation, const std::vector<std::string>& texts,
                                 const std::string& atom, bool phrase) {
  const Analyzer& analyzer = AnalyzerFor(segmentation);
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  for (const std::string& text : texts) {
    Xapian::Document doc;
    uint32_t position = 1;
    analyzer.IndexText(text, "", 1, true, &position, &doc);
    doc.set_data(text);
    db.add_document(doc);
  }
  Xapian::Enquire enquire(db);
  enquire.set_query(analyzer.QueryForAtom(atom, "", phrase));
  std::set<std::string> found;
  const Xapian::MSet mset = enquire.get_mset(0, 100);
  for (auto it = mset.begin(); it != mset.end(); ++it) found.insert(it.get_document().get_data());
  return found;
}

TEST(SegmentationTest, EveryVariantFindsTheOtherScriptAndRegion) {
  const std::vector<std::string> texts = {"網路安全很重要", "软件公司发布新品", "乾隆在位六十年"};
  for (Segmentation s :
       {Segmentation::kBigrams, Segmentation::kWords, Segmentation::kWordsPlusBigrams}) {
    SCOPED_TRACE(std::string(SegmentationName(s)));
    EXPECT_EQ(SearchWith(s, texts, "网络安全", false), std::set<std::string>{"網路安全很重要"});
    EXPECT_EQ(SearchWith(s, texts, "軟體", false), std::set<std::string>{"软件公司发布新品"});
    EXPECT_EQ(SearchWith(s, texts, "乾隆", true), std::set<std::string>{"乾隆在位六十年"});
  }
}

TEST(SegmentationTest, WordsPlusBigramsRanksTheRealWordFirst) {
  // `网络` as a word versus `网` `络` meeting across a word boundary.
  const Analyzer& analyzer = AnalyzerFor(Segmentation::kWordsPlusBigrams);
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  for (const char* text : {"他在渔网络绎不绝的港口", "网络公司今年盈利", "天气晴朗"}) {
    Xapian::Document doc;
    uint32_t position = 1;
    analyzer.IndexText(text, "", 1, true, &position, &doc);
    doc.set_data(text);
    db.add_document(doc);
  }
  Xapian::Enquire enquire(db);
  enquire.set_query(analyzer.QueryForAtom("网络", "", false));
  const Xapian::MSet mset = enquire.get_mset(0, 10);
  ASSERT_EQ(mset.size(), 2u);  // the bigram still matches both (recall)
  EXPECT_EQ(mset.begin().get_document().get_data(), "网络公司今年盈利");
}

TEST(AnalyzerTest, PhraseWeightAddsTheAtomAsPhraseEvidence) {
  AnalyzerOptions options;
  options.boundary_evidence = false;
  options.phrase_weight = 0.5;
  auto analyzer = Analyzer::Create(options);
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  EXPECT_EQ((*analyzer)->QueryForAtom("互联网", "", false).get_description(),
            "Query(((互联 AND 联网) AND_MAYBE 0.5 * ((互联 AND 联网 AND 网) FILTER (互 PHRASE 3 联 "
            "PHRASE 3 网))))");
  // One term, or an atom that is a phrase already: nothing to add.
  EXPECT_EQ((*analyzer)->QueryForAtom("网络", "", false).get_description(), "Query(网络)");
  EXPECT_EQ((*analyzer)->QueryForAtom("互联网", "", true).get_description(),
            "Query(((互联 AND 联网 AND 网) FILTER (互 PHRASE 3 联 PHRASE 3 网)))");
  options.phrase_weight = -1;
  EXPECT_EQ(Analyzer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AnalyzerTest, PhraseWeightRanksTheAdjacentRunFirst) {
  // The short article has `互联` and `联网` apart; the longer one has `互联网`.
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  AnalyzerOptions options;
  options.phrase_weight = 0;
  auto without = Analyzer::Create(options);
  ASSERT_TRUE(without.ok()) << without.status();
  const Analyzer& plain = **without;
  for (const char* text : {"互联互通的物联网", "今年国内的互联网公司在增长，市场继续扩大"}) {
    Xapian::Document doc;
    uint32_t position = 1;
    plain.IndexText(text, "", 1, true, &position, &doc);
    doc.set_data(text);
    db.add_document(doc);
  }
  options.phrase_weight = 1.0;
  auto boosted = Analyzer::Create(options);
  ASSERT_TRUE(boosted.ok()) << boosted.status();
  const auto first = [&](const Analyzer& analyzer) {
    Xapian::Enquire enquire(db);
    enquire.set_query(analyzer.QueryForAtom("互联网", "", false));
    const Xapian::MSet mset = enquire.get_mset(0, 10);
    EXPECT_EQ(mset.size(), 2u);  // both still match (recall unchanged)
    return mset.empty() ? std::string() : mset.begin().get_document().get_data();
  };
  EXPECT_EQ(first(plain), "互联互通的物联网");
  EXPECT_EQ(first(**boosted), "今年国内的互联网公司在增长，市场继续扩大");
}

// Boundary evidence: a bigram whose characters fall in two dictionary words.

std::vector<std::string> StraddlingBigrams(const Analyzer& analyzer, const std::string& text) {
  const std::vector<Token> tokens = analyzer.Tokenize(analyzer.Fold(text));
  const std::vector<bool> straddles = analyzer.Straddles(tokens);
  std::vector<std::string> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (straddles[i]) out.push_back(tokens[i].text + tokens[i + 1].text);
  }
  return out;
}

std::set<std::string> Terms(const Xapian::Document& doc) {
  std::set<std::string> terms;
  for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) terms.insert(*t);
  return terms;
}

TEST(BoundaryEvidenceTest, StraddlesAreBigramsAcrossTwoWords) {
  const Analyzer& analyzer = AnalyzerFor(Segmentation::kBigrams);
  // 北京|剧院|上演|话剧: 京剧 and 院上 and 演话 cross a boundary.
  EXPECT_THAT(StraddlingBigrams(analyzer, "北京剧院上演话剧"),
              ElementsAreArray({"京剧", "院上", "演话"}));
  // 管理|和|服务: a single character beside a longer word still counts.
  EXPECT_THAT(StraddlingBigrams(analyzer, "管理和服务"), ElementsAreArray({"理和", "和服"}));
  // 王|伟|法官: two single characters (a name the dictionary lacks) are no
  // evidence either way.
  EXPECT_THAT(StraddlingBigrams(analyzer, "王伟法官"), ElementsAreArray({"伟法"}));
  // Traditional text is folded before it is segmented; punctuation ends a run.
  EXPECT_THAT(StraddlingBigrams(analyzer, "北京劇院，京劇"), ElementsAreArray({"京剧"}));
  EXPECT_TRUE(StraddlingBigrams(TheAnalyzer(), "北京剧院").empty()) << "evidence off";
}

TEST(BoundaryEvidenceTest, MarksOnlyBigramsThatNeverOccurAsAWordPart) {
  const Analyzer& analyzer = AnalyzerFor(Segmentation::kBigrams);
  Xapian::Document doc;
  uint32_t position = 0;
  analyzer.IndexText("北京剧院上演话剧", "S", 1, true, &position, &doc);
  EXPECT_TRUE(Terms(doc).count("SB京剧"));
  EXPECT_FALSE(Terms(doc).count("SB北京"));
  // 院上 straddles too but is no dictionary word: no query word to check.
  EXPECT_FALSE(Terms(doc).count("SB院上"));
  // Markers are boolean: they add nothing to the document length.
  EXPECT_EQ(doc.termlist_count(), Terms(doc).size());
  Xapian::Document both;
  analyzer.IndexText("北京剧院的京剧演出", "", 1, true, &position, &both);
  EXPECT_FALSE(Terms(both).count("B京剧")) << "one occurrence is the word 京剧";
  // Across calls, a record keeps the evidence of every field.
  Xapian::Document fields;
  DeferredTerms record;
  analyzer.IndexText("京剧", "", 8, true, &position, &fields, &record);
  analyzer.IndexText("北京剧院上海南站", "", 1, true, &position, &fields, &record);
  record.AddTo(&fields);
  EXPECT_FALSE(Terms(fields).count("B京剧")) << "a word in the first field";
  EXPECT_TRUE(Terms(fields).count("B海南"));
}

TEST(BoundaryEvidenceTest, QueryChecksTheBigramsThatAreWordsInTheQuery) {
  const Analyzer& analyzer = AnalyzerFor(Segmentation::kBigrams);
  EXPECT_EQ(analyzer.QueryForAtom("京剧", "", false).get_description(),
            "Query(((京剧 AND_NOT B京剧) OR 0 * (京剧 FILTER B京剧)))");
  // 北京|剧院 in the query too: 京剧 is not checked, the words are.
  EXPECT_EQ(analyzer.QueryForAtom("北京剧院", "S", false).get_description(),
            "Query((((S北京 AND S京剧 AND S剧院) AND_NOT (SB北京 OR SB剧院)) OR 0 * ((S北京 AND "
            "S京剧 AND S剧院) FILTER (SB北京 OR SB剧院))))");
  // Quoted phrases are exact strings: no check.
  EXPECT_EQ(analyzer.QueryForAtom("京剧", "", true).get_description(),
            "Query(((京剧 AND 剧) FILTER (京 PHRASE 2 剧)))");
}

TEST(BoundaryEvidenceTest, StraddlingMatchesRankBelowTrueOnesOrGo) {
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  // The straddling one has the characters three times, the true one once.
  for (const char* text : {"北京剧院上演话剧，北京剧院满座，北京剧院加演", "今晚有京剧演出，票已售完"}) {
    Xapian::Document doc;
    uint32_t position = 0;
    AnalyzerFor(Segmentation::kBigrams).IndexText(text, "", 1, true, &position, &doc);
    doc.set_data(text);
    db.add_document(doc);
  }
  db.commit();
  auto ranked = [&](const Analyzer& analyzer) {
    Xapian::Enquire enquire(db);
    enquire.set_query(analyzer.QueryForAtom("京剧", "", false));
    std::vector<std::string> out;
    const Xapian::MSet mset = enquire.get_mset(0, 10);
    for (auto it = mset.begin(); it != mset.end(); ++it) out.push_back(it.get_document().get_data());
    return out;
  };
  EXPECT_THAT(ranked(AnalyzerFor(Segmentation::kBigrams)),
              ElementsAreArray({"今晚有京剧演出，票已售完", "北京剧院上演话剧，北京剧院满座，北京剧院加演"}));
  AnalyzerOptions options;
  options.drop_straddling = true;
  auto strict = Analyzer::Create(options);
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_THAT(ranked(**strict), ElementsAreArray({"今晚有京剧演出，票已售完"}));
  options.straddle_weight = -1;
  EXPECT_EQ(Analyzer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

// Without positions (the default index), a bigram that is no dictionary
// word and is cut by a word boundary wherever it occurs is left out.
std::unique_ptr<Analyzer> WithoutPositions(bool skip_cut_bigrams) {
  AnalyzerOptions options;
  options.positions = false;
  options.skip_cut_bigrams = skip_cut_bigrams;
  auto created = Analyzer::Create(options);
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? *std::move(created) : nullptr;
}

// The document `fields` index as, unprefixed, one after the other.
Xapian::Document IndexedDocument(const Analyzer& analyzer, const std::vector<std::string>& fields) {
  Xapian::Document doc;
  DeferredTerms record;
  uint32_t position = 0;
  for (const std::string& field : fields) {
    analyzer.IndexText(field, {{"", 1}}, /*with_positions=*/false, &position, &doc, &record);
  }
  record.AddTo(&doc);
  return doc;
}

std::string IndexedTerms(const Analyzer& analyzer, const std::vector<std::string>& fields) {
  return DescribeDocument(IndexedDocument(analyzer, fields));
}

TEST(CutBigramsTest, LeftOutWhereCutAndKeptWhereWhole) {
  const auto skip = WithoutPositions(true);
  const auto keep = WithoutPositions(false);
  ASSERT_NE(skip, nullptr);
  ASSERT_NE(keep, nullptr);
  // 互联网|企业: 网企 is cut and no word, so 网 stands alone instead.
  EXPECT_EQ(IndexedTerms(*skip, {"互联网企业"}), "业/1 互联/1 企业/1 网/1 联网/1");
  EXPECT_EQ(IndexedTerms(*keep, {"互联网企业"}), "业/1 互联/1 企业/1 网企/1 联网/1");
  // Whole once (two single characters are no boundary), in another field:
  // the bigram keeps every occurrence.
  EXPECT_EQ(IndexedTerms(*skip, {"网企", "互联网企业"}), "业/1 互联/1 企业/1 网企/2 联网/1");
  // Next to a single-character word it is kept (企业|重|业务): a query
  // that starts inside 企业 (`业重业务`) needs 业重.
  EXPECT_THAT(IndexedTerms(*skip, {"企业重业务"}),
              ::testing::AllOf(::testing::HasSubstr("业重/1"), ::testing::HasSubstr("重业/1")));
  // A bigram that is a dictionary word is never left out, cut or not: the
  // straddle marker says where it was cut (`北京|剧院`).
  EXPECT_THAT(IndexedTerms(*skip, {"北京剧院"}), ::testing::HasSubstr("京剧/1"));
  EXPECT_THAT(IndexedTerms(*skip, {"北京剧院"}), ::testing::HasSubstr("B京剧"));
}

TEST(CutBigramsTest, QueriesTakeABigramThatMayBeCutOrItsFirstCharacter) {
  const auto skip = WithoutPositions(true);
  const auto keep = WithoutPositions(false);
  ASSERT_NE(skip, nullptr);
  ASSERT_NE(keep, nullptr);
  const auto terms = [](const Xapian::Query& query) {
    return std::set<std::string>(query.get_unique_terms_begin(), query.get_unique_terms_end());
  };
  // 网企 is no word. The atom cuts it itself (互联网|企业), so it is left
  // out where other terms remain.
  for (const bool phrase : {false, true}) {
    EXPECT_THAT(terms(skip->QueryForAtom("互联网企业", "", phrase)),
                ::testing::AllOf(::testing::IsSupersetOf({"互联", "联网", "企业"}),
                                 ::testing::Not(::testing::Contains("网企"))));
    EXPECT_THAT(terms(keep->QueryForAtom("互联网企业", "", phrase)), ::testing::Contains("网企"));
  }
  // Where the atom does not cut it (two characters alone are no boundary),
  // a document holds it or, where it is cut, 网.
  EXPECT_THAT(terms(skip->QueryForAtom("网企", "", false)),
              ::testing::UnorderedElementsAre("网企", "网"));
  EXPECT_THAT(terms(keep->QueryForAtom("网企", "", false)), ::testing::ElementsAre("网企"));
  // 企业 is a word, indexed wherever it occurs: no unigram stands in.
  EXPECT_THAT(terms(skip->QueryForAtom("企业", "", false)),
              ::testing::AllOf(::testing::Contains("企业"), ::testing::Not(::testing::Contains("企"))));
  // The stand-in only matches: an article holding the bigram whole ranks
  // first.
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  for (const char* text : {"网企", "互联网企业"}) {
    Xapian::Document doc = IndexedDocument(*skip, {text});
    doc.set_data(text);
    db.add_document(doc);
  }
  Xapian::Enquire enquire(db);
  enquire.set_query(skip->QueryForAtom("网企", "", false));
  const Xapian::MSet mset = enquire.get_mset(0, 10);
  ASSERT_EQ(mset.size(), 2u);
  EXPECT_EQ(mset.begin().get_document().get_data(), "网企");
  EXPECT_GT(mset.begin().get_weight(), 0);
  EXPECT_EQ((++mset.begin()).get_weight(), 0);
}

// A query is segmented without the text around it, so it may join what an
// article cuts: in `企业重业务轻` the article cuts 企业|重|业务, where
// `业重业务` alone is 业|重|业务 (two single characters are no boundary). Every document that contains an atom, anywhere,
// must match the atom's query, quoted or not, whatever either segmentation
// made of it.
TEST(CutBigramsTest, EveryDocumentHoldingAnAtomMatchesItsQuery) {
  const auto skip = WithoutPositions(true);
  ASSERT_NE(skip, nullptr);
  const std::vector<std::string> texts = {
      "才刚刚起步，互联网企业重业务轻党建的现象依然存在",
      "2017年，苏波盖村引进了蒙农兴农业科技服务公司",
      "中华人民共和国国务院新闻办公室今天举行发布会",
      "網際網路企業重業務輕黨建的現象依然存在",
      "台风山竹在广东台山沿海登陆后强度减弱",
  };
  size_t checked = 0;
  for (const std::string& text : texts) {
    Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
    db.add_document(IndexedDocument(*skip, {text}));
    // Every run of 2 to 8 Han characters of the text as it is indexed
    // (folded: OpenCC turns the traditional `網際網路` into `互联网`, so a
    // part of it, `網際`, is not in the index).
    const std::vector<Token> tokens = skip->Tokenize(skip->Fold(text));
    for (size_t begin = 0; begin < tokens.size(); ++begin) {
      std::string atom;
      for (size_t end = begin; end < tokens.size() && end < begin + 8; ++end) {
        if (tokens[end].kind != Token::Kind::kHan || (end > begin && !tokens[end - 1].joins_next)) {
          break;
        }
        atom += tokens[end].text;
        if (end == begin) continue;
        for (const bool phrase : {false, true}) {
          Xapian::Enquire enquire(db);
          enquire.set_query(skip->QueryForAtom(atom, "", phrase));
          EXPECT_EQ(enquire.get_mset(0, 1).size(), 1u)
              << "`" << atom << "`" << (phrase ? " quoted" : "") << " misses `" << text << "`";
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 300u);
}

// Without positions a run's last character gets its unigram only when no
// other term of the document starts with it: a query for the character
// alone matches every term it starts.
TEST(RunEndUnigramsTest, LeftOutWhereAnotherTermStartsWithTheCharacter) {
  const auto analyzer = WithoutPositions(false);
  ASSERT_NE(analyzer, nullptr);
  // 中国 ends a run, and 国家 starts with 国; nothing starts with 家.
  EXPECT_EQ(IndexedTerms(*analyzer, {"中国。国家"}), "中国/1 国家/1 家/1");
  // The same across the fields of one document.
  EXPECT_EQ(IndexedTerms(*analyzer, {"中国", "国家"}), "中国/1 国家/1 家/1");
  // A pair term starts with the character too (国 before 2018).
  EXPECT_EQ(IndexedTerms(*analyzer, {"中国。国2018"}), "2018/1 中国/1 国\x1f" "2018/1");
  // Alone in a document, every occurrence counts.
  EXPECT_EQ(IndexedTerms(*analyzer, {"中国。美国，国"}), "中国/1 国/3 美国/1");
  // Other prefixes are other terms: `S国` needs its own unigram.
  Xapian::Document doc;
  DeferredTerms record;
  analyzer->IndexText("中国", {{"S", 1}}, false, nullptr, &doc, &record);
  analyzer->IndexText("国家", {{"", 1}}, false, nullptr, &doc, &record);
  record.AddTo(&doc);
  EXPECT_EQ(DescribeDocument(doc), "S中国/1 S国/1 国家/1 家/1");
}

// Whatever unigrams are left out, every character of a document finds it
// alone, and so does every run of characters, quoted or not.
TEST(RunEndUnigramsTest, EveryCharacterAndRunOfADocumentFindsIt) {
  for (const bool skip_cut_bigrams : {false, true}) {
    const auto analyzer = WithoutPositions(skip_cut_bigrams);
    ASSERT_NE(analyzer, nullptr);
    const std::vector<std::vector<std::string>> documents = {
        {"中国。国家统计局：美国", "国"},
        {"2018年，年度报告说5G手机年", "报告年年有"},
        {"互联网企业重业务轻党建。企", "業務"},
    };
    size_t checked = 0;
    for (const std::vector<std::string>& fields : documents) {
      Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
      db.add_document(IndexedDocument(*analyzer, fields));
      for (const std::string& field : fields) {
        const std::vector<Token> tokens = analyzer->Tokenize(analyzer->Fold(field));
        for (size_t begin = 0; begin < tokens.size(); ++begin) {
          std::string atom;
          for (size_t end = begin; end < tokens.size() && end < begin + 4; ++end) {
            if (end > begin && (tokens[end].kind != Token::Kind::kHan ||
                                tokens[begin].kind != Token::Kind::kHan ||
                                !tokens[end - 1].joins_next)) {
              break;
            }
            atom += tokens[end].text;
            for (const bool phrase : {false, true}) {
              Xapian::Enquire enquire(db);
              enquire.set_query(analyzer->QueryForAtom(atom, "", phrase));
              EXPECT_EQ(enquire.get_mset(0, 1).size(), 1u)
                  << "`" << atom << "`" << (phrase ? " quoted" : "") << " misses `"
                  << absl::StrJoin(fields, " | ") << "`";
              ++checked;
            }
          }
        }
      }
    }
    EXPECT_GT(checked, 100u);
  }
}

TEST(CutBigramsTest, OnlyWithoutPositionsAndWithBoundaryEvidence) {
  const auto skip = WithoutPositions(true);
  ASSERT_NE(skip, nullptr);
  EXPECT_THAT(skip->Signature(), ::testing::EndsWith(kCutBigramsSignature));
  EXPECT_THAT(WithoutPositions(false)->Signature(),
              ::testing::Not(::testing::HasSubstr(kCutBigramsSignature)));
  // With positions the bigrams are what tells OP_PHRASE that `数字，经济` is
  // not `数字经济`: all are indexed.
  EXPECT_THAT(AnalyzerFor(Segmentation::kBigrams).Signature(),
              ::testing::Not(::testing::HasSubstr(kCutBigramsSignature)));
  AnalyzerOptions no_boundaries;
  no_boundaries.positions = false;
  no_boundaries.boundary_evidence = false;
  auto plain = Analyzer::Create(no_boundaries);
  ASSERT_TRUE(plain.ok());
  EXPECT_THAT((*plain)->Signature(), ::testing::Not(::testing::HasSubstr(kCutBigramsSignature)));
}

}  // namespace
}  // namespace newsearch::analysis
