#include "search-service/query/query_parser.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::search {
namespace {

using ::testing::HasSubstr;

struct ParseCase {
  std::string query;
  std::string description;  // expected Describe()
  std::string reason;
};

// Names each table row by its reason in test output and ctest names.
void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.reason; }

class ParseQueryTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseQueryTest, DescribesTree) {
  const ParseCase& c = GetParam();
  absl::StatusOr<ParsedQuery> parsed = ParseQuery(c.query);
  ASSERT_TRUE(parsed.ok()) << c.reason << ": " << parsed.status();
  EXPECT_EQ(parsed->Describe(), c.description) << c.reason << " (query: " << c.query << ")";
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, ParseQueryTest,
    ::testing::Values(
        ParseCase{"", "(match all)", "empty query matches everything"},
        ParseCase{"   \t　", "(match all)", "whitespace only (incl. ideographic space)"},
        ParseCase{"网络", "网络", "a Han run is an unquoted atom"},
        ParseCase{"COO 网络 5G", "(AND COO 网络 5G)",
                  "mixed scripts separated by spaces: implicit AND (Xapian's parser throws)"},
        ParseCase{"iPhone 手机壳 case", "(AND iPhone 手机壳 case)",
                  "another query Xapian 1.4.22's CJK parser throws on"},
        ParseCase{"\"互联网 党建\"", "\"互联网 党建\"", "quoted text is one phrase atom"},
        ParseCase{"“互联网党建”", "\"互联网党建\"", "Chinese curly quotes make a phrase"},
        ParseCase{"「網絡安全」 OR 『网络』", "(OR \"網絡安全\" \"网络\")",
                  "corner brackets make phrases too"},
        ParseCase{"title:乌镇 OR source:光明网", "(OR title:乌镇 source:光明网)",
                  "field prefixes apply to the next term"},
        ParseCase{"网络 -腾讯", "(AND 网络 (NOT 腾讯))", "leading minus negates"},
        ParseCase{"(a OR b) c", "(AND (OR a b) c)", "parentheses group; juxtaposition is AND"},
        ParseCase{"a OR b c", "(OR a (AND b c))", "AND binds tighter than OR"},
        ParseCase{"a b OR c", "(OR (AND a b) c)", "AND binds tighter than OR on the left too"},
        ParseCase{"NOT a b", "(AND (NOT a) b)", "NOT binds tighter than AND"},
        ParseCase{"a AND NOT b", "(AND +a (NOT b))", "explicit AND NOT"},
        ParseCase{"NOT 网络", "(NOT 网络)", "pure negation is allowed"},
        ParseCase{"a AND b AND c", "(AND +a +b +c)",
                  "explicit ANDs flatten; their operands are strict (never relaxed)"},
        ParseCase{"a AND b c", "(AND +a +b c)", "only the operands of a written AND are strict"},
        ParseCase{"(a b) (c d)", "(AND a b c d)", "nested ANDs flatten"},
        ParseCase{"a | b", "(OR a b)", "pipe is OR"},
        ParseCase{"a or b", "(AND a or b)", "lower-case or is a word"},
        ParseCase{"\"OR\"", "\"OR\"", "a quoted operator is text"},
        ParseCase{"+网络 +腾讯", "(AND +网络 +腾讯)", "plus marks a word strict (never relaxed)"},
        ParseCase{"covid-19", "covid-19", "minus inside a term is part of it"},
        ParseCase{"a - b", "(AND a b)", "a lone minus is dropped"},
        ParseCase{"5G基站", "\"5G基站\"", "Han mixed with letters/digits is a phrase"},
        ParseCase{"QQ群", "\"QQ群\"", "letters glued to Han are a phrase"},
        ParseCase{"title:(乌镇 OR 嘉兴)", "(OR title:乌镇 title:嘉兴)",
                  "a field prefix applies to a whole group"},
        ParseCase{"title:(乌镇 author:张三)", "(AND title:乌镇 author:张三)",
                  "an inner field prefix wins"},
        ParseCase{"title:\"互联网 党建\"", "title:\"互联网 党建\"", "field prefix on a phrase"},
        ParseCase{"TITLE:乌镇", "title:乌镇", "ASCII field names are case-insensitive"},
        ParseCase{"标题:乌镇 作者:葛星星", "(AND title:乌镇 author:葛星星)",
                  "Chinese field names"},
        ParseCase{"来源：光明网", "source:光明网", "full-width colon is folded"},
        ParseCase{"title: 乌镇", "title:乌镇", "a space after the prefix is tolerated"},
        ParseCase{"foo:bar", "foo:bar", "unknown prefix is plain text"},
        ParseCase{"來源:聯合報", "source:聯合報", "traditional field names"},
        ParseCase{"编辑:张三 記者:李四", "(AND author:张三 author:李四)",
                  "editor and reporter bylines are authors"},
        ParseCase{"来源 新华社 卫星", "(AND source:新华社 卫星)",
                  "a field word followed by a value restricts the field"},
        ParseCase{"來源 自由時報", "source:自由時報", "traditional field word"},
        ParseCase{"source 人民日报 航天", "(AND source:人民日报 航天)", "English field word"},
        ParseCase{"Author 胡喆", "author:胡喆", "English field words ignore case"},
        ParseCase{"编辑 张珈睿", "author:张珈睿", "an editor's byline is an author"},
        ParseCase{"作者 \"王 伟\"", "author:\"王 伟\"", "a field word applies to a phrase"},
        ParseCase{"来源", "来源", "a field word alone is text"},
        ParseCase{"卫星 来源", "(AND 卫星 来源)", "a field word at the end is text"},
        ParseCase{"来源 OR 新华社", "(OR 来源 新华社)", "a field word before an operator is text"},
        ParseCase{"作者 -王伟", "(AND 作者 (NOT 王伟))", "a field word before a negation is text"},
        ParseCase{"open source 软件", "(AND open source 软件)",
                  "an English field word after a Latin word is text (open source)"},
        ParseCase{"\"来源\" 新华社", "(AND \"来源\" 新华社)", "a quoted field word is text"},
        ParseCase{"（网络 ＯＲ 腾讯）", "(OR 网络 腾讯)", "full-width brackets and operators fold"},
        ParseCase{"ｉＰｈｏｎｅ", "iPhone", "full-width letters fold (case is kept)"},
        ParseCase{"网络 ， 。", "网络", "punctuation-only terms are dropped"},
        ParseCase{"--a", "(NOT (NOT a))", "double negation is kept as written"},
        ParseCase{"a\"b c\"", "(AND a \"b c\")", "a quote ends the term before it"}));

INSTANTIATE_TEST_SUITE_P(
    Dates, ParseQueryTest,
    ::testing::Values(
        ParseCase{"2018年", "date:[2018-01-01..2018-12-31]", "a Chinese year is a date filter"},
        ParseCase{"2018年4月", "date:[2018-04-01..2018-04-30]", "a Chinese month"},
        ParseCase{"2016年2月", "date:[2016-02-01..2016-02-29]", "a leap February"},
        ParseCase{"2018年04月23日", "date:[2018-04-23..2018-04-23]", "a Chinese day, zero-padded"},
        ParseCase{"2018年4月23号", "date:[2018-04-23..2018-04-23]", "号 for the day"},
        ParseCase{"２０１８年４月", "date:[2018-04-01..2018-04-30]", "full-width digits fold"},
        ParseCase{"2018-04-23", "date:[2018-04-23..2018-04-23]", "an ISO day"},
        ParseCase{"2018/4/23", "date:[2018-04-23..2018-04-23]", "slashes"},
        ParseCase{"2018-01-01..2018-06-30", "date:[2018-01-01..2018-06-30]", "a day range"},
        ParseCase{"2018..2019", "date:[2018-01-01..2019-12-31]", "a year range"},
        ParseCase{"2018-04..2018-06", "date:[2018-04-01..2018-06-30]", "a month range"},
        ParseCase{"2018年4月..2018年6月", "date:[2018-04-01..2018-06-30]",
                  "a Chinese month range"},
        ParseCase{"2018-03-01..", "date:[2018-03-01..]", "open end"},
        ParseCase{"..2017", "date:[..2017-12-31]", "open start"},
        ParseCase{"2017年 销售", "(AND date:[2017-01-01..2017-12-31] 销售)",
                  "a date with words filters them"},
        ParseCase{"2017年 OR 2018年", "(OR date:[2017-01-01..2017-12-31] "
                                     "date:[2018-01-01..2018-12-31])",
                  "dates combine with OR"},
        ParseCase{"网络 -2018年", "(AND 网络 (NOT date:[2018-01-01..2018-12-31]))",
                  "a date can be negated"},
        ParseCase{"title:2018年", "title:\"2018年\"", "a field prefix makes it text"},
        ParseCase{"2018", "2018", "a bare number is text"},
        ParseCase{"2018-04", "2018-04", "a bare year-month is text"},
        ParseCase{"2018年乌镇", "\"2018年乌镇\"", "a date glued to words is text"},
        ParseCase{"\"2018年\"", "\"2018年\"", "a quoted date is text"},
        ParseCase{"a..b", "a..b", "dots between words are text"}));

TEST(ParsedQueryTest, DateFiltersListsDatesWithNegation) {
  absl::StatusOr<ParsedQuery> parsed = ParseQuery("网络 2018年4月 -2018-04-23");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->DateFilters(),
              ::testing::ElementsAre("date:[2018-04-01..2018-04-30]",
                                     "NOT date:[2018-04-23..2018-04-23]"));
  ASSERT_EQ(parsed->PositiveAtoms().size(), 1u);
  EXPECT_EQ(parsed->PositiveAtoms()[0].text, "网络");
}

struct ErrorCase {
  std::string query;
  std::string message;  // substring of the status message
  std::string reason;
};

// Names each table row by its reason in test output and ctest names.
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.reason; }

class ParseQueryErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseQueryErrorTest, RejectsWithOffset) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<ParsedQuery> parsed = ParseQuery(c.query);
  ASSERT_FALSE(parsed.ok()) << c.reason << ": parsed as " << parsed->Describe();
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.reason;
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.message)) << c.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ParseQueryErrorTest,
    ::testing::Values(
        ErrorCase{"\"unclosed", "unclosed quote '\"' at character 0", "quote never closed"},
        ErrorCase{"网络 “互联网", "unclosed quote '“' at character 3",
                  "offsets count code points, not bytes"},
        ErrorCase{"(网络", "unclosed '(' at character 0", "parenthesis never closed"},
        ErrorCase{"a (b (c)", "unclosed '(' at character 2", "the outer one is unclosed"},
        ErrorCase{"网络 AND", "AND has nothing on its right", "dangling AND"},
        ErrorCase{"网络 AND", "at character 3", "dangling AND offset"},
        ErrorCase{"网络 OR", "OR has nothing on its right (found end of query) at character 3",
                  "dangling OR"},
        ErrorCase{"OR 网络", "OR has nothing on its left at character 0", "leading OR"},
        ErrorCase{"a OR OR b", "OR has nothing on its right (found OR) at character 2",
                  "doubled operator"},
        ErrorCase{"a NOT", "NOT has nothing to negate", "dangling NOT"},
        ErrorCase{")", "unmatched ')' at character 0", "stray closing parenthesis"},
        ErrorCase{"a) b", "unmatched ')' at character 1", "stray closing parenthesis mid-query"},
        ErrorCase{"()", "empty parentheses at character 0", "empty group"},
        ErrorCase{"a ( )", "empty parentheses at character 2", "empty group with space"},
        ErrorCase{"title:", "field prefix 'title:' has nothing to apply to",
                  "field prefix at the end"},
        ErrorCase{"(a OR)", "OR has nothing on its right (found ')') at character 3",
                  "operator before a closing parenthesis"},
        ErrorCase{std::string(100, '(') + "a" + std::string(100, ')'), "nested deeper than",
                  "nesting depth is limited"},
        ErrorCase{"网络\xff", "query is not valid UTF-8 at byte 6", "invalid UTF-8"},
        ErrorCase{"网络 2018年13月", "'2018年13月' is not a valid date (month must be 1 to 12) at "
                  "character 3", "impossible month"},
        ErrorCase{"2018-02-30", "2018-2 has no day 30", "impossible day"},
        ErrorCase{"2019-01-01..2018-01-01", "ends before it starts at character 0",
                  "reversed range"},
        ErrorCase{"2018-01-01..乌镇", "has an end that is not a date", "half a date range"}));

TEST(ParsedQueryTest, PositiveAtomsSkipNegations) {
  absl::StatusOr<ParsedQuery> parsed = ParseQuery("网络 -腾讯 title:\"乌镇 峰会\" NOT (a NOT b)");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  std::vector<QueryAtom> atoms = parsed->PositiveAtoms();
  ASSERT_EQ(atoms.size(), 3u);
  EXPECT_EQ(atoms[0].text, "网络");
  EXPECT_FALSE(atoms[0].phrase);
  EXPECT_EQ(atoms[1].text, "乌镇 峰会");
  EXPECT_TRUE(atoms[1].phrase);
  EXPECT_EQ(atoms[1].field, QueryField::kTitle);
  EXPECT_EQ(atoms[2].text, "b");  // NOT (a NOT b): b is negated twice
}

TEST(ValidateUtf8Test, ReportsFirstBadByte) {
  EXPECT_TRUE(ValidateUtf8("网络 abc", "query").ok());
  EXPECT_EQ(ValidateUtf8("ab\xc0\xaf", "query").message(), "query is not valid UTF-8 at byte 2")
      << "overlong encoding of '/'";
  EXPECT_EQ(ValidateUtf8("\xed\xa0\x80", "query").message(), "query is not valid UTF-8 at byte 0")
      << "encoded surrogate";
  EXPECT_EQ(ValidateUtf8("a\xe7\xbd", "query").message(), "query is not valid UTF-8 at byte 1")
      << "truncated sequence";
}

}  // namespace
}  // namespace newsearch::search
