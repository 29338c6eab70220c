// Tests the page-level date readers (ingest-service/parser/page_dates.h).
#include "ingest-service/parser/page_dates.h"

#include <optional>

#include "gtest/gtest.h"

namespace newsearch::ingest {
namespace {

TEST(YearFromUrlTest, ReadsDatedPaths) {
  EXPECT_EQ(YearFromUrl("https://news.example.cn/2019/03/05/a.html"), 2019);
  EXPECT_EQ(YearFromUrl("http://www.example.cn/local/201912/t20191220_123.html"), 2019);
  EXPECT_EQ(YearFromUrl("https://example.cn/news/20201221/77.shtml"), 2020);
  EXPECT_EQ(YearFromUrl("https://example.cn/n/2021-05-06/x.html"), 2021);
  EXPECT_EQ(YearFromUrl("https://news.example.cn/a/1.html"), 0);
  EXPECT_EQ(YearFromUrl("https://news2019.example.cn/a/1.html"), 0) << "host, not path";
  EXPECT_EQ(YearFromUrl("https://example.cn/article/12345678.html"), 0) << "an id, not a date";
  EXPECT_EQ(YearFromUrl("https://example.cn/item/2019x.html"), 0);
  EXPECT_EQ(YearFromUrl(""), 0);
}

TEST(DatelineDateTest, ReadsWireDatelines) {
  std::optional<DateMatch> d = DatelineDate("新华社北京12月20日电 记者从会上获悉");
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->has_year);
  EXPECT_EQ(d->civil.month(), 12);
  EXPECT_EQ(d->civil.day(), 20);
  d = DatelineDate("本报讯（记者 张三）十二月二十日，河口古渡码头重新开放。");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->civil.day(), 20);
  d = DatelineDate("中新网上海2019年3月5日电 上海今天发布");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->has_year);
  EXPECT_EQ(d->civil.year(), 2019);
  EXPECT_FALSE(DatelineDate("12月20日，市委召开会议。").has_value()) << "no agency";
  EXPECT_FALSE(DatelineDate("记者了解到，活动将持续到12月20日结束。").has_value());
}

}  // namespace
}  // namespace newsearch::ingest
