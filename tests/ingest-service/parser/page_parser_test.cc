// Behaviour tests for PageParser (ingest-service/parser/page_parser.h):
// charsets, rejections, mangled and deeply nested input. The golden parses
// of every test page are in golden_test.cc.
#include "ingest-service/parser/page_parser.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/parser/charset.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kHint[] = "测试来源";

std::string TestdataDir() {
  const char* root = std::getenv("NEWSEARCH_SOURCE_DIR");
  return absl::StrCat(root == nullptr ? "." : root, "/tests/testdata/pages");
}

std::string ReadPage(const std::string& relative) {
  std::ifstream in(absl::StrCat(TestdataDir(), "/", relative), std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

size_t ParagraphCount(const std::string& body) {
  return std::vector<std::string>(absl::StrSplit(body, "\n\n")).size();
}

class PageParserTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<PageParser>> parser = PageParser::Create();
    ASSERT_TRUE(parser.ok()) << parser.status();
    parser_ = parser->release();
  }
  static void TearDownTestSuite() {
    delete parser_;
    parser_ = nullptr;
  }

  static absl::StatusOr<ParsedPage> Parse(absl::string_view content,
                                          const std::string& content_type = "",
                                          const std::string& source_hint = kHint) {
    PageInput input;
    input.content = content;
    input.content_type = content_type;
    input.source_hint = source_hint;
    input.url = "https://news.example.cn/a/1.html";
    return parser_->Parse(input);
  }

  static PageParser* parser_;
};

PageParser* PageParserTest::parser_ = nullptr;

TEST_F(PageParserTest, FollowsCharsetFromContentType) {
  absl::StatusOr<ParsedPage> page =
      Parse(ReadPage("samples/s02_gbk_anxi_tea.txt"), "text/plain; charset=gbk");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->detected_encoding, "GB18030");
  EXPECT_THAT(absl::StrJoin(page->warnings, "\n"), Not(HasSubstr("charset")));
}

TEST_F(PageParserTest, WarnsWhenCharsetHintIsWrong) {
  absl::StatusOr<ParsedPage> page =
      Parse(ReadPage("seeds/000_e08991b09324d687.txt"), "text/plain; charset=gbk");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->detected_encoding, "UTF-8");
  EXPECT_THAT(page->warnings, ::testing::Contains(
                                   "charset_hint_wrong: charset hint gbk was wrong, decoded as UTF-8"));
}

TEST_F(PageParserTest, ReadsUtf16WithByteOrderMark) {
  const std::string utf8 = ReadPage("samples/s06_wechat_village_library.txt");
  std::string utf16 = "\xFF\xFE";
  for (char32_t cp : text::ToCodePoints(utf8)) {
    ASSERT_LT(cp, 0x10000u);  // The sample is all BMP.
    utf16.push_back(static_cast<char>(cp & 0xFF));
    utf16.push_back(static_cast<char>(cp >> 8));
  }
  absl::StatusOr<ParsedPage> page = Parse(utf16);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->detected_encoding, "UTF-16LE");
  EXPECT_EQ(page->articles[0].title(), "乡村图书馆夜间开放 农民下了地就来“充电”");
}

TEST_F(PageParserTest, RejectsPagesWithoutArticle) {
  const struct {
    std::string content;
    std::string content_type;
    std::string message;  // Substring of the error message.
    std::string reason;
  } cases[] = {
      {"", "", "empty", "no bytes at all"},
      {" \n\t\r\n\u3000\u00a0\n", "", "whitespace", "whitespace only, incl. full-width"},
      {"关闭\n\n首页 > 新闻 > 正文\n\n【打印】【关闭】\n【字体：大 中 小】\n", "", "navigation",
       "text navigation only"},
      {"<html><body><nav><a href='/'>首页</a><a href='/n'>新闻中心</a></nav>"
       "<ul><li><a href='/1'>省委召开常委会议研究部署近期工作</a></li>"
       "<li><a href='/2'>全市经济运行情况新闻发布会举行</a></li></ul>"
       "<footer>版权所有 某某新闻网</footer></body></html>",
       "text/html", "navigation", "HTML with links and footer only"},
      {"市政府召开会议\n\n2018-04-23 来源：某某日报\n\n会议很短。\n", "", "body",
       "a headline and metadata but almost no body text"},
      {"这是一段很长的正文句子，说明了这个页面只有句子而没有任何可以作为标题的短行，"
       "因此无法确定标题。\n",
       "", "headline", "only long sentences, no headline"},
      {"news \x80\xFF\x80 bytes", "", "offset 5", "undecodable bytes name the offset"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<ParsedPage> page = Parse(c.content, c.content_type);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << c.reason;
    EXPECT_THAT(page.status().message(), HasSubstr(c.message)) << c.reason;
  }
}

// Truncated and corrupted copies of every page parse or fail cleanly, and
// never yield invalid UTF-8.
TEST_F(PageParserTest, NeverEmitsInvalidUtf8OnMangledPages) {
  std::vector<std::string> pages;
  for (const char* file :
       {"seeds/000_e08991b09324d687.txt", "seeds/001_f232a6c978050cd9.txt",
        "seeds/002_331070705eee9b45.txt", "seeds/003_2477d4934d8ca5cb.txt",
        "seeds/004_88467e9bd05f3f70.txt", "samples/s02_gbk_anxi_tea.txt",
        "samples/s03_big5_kinmen_ferry.txt", "samples/s04_html_shenzhen_robot.html"}) {
    pages.push_back(ReadPage(file));
    ASSERT_FALSE(pages.back().empty()) << file;
  }
  for (const std::string& original : pages) {
    for (int variant = 0; variant < 12; ++variant) {
      std::string bytes = original;
      if (variant < 6) {
        bytes.resize(bytes.size() * (variant + 1) / 7 + 1);  // Cut mid-character.
      } else {
        for (size_t i = variant; i < bytes.size(); i += 97 + variant) {
          bytes[i] = static_cast<char>(bytes[i] ^ (0x55 + variant));
        }
      }
      absl::StatusOr<ParsedPage> page = Parse(bytes);
      if (!page.ok()) {
        EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
        continue;
      }
      for (const v1::Article& a : page->articles) {
        for (const std::string* field : {&a.title(), &a.subtitle(), &a.body(), &a.source()}) {
          EXPECT_EQ(FirstInvalidUtf8Offset(*field), absl::string_view::npos);
        }
        EXPECT_FALSE(a.title().empty());
      }
    }
  }
}

TEST_F(PageParserTest, SurvivesDeeplyNestedHtml) {
  std::string html = "<html><body>";
  for (int i = 0; i < 100000; ++i) html += "<div><span>";
  html += "<h1>嵌套很深的页面标题</h1><p>这是一段足够长的正文内容，用来确认解析器在极深的嵌套结构下"
          "仍然能够提取文字而不会崩溃。</p>";
  absl::StatusOr<ParsedPage> page = Parse(html, "text/html");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->articles[0].body(), HasSubstr("仍然能够提取文字而不会崩溃"));
  EXPECT_THAT(page->warnings, ::testing::Contains(HasSubstr("nested too deeply")));
}

TEST_F(PageParserTest, ReadsHtmlTitleWhenThereIsNoH1) {
  const std::string html =
      "<html><head><meta charset=\"utf-8\"><title>全省春耕备耕工作有序推进_农业频道_某某网"
      "</title></head><body><div class=\"content\"><p>眼下正值春耕备耕的关键时期，全省各地农民"
      "抢抓农时，田间地头一派繁忙景象。</p><p>农业部门组织技术人员深入一线指导生产。</p>"
      "</div></body></html>";
  absl::StatusOr<ParsedPage> page = Parse(html);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->articles[0].title(), "全省春耕备耕工作有序推进");
  EXPECT_EQ(ParagraphCount(page->articles[0].body()), 2u);
  EXPECT_THAT(page->warnings, ::testing::Contains("title_guessed: title taken from the HTML <title>"));
}

TEST_F(PageParserTest, DatesFromMarkupAndUrl) {
  // No printed date: the <meta> publication time (in UTC) dates the page.
  const std::string html =
      "<html><head><meta charset=\"utf-8\"><meta name=\"PubDate\" "
      "content=\"2019-03-04T20:00:00Z\"></head><body><h1>全省春耕备耕工作有序推进</h1>"
      "<p>眼下正值春耕备耕的关键时期，全省各地农民抢抓农时，田间地头一派繁忙景象。</p>"
      "</body></html>";
  absl::StatusOr<ParsedPage> page = Parse(html);
  ASSERT_TRUE(page.ok()) << page.status();
  // 2019-03-04 20:00 UTC is 2019-03-05 04:00 in China.
  EXPECT_EQ(page->articles[0].published_at().seconds(),
            absl::ToUnixSeconds(
                absl::FromCivil(absl::CivilSecond(2019, 3, 4, 20, 0, 0), absl::UTCTimeZone())));

  // A yearless date takes its year from the URL, and says so.
  PageInput input;
  const std::string text =
      "河口古渡码头修缮完工\n\n十二月二十日　来源：河口晚报\n\n"
      "经过八个月的修缮，河口古渡码头重新向市民开放，九十九级石阶基本恢复旧貌。\n";
  input.content = text;
  input.url = "https://news.example.cn/2020/12/20/1.html";
  page = parser_->Parse(input);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->articles[0].published_at().seconds(),
            absl::ToUnixSeconds(
                absl::FromCivil(absl::CivilSecond(2020, 12, 19, 16, 0, 0), absl::UTCTimeZone())));
  EXPECT_THAT(page->warnings, ::testing::Contains(HasSubstr("year_inferred")));
  EXPECT_THAT(page->warnings, ::testing::Contains(HasSubstr("time_unknown")));

  // Without a year anywhere the date is not guessed.
  input.url = "https://news.example.cn/a/1.html";
  page = parser_->Parse(input);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_FALSE(page->articles[0].has_published_at());
  EXPECT_THAT(page->warnings, ::testing::Contains(HasSubstr("no_date")));
}

TEST_F(PageParserTest, FollowsMetaCharsetInGbkHtml) {
  // `<meta charset="gbk">` page whose bytes are GBK.
  // GBK never uses 0x0A as a trail byte, so the bytes split cleanly on lines.
  std::string html = "<html><head><meta charset=\"gbk\"></head><body>";
  for (absl::string_view line : absl::StrSplit(ReadPage("samples/s02_gbk_anxi_tea.txt"), '\n')) {
    absl::StrAppend(&html, "<p>", line, "</p>\n");
  }
  html += "</body></html>";
  absl::StatusOr<ParsedPage> page = Parse(html);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->detected_encoding, "GB18030");
  EXPECT_EQ(page->articles[0].title(), "安溪茶农开起直播间 铁观音线上销量翻番");
  EXPECT_THAT(page->articles[0].body(), HasSubstr("兰花香特别明显"));
  EXPECT_THAT(absl::StrJoin(page->warnings, "\n"), Not(HasSubstr("charset")));
}

}  // namespace
}  // namespace newsearch::ingest
