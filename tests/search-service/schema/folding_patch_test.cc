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
    out.push_back(letters.Apply(c, static_cast<char32_t>(c)));
  }
  return out;
}

TEST(FoldingPatchTest, FormatByteForByte) {
  // 著 is U+8457: varint D7 88 02.
  EXPECT_EQ(EncodeFoldingPatch({{{0, U'著'}}}), std::string("\x00\x04\x00\xD7\x88\x02", 6));
  // Indices are delta-coded (the first from 0, the next after the previous
  // one), texts without a patch keep an empty section, trailing ones none.
  EXPECT_EQ(EncodeFoldingPatch({{}, {{3, U'a'}, {4, U'b'}, {200, U'c'}}, {}, {}}),
            std::string("\x00\x00\x07\x03" "a" "\x00" "b" "\xC3\x01" "c", 10));
}

TEST(FoldingPatchTest, ReadsBackEveryText) {
  const std::vector<std::vector<PatchedLetter>> texts = {
      {{0, U'著'}, {6, U'件'}}, {}, {{70000, 0x10FFFF}}};
  const std::string value = EncodeFoldingPatch(texts);
  ASSERT_TRUE(FoldingPatch::IsPatch(value));
  FoldingPatch patch;
  ASSERT_TRUE(patch.Parse(value));
  EXPECT_EQ(patch.Letters(), texts);
  EXPECT_TRUE(patch.Text(0).pending());
  EXPECT_FALSE(patch.Text(1).pending());
  EXPECT_TRUE(patch.Text(2).pending());
  EXPECT_FALSE(patch.Text(3).pending()) << "past the last section";
}

TEST(FoldingPatchTest, SubstitutesAtCjkLettersOnlyFirstAndLast) {
  FoldingPatch patch;
  ASSERT_TRUE(patch.Parse(EncodeFoldingPatch({{{0, U'甲'}, {3, U'丁'}}})));
  // Latin, digits, punctuation, spaces and full-width forms are no CJK
  // letters: the indices count 著, 名, 軟, 體 only.
  EXPECT_EQ(Patched("x著，Ａ名 2.0 軟「體」z", patch.Text(0)), U"x甲，Ａ名 2.0 軟「丁」z");
  LetterPatch none;
  EXPECT_EQ(Patched("著名", none), U"著名");
}

TEST(FoldingPatchTest, RefusesValuesThatDoNotDecode) {
  FoldingPatch patch;
  const std::string good = EncodeFoldingPatch({{{1, U'著'}}});
  EXPECT_TRUE(patch.Parse(good));
  EXPECT_FALSE(patch.Parse("")) << "no mark";
  EXPECT_FALSE(patch.Parse(good.substr(1))) << "no mark";
  EXPECT_FALSE(patch.Parse(good.substr(0, good.size() - 1))) << "cut";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x02\x00\x80", 4))) << "varint cut in its section";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x07\x00\xFF\xFF\xFF\xFF\xFF\x01", 9)))
      << "varint over 32 bits";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x04\x00\x80\x80\x44", 6))) << "beyond U+10FFFF";
  EXPECT_FALSE(patch.Parse(std::string("\x00\x0C\xFF\xFF\xFF\xFF\x0F" "a\xFF\xFF\xFF\xFF\x0F" "b",
                                       14)))
      << "indices past 32 bits";
}

TEST(FoldingPatchTest, TextsFoldedOnlyEveryLetterAloneKeepNothing) {
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
  EXPECT_THAT(patch.Letters(),
              ElementsAre(ElementsAre(PatchedLetter{0, U'著'}), IsEmpty(),
                          ElementsAre(PatchedLetter{0, U'乾'}, PatchedLetter{5, U'件'},
                                      PatchedLetter{6, U'著'}, PatchedLetter{13, U'件'}),
                          IsEmpty(), IsEmpty(), ElementsAre(PatchedLetter{0, U'乾'})));
  // The mark, six section lengths, six patches of a one-byte index and a
  // three-byte code point.
  EXPECT_EQ(value.size(), 1u + 6 + 6 * 4);
}

TEST(FoldingPatchTest, ALetterCountFoldingChangesKeepsTheFoldedTexts) {
  // Taiwan's `網際網路` is `互联网`: four letters become three.
  const v1::Article article = Article("網際網路企業", "著名的網際網路公司");
  const v1::Article folded = Folded(article);
  const std::string value = FoldedTextsValue(NoPositions(), article, folded);
  EXPECT_FALSE(FoldingPatch::IsPatch(value));
  v1::Article texts;
  ASSERT_TRUE(texts.ParseFromString(value));
  EXPECT_EQ(texts.title(), "互联网企业");
  EXPECT_EQ(texts.body(), folded.body());
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
