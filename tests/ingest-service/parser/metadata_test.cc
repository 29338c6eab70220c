// Tests the free-text metadata readers (ingest-service/parser/metadata.h).
#include "ingest-service/parser/metadata.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::ingest {
namespace {

using ::testing::ElementsAreArray;

std::string Format(const DateMatch& d) {
  return absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d%s", d.civil.year(), d.civil.month(),
                         d.civil.day(), d.civil.hour(), d.civil.minute(), d.civil.second(),
                         d.has_time ? "" : " (day only)");
}

TEST(FindDateTest, ReadsDateFormats) {
  const struct {
    const char* text;
    const char* want;  // Empty: no date.
    const char* reason;
  } cases[] = {
      {"2018-04-23 07:36:02  来源:中国台州网", "2018-04-23 07:36:02", "seed 000 date and time"},
      {"2018-04-23", "2018-04-23 00:00:00 (day only)", "ISO day"},
      {"2014年07月29日 来源: 《非公有制企业党建》", "2014-07-29 00:00:00 (day only)",
       "seed 001 zero-padded Chinese date"},
      {"2018年4月23日", "2018-04-23 00:00:00 (day only)", "Chinese date without padding"},
      {"2018/4/23", "2018-04-23 00:00:00 (day only)", "slashes"},
      {"2018.4.23 9:05", "2018-04-23 09:05:00", "dots and a one-digit hour"},
      {"２０２０年６月２５日　１０：３０", "2020-06-25 10:30:00", "full-width digits and colon"},
      {"2019年10月1日 20时15分", "2019-10-01 20:15:00", "Chinese time units"},
      {"发布时间：2020年4月23日 15:20", "2020-04-23 15:20:00", "date after a label"},
      {"2018-02-30", "", "impossible day"},
      {"2018-13-01", "", "impossible month"},
      {"1850-01-01", "", "year out of range"},
      {"2018-04-23 25:61", "2018-04-23 00:00:00 (day only)", "invalid time is ignored"},
      {"12018-04-23", "", "five-digit number is not a year"},
      {"2013年7月,有“中国淘宝第一村”", "", "month without a day (seed 001 body)"},
      {"今年2月1日", "", "day without a year"},
      {"二〇一九年三月五日　星期二", "2019-03-05 00:00:00 (day only)",
       "Chinese numerals with a weekday"},
      {"二○二一年四月九日 20:40", "2021-04-09 20:40:00", "○ (U+25CB) and a time"},
      {"二零二零年十二月三十一日", "2020-12-31 00:00:00 (day only)", "零 and 三十一"},
      {"2019-03-04T20:00:00Z", "2019-03-05 04:00:00", "UTC zone moved to China time"},
      {"2020-11-02T09:30:00+0800", "2020-11-02 09:30:00", "zone without a colon"},
      {"2020-11-01T23:30:00-05:00", "2020-11-02 12:30:00", "negative zone"},
      {"2018-4", "", "incomplete date"},
  };
  for (const auto& c : cases) {
    std::optional<DateMatch> date = FindDate(c.text);
    if (c.want[0] == '\0') {
      EXPECT_FALSE(date.has_value()) << c.reason << ": got " << Format(*date);
    } else {
      ASSERT_TRUE(date.has_value()) << c.reason;
      EXPECT_EQ(Format(*date), c.want) << c.reason;
    }
  }
}

TEST(FindDateTest, ReadsMonthAndDayWithoutYear) {
  std::optional<DateMatch> d = FindMonthDay("十二月二十日 09:15");
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->has_year);
  EXPECT_TRUE(d->has_time);
  EXPECT_EQ(d->civil.month(), 12);
  EXPECT_EQ(d->civil.day(), 20);
  ASSERT_TRUE(SetYear(2020, &*d));
  EXPECT_EQ(Format(*d), "2020-12-20 09:15:00");
  d = FindMonthDay("2月29日");
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(SetYear(2019, &*d)) << "no 29 February in 2019";
  EXPECT_FALSE(FindMonthDay("13月2日").has_value());
  EXPECT_FALSE(FindMonthDay("3月份").has_value());
  // Not read as a full date: the yearless reader is separate.
  EXPECT_FALSE(FindDate("十二月二十日").has_value());
}

TEST(FindDateTest, ReadsChinaStandardTime) {
  // 2018-04-23 07:36:02 +08:00 is 2018-04-22 23:36:02 UTC.
  EXPECT_EQ(absl::ToUnixSeconds(ChinaTimeToInstant(absl::CivilSecond(2018, 4, 23, 7, 36, 2))),
            1524440162);
}

TEST(StripPinyinGlossesTest, RemovesOnlyGlosses) {
  EXPECT_EQ(StripPinyinGlosses("烏鎮(zhèn)網(wǎng)事"), "烏鎮網事");
  EXPECT_EQ(StripPinyinGlosses("來(lái)源: 光明網(wǎng)-黨建頻道"), "來源: 光明網-黨建頻道");
  EXPECT_EQ(StripPinyinGlosses("图为签订承诺。(资料图片)"), "图为签订承诺。(资料图片)");
  EXPECT_EQ(StripPinyinGlosses("5G (fifth generation)"), "5G (fifth generation)");
}

struct MetaCase {
  std::string line;
  bool is_metadata;
  std::string date;  // Format() of the date, empty for none.
  std::string source;
  std::vector<std::string> authors;
  std::vector<std::string> editors;
  std::string reason;
};

TEST(ParseMetadataLineTest, ReadsMetadataLines) {
  const MetaCase cases[] = {
      {"2018-04-23 07:36:02\u00a0\u00a0 来源:中国台州网-台州日报\u00a0\u00a0  葛星星", true,
       "2018-04-23 07:36:02", "中国台州网-台州日报", {"葛星星"}, {},
       "seed 000: author after a wide gap in the source field"},
      {"2014年07月29日 来源: 《非公有制企业党建》 作者: 本刊记者 朱诗意 编辑: 章玉娟", true,
       "2014-07-29 00:00:00 (day only)", "非公有制企业党建", {"朱诗意"}, {"章玉娟"},
       "seed 001: four fields on one line, magazine in 《》"},
      {"來(lái)源: 光明網(wǎng)-黨建頻道", true, "", "光明網-黨建頻道", {}, {},
       "seed 004: traditional label with pinyin glosses"},
      {"责任编辑:丁楚兰", true, "", "", {}, {"丁楚兰"}, "seed 000 editor line"},
      {"□本报记者 宋爽", true, "", "", {"宋爽"}, {}, "seed 003 byline"},
      {"□宋爽", true, "", "", {"宋爽"}, {}, "seed 003 bare byline"},
      {"□本刊記者 王楓林", true, "", "", {"王楓林"}, {}, "seed 002 traditional byline"},
      {"本报记者　李响　通讯员　周芳", true, "", "", {"李响", "周芳"}, {},
       "two reporters with full-width spaces"},
      {"2021-11-03 09:15 來源：金門日報 記者 許志明", true, "2021-11-03 09:15:00",
       "金門日報", {"許志明"}, {}, "reporter after a single space in the source"},
      {"（编辑：徐静）", true, "", "", {}, {"徐静"}, "line in full-width brackets"},
      {"编辑：王芳　责任编辑：赵强", true, "", "", {}, {"王芳", "赵强"}, "two editors"},
      {"2017-09-01", true, "2017-09-01 00:00:00 (day only)", "", {}, {}, "bare date line"},
      {"他告诉记者:今后会更好。", false, "", "", {}, {}, "speech to a reporter is body text"},
      {"2013年从东阳广厦学院毕业后,李扬与两个朋友来到“淘宝村”开了一家服饰网店", false, "",
       "", {}, {}, "body sentence starting with a year"},
      {"2018年4月23日，市委召开会议。", false, "", "", {}, {}, "body sentence starting with a date"},
      {"本报记者 陈春艳 摄", false, "", "", {}, {}, "photo credit is not a byline"},
      {"视点", false, "", "", {}, {}, "section head"},
      {"二〇一九年三月五日　星期二　　来源：滨江日报", true, "2019-03-05 00:00:00 (day only)",
       "滨江日报", {}, {}, "Chinese-numeral date before a source label"},
      {"2022年8月30日 10:00 ｜ 金沙日報", true, "2022-08-30 10:00:00", "金沙日報", {}, {},
       "date, a full-width bar, then the outlet"},
      {"人民网 | 2019年03月05日 10:20 | 作者：张三", true, "2019-03-05 10:20:00", "人民网",
       {"张三"}, {}, "outlet and date before a label"},
      {"作者：邱明远 2020年11月02日", true, "2020-11-02 00:00:00 (day only)", "", {"邱明远"}, {},
       "a date inside the author field"},
      {"本報記者 陳思妤／二○二一年四月九日 20:40", true, "2021-04-09 20:40:00", "", {"陳思妤"},
       {}, "a byline and a Chinese-numeral date"},
      {"2021年6月17日 □记者 温晓岚", true, "2021-06-17 00:00:00 (day only)", "", {"温晓岚"}, {},
       "a date then a byline"},
      {"发布时间：十二月二十日 09:15　　来源：河口晚报", true, "2000-12-20 09:15:00", "河口晚报",
       {}, {}, "yearless date after a label (year 2000 is the placeholder)"},
      {"十二月二十日", true, "2000-12-20 00:00:00 (day only)", "", {}, {}, "yearless date line"},
      {"新华网　2019-03-05 10:20:33　【字号 大 中 小】", true, "2019-03-05 10:20:33", "新华网", {},
       {}, "outlet, date and a font-size bar"},
      {"[2019-03-05 10:20]  [来源:人民网]  [作者:张三]", true, "2019-03-05 10:20:00", "人民网",
       {"张三"}, {}, "every field in square brackets"},
      {"2019-03-05 10:20:33 来源：人民网-人民日报 【打印】【纠错】", true, "2019-03-05 10:20:33",
       "人民网-人民日报", {}, {}, "link labels after the source"},
      {"来源：人民网 | 2019-03-05 10:20", true, "2019-03-05 10:20:00", "人民网", {}, {},
       "a date after the source"},
      {"12月20日，市委召开会议。", false, "", "", {}, {}, "body sentence with a yearless date"},
  };
  for (const MetaCase& c : cases) {
    std::optional<LineMetadata> meta = ParseMetadataLine(c.line);
    ASSERT_EQ(meta.has_value(), c.is_metadata) << c.reason;
    if (!meta) continue;
    EXPECT_EQ(meta->date ? Format(*meta->date) : "", c.date) << c.reason;
    EXPECT_EQ(meta->source, c.source) << c.reason;
    EXPECT_THAT(meta->authors, ElementsAreArray(c.authors)) << c.reason;
    EXPECT_THAT(meta->editors, ElementsAreArray(c.editors)) << c.reason;
  }
}

}  // namespace
}  // namespace newsearch::ingest
