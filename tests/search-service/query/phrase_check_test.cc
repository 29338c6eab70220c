// Phrases on an index without positions (query/phrase_check.h): the
// Searcher over such an index answers every phrase as it does over the same
// articles indexed with positions, and the check itself says what it
// should (order, adjacency, fields, traditional and regional text).
#include "search-service/query/phrase_check.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <xapian.h>

#include "absl/strings/str_cat.h"
#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/query/searcher.h"
#include "search-service/schema/folding_patch.h"
#include "search-service/schema/schema.h"
#include "tests/search-service/query/searcher_fixture.h"

namespace newsearch::search {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<TestArticle> Articles() {
  return {
      {"party", "互联网企业党建", "互联网企业党建工作取得新进展。", "人民网", {"张三丰"}, 2024, 5, 1},
      // Every bigram of 党建工作 and 互联网企业, none of them together.
      {"apart", "企业新闻", "党建是重点。建工集团的工作。互联网的企业很多。网企没有。", "新华社",
       {"李四"}, 2024, 5, 2},
      // Traditional, with Taiwan's word for the internet.
      {"taiwan", "網際網路企業黨建", "網際網路企業黨建工作，取得進展。", "中央社", {"王五"}, 2024, 5,
       3, "zh-Hant"},
      // The phrase with punctuation between its characters, and cut between
      // the title and the body.
      {"comma", "数字", "经济，数字。经济：工作", "经济日报", {}, 2024, 5, 4},
      {"author", "专访", "张三丰谈武术。", "人民网", {"赵六"}, 2024, 5, 5},
      {"latin", "新品", "苹果 iPhone 15 发布会在加州举行。", "科技日报", {}, 2024, 5, 6},
      // `著` alone folds to `着`, in `著名` OpenCC keeps it; `抬` folds alike
      // both ways.
      {"famous", "著名学者", "著名学者谈地壳抬升。", "光明网", {}, 2024, 5, 7},
      // OpenCC's phrases in traditional text: `軟體` is `软件` (`體` alone
      // `体`), `乾隆` keeps `乾` (alone `干`). The body's first and last CJK
      // letters are read in context; every field holds one.
      {"software", "軟體公司", "著名人士使用軟體", "乾隆軟體社", {"張著名", "乾隆"}, 2024, 5, 8,
       "zh-Hant"},
      // The same between Latin words, digits and punctuation.
      {"mixed", "新聞", "「著名」Linux 軟體，版本 2.0：乾隆年間的Windows軟體 app。", "科技報", {},
       2024, 5, 9, "zh-Hant"},
      // Text that folds otherwise whole than one by one around the letters
      // (a decomposed é): the folded texts are kept.
      {"accent", "著名咖啡", "Cafe\u0301 著名咖啡館，網際網路咖啡。", "光明网", {}, 2024, 5, 10},
      // `…` folds to `...` whole, to `.` alone: the same tokens between Han
      // characters (a patch), one word `linux.windows` alone for two whole
      // (the folded texts).
      {"dots", "著名……演員", "乾隆…app…著名", "光明网", {}, 2024, 5, 11},
      {"words", "著名軟體", "linux…windows 軟體", "光明网", {}, 2024, 5, 12},
      // The same with no letter OpenCC reads otherwise: the folded texts
      // all the same.
      {"plain", "新品", "linux…windows 发布", "光明网", {}, 2024, 5, 13},
  };
}

class PhraseCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analysis::AnalyzerOptions with;
    with.positions = true;
    analysis::AnalyzerOptions without;
    without.positions = false;
    // Cut bigrams left out (--index_cut_bigrams), so that the phrases below
    // also meet articles that hold a query's bigram only as its first
    // character; the default keeps every bigram (PhraseCheckByWeightTest).
    without.skip_cut_bigrams = true;
    for (auto& [options, out] : {std::make_pair(with, &with_positions_),
                                 std::make_pair(without, &without_positions_)}) {
      auto analyzer = analysis::Analyzer::Create(options);
      ASSERT_TRUE(analyzer.ok()) << analyzer.status();
      *out = std::move(analyzer).value().release();
    }
  }
  static void TearDownTestSuite() {
    delete with_positions_;
    delete without_positions_;
  }

  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "phrase_check_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    with_ = Open(*with_positions_, dir_ + "/with");
    without_ = Open(*without_positions_, dir_ + "/without");
    before_patches_ = Open(*without_positions_, dir_ + "/before_patches", /*whole_texts=*/true);
  }
  void TearDown() override {
    with_.reset();
    without_.reset();
    before_patches_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `whole_texts`: as an index built before folding patches, every article
  // with a folding value keeps its texts folded as indexing folds them.
  std::unique_ptr<Searcher> Open(const analysis::Analyzer& analyzer, const std::string& path,
                                 bool whole_texts = false) {
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OPEN);
    for (const TestArticle& a : Articles()) {
      const v1::Article article = ToArticle(a);
      Xapian::Document doc = schema::BuildDocument(analyzer, article);
      if (whole_texts && !doc.get_value(schema::kFoldedTextsSlot).empty()) {
        v1::Article folded;
        folded.set_title(analyzer.Fold(article.title()));
        folded.set_subtitle(analyzer.Fold(article.subtitle()));
        folded.set_body(analyzer.Fold(article.body()));
        folded.set_source(analyzer.Fold(article.source()));
        for (const std::string& author : article.authors()) {
          folded.add_authors(analyzer.Fold(author));
        }
        doc.add_value(schema::kFoldedTextsSlot, folded.SerializeAsString());
      }
      db.replace_document(schema::IdTerm(article.id()), doc);
    }
    db.commit();
    db.close();
    SearcherOptions options;
    options.path = path;
    auto searcher = Searcher::Create(options, &analyzer);
    EXPECT_TRUE(searcher.ok()) << searcher.status();
    return searcher.ok() ? std::move(searcher).value() : nullptr;
  }

  static std::vector<std::string> Ids(Searcher& searcher, const std::string& query) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_strict(true);
    request.set_page_size(50);
    absl::StatusOr<v1::SearchResponse> response = searcher.Search(request);
    EXPECT_TRUE(response.ok()) << query << ": " << response.status();
    std::vector<std::string> ids;
    if (response.ok()) {
      for (const auto& hit : response->hits()) ids.push_back(hit.id());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // The ids without positions, after checking they equal those with, and
  // those of an index built before folding patches.
  std::vector<std::string> Phrase(const std::string& query) {
    const std::vector<std::string> without = Ids(*without_, query);
    EXPECT_EQ(without, Ids(*with_, query)) << query;
    EXPECT_EQ(without, Ids(*before_patches_, query)) << query;
    return without;
  }

  static analysis::Analyzer* with_positions_;
  static analysis::Analyzer* without_positions_;
  std::string dir_;
  std::unique_ptr<Searcher> with_;
  std::unique_ptr<Searcher> without_;
  std::unique_ptr<Searcher> before_patches_;
};

analysis::Analyzer* PhraseCheckTest::with_positions_ = nullptr;
analysis::Analyzer* PhraseCheckTest::without_positions_ = nullptr;

TEST_F(PhraseCheckTest, TheIndexesDifferOnlyInPositions) {
  Xapian::Database with(dir_ + "/with");
  Xapian::Database without(dir_ + "/without");
  EXPECT_TRUE(with.has_positions());
  EXPECT_FALSE(without.has_positions());
  EXPECT_EQ(with.get_doccount(), without.get_doccount());
  EXPECT_THAT(without_positions_->Signature(), ::testing::HasSubstr(" positions=none"));
}

TEST_F(PhraseCheckTest, OnlyArticlesWhoseHanFoldingChangedKeepAFoldingValue) {
  Xapian::Database without(dir_ + "/without");
  const auto value = [&](const std::string& id) {
    Xapian::PostingIterator it = without.postlist_begin(schema::IdTerm(id));
    return it == without.postlist_end(schema::IdTerm(id))
               ? std::string("missing")
               : without.get_document(*it).get_value(schema::kFoldedTextsSlot);
  };
  EXPECT_EQ(value("party"), "") << "folds character by character as indexed";
  // 著名 keeps its 著, which alone folds to 着: a patch of that letter.
  schema::FoldingPatch patch;
  const std::string famous = value("famous");
  ASSERT_TRUE(schema::FoldingPatch::IsPatch(famous));
  ASSERT_TRUE(patch.Parse(famous));
  EXPECT_THAT(patch.Spans(), ElementsAre(ElementsAre(schema::PatchedSpan{0, 1, U"著"}),
                                           IsEmpty(),
                                           ElementsAre(schema::PatchedSpan{0, 1, U"著"})));
  const std::string software = value("software");
  ASSERT_TRUE(patch.Parse(software));
  EXPECT_THAT(patch.Spans(),
              ElementsAre(ElementsAre(schema::PatchedSpan{1, 1, U"件"}), IsEmpty(),
                          ElementsAre(schema::PatchedSpan{0, 1, U"著"},
                                      schema::PatchedSpan{7, 1, U"件"}),
                          ElementsAre(schema::PatchedSpan{0, 1, U"乾"},
                                      schema::PatchedSpan{3, 1, U"件"}),
                          ElementsAre(schema::PatchedSpan{1, 1, U"著"}),
                          ElementsAre(schema::PatchedSpan{0, 1, U"乾"})));
  // 網際網路 is 互联网: four letters read as three.
  const std::string taiwan = value("taiwan");
  ASSERT_TRUE(patch.Parse(taiwan));
  const auto internet = ElementsAre(schema::PatchedSpan{0, 1, U"互联网"},
                                    schema::PatchedSpan{1, 3, U""});
  EXPECT_THAT(patch.Spans(), ElementsAre(internet, IsEmpty(), internet));
  // A decomposed é reads as two code points one by one, as one folded
  // whole: the texts are kept.
  v1::Article texts;
  ASSERT_FALSE(schema::FoldingPatch::IsPatch(value("accent")));
  ASSERT_TRUE(texts.ParseFromString(value("accent")));
  EXPECT_EQ(texts.title(), "著名咖啡");
  Xapian::Database with(dir_ + "/with");
  EXPECT_EQ(with.get_value_freq(schema::kFoldedTextsSlot), 0u) << "positions need no texts";
}

TEST_F(PhraseCheckTest, RelaxedResultsStillHoldThePhrase) {
  v1::SearchRequest request;
  request.set_query("\"党建工作\" 武术");
  request.set_page_size(50);
  absl::StatusOr<v1::SearchResponse> response = without_->Search(request);
  ASSERT_TRUE(response.ok()) << response.status();
  std::vector<std::string> ids;
  for (const auto& hit : response->hits()) ids.push_back(hit.id());
  EXPECT_THAT(ids, UnorderedElementsAre("party", "taiwan")) << "武术 dropped, the phrase kept";
}

// The hits of a checked phrase show what the article stores, read once by
// the check and kept for them.
TEST_F(PhraseCheckTest, CheckedHitsShowTheirArticle) {
  for (Searcher* searcher : {with_.get(), without_.get()}) {
    v1::SearchRequest request;
    request.set_query("\"党建工作\"");
    absl::StatusOr<v1::SearchResponse> response = searcher->Search(request);
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->hits_size(), 2);
    for (const v1::SearchHit& hit : response->hits()) {
      SCOPED_TRACE(hit.id());
      EXPECT_THAT(hit.title(), ::testing::AnyOf("互联网企业党建", "網際網路企業黨建"));
      EXPECT_FALSE(hit.source().empty());
      EXPECT_EQ(hit.authors_size(), 1);
      EXPECT_TRUE(hit.has_published_at());
      EXPECT_THAT(hit.snippet().text(), ::testing::AnyOf(::testing::HasSubstr("党建工作"),
                                                         ::testing::HasSubstr("黨建工作")));
    }
  }
}

TEST_F(PhraseCheckTest, AdjacentAndInOrderOnly) {
  EXPECT_THAT(Phrase("\"党建工作\""), UnorderedElementsAre("party", "taiwan"));
  EXPECT_THAT(Phrase("\"互联网企业\""), UnorderedElementsAre("party", "taiwan"));
  EXPECT_THAT(Phrase("\"工作党建\""), IsEmpty());
  // Unquoted, the bigrams anywhere do.
  EXPECT_THAT(Ids(*without_, "党建工作"), ::testing::Contains("apart"));
}

TEST_F(PhraseCheckTest, TraditionalAndRegionalTextFoldAsIndexingFolds) {
  EXPECT_THAT(Phrase("\"網際網路企業\""), UnorderedElementsAre("party", "taiwan"));
  EXPECT_THAT(Phrase("\"黨建工作\""), UnorderedElementsAre("party", "taiwan"));
  EXPECT_THAT(Phrase("\"取得進展\""), ElementsAre("taiwan")) << "取得新进展 is not it";
}

TEST_F(PhraseCheckTest, CharactersOpenCcReadsInContext) {
  EXPECT_THAT(Phrase("\"著名学者\""), ElementsAre("famous"));
  EXPECT_THAT(Phrase("\"地壳抬升\""), ElementsAre("famous"));
  EXPECT_THAT(Phrase("\"地殼擡升\""), ElementsAre("famous"));
}

TEST_F(PhraseCheckTest, PatchedLettersFirstLastAndInEveryField) {
  EXPECT_THAT(Phrase("\"著名人士\""), ElementsAre("software")) << "the body's first letter";
  EXPECT_THAT(Phrase("\"使用软件\""), ElementsAre("software")) << "the body's last letter";
  EXPECT_THAT(Phrase("\"使用軟體\""), ElementsAre("software"));
  EXPECT_THAT(Phrase("\"人士使用\""), ElementsAre("software"));
  EXPECT_THAT(Phrase("title:\"软件公司\""), ElementsAre("software"));
  EXPECT_THAT(Phrase("source:\"乾隆软件\""), ElementsAre("software"));
  EXPECT_THAT(Phrase("author:\"乾隆\""), ElementsAre("software"));
  EXPECT_THAT(Phrase("author:\"張著名\""), ElementsAre("software"));
  EXPECT_THAT(Phrase("\"乾隆\""), UnorderedElementsAre("dots", "mixed", "software"));
  EXPECT_THAT(Phrase("\"软件社\""), ElementsAre("software"));
}

TEST_F(PhraseCheckTest, PatchedLettersBetweenLatinWordsDigitsAndPunctuation) {
  EXPECT_THAT(Phrase("\"著名 linux 软件\""), ElementsAre("mixed"));
  EXPECT_THAT(Phrase("\"windows 軟體 app\""), ElementsAre("mixed"));
  EXPECT_THAT(Phrase("\"乾隆年间\""), ElementsAre("mixed"));
  EXPECT_THAT(Phrase("\"的 windows\""), ElementsAre("mixed"));
  EXPECT_THAT(Phrase("\"linux 著名\""), IsEmpty());
  EXPECT_THAT(Phrase("\"软件 linux\""), IsEmpty());
}

TEST_F(PhraseCheckTest, FoldedTextsWhereTheTextReadsOtherwise) {
  EXPECT_THAT(Phrase("\"著名咖啡\""), ElementsAre("accent"));
  EXPECT_THAT(Phrase("\"咖啡馆\""), ElementsAre("accent"));
  EXPECT_THAT(Phrase("\"caf\u00e9 著名\""), ElementsAre("accent"));
}

TEST_F(PhraseCheckTest, WhatFoldsToOtherPunctuation) {
  EXPECT_THAT(Phrase("\"乾隆 app 著名\""), ElementsAre("dots"));
  EXPECT_THAT(Phrase("\"linux windows 软件\""), ElementsAre("words"));
  EXPECT_THAT(Phrase("\"linux windows 发布\""), ElementsAre("plain"));
  Xapian::Database without(dir_ + "/without");
  Xapian::PostingIterator dots = without.postlist_begin(schema::IdTerm("dots"));
  EXPECT_TRUE(schema::FoldingPatch::IsPatch(
      without.get_document(*dots).get_value(schema::kFoldedTextsSlot)));
  for (const char* id : {"words", "plain"}) {
    Xapian::PostingIterator it = without.postlist_begin(schema::IdTerm(id));
    v1::Article texts;
    EXPECT_TRUE(texts.ParseFromString(without.get_document(*it).get_value(schema::kFoldedTextsSlot)))
        << id;
    EXPECT_THAT(texts.body(), ::testing::StartsWith("linux...windows")) << id;
  }
}

TEST_F(PhraseCheckTest, PunctuationBetweenButNeverAcrossFields) {
  EXPECT_THAT(Phrase("\"数字经济\""), IsEmpty()) << "no bigram 字经 anywhere";
  EXPECT_THAT(Phrase("\"经济工作\""), IsEmpty()) << "no bigram 济工 anywhere";
  EXPECT_THAT(Phrase("\"数字 经济\""), ElementsAre("comma"));
}

TEST_F(PhraseCheckTest, FieldsAndWords) {
  EXPECT_THAT(Phrase("\"张三丰\""), UnorderedElementsAre("author", "party"));
  EXPECT_THAT(Phrase("author:\"张三丰\""), ElementsAre("party"));
  EXPECT_THAT(Phrase("title:\"企业党建\""), UnorderedElementsAre("party", "taiwan"));
  EXPECT_THAT(Phrase("title:\"党建工作\""), IsEmpty());
  EXPECT_THAT(Phrase("\"iphone 15 发布会\""), ElementsAre("latin"));
  EXPECT_THAT(Phrase("\"15 iphone\""), IsEmpty());
}

// Without positions a character's unigram is indexed only where no indexed
// bigram starts with it; a query for a lone character still finds it
// everywhere.
TEST_F(PhraseCheckTest, LoneCharactersMatchInsideRunsToo) {
  Xapian::Database with(dir_ + "/with");
  Xapian::Database without(dir_ + "/without");
  EXPECT_TRUE(with.term_exists("联"));
  EXPECT_FALSE(without.term_exists("联")) << "联 always starts the word 联网 here";
  EXPECT_TRUE(without.term_exists("联网"));
  EXPECT_TRUE(without.term_exists("S建")) << "the title 互联网企业党建 ends with it";
  EXPECT_FALSE(without.term_exists("建"))
      << "the title ends with it, but in the body 建工 starts with it";
  EXPECT_TRUE(without.term_exists("建工"));
  EXPECT_TRUE(without.term_exists("企没")) << "网|企|没有: next to a single character it is kept";
  EXPECT_FALSE(without.term_exists("业很")) << "企业|很多 joins two long words: left out";
  EXPECT_TRUE(without.term_exists("业")) << "its first character stands in";
  EXPECT_TRUE(with.term_exists("企没")) << "with positions every bigram is indexed";
  EXPECT_THAT(without_positions_->Signature(), ::testing::HasSubstr(" unigrams=ends"));

  EXPECT_THAT(Phrase("企"), UnorderedElementsAre("apart", "party", "taiwan"));
  EXPECT_THAT(Phrase("title:企"), UnorderedElementsAre("apart", "party", "taiwan"));
  EXPECT_THAT(Phrase("建 武术"), IsEmpty());
  EXPECT_THAT(Phrase("学"), ElementsAre("famous"));
  EXPECT_THAT(Phrase("壳 光明网"), ElementsAre("famous"));
  // Lone characters in phrases: after punctuation, next to a word.
  EXPECT_THAT(Phrase("\"济，数\""), ElementsAre("comma"));
  EXPECT_THAT(Phrase("\"数，济\""), IsEmpty());
  EXPECT_THAT(Phrase("\"15 发\""), ElementsAre("latin"));
  EXPECT_THAT(Phrase("\"15 布\""), IsEmpty());
}

// Over many more candidates than a page needs, the searcher checks them
// best first (searcher.cc, CheckPhrasesByWeight). Its pages are those of
// Xapian's own check in docid order, which a request for facets keeps.
TEST(PhraseCheckByWeightTest, ManyCandidatesGiveThePagesOfTheCheckInDocidOrder) {
  analysis::AnalyzerOptions options;
  options.positions = false;
  auto analyzer = analysis::Analyzer::Create(options);
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  std::string dir = (std::filesystem::temp_directory_path() / "phrase_order_XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  // 400 articles hold every bigram of 互联网企业党建; 3 in 5 hold the
  // phrase, every seventh is a copy of the one before, and the filler
  // spreads their weights.
  std::set<std::string> holders;
  std::set<std::string> stories;
  {
    Xapian::WritableDatabase db(dir + "/index", Xapian::DB_CREATE_OR_OPEN);
    for (int i = 0; i < 400; ++i) {
      const std::string id = absl::StrCat("a", i);
      const bool holds = i % 5 < 3;
      const bool copy = i % 7 == 6;
      std::string body = holds ? "互联网企业党建工作取得新进展。" : "互联网、网企、企业、业党、党建，分开写。";
      for (int k = 0; k < i % 13; ++k) body += "今天天气晴朗，市场平稳。";
      if (i % 4 == 0) body += holds ? "再谈互联网企业党建。" : "网企与企业党建。";
      TestArticle a(id, absl::StrCat("新闻", i), body, "人民网", {}, 2024, 1 + i % 12, 1 + i % 28,
                    "zh-Hans", copy ? absl::StrCat("a", i - 1) : "");
      const v1::Article article = ToArticle(a);
      db.replace_document(schema::IdTerm(id), schema::BuildDocument(**analyzer, article));
      if (holds) {
        holders.insert(id);
        stories.insert(copy ? absl::StrCat("a", i - 1) : id);
      }
    }
    db.commit();
  }
  SearcherOptions searcher_options;
  searcher_options.path = dir + "/index";
  auto searcher = Searcher::Create(searcher_options, analyzer->get());
  ASSERT_TRUE(searcher.ok()) << searcher.status();

  std::string token[2];
  for (int page = 0; page < 3; ++page) {
    v1::SearchResponse response[2];
    for (int facets = 0; facets < 2; ++facets) {
      v1::SearchRequest request;
      request.set_query("\"互联网企业党建\"");
      request.set_page_size(10);
      request.set_include_facets(facets == 1);
      request.set_page_token(token[facets]);
      absl::StatusOr<v1::SearchResponse> got = (*searcher)->Search(request);
      ASSERT_TRUE(got.ok()) << got.status();
      response[facets] = *std::move(got);
      token[facets] = response[facets].next_page_token();
      ASSERT_FALSE(token[facets].empty()) << "page " << page;
    }
    ASSERT_EQ(response[0].hits_size(), 10);
    std::vector<std::string> ids[2];
    std::vector<double> scores[2];
    for (int facets = 0; facets < 2; ++facets) {
      for (const auto& hit : response[facets].hits()) {
        ids[facets].push_back(hit.id());
        scores[facets].push_back(hit.score());
        EXPECT_TRUE(holders.count(hit.id())) << hit.id() << " lacks the phrase";
      }
    }
    EXPECT_EQ(ids[0], ids[1]) << "page " << page;
    EXPECT_EQ(scores[0], scores[1]) << "page " << page;
    EXPECT_FALSE(response[0].relaxed());
    // Scaled from the best candidates, which pass more often than the rest
    // here: above the truth (217), within the candidates (400).
    EXPECT_GE(response[0].total_estimate(), static_cast<int64_t>(stories.size()));
    EXPECT_LE(response[0].total_estimate(), 400);
  }
  searcher->reset();
  std::filesystem::remove_all(dir);
}

// The stored-text check alone, on bodies: characters the query wrote as one
// run must stand together; a space or punctuation the query wrote may be
// anything the text drops. Phrases longer than 64 characters take more
// than one word of match state.
TEST(PhraseMatcherTest, RunsOfTheQueryStandTogetherInTheText) {
  analysis::AnalyzerOptions options;
  options.positions = false;
  auto analyzer = analysis::Analyzer::Create(options);
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  const auto found = [&](absl::string_view phrase, absl::string_view body) {
    schema::StoredTexts texts;
    texts.body = body;
    return PhraseMatcher(**analyzer, phrase, "").Matches(texts, /*folded=*/false);
  };
  EXPECT_TRUE(found("数字经济", "发展数字经济。"));
  EXPECT_FALSE(found("数字经济", "数字，经济"));
  EXPECT_TRUE(found("数字 经济", "数字，经济"));
  EXPECT_TRUE(found("数字，经济", "数字经济"));
  EXPECT_FALSE(found("数字经济", "数字和经济"));
  EXPECT_TRUE(found("数数字", "数数数字"));
  EXPECT_TRUE(found("數字經濟", "发展数字经济"));

  std::string long_run;  // 70 characters, one run
  const std::string ten = "一二三四五六七八九十";
  for (int i = 0; i < 7; ++i) long_run += ten;
  EXPECT_TRUE(found(long_run, "前言" + long_run + "后记"));
  std::string cut = long_run;
  cut.insert(66 * 3, "，");  // between characters 66 and 67
  EXPECT_FALSE(found(long_run, cut));
  std::string spaced = long_run;
  spaced.insert(66 * 3, " ");
  EXPECT_TRUE(found(spaced, cut)) << "the query's own space allows the comma";
  EXPECT_FALSE(found(long_run, long_run.substr(3)));
}

}  // namespace
}  // namespace newsearch::search
