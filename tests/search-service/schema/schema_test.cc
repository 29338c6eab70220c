#include "search-service/schema/schema.h"
#include "search-service/schema/document_data.h"
#include "search-service/schema/stored_texts.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <xapian.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::search::schema {
namespace {

using ::testing::Contains;
using ::testing::IsSupersetOf;
using ::testing::Not;

const analysis::Analyzer& TheAnalyzer() {
  static const analysis::Analyzer* analyzer = [] {
    auto created = analysis::Analyzer::Create();
    if (!created.ok()) {
      ADD_FAILURE() << created.status();
      std::abort();
    }
    return created->release();
  }();
  return *analyzer;
}

int64_t UnixSeconds(absl::CivilSecond utc) {
  return absl::ToUnixSeconds(absl::FromCivil(utc, absl::UTCTimeZone()));
}

v1::Article SampleArticle() {
  v1::Article article;
  article.set_id("0a1b2c");
  article.set_title("網絡安全大會");
  article.set_subtitle("——一个城市的网商党建报告");
  article.set_body("互联网公司发布5G基站。\n\n第二段。");
  article.set_source("中国台州网-台州日报");
  article.add_authors("葛星星");
  article.add_editors("王编辑");
  article.set_url("http://example.com/a");
  article.set_script("zh-Hant");
  article.add_warnings("date guessed");
  article.set_seq(42);
  // 2018-04-23 07:36:02 in China is 2018-04-22 23:36:02 UTC.
  article.mutable_published_at()->set_seconds(UnixSeconds(absl::CivilSecond(2018, 4, 22, 23, 36, 2)));
  return article;
}

// Term -> wdf of a document.
std::map<std::string, Xapian::termcount> Terms(const Xapian::Document& doc) {
  std::map<std::string, Xapian::termcount> terms;
  for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) terms[*it] = it.get_wdf();
  return terms;
}

std::vector<std::string> TermNames(const Xapian::Document& doc) {
  std::vector<std::string> names;
  for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) names.push_back(*it);
  return names;
}

std::vector<Xapian::termpos> Positions(const Xapian::Document& doc, const std::string& term) {
  std::vector<Xapian::termpos> positions;
  for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
    if (*it != term) continue;
    for (auto p = it.positionlist_begin(); p != it.positionlist_end(); ++p) positions.push_back(*p);
  }
  return positions;
}

TEST(SchemaTest, IdTermIsPrefixedId) { EXPECT_EQ(IdTerm("0a1b"), "Q0a1b"); }

struct SourceCase {
  std::string reason;
  std::string source;
  std::string expected;
};

TEST(SchemaTest, SourceFilterTerm) {
  const std::vector<SourceCase> cases = {
      {"traditional folds to simplified", "中國台州網", "H中国台州网"},
      {"outer whitespace trimmed, inner space kept, width and case folded", "  ＣＣＴＶ 新聞 ",
       "Hcctv 新闻"},
      {"punctuation is kept: the name is one filter value", "中国台州网-台州日报",
       "H中国台州网-台州日报"},
      {"empty source", "", "H"},
  };
  for (const SourceCase& c : cases) {
    SCOPED_TRACE(c.reason);
    EXPECT_EQ(SourceFilterTerm(TheAnalyzer(), c.source), c.expected);
  }
}

TEST(SchemaTest, SourceFilterTermIsCutAtCharacterBoundary) {
  std::string source;
  for (int i = 0; i < 100; ++i) source += "网";  // 300 bytes.
  const std::string term = SourceFilterTerm(TheAnalyzer(), source);
  EXPECT_EQ(term.size(), 1 + 198u);
  EXPECT_EQ(term.substr(1), source.substr(0, 198));
}

TEST(SchemaTest, BuildDocumentTakesAnotherTitleWdf) {
  const auto terms = Terms(BuildDocument(TheAnalyzer(), SampleArticle(), 2));
  ASSERT_EQ(terms.count("网络"), 1u);
  EXPECT_EQ(terms.at("网络"), 2u);
  EXPECT_EQ(terms.at("S网络"), 1u);  // the title: prefix is not weighted
  EXPECT_EQ(terms.at("互联"), 1u);
}

TEST(SchemaTest, BuildDocumentAddsFieldTerms) {
  const Xapian::Document doc = BuildDocument(TheAnalyzer(), SampleArticle());
  const auto terms = Terms(doc);
  const std::vector<std::pair<std::string, Xapian::termcount>> expected = {
      {"Q0a1b2c", 0},   // unique id
      {"S网络", 1},     // title, prefixed and folded
      {"网络", 8},      // title, unprefixed with kTitleWdf
      {"S城市", 1},     // subtitle counts as title
      {"城市", 1},      // subtitle unprefixed at body weight
      {"互联", 1},      // body
      {"5g", 1},        // body word
      {"二段", 1},      // body, second paragraph
      {"XS台州", 2},    // source words, prefixed (twice in the name)
      {"台州", 2},      // source words, unprefixed
      {"A葛星", 1},     // author, prefixed
      {"星星", 1},      // author, unprefixed
  };
  for (const auto& [term, wdf] : expected) {
    SCOPED_TRACE(term);
    auto it = terms.find(term);
    ASSERT_NE(it, terms.end());
    EXPECT_EQ(it->second, wdf);
  }
  // Editors, url and warnings are stored, not indexed.
  EXPECT_THAT(TermNames(doc), Not(Contains("王编")));
}

TEST(SchemaTest, BuildDocumentAddsFilterTermsInChinaStandardTime) {
  const Xapian::Document doc = BuildDocument(TheAnalyzer(), SampleArticle());
  EXPECT_THAT(TermNames(doc), IsSupersetOf({"H中国台州网-台州日报", "Y2018", "M201804",
                                            "D20180423", "Lzh-Hant"}));
  EXPECT_THAT(TermNames(doc), Not(Contains("D20180422")));
}

struct DateCase {
  std::string reason;
  absl::CivilSecond utc;
  std::string year, month, day;
};

TEST(SchemaTest, DateTermsFollowTheChineseCalendarDay) {
  const std::vector<DateCase> cases = {
      {"one second before midnight in China", absl::CivilSecond(2018, 4, 22, 15, 59, 59),
       "Y2018", "M201804", "D20180422"},
      {"midnight in China is the next day", absl::CivilSecond(2018, 4, 22, 16, 0, 0), "Y2018",
       "M201804", "D20180423"},
      {"new year comes eight hours early", absl::CivilSecond(2013, 12, 31, 16, 0, 0), "Y2014",
       "M201401", "D20140101"},
      {"the epoch", absl::CivilSecond(1970, 1, 1, 0, 0, 0), "Y1970", "M197001", "D19700101"},
  };
  for (const DateCase& c : cases) {
    SCOPED_TRACE(c.reason);
    v1::Article article = SampleArticle();
    article.mutable_published_at()->set_seconds(UnixSeconds(c.utc));
    const Xapian::Document doc = BuildDocument(TheAnalyzer(), article);
    EXPECT_THAT(TermNames(doc), IsSupersetOf({c.year, c.month, c.day}));
    EXPECT_EQ(Xapian::sortable_unserialise(doc.get_value(kPublishedSlot)),
              static_cast<double>(UnixSeconds(c.utc)));
    // The facet values are the same calendar day as the filter terms.
    EXPECT_EQ(doc.get_value(kYearSlot), c.year.substr(1));
    EXPECT_EQ(doc.get_value(kMonthSlot),
              absl::StrCat(c.month.substr(1, 4), "-", c.month.substr(5)));
  }
}

TEST(SchemaTest, DayStartIsMidnightInChina) {
  EXPECT_EQ(DayStartSeconds(absl::CivilDay(2018, 4, 23)),
            UnixSeconds(absl::CivilSecond(2018, 4, 22, 16, 0, 0)));
  EXPECT_EQ(PublishedDay(UnixSeconds(absl::CivilSecond(2018, 4, 22, 16, 0, 0))),
            absl::CivilDay(2018, 4, 23));
  EXPECT_EQ(PublishedDay(UnixSeconds(absl::CivilSecond(2018, 4, 22, 15, 59, 59))),
            absl::CivilDay(2018, 4, 22));
}

TEST(SchemaTest, BuildDocumentSetsValues) {
  const v1::Article article = SampleArticle();
  const Xapian::Document doc = BuildDocument(TheAnalyzer(), article);
  EXPECT_EQ(doc.get_value(kPublishedSlot),
            Xapian::sortable_serialise(static_cast<double>(article.published_at().seconds())));
  EXPECT_EQ(doc.get_value(kSourceSlot), "中国台州网-台州日报");
  EXPECT_EQ(doc.get_value(kCollapseSlot), "0a1b2c");
}

TEST(SchemaTest, CollapseKeyIsDuplicateOfWhenSet) {
  v1::Article article = SampleArticle();
  article.set_duplicate_of("ffff");
  const Xapian::Document doc = BuildDocument(TheAnalyzer(), article);
  EXPECT_EQ(doc.get_value(kCollapseSlot), "ffff");
  absl::string_view value;
  absl::string_view key;
  const std::string source_story = doc.get_value(kSourceStorySlot);
  ASSERT_TRUE(ParseStoryValue(source_story, &value, &key));
  EXPECT_EQ(value, "中国台州网-台州日报");
  EXPECT_EQ(key, "ffff");
  const std::string month_story = doc.get_value(kMonthStorySlot);
  ASSERT_TRUE(ParseStoryValue(month_story, &value, &key));
  EXPECT_EQ(value, doc.get_value(kMonthSlot));
  EXPECT_EQ(key, "ffff");
}

TEST(SchemaTest, StoryValueRoundTripsAnyBytes) {
  const std::string story = StoryValue("a:b\x1f", "9:key");
  absl::string_view value;
  absl::string_view key;
  ASSERT_TRUE(ParseStoryValue(story, &value, &key));
  EXPECT_EQ(value, "a:b\x1f");
  EXPECT_EQ(key, "9:key");
  EXPECT_FALSE(ParseStoryValue("", &value, &key));
  EXPECT_FALSE(ParseStoryValue("x:abc", &value, &key));
  EXPECT_FALSE(ParseStoryValue("9:abc", &value, &key));
}

TEST(SchemaTest, MissingDateSourceAndScriptAddNoFilterTermsOrValues) {
  v1::Article article = SampleArticle();
  article.clear_published_at();
  article.clear_source();
  article.clear_script();
  const Xapian::Document doc = BuildDocument(TheAnalyzer(), article);
  for (const std::string& term : TermNames(doc)) {
    EXPECT_FALSE(term.rfind("Y", 0) == 0 || term.rfind("M", 0) == 0 || term.rfind("D", 0) == 0 ||
                 term.rfind("H", 0) == 0 || term.rfind("L", 0) == 0)
        << term;
  }
  EXPECT_EQ(doc.get_value(kPublishedSlot), "");
  EXPECT_EQ(doc.get_value(kSourceSlot), "");
  EXPECT_EQ(doc.get_value(kYearSlot), "");
  EXPECT_EQ(doc.get_value(kMonthSlot), "");
  EXPECT_EQ(doc.get_value(kSourceStorySlot), "");
  EXPECT_EQ(doc.get_value(kMonthStorySlot), "");
}

TEST(SchemaTest, TitleAndBodyPositionsDoNotTouch) {
  v1::Article article = SampleArticle();
  article.set_title("互联");
  article.clear_subtitle();
  article.set_body("网");
  article.clear_source();
  article.clear_authors();
  const Xapian::Document doc = BuildDocument(TheAnalyzer(), article);
  // Prefixed and unprefixed title copies share positions; the body starts
  // after a gap, so the phrase `互联网` cannot span title and body.
  EXPECT_EQ(Positions(doc, "S互"), std::vector<Xapian::termpos>{1});
  EXPECT_EQ(Positions(doc, "互"), std::vector<Xapian::termpos>{1});
  EXPECT_EQ(Positions(doc, "S联"), std::vector<Xapian::termpos>{2});
  EXPECT_EQ(Positions(doc, "联"), std::vector<Xapian::termpos>{2});
  const std::vector<Xapian::termpos> body = Positions(doc, "网");
  ASSERT_EQ(body.size(), 1u);
  EXPECT_GT(body[0], 100u);
}

TEST(SchemaTest, DocumentDataKeepsWhatAHitShows) {
  v1::Article article = SampleArticle();
  article.add_editors("编辑甲");
  article.add_warnings("no date on the page");
  article.set_external_id("ext-1");
  article.set_seq(42);
  article.mutable_ingested_at()->set_seconds(1700000000);
  article.set_detected_encoding("gb18030");
  article.set_page_id("page-1");
  ASSERT_FALSE(article.subtitle().empty());
  const Xapian::Document doc = BuildDocument(TheAnalyzer(), article);
  v1::Article read;
  ASSERT_TRUE(ArticleFromDocumentData(doc.get_data(), &read));
  v1::Article expected;
  expected.set_id(article.id());
  expected.set_title(article.title());
  expected.set_subtitle(article.subtitle());  // a phrase check reads it
  *expected.mutable_published_at() = article.published_at();
  expected.set_source(article.source());
  *expected.mutable_authors() = article.authors();
  expected.set_body(article.body());
  expected.set_url(article.url());
  expected.set_duplicate_of(article.duplicate_of());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(read, expected))
      << read.DebugString();
  EXPECT_LT(doc.get_data().size(), article.ByteSizeLong());
}

TEST(SchemaTest, ArticleFromDocumentDataRejectsGarbage) {
  v1::Article read;
  EXPECT_FALSE(ArticleFromDocumentData("\xff\xff\xff", &read));
}

TEST(SchemaTest, StoredTextsReadTheDocumentDataWithoutParsingIt) {
  v1::Article article = SampleArticle();
  article.add_authors("第二作者");
  const Xapian::Document doc = BuildDocument(TheAnalyzer(), article);
  const std::string stored = doc.get_data();
  std::string buffer;
  absl::string_view data;
  ASSERT_TRUE(DecodeDocumentData(stored, &buffer, &data));
  StoredTexts texts;
  ASSERT_TRUE(ReadStoredTexts(data, &texts));
  EXPECT_EQ(texts.title, article.title());
  EXPECT_EQ(texts.subtitle, article.subtitle());
  EXPECT_EQ(texts.body, article.body());
  EXPECT_EQ(texts.source, article.source());
  EXPECT_THAT(texts.authors, ::testing::ElementsAreArray(article.authors()));
  EXPECT_EQ(texts.id, article.id());
  EXPECT_EQ(texts.url, article.url());
  EXPECT_EQ(texts.duplicate_of, article.duplicate_of());
  ASSERT_TRUE(texts.has_published_at);
  google::protobuf::Timestamp published;
  ASSERT_TRUE(published.ParseFromArray(texts.published_at.data(),
                                       static_cast<int>(texts.published_at.size())));
  EXPECT_EQ(published.seconds(), article.published_at().seconds());
  // Views into the data, and the same texts a parsed article gives.
  EXPECT_GE(texts.body.data(), data.data());
  EXPECT_LE(texts.body.data() + texts.body.size(), data.data() + data.size());
  StoredTexts in_one_step;
  std::string other_buffer;
  ASSERT_TRUE(ReadDocumentTexts(stored, &other_buffer, &in_one_step));
  EXPECT_EQ(in_one_step.body, texts.body);
  EXPECT_EQ(in_one_step.authors, texts.authors);
  v1::Article parsed;
  ASSERT_TRUE(ArticleFromDocumentData(stored, &parsed));
  EXPECT_EQ(PhraseTexts(texts, ""), PhraseTexts(parsed, ""));
  EXPECT_EQ(PhraseTexts(texts, kAuthorPrefix), PhraseTexts(parsed, kAuthorPrefix));

  // Missing fields are empty; the last of a repeated singular field wins,
  // as in a parse.
  v1::Article two;
  two.set_title("一");
  std::string concatenated = two.SerializeAsString();
  two.set_title("二");
  concatenated += two.SerializeAsString();
  ASSERT_TRUE(ReadStoredTexts(concatenated, &texts));
  EXPECT_EQ(texts.title, "二");
  EXPECT_TRUE(texts.body.empty());
  EXPECT_TRUE(texts.authors.empty());
  EXPECT_FALSE(texts.has_published_at);
  two.mutable_published_at();  // the epoch: present, zero bytes long
  ASSERT_TRUE(ReadStoredTexts(two.SerializeAsString(), &texts));
  EXPECT_TRUE(texts.has_published_at);
  EXPECT_TRUE(texts.published_at.empty());
  EXPECT_TRUE(ReadStoredTexts("", &texts));
}

TEST(SchemaTest, DocumentDataIsTheArticleCompressed) {
  v1::Article article = SampleArticle();
  std::string body;
  for (int i = 0; i < 40; ++i) absl::StrAppend(&body, "第", i, "段：", article.body(), "\n\n");
  article.set_body(body);
  const std::string data = BuildDocument(TheAnalyzer(), article).get_data();
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data[0], '\0') << "compressed behind a zero byte";
  std::string buffer;
  absl::string_view message;
  ASSERT_TRUE(DecodeDocumentData(data, &buffer, &message));
  EXPECT_LT(data.size(), message.size() / 2);
  v1::Article read;
  ASSERT_TRUE(read.ParseFromArray(message.data(), static_cast<int>(message.size())));
  EXPECT_EQ(read.body(), body);
  EXPECT_EQ(read.title(), article.title());
  EXPECT_EQ(EncodeDocumentData(std::string(message)), data) << "the same bytes every time";

  // Data stored plain (an index written before compression, or an article
  // too short to gain from it) is the message itself, read in place.
  const std::string plain = read.SerializeAsString();
  ASSERT_TRUE(DecodeDocumentData(plain, &buffer, &message));
  EXPECT_EQ(message.data(), plain.data());
  v1::Article tiny;
  tiny.set_id("a");
  EXPECT_EQ(EncodeDocumentData(tiny.SerializeAsString()), tiny.SerializeAsString());
  v1::Article from_plain;
  ASSERT_TRUE(ArticleFromDocumentData(plain, &from_plain));
  EXPECT_EQ(from_plain.body(), body);

  // Damage is an error, not a crash or a wrong article.
  const std::string truncated = data.substr(0, data.size() - 1);
  EXPECT_FALSE(DecodeDocumentData(truncated, &buffer, &message)) << "truncated";
  const std::string garbage("\0garbage", 8);
  EXPECT_FALSE(DecodeDocumentData(garbage, &buffer, &message));
  const std::string marker_only(1, '\0');
  EXPECT_FALSE(DecodeDocumentData(marker_only, &buffer, &message));
  EXPECT_FALSE(ArticleFromDocumentData(data.substr(0, data.size() / 2), &read));
}

TEST(SchemaTest, StoredTextsRejectMalformedData) {
  StoredTexts texts;
  EXPECT_FALSE(ReadStoredTexts("\xff\xff\xff", &texts));
  const std::string data = SampleArticle().SerializeAsString();
  EXPECT_FALSE(ReadStoredTexts(data.substr(0, data.size() - 1), &texts)) << "truncated";
  EXPECT_FALSE(ReadStoredTexts(std::string("\x0b", 1), &texts)) << "a group start";
}

TEST(SchemaTest, DocumentIsFoundByIdSourceAndText) {
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  db.add_document(BuildDocument(TheAnalyzer(), SampleArticle()));
  db.commit();
  for (const std::string& term :
       {IdTerm("0a1b2c"), SourceFilterTerm(TheAnalyzer(), "中國台州網-台州日報"),
        std::string("网络")}) {
    SCOPED_TRACE(term);
    EXPECT_EQ(db.get_termfreq(term), 1u);
  }
}

}  // namespace
}  // namespace newsearch::search::schema

namespace newsearch::search::schema {
namespace {

std::unique_ptr<analysis::Analyzer> MakeAnalyzer(analysis::Segmentation segmentation) {
  analysis::AnalyzerOptions options;
  options.segmentation = segmentation;
  auto analyzer = analysis::Analyzer::Create(options);
  EXPECT_TRUE(analyzer.ok()) << analyzer.status();
  return analyzer.ok() ? *std::move(analyzer) : nullptr;
}

TEST(CheckIndexAnalyzerTest, RecordsOnANewIndexAndRefusesAnother) {
  const std::string path = ::testing::TempDir() + "/check_index_analyzer";
  std::filesystem::remove_all(path);
  auto bigrams = MakeAnalyzer(analysis::Segmentation::kBigrams);
  auto words = MakeAnalyzer(analysis::Segmentation::kWordsPlusBigrams);
  ASSERT_TRUE(bigrams && words);
  ASSERT_TRUE(CheckIndexAnalyzer(path, *bigrams).ok());
  EXPECT_EQ(Xapian::Database(path).get_metadata(kAnalyzerKey),
            "bigrams fold=s2t+tw2sp positions=unigrams boundaries=jieba");
  EXPECT_TRUE(CheckIndexAnalyzer(path, *bigrams).ok());
  const absl::Status refused = CheckIndexAnalyzer(path, *words);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()),
              ::testing::AllOf(
                  ::testing::HasSubstr("`bigrams fold=s2t+tw2sp positions=unigrams boundaries=jieba`"),
                  ::testing::HasSubstr(
                      "`words+bigrams fold=s2t+tw2sp positions=unigrams boundaries=jieba`"),
                  ::testing::HasSubstr(path)));
  std::filesystem::remove_all(path);
}

TEST(CheckIndexAnalyzerTest, RefusesAnIndexWithoutBoundaryEvidence) {
  // The signature recorded before straddle markers were indexed: its
  // bigrams would all pass for clean matches.
  const std::string path = ::testing::TempDir() + "/check_index_analyzer_no_boundaries";
  std::filesystem::remove_all(path);
  {
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
    db.set_metadata(kAnalyzerKey, "bigrams fold=s2t+tw2sp positions=unigrams");
    db.add_document(Xapian::Document());
    db.commit();
  }
  auto bigrams = MakeAnalyzer(analysis::Segmentation::kBigrams);
  ASSERT_TRUE(bigrams);
  const absl::Status refused = CheckIndexAnalyzer(path, *bigrams);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()),
              ::testing::AllOf(::testing::HasSubstr("boundaries=jieba"),
                               ::testing::HasSubstr("newer index format"),
                               ::testing::HasSubstr("move the index away")));
  std::filesystem::remove_all(path);
}

TEST(CheckIndexAnalyzerTest, AnIndexWithCutBigramsIsServedAsItWasBuilt) {
  // An index from before cut bigrams were left out: the server sees it in
  // the record (RecordedAnalyzerOf) and keeps indexing and querying it so.
  const std::string path = ::testing::TempDir() + "/check_index_analyzer_cut_bigrams";
  std::filesystem::remove_all(path);
  EXPECT_FALSE(RecordedAnalyzerOf(path).has_value());
  const auto analyzer_for = [](bool skip_cut_bigrams) {
    analysis::AnalyzerOptions options;
    options.positions = false;
    options.skip_cut_bigrams = skip_cut_bigrams;
    return analysis::Analyzer::Create(options);
  };
  auto older = analyzer_for(false);
  auto newer = analyzer_for(true);
  ASSERT_TRUE(older.ok() && newer.ok());
  ASSERT_TRUE(CheckIndexAnalyzer(path, **older).ok());
  ASSERT_TRUE(RecordedAnalyzerOf(path).has_value());
  EXPECT_FALSE(RecordedAnalyzerOf(path)->cut_bigrams);
  EXPECT_FALSE(RecordedAnalyzerOf(path)->positions);
  EXPECT_TRUE(CheckIndexAnalyzer(path, **older).ok());
  const absl::Status refused = CheckIndexAnalyzer(path, **newer);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("newer index format"));
  std::filesystem::remove_all(path);
  ASSERT_TRUE(CheckIndexAnalyzer(path, **newer).ok());
  ASSERT_TRUE(RecordedAnalyzerOf(path).has_value());
  EXPECT_TRUE(RecordedAnalyzerOf(path)->cut_bigrams);
  std::filesystem::remove_all(path);
}

TEST(BuildDocumentTest, MarksABigramThatStraddlesInEveryField) {
  auto analyzer = MakeAnalyzer(analysis::Segmentation::kBigrams);
  ASSERT_TRUE(analyzer);
  v1::Article article;
  article.set_id("a");
  article.set_title("京剧名家来了");
  article.set_body("北京剧院上演话剧。上海南站改造完工。");
  const Xapian::Document doc = BuildDocument(*analyzer, article);
  std::set<std::string> terms;
  for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) terms.insert(*t);
  // 京剧 straddles 北京|剧院 in the body but is a word in the title.
  EXPECT_FALSE(terms.count("B京剧"));
  EXPECT_TRUE(terms.count("B海南")) << "上海|南站 only";
  EXPECT_FALSE(terms.count("SB京剧"));
  EXPECT_FALSE(terms.count("B北京"));
}

TEST(LeadParagraphTest, IsTheFirstParagraphCutAtASentenceEnd) {
  EXPECT_EQ(LeadParagraph("  长沙地铁开通。\n\n第二段。"), "长沙地铁开通。");
  EXPECT_EQ(LeadParagraph("只有一段"), "只有一段");
  EXPECT_EQ(LeadParagraph(""), "");
  std::string long_paragraph;
  for (int i = 0; i < 30; ++i) long_paragraph += "一句话有九个字。";  // 24 bytes each
  const absl::string_view lead = LeadParagraph(long_paragraph);
  EXPECT_LE(lead.size(), kLeadMaxBytes);
  EXPECT_TRUE(absl::EndsWith(lead, "。"));
  EXPECT_EQ(lead.size() % 24, 0u);
  // No sentence end: cut at the limit on a character boundary.
  const std::string run(300 * 3, 'x');
  EXPECT_EQ(LeadParagraph(run).size(), kLeadMaxBytes);
  std::string han = "a";
  for (int i = 0; i < 200; ++i) han += "字";
  EXPECT_EQ(LeadParagraph(han).size(), 478u) << "1 + 159 characters of 3 bytes";
}

TEST(BuildDocumentTest, LeadTermsWeighMoreThanTheRestOfTheBody) {
  auto analyzer = MakeAnalyzer(analysis::Segmentation::kBigrams);
  ASSERT_TRUE(analyzer);
  v1::Article article;
  article.set_id("a");
  article.set_body("长沙地铁开通。\n\n市民乘车前往长沙南站。\n\n西安也有地铁。");
  const Xapian::Document doc = BuildDocument(*analyzer, article, kTitleWdf, 3);
  std::map<std::string, Xapian::termcount> wdf;
  for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) wdf[*t] = t.get_wdf();
  EXPECT_EQ(wdf["长沙"], 3u + 1u) << "lead 3, second paragraph 1";
  EXPECT_EQ(wdf["西安"], 1u);
  EXPECT_EQ(wdf["地铁"], 3u + 1u);
}

TEST(CheckIndexAnalyzerTest, RefusesAnIndexWithPositionsOnBigrams) {
  // The signature recorded before bigrams lost their positions: phrase
  // queries over its unigrams would find nothing there.
  const std::string path = ::testing::TempDir() + "/check_index_analyzer_bigram_positions";
  std::filesystem::remove_all(path);
  {
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
    db.set_metadata(kAnalyzerKey, "bigrams fold=s2t+tw2sp");
    db.add_document(Xapian::Document());
    db.commit();
  }
  auto bigrams = MakeAnalyzer(analysis::Segmentation::kBigrams);
  ASSERT_TRUE(bigrams);
  const absl::Status refused = CheckIndexAnalyzer(path, *bigrams);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()),
              ::testing::AllOf(::testing::HasSubstr("`bigrams fold=s2t+tw2sp`"),
                               ::testing::HasSubstr("positions=unigrams"),
                               ::testing::HasSubstr("newer index format"),
                               ::testing::HasSubstr("move the index away")));
  std::filesystem::remove_all(path);
}

TEST(CheckIndexAnalyzerTest, UnrecordedIndexWithDocumentsIsTheOldAnalyzer) {
  const std::string path = ::testing::TempDir() + "/check_index_analyzer_old";
  std::filesystem::remove_all(path);
  {
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
    db.add_document(Xapian::Document());
    db.commit();
  }
  auto bigrams = MakeAnalyzer(analysis::Segmentation::kBigrams);
  ASSERT_TRUE(bigrams);
  const absl::Status refused = CheckIndexAnalyzer(path, *bigrams);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("`bigrams fold=t2s`"));
  std::filesystem::remove_all(path);
}

}  // namespace
}  // namespace newsearch::search::schema
