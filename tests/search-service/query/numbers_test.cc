#include "search-service/query/numbers.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::search {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

TEST(NumberFormsTest, AmountsInWanAndYi) {
  EXPECT_THAT(NumberForms("3000万"), ElementsAre("3000万", "30000000", "30,000,000", "3,000万",
                                                 "3千万"));
  EXPECT_THAT(NumberForms("3.01亿"), Contains("30100万"));
  EXPECT_THAT(NumberForms("30100万"), Contains("3.01亿"));
  EXPECT_THAT(NumberForms("1044万"), Contains("1,044万"));
  EXPECT_THAT(NumberForms("1,044萬"), Contains("1044万"));
  EXPECT_THAT(NumberForms("3千万元"), Contains("3000万元"));
  EXPECT_THAT(NumberForms("5000元"), Contains("5千元"));
}

TEST(NumberFormsTest, PlainNumbersAndDecimals) {
  EXPECT_THAT(NumberForms("12000家"), ElementsAre("12000家", "12,000家", "1.2万家"));
  EXPECT_THAT(NumberForms("1.2万家"), Contains("12000家"));
  EXPECT_THAT(NumberForms("66.21万"), Contains("662100"));
  EXPECT_THAT(NumberForms("456.7亿"), ElementsAre("456.7亿"))
      << "4567000万 (7 digits before 万) and 11 plain digits are not how it is written";
  EXPECT_THAT(NumberForms("0.3亿"), Contains("3000万"));
}

TEST(NumberFormsTest, KeepsTheTextAroundTheNumber) {
  EXPECT_THAT(NumberForms("营收1.2万亿"), Contains("营收12000亿"));
  EXPECT_THAT(NumberForms("去年238万人"), Contains("去年2380000人"));
}

TEST(NumberFormsTest, LeavesOtherNumbersAlone) {
  EXPECT_THAT(NumberForms("2019年"), ElementsAre("2019年")) << "a year has no other form";
  EXPECT_THAT(NumberForms("100亿"), ElementsAre("100亿"))
      << "no form with more than 6 digits before 万 or 9 plain digits";
  EXPECT_THAT(NumberForms("5G"), ElementsAre("5G")) << "glued to a Latin letter: a name";
  EXPECT_THAT(NumberForms("C919"), ElementsAre("C919"));
  EXPECT_THAT(NumberForms("H1N1"), ElementsAre("H1N1"));
  EXPECT_THAT(NumberForms("2亿5000万"), ElementsAre("2亿5000万")) << "compound amounts as typed";
  EXPECT_THAT(NumberForms("0.5%"), ElementsAre("0.5%"));
  EXPECT_THAT(NumberForms("网络"), ElementsAre("网络"));
  EXPECT_THAT(NumberForms("3000万"), Not(Contains("0.3亿"))) << "a form below 1 is not written";
}

}  // namespace
}  // namespace newsearch::search
