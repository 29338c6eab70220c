// The folding value of an index without positions (folding_patch.h): the
// patch format byte for byte, its reading letter by letter, what
// BuildDocument keeps for which article, and that bad values are refused.
#include "search-service/schema/folding_patch.h"

#include <string>
#include <vector>

#include <unicode/utf8.h>
#include <xapian.h>

#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/schema/schema.h"

namespace newsearch::search::schema {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const analysis::Analyzer& NoPositions() {
  static const analysis::Analyzer* analyzer = [] {
    analysis::AnalyzerOptions options;
    options.positions = false;
    auto created = analysis::Analyzer::Create(options);
    if (!created.ok()) {
      ADD_FAILURE() << created.status();
      std::abort();
    }
    return created->release();
  }();
  return *analyzer;
}

// The texts of `article` as BuildDocument's indexing folds them.
v1::Article Folded(const v1::Article& article) {
  v1::Article folded;
  folded.set_title(NoPositions().Fold(article.title()));
  folded.set_subtitle(NoPositions().Fold(article.subtitle()));
  folded.set_body(NoPositions().Fold(article.body()));
  folded.set_source(NoPositions().Fold(article.source()));
  for (const std::string& author : article.authors()) {
    folded.add_authors(NoPositions().Fold(author));
  }
  return folded;
}

v1::Article Article(const std::string& title, const std::string& body,
                    const std::string& source = "", std::vector<std::string> authors = {}) {
  v1::Article article;
  article.set_id("a");
  article.set_title(title);
  article.set_body(body);
  article.set_source(source);
  for (std::string& author : authors) article.add_authors(std::move(author));
  return article;
}

// `text` read through `letters` as a phrase check reads it, the fold left
// out (each code point as it is, patched letters substituted).
std::u32string Patched(absl::string_view text, LetterPatch letters) {
  std::u32string out;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);
    const auto emit = [&out](char32_t f) {
      out.push_back(f);
      return false;
    };
    letters.Apply(c, static_cast<char32_t>(c), emit);
  }
  return out;
}

TEST(FoldingPatchTest, FormatByteForByte) {
  // One letter read as another: 著 (U+8457) << 1 is varint AE 91 04.
  EXPECT_EQ(EncodeFoldingPatch({{{0, 1, U"著"}}}), std::string("\x00\x04\x00\xAE\x91\x04", 6));
  // Indices are delta-coded (the first from 0, the next after the previous
  // span), texts without a span keep an empty section, trailing ones none.
  EXPECT_EQ(EncodeFoldingPatch({{}, {{3, 1, U"a"}, {4, 1, U"b"}, {200, 1, U"c"}}, {}, {}}),
            std::string("\x00\x00\x0A\x03\xC2\x01\x00\xC4\x01\xC3\x01\xC6\x01", 13));
  // Longer spans: count << 1 | 1, the letters replaced, the code points
  // (three for four letters; then two letters read as none).
  EXPECT_EQ(EncodeFoldingPatch({{{1, 4, U"\u00e9\u00e8\u00ea"}, {6, 2, U""}}}),
            std::string("\x00\x0C\x01\x07\x04\xE9\x01\xE8\x01\xEA\x01\x01\x01\x02", 14));
}

TEST(FoldingPatchTest, ReadsBackEveryText) {
  const std::vector<std::vector<PatchedSpan>> texts = {
      {{0, 1, U"著"}, {2, 4, U"互联网"}, {6, 1, U"件"}, {9, 2, U""}},
      {},
      {{70000, 1, U"\U0010FFFF"}, {70001, 1, U"甲乙丙"}}};
  const std::string value = EncodeFoldingPatch(texts);
  ASSERT_TRUE(FoldingPatch::IsPatch(value));
  FoldingPatch patch;
  ASSERT_TRUE(patch.Parse(value));
  EXPECT_EQ(patch.Spans(), texts);
  EXPECT_TRUE(patch.Text(0).pending());
  EXPECT_FALSE(patch.Text(1).pending());
  EXPECT_TRUE(patch.Text(2).pending());
  EXPECT_FALSE(patch.Text(3).pending()) << "past the last section";
}

TEST(FoldingPatchTest, AlignsLettersIntoShortSpans) {
  std::vector<PatchedSpan> spans;
  ASSERT_TRUE(AlignLetters(U"着名学者使用软体", U"著名学者使用软件", &spans));
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{0, 1, U"著"}, PatchedSpan{7, 1, U"件"}));
  ASSERT_TRUE(AlignLetters(U"着着", U"著著", &spans));
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{0, 1, U"著"}, PatchedSpan{1, 1, U"著"}));
  ASSERT_TRUE(AlignLetters(U"着名的网际网路", U"著名的互联网", &spans));
  // The shortest script: 互联 added before 网, 际网路 dropped.
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{0, 1, U"著"}, PatchedSpan{3, 1, U"互联网"},
                                 PatchedSpan{4, 3, U""}));
  ASSERT_TRUE(AlignLetters(U"甲乙丙丁戊", U"甲丁戊", &spans));
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{1, 2, U""}));
  ASSERT_TRUE(AlignLetters(U"甲乙丙丁", U"甲戊己丁", &spans));
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{1, 1, U"戊"}, PatchedSpan{2, 1, U"己"}));
  ASSERT_TRUE(AlignLetters(U"甲乙丙丁", U"甲戊己庚丁", &spans));
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{1, 2, U"戊己庚"}));
  // Letters read where there were none hang on a letter next to them.
  ASSERT_TRUE(AlignLetters(U"乙丙", U"甲乙丙", &spans));
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{0, 1, U"甲乙"}));
  ASSERT_TRUE(AlignLetters(U"甲乙", U"甲乙丙", &spans));
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{1, 1, U"乙丙"}));
  ASSERT_TRUE(AlignLetters(U"甲乙", U"丁乙丙", &spans));
  EXPECT_THAT(spans, ElementsAre(PatchedSpan{0, 1, U"丁"}, PatchedSpan{1, 1, U"乙丙"}));
  EXPECT_FALSE(AlignLetters(U"", U"甲", &spans)) << "no letter to hang it on";
  EXPECT_FALSE(AlignLetters(std::u32string(300, U'甲'), std::u32string(301, U'乙'), &spans))
      << "too far apart";
}

TEST(FoldingPatchTest, SubstitutesAtCjkLettersOnlyFirstAndLast) {
  FoldingPatch patch;
  const std::string value = EncodeFoldingPatch({{{0, 1, U"甲"}, {3, 1, U"丁"}}});
  ASSERT_TRUE(patch.Parse(value));
  // Latin, digits, punctuation, spaces and full-width forms are no CJK
  // letters: the indices count 著, 名, 軟, 體 only.
  EXPECT_EQ(Patched("x著，Ａ名 2.0 軟「體」z", patch.Text(0)), U"x甲，Ａ名 2.0 軟「丁」z");
  EXPECT_EQ(Patched("著名", LetterPatch()), U"著名");
  // A longer span reads at its first letter; its other letters read as
  // nothing, what stands between them stays.
  const std::string spans = EncodeFoldingPatch({{{1, 3, U"互联网"}, {4, 2, U""}}});
  ASSERT_TRUE(patch.Parse(spans));
  EXPECT_EQ(Patched("a網際·網路企業b", patch.Text(0)), U"a網互联网·b");
}

TEST(FoldingPatchTest, RefusesValuesThatDoNotDecode) {
  FoldingPatch patch;
  const std::string good = EncodeFoldingPatch({{{1, 1, U"著"}}});
  EXPECT_TRUE(patch.Parse(good));
  EXPECT_FALSE(patch.Parse("")) << "no mark";
  EXPECT_FALSE(patch.Parse(good.substr(1))) << "no mark";
  EXPECT_FALSE(patch.Parse(good.substr(0, good.size() - 1))) << "cut";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x02\x00\x80", 4))) << "varint cut in its section";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x07\x00\xFF\xFF\xFF\xFF\xFF\x01", 9)))
      << "varint over 32 bits";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x05\x00\x80\x80\x88\x01", 7))) << "beyond U+10FFFF";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x07\x00\x03\x01\x80\x80\xC4\x00", 9)))
      << "a span's code point beyond U+10FFFF";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x03\x00\x01\x00", 5))) << "a span of no letter";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x0E\xFF\xFF\xFF\xFF\x0F\xC2\x01"
                                       "\xFF\xFF\xFF\xFF\x0F\xC4\x01", 16)))
      << "indices past 32 bits";
}

TEST(FoldingPatchTest, TextsFoldedAsEveryLetterAloneKeepNothing) {
  const v1::Article article = Article("互联网企业党建", "黨建工作，取得進展。Linux 2.0", "人民網");
  EXPECT_EQ(FoldedTextsValue(NoPositions(), article, Folded(article)), "");
}

TEST(FoldingPatchTest, LettersOpenCcReadsInContextArePatched) {
  // `著` alone folds to `着`, `乾` to `干`, and `體` to `体`: in `著名`,
  // `乾隆` and `軟體` (`软件`) OpenCC reads them otherwise.
  const v1::Article article =
      Article("著名學者", "「乾隆」時代 Linux 軟體 2.0，著名人士使用軟體", "人民網", {"張三", "乾隆"});
  const std::string value = FoldedTextsValue(NoPositions(), article, Folded(article));
  ASSERT_TRUE(FoldingPatch::IsPatch(value));
  FoldingPatch patch;
  ASSERT_TRUE(patch.Parse(value));
  // title, subtitle, body, source, two authors.
  EXPECT_THAT(patch.Spans(),
              ElementsAre(ElementsAre(PatchedSpan{0, 1, U"著"}), IsEmpty(),
                          ElementsAre(PatchedSpan{0, 1, U"乾"}, PatchedSpan{5, 1, U"件"},
                                      PatchedSpan{6, 1, U"著"}, PatchedSpan{13, 1, U"件"}),
                          IsEmpty(), IsEmpty(), ElementsAre(PatchedSpan{0, 1, U"乾"})));
  // The mark, six section lengths, six patches of a one-byte index and a
  // three-byte code point.
  EXPECT_EQ(value.size(), 1u + 6 + 6 * 4);
}

TEST(FoldingPatchTest, PhrasesThatChangeTheLetterCountAreSpans) {
  // Taiwan's `網際網路` is `互联网`: four letters read as three.
  const v1::Article article = Article("網際網路企業", "著名的網際網路公司");
  const std::string value = FoldedTextsValue(NoPositions(), article, Folded(article));
  FoldingPatch patch;
  ASSERT_TRUE(patch.Parse(value));
  EXPECT_THAT(patch.Spans(),
              ElementsAre(ElementsAre(PatchedSpan{0, 1, U"互联网"}, PatchedSpan{1, 3, U""}),
                          IsEmpty(),
                          ElementsAre(PatchedSpan{0, 1, U"著"}, PatchedSpan{3, 1, U"互联网"},
                                      PatchedSpan{4, 3, U""})));
}

TEST(FoldingPatchTest, TextsThatReadOtherwiseAroundTheLettersKeepTheFoldedTexts) {
  // `é` written as `e` and a combining accent: folded whole it is one
  // code point, one by one two. With 著名 to patch, the texts are kept.
  const v1::Article article = Article("著名學者", "Cafe\u0301");
  const v1::Article folded = Folded(article);
  const std::string value = FoldedTextsValue(NoPositions(), article, folded);
  EXPECT_FALSE(FoldingPatch::IsPatch(value));
  v1::Article texts;
  ASSERT_TRUE(texts.ParseFromString(value));
  EXPECT_EQ(texts.title(), folded.title());
  EXPECT_EQ(texts.body(), folded.body());
  // So without a letter to patch (before patches, such an article kept
  // nothing and its phrases read `cafe` and an accent alone).
  const v1::Article plain = Article("学者", "Cafe\u0301");
  EXPECT_EQ(FoldedTextsValue(NoPositions(), plain, Folded(plain)),
            Folded(plain).SerializeAsString());
}

TEST(FoldingPatchTest, WhatNoPhraseSeesMayReadOtherwise) {
  // `…` folds to three dots whole, to one alone: between Han characters,
  // or after a word before a Han character, no token sees it.
  const v1::Article dots = Article("著名……學者", "乾隆…app…著名");
  const std::string value = FoldedTextsValue(NoPositions(), dots, Folded(dots));
  ASSERT_TRUE(FoldingPatch::IsPatch(value));
  // Between two words it makes one word (`linux.windows`) alone and two
  // whole: the texts are kept.
  const v1::Article words = Article("著名學者", "linux…windows");
  EXPECT_FALSE(FoldingPatch::IsPatch(FoldedTextsValue(NoPositions(), words, Folded(words))));
  // So without a letter to patch.
  const v1::Article plain = Article("学者", "linux…windows");
  v1::Article texts;
  ASSERT_TRUE(texts.ParseFromString(FoldedTextsValue(NoPositions(), plain, Folded(plain))));
  EXPECT_EQ(texts.body(), "linux...windows");
  const v1::Article between_han = Article("学者", "学者…linux…学者");
  EXPECT_EQ(FoldedTextsValue(NoPositions(), between_han, Folded(between_han)), "");
}

TEST(FoldingPatchTest, BuildDocumentKeepsTheValueOnlyWithoutPositions) {
  const v1::Article article = Article("著名學者", "軟體");
  const Xapian::Document doc = BuildDocument(NoPositions(), article);
  EXPECT_EQ(doc.get_value(kFoldedTextsSlot), FoldedTextsValue(NoPositions(), article, Folded(article)));
  EXPECT_TRUE(FoldingPatch::IsPatch(doc.get_value(kFoldedTextsSlot)));
  auto with = analysis::Analyzer::Create();
  ASSERT_TRUE(with.ok()) << with.status();
  ASSERT_TRUE((*with)->positions());
  EXPECT_EQ(BuildDocument(**with, article).get_value(kFoldedTextsSlot), "");
}

TEST(FoldingPatchTest, PhraseTextIndicesFollowTheFullList) {
  std::vector<std::pair<size_t, std::string>> seen;
  const auto collect = [&seen](absl::string_view prefix) {
    seen.clear();
    return AnyPhraseText(Article("t", "b", "s", {"a1", "a2"}), prefix,
                         [&seen](size_t index, absl::string_view text) {
                           seen.emplace_back(index, std::string(text));
                           return text == "a1";
                         });
  };
  EXPECT_TRUE(collect(""));
  EXPECT_THAT(seen, ElementsAre(std::pair<size_t, std::string>{0, "t"},
                                std::pair<size_t, std::string>{1, ""},
                                std::pair<size_t, std::string>{2, "b"},
                                std::pair<size_t, std::string>{3, "s"},
                                std::pair<size_t, std::string>{4, "a1"}))
      << "stops where the callback says";
  EXPECT_FALSE(collect(kSourcePrefix));
  EXPECT_THAT(seen, ElementsAre(std::pair<size_t, std::string>{3, "s"}));
  EXPECT_TRUE(collect(kAuthorPrefix));
  EXPECT_THAT(seen, ElementsAre(std::pair<size_t, std::string>{4, "a1"}));
  EXPECT_FALSE(collect(kTitlePrefix));
  EXPECT_THAT(seen, ElementsAre(std::pair<size_t, std::string>{0, "t"},
                                std::pair<size_t, std::string>{1, ""}));
}

}  // namespace
}  // namespace newsearch::search::schema
