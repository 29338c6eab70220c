// Golden and behaviour tests for PageParser (ingest-service/parser/page_parser.h)
// over the five real seeds and the project's own sample pages in
// tests/testdata/pages/.
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

// "YYYY-MM-DD HH:MM" in China Standard Time, or "none".
std::string FormatPublished(const v1::Article& article) {
  if (!article.has_published_at()) return "none";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(article.published_at().seconds()),
                          absl::FixedTimeZone(8 * 60 * 60));
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

struct GoldenCase {
  std::string file;
  std::string title;
  std::string subtitle;
  std::string published;  // "YYYY-MM-DD HH:MM" (UTC+8) or "none".
  std::string source;
  std::vector<std::string> authors;
  std::vector<std::string> editors;
  std::string script;
  std::string encoding;
  size_t paragraphs;
  std::vector<std::string> in_body;
  std::vector<std::string> not_in_body;  // Chrome that must be gone.
  std::vector<std::string> warnings;     // Substrings of expected warnings.
  std::string reason;
};

std::vector<GoldenCase> GoldenCases() {
  return {
      {"seeds/000_e08991b09324d687.txt",
       "路桥:“红色领航”助推互联网企业扬帆前行",
       "",
       "2018-04-23 07:36",
       "中国台州网-台州日报",
       {"葛星星"},
       {"丁楚兰"},
       "zh-Hans",
       "UTF-8",
       20,
       {"图为电商企业集体签订“五不”承诺。(资料图片)", "“企业的困惑,就是我们工作的方向”",
        "互联网企业正日益成为新时代基层党建的新领域、新坐标。"},
       {"关闭", "责任编辑", "相关阅读", "来源", "07:36"},
       {},
       "date, source and author share one line; 关闭 above, 责任编辑/相关阅读 below"},
      {"seeds/001_f232a6c978050cd9.txt",
       "义乌新经验",
       "一个城市的网商党建报告",
       "2014-07-29 00:00",
       "非公有制企业党建",
       {"朱诗意"},
       {"章玉娟"},
       "zh-Hans",
       "UTF-8",
       38,
       {"网商支部会定期组织网商党员们开展业务交流。", "求解生命力", "QQ群里都有聊过天",
        "至少是非常有意义的探索"},
       {"您当前的位置", "和合情", "凝聚向上的力量", "杂志出品", "微信号", "扫一扫", "小菲",
        "相关稿件", "友情链接", "人民网", "2014年07月29日"},
       {},
       "headline under site chrome, —— subtitle, four fields on one line, WeChat promo"},
      {"seeds/002_331070705eee9b45.txt",
       "烏鎮(zhèn)網(wǎng)事",
       "",
       "none",
       kHint,
       {"王楓林"},
       {},
       "zh-Hant",
       "UTF-8",
       20,
       {"眼下,最讓人激動的事情莫過于", "COO李天成", "目前在冊黨員共8名?!拔覀児臼墙衲?月份",
        "為桐鄉(xiāng)電商經(jīng)濟發(fā)展注入了強勁動力。"},
       {"□", "/p>"},
       {"no publication date found", "used source_hint"},
       "traditional with pinyin glosses and mojibake kept; byline above and below the title"},
      {"seeds/003_2477d4934d8ca5cb.txt",
       "让党建成为互联网企业发展 方向盘",
       "",
       "none",
       kHint,
       {"宋爽", "郝雪莲"},
       {},
       "zh-Hans",
       "UTF-8",
       42,
       {"已建立党组织的企业有121个,在册党员546人。", "确保党的组织和工作在互联网企业有形有效覆盖",
        "2017年销售业绩突破2700万元", "观潮", "(李志海)"},
       {"□", "视点\n", "在\n\n册"},
       {"joined 8 paragraphs broken mid-sentence", "no publication date found"},
       "newspaper page: section heads kept, lines broken mid-sentence joined, bylines removed"},
      {"seeds/004_88467e9bd05f3f70.txt",
       "黨建賦能 杭州西湖區(qū)積極探索基層網(wǎng)絡(luò)綜合治理新路徑",
       "浙江省杭州市西湖區(qū)互聯(lián)網(wǎng)業(yè)聯(lián)合會(huì)黨委",
       "none",
       "光明網-黨建頻道",
       {},
       {},
       "zh-Hant",
       "UTF-8",
       16,
       {"一、案例背景", "凝聚和壯大了網(wǎng)上正能量。"},
       {"來(lái)源", "光明網"},
       {"title_guessed: title taken from the first line", "no publication date found"},
       "first line is title——subtitle; trailing 來源 line names the source"},
      {"samples/s01_trad_hualien_typhoon.txt",
       "颱風「海燕」逼近 花蓮漁港緊急封港",
       "",
       "2023-08-12 14:30",
       "花蓮日報",
       {"林美玲"},
       {},
       "zh-Hant",
       "UTF-8",
       5,
       {"花蓮漁港、石梯漁港等五座漁港", "切勿前往海邊觀浪"},
       {"關閉", "字體", "分享到", "相關新聞", "颱風假", "首頁"},
       {},
       "traditional page with chrome and a 相關新聞 trailer"},
      {"samples/s02_gbk_anxi_tea.txt",
       "安溪茶农开起直播间 铁观音线上销量翻番",
       "",
       "2019-06-05 00:00",
       "安溪新闻网",
       {"苏婉清"},
       {"黄志强"},
       "zh-Hans",
       "GB18030",
       4,
       {"兰花香特别明显", "让“安溪铁观音”这块金字招牌越擦越亮。"},
       {"您当前的位置", "打印", "扫一扫", "相关阅读", "茶王赛"},
       {"guessed GB18030"},
       "GBK bytes without a charset hint; 2019/6/5 date"},
      {"samples/s03_big5_kinmen_ferry.txt",
       "小三通客輪復航首日 金門碼頭湧現返鄉人潮",
       "",
       "2021-11-03 09:15",
       "金門日報",
       {"許志明"},
       {"陳雅婷"},
       "zh-Hant",
       "Big5",
       4,
       {"不少人手上還提著貢糖和高粱酒", "帶動島上旅宿與餐飲業的復甦。"},
       {"列印", "關閉視窗", "金門新聞網", "責任編輯"},
       {"guessed Big5"},
       "Big5 bytes without a charset hint"},
      {"samples/s04_html_shenzhen_robot.html",
       "深圳社区试点无人配送机器人 快递最后一百米交给“小蓝”",
       "",
       "2022-03-18 10:05",
       "深圳特区报",
       {"陈晓东"},
       {},
       "zh-Hans",
       "UTF-8",
       4,
       {"准确停在了12栋楼下", "并探索配送生鲜和药品。"},
       {"广告加载中", "样式里的中文", "热门排行", "侧栏", "版权所有", "页脚脚本", "上一篇",
        "要闻", "南方某某网", "您当前的位置", "分享到微博", "_科技频道"},
       {},
       "HTML with script, style, nav, header, aside, share bar and footer"},
      {"samples/s05_fullwidth_yueyang_dragonboat.txt",
       "汨罗江上百舸争流 国际龙舟邀请赛开赛",
       "",
       "2020-06-25 10:30",
       "岳阳日报",
       {"李响", "周芳"},
       {},
       "zh-Hans",
       "UTF-8",
       4,
       {"汨罗市龙舟队以２分３８秒的成绩", "预计吸引游客超过１０万人次。"},
       {"打印", "关闭", "岳阳新闻网", "本报记者", "\u3000"},
       {},
       "full-width digits in the date, full-width spaces around paragraphs"},
      {"samples/s06_wechat_village_library.txt",
       "乡村图书馆夜间开放 农民下了地就来“充电”",
       "",
       "2017-09-01 00:00",
       "皖南晚报",
       {"方晓燕"},
       {"王芳", "赵强"},
       "zh-Hans",
       "UTF-8",
       5,
       {"藏书一万两千余册", "真正成为农民家门口的“精神粮仓”。"},
       {"微信公众号", "获取更多本地资讯", "扫一扫", "相关阅读", "农家书屋", "编辑", "关闭"},
       {},
       "WeChat promo block and 相关阅读 trailer"},
      {"samples/s07_mixed_english_ningbo_port.txt",
       "5G+智慧港口落地宁波舟山港 远程操控桥吊效率提升三成",
       "",
       "2020-04-23 15:20",
       "浙江港航在线",
       {"周敏"},
       {"徐静"},
       "zh-Hans",
       "UTF-8",
       5,
       {"港区COO孙立伟介绍", "200多人的QQ群和内部App", "5G网络的时延低于20毫秒", "AI视觉系统"},
       {"首页", "纠错", "关闭窗口", "徐静"},
       {},
       "mixed English terms kept; 发布时间 label; editor in brackets"},
      {"samples/s08_messy_saline_rice.txt",
       "盐碱地里种出“海水稻” 亩产突破六百公斤",
       "",
       "none",
       kHint,
       {"赵丽"},
       {},
       "zh-Hans",
       "UTF-8",
       5,
       {"联合科研院所开展试种，经过改良土壤", "需要进一步加大研发投入。", "（赵丽）"},
       {"</p>", "打印", "关闭", "视点", "□", "相关稿件"},
       {"joined 2 paragraphs broken mid-sentence", "no publication date found"},
       "stray </p>, sentences broken across blank lines, no date"},
  };
}

TEST_F(PageParserTest, ParsesGoldenPages) {
  for (const GoldenCase& c : GoldenCases()) {
    SCOPED_TRACE(absl::StrCat(c.file, ": ", c.reason));
    const std::string bytes = ReadPage(c.file);
    ASSERT_FALSE(bytes.empty()) << "missing test page under " << TestdataDir();
    absl::StatusOr<ParsedPage> page = Parse(bytes);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->articles.size(), 1u);
    const v1::Article& a = page->articles[0];
    EXPECT_EQ(a.title(), c.title);
    EXPECT_EQ(a.subtitle(), c.subtitle);
    EXPECT_EQ(FormatPublished(a), c.published);
    EXPECT_EQ(a.source(), c.source);
    EXPECT_THAT(a.authors(), ElementsAreArray(c.authors));
    EXPECT_THAT(a.editors(), ElementsAreArray(c.editors));
    EXPECT_EQ(a.script(), c.script);
    EXPECT_EQ(a.detected_encoding(), c.encoding);
    EXPECT_EQ(page->detected_encoding, c.encoding);
    EXPECT_EQ(ParagraphCount(a.body()), c.paragraphs) << a.body();
    for (const std::string& phrase : c.in_body) EXPECT_THAT(a.body(), HasSubstr(phrase));
    for (const std::string& chrome : c.not_in_body) {
      EXPECT_THAT(a.body(), Not(HasSubstr(chrome)));
    }
    const std::string warnings = absl::StrJoin(a.warnings(), "\n");
    for (const std::string& w : c.warnings) EXPECT_THAT(warnings, HasSubstr(w));
    EXPECT_THAT(a.warnings(), ElementsAreArray(page->warnings));
    // Paragraphs are trimmed and separated by exactly one blank line.
    for (absl::string_view p : absl::StrSplit(a.body(), "\n\n")) {
      EXPECT_FALSE(p.empty());
      EXPECT_EQ(text::Trim(p), p);
      EXPECT_THAT(std::string(p), Not(HasSubstr("\n")));
    }
    EXPECT_EQ(a.url(), "https://news.example.cn/a/1.html");
    EXPECT_TRUE(a.id().empty());
    EXPECT_EQ(a.seq(), 0);
  }
}

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
  for (const GoldenCase& c : GoldenCases()) pages.push_back(ReadPage(c.file));
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
