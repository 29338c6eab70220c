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
