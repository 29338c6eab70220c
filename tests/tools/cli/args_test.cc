#include "tools/cli/args.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

absl::StatusOr<Invocation> Parse(std::vector<std::string> args,
                                 std::map<std::string, std::string> env = {}) {
  return ParseCommandLine(args, FakeEnv(std::move(env)));
}

int64_t Seconds(const google::protobuf::Timestamp& ts) { return ts.seconds(); }

TEST(ParseCommandLineTest, DefaultsWithoutFlagsOrEnvironment) {
  absl::StatusOr<Invocation> inv = Parse({"status"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kStatus);
  EXPECT_EQ(inv->global.ingest_address, "127.0.0.1:50051");
  EXPECT_EQ(inv->global.search_address, "127.0.0.1:50052");
  EXPECT_FALSE(inv->global.timeout.has_value());
  EXPECT_FALSE(inv->global.json);
  EXPECT_EQ(inv->global.token_file, "");
}

TEST(ParseCommandLineTest, FlagBeatsEnvironmentBeatsDefault) {
  absl::StatusOr<Invocation> inv =
      Parse({"--search=10.0.0.1:1", "wait"},
            {{"NEWSEARCH_INGEST_ADDRESS", "ingest:9"}, {"NEWSEARCH_SEARCH_ADDRESS", "search:9"},
             {"NEWSEARCH_TIMEOUT", "7"}, {"NEWSEARCH_TOKEN_FILE", "/tmp/t"}});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->global.ingest_address, "ingest:9");
  EXPECT_EQ(inv->global.search_address, "10.0.0.1:1");
  EXPECT_EQ(inv->global.timeout, absl::Seconds(7));
  EXPECT_EQ(inv->global.token_file, "/tmp/t");
}

TEST(ParseCommandLineTest, TlsFlagsAndTokenFromEnvironment) {
  absl::StatusOr<Invocation> inv =
      Parse({"search", "x", "--tls_ca_file=/ca.pem", "--tls_cert_file", "/c.pem"},
            {{"NEWSEARCH_TOKEN", "s3cret"},
             {"NEWSEARCH_TLS_CA_FILE", "/env-ca.pem"},
             {"NEWSEARCH_TLS_KEY_FILE", "/k.pem"}});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->global.token, "s3cret");
  EXPECT_EQ(inv->global.tls_ca_file, "/ca.pem");
  EXPECT_EQ(inv->global.tls_cert_file, "/c.pem");
  EXPECT_EQ(inv->global.tls_key_file, "/k.pem");
}

TEST(ParseCommandLineTest, EmptyEnvironmentValueKeepsDefault) {
  absl::StatusOr<Invocation> inv = Parse({"status"}, {{"NEWSEARCH_SEARCH_ADDRESS", ""}});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->global.search_address, "127.0.0.1:50052");
}

TEST(ParseCommandLineTest, IngestTakesPathsAndItsFlagsInAnyPosition) {
  absl::StatusOr<Invocation> inv =
      Parse({"--json", "ingest", "a", "--source_hint", "台州日报", "dir/", "--external_id_from_path",
             "--content_type=text/html; charset=gbk", "--", "--odd-name"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kIngest);
  EXPECT_TRUE(inv->global.json);
  EXPECT_THAT(inv->ingest.paths, ElementsAre("a", "dir/", "--odd-name"));
  EXPECT_EQ(inv->ingest.source_hint, "台州日报");
  EXPECT_EQ(inv->ingest.content_type, "text/html; charset=gbk");
  EXPECT_TRUE(inv->ingest.external_id_from_path);
}

TEST(ParseCommandLineTest, IngestDerivesExternalIdFromPathUnlessTurnedOff) {
  absl::StatusOr<Invocation> inv = Parse({"ingest", "a"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->ingest.external_id_from_path) << "the default";
  inv = Parse({"ingest", "a", "--no_external_id_from_path"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_FALSE(inv->ingest.external_id_from_path);
}

TEST(ParseCommandLineTest, SearchBuildsTheRequest) {
  absl::StatusOr<Invocation> inv =
      Parse({"search", "网络", "安全", "--source", "新华网", "--source=人民网", "--after",
             "2018-01-01", "--before", "2018-12-31", "--sort", "date_asc", "--page_size", "20",
             "--page_token", "tok"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const newsearch::v1::SearchRequest& r = inv->search;
  EXPECT_EQ(r.query(), "网络 安全");
  EXPECT_THAT(r.sources(), ElementsAre("新华网", "人民网"));
  // Dates are China Standard Time midnights.
  EXPECT_EQ(Seconds(r.published_after()),
            absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2018, 1, 1),
                                                absl::FixedTimeZone(8 * 3600))));
  EXPECT_EQ(Seconds(r.published_before()), 1546185600);  // 2018-12-30T16:00:00Z
  EXPECT_EQ(r.sort(), newsearch::v1::SORT_ORDER_DATE_ASC);
  EXPECT_EQ(r.page_size(), 20);
  EXPECT_EQ(r.page_token(), "tok");
}

TEST(ParseCommandLineTest, SearchFeatureFlags) {
  absl::StatusOr<Invocation> inv =
      Parse({"search", "乌镇", "--year", "2018", "--month=2018-04", "--month", "2018-11",
             "--facets", "--expand_duplicates", "--debug"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const newsearch::v1::SearchRequest& r = inv->search;
  EXPECT_EQ(r.query(), "乌镇");
  EXPECT_THAT(r.years(), ElementsAre("2018"));
  EXPECT_THAT(r.months(), ElementsAre("2018-04", "2018-11"));
  EXPECT_TRUE(r.include_facets());
  EXPECT_TRUE(r.expand_duplicates());
  EXPECT_TRUE(r.debug());
  absl::StatusOr<Invocation> plain = Parse({"search", "乌镇"});
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->search.include_facets());
  EXPECT_FALSE(plain->search.expand_duplicates());
  EXPECT_FALSE(plain->search.debug());
  EXPECT_FALSE(Parse({"list", "--facets"}).ok()) << "search-only flag";
}

TEST(ParseCommandLineTest, SearchWithoutWordsHasEmptyQuery) {
  absl::StatusOr<Invocation> inv = Parse({"search", "--source", "新华网"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->search.query(), "");
  EXPECT_FALSE(inv->search.has_published_after());
}

TEST(ParseCommandLineTest, SortNames) {
  struct Case {
    const char* value;
    newsearch::v1::SortOrder want;
    const char* reason;
  };
  const Case cases[] = {
      {"relevance", newsearch::v1::SORT_ORDER_RELEVANCE, "the default order by name"},
      {"date", newsearch::v1::SORT_ORDER_DATE_DESC, "date means newest first"},
      {"date_desc", newsearch::v1::SORT_ORDER_DATE_DESC, "explicit alias of date"},
      {"date_asc", newsearch::v1::SORT_ORDER_DATE_ASC, "oldest first"},
      {"recency", newsearch::v1::SORT_ORDER_RELEVANCE_RECENCY, "relevance with recency boost"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Invocation> inv = Parse({"search", "x", "--sort", c.value});
    ASSERT_TRUE(inv.ok()) << c.reason << ": " << inv.status();
    EXPECT_EQ(inv->search.sort(), c.want) << c.reason;
  }
}

TEST(ParseCommandLineTest, GetListDeleteAndHelp) {
  absl::StatusOr<Invocation> get = Parse({"get", "abc123"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->command, Command::kGet);
  EXPECT_EQ(get->article_id, "abc123");

  absl::StatusOr<Invocation> del = Parse({"delete", "abc123"});
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ(del->command, Command::kDelete);

  absl::StatusOr<Invocation> list = Parse({"list", "--page_size=5", "--page_token", "p2"});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->list.page_size(), 5);
  EXPECT_EQ(list->list.page_token(), "p2");

  for (std::vector<std::string> args : {std::vector<std::string>{"help"},
                                        std::vector<std::string>{"--help"},
                                        std::vector<std::string>{"search", "-h"},
                                        std::vector<std::string>{"bogus", "--help"}}) {
    absl::StatusOr<Invocation> help = Parse(args);
    ASSERT_TRUE(help.ok()) << help.status();
    EXPECT_EQ(help->command, Command::kHelp);
  }
}

TEST(ParseCommandLineTest, RepeatedFlagsAndBooleanValues) {
  absl::StatusOr<Invocation> inv =
      Parse({"search", "--source", "a", "b", "--page_size", "5", "--page_size=6", "--json=false",
             "--facets=true", "--debug=false"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->search.query(), "b") << "a repeatable flag takes one value per use";
  EXPECT_THAT(inv->search.sources(), ElementsAre("a"));
  EXPECT_EQ(inv->search.page_size(), 6) << "the last of a repeated flag wins";
  EXPECT_FALSE(inv->global.json);
  EXPECT_TRUE(inv->search.include_facets());
  EXPECT_FALSE(inv->search.debug());
}

TEST(ParseCommandLineTest, TimeoutForms) {
  EXPECT_EQ(Parse({"wait", "--timeout", "2.5"})->global.timeout, absl::Milliseconds(2500));
  EXPECT_EQ(Parse({"wait", "--timeout=500ms"})->global.timeout, absl::Milliseconds(500));
  EXPECT_EQ(Parse({"wait", "--timeout=1m"})->global.timeout, absl::Minutes(1));
}

TEST(ParseCommandLineTest, RejectsBadCommandLines) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    const char* message;
    const char* reason;
  };
  const Case cases[] = {
      {{}, {}, "missing command", "no subcommand at all"},
      {{"frobnicate"}, {}, "unknown command \"frobnicate\"", "typo in the subcommand"},
      {{"status", "--bogus"}, {}, "unknown flag --bogus", "typo in a flag"},
      {{"get", "--source", "x", "id"}, {}, "--source is not a flag of `newsearch get`",
       "search-only flag on another command"},
      {{"ingest"}, {}, "at least one file or directory", "ingest needs input"},
      {{"get"}, {}, "exactly one article id", "get without an id"},
      {{"delete", "a", "b"}, {}, "exactly one article id", "delete takes one id only"},
      {{"get", ""}, {}, "must not be empty", "an empty id would be NOT_FOUND anyway"},
      {{"status", "extra"}, {}, "no positional arguments", "stray argument"},
      {{"search", "x", "--page_size"}, {}, "--page_size: 1 required TEXT missing",
       "value missing at end"},
      {{"search", "x", "--page_size", "ten"}, {}, "non-negative integer", "not a number"},
      {{"search", "x", "--page_size=-1"}, {}, "non-negative integer", "negative page size"},
      {{"search", "x", "--sort", "score"}, {}, "--sort takes relevance", "unknown sort"},
      {{"search", "x", "--after", "2018/01/01"}, {}, "--after: \"2018/01/01\" is not a date",
       "slashes are not a date format we accept"},
      {{"search", "x", "--after", "2018-02-01", "--before", "2018-01-01"}, {},
       "--after must be earlier than --before", "empty time range"},
      {{"status", "--timeout", "0"}, {}, "must be positive", "zero deadline"},
      {{"status", "--timeout", "soon"}, {}, "--timeout takes seconds", "not a duration"},
      {{"status", "--json=maybe"}, {}, "Could not convert: --json = maybe", "bad boolean"},
      {{"--source", "x", "search", "q"}, {}, "--source goes after `search`",
       "a subcommand's flag before the subcommand"},
      {{"status", "-json"}, {}, "unknown flag -json", "long flags take two dashes"},
      {{"status"}, {{"NEWSEARCH_TIMEOUT", "x"}}, "NEWSEARCH_TIMEOUT: ",
       "a bad environment value names the variable"},
      {{"status", "--search", ""}, {}, "must not be empty", "empty address"},
      {{"status", "--search="}, {}, "--search: 1 required TEXT missing", "no address at all"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Invocation> inv = Parse(c.args, c.env);
    ASSERT_FALSE(inv.ok()) << c.reason;
    EXPECT_EQ(inv.status().code(), absl::StatusCode::kInvalidArgument) << c.reason;
    EXPECT_THAT(std::string(inv.status().message()), HasSubstr(c.message)) << c.reason;
  }
}

TEST(ParseTimeFlagTest, AcceptedForms) {
  const absl::TimeZone cst = absl::FixedTimeZone(8 * 3600);
  struct Case {
    const char* text;
    absl::Time want;
    const char* reason;
  };
  const Case cases[] = {
      {"2018-04-23", absl::FromCivil(absl::CivilSecond(2018, 4, 23, 0, 0, 0), cst),
       "a date is midnight in UTC+8"},
      {"2018-04-23 07:36", absl::FromCivil(absl::CivilSecond(2018, 4, 23, 7, 36, 0), cst),
       "the format the client prints"},
      {"2018-04-23T07:36:02", absl::FromCivil(absl::CivilSecond(2018, 4, 23, 7, 36, 2), cst),
       "ISO without offset is UTC+8 too"},
      {"2018-04-23T07:36:02Z", absl::FromCivil(absl::CivilSecond(2018, 4, 23, 7, 36, 2),
                                               absl::UTCTimeZone()),
       "an explicit offset wins"},
      {"2018-04-23T07:36:02-05:00",
       absl::FromCivil(absl::CivilSecond(2018, 4, 23, 12, 36, 2), absl::UTCTimeZone()),
       "negative offset"},
      {" 2018-04-23 ", absl::FromCivil(absl::CivilSecond(2018, 4, 23, 0, 0, 0), cst),
       "surrounding spaces from shell quoting"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<absl::Time> t = ParseTimeFlag(c.text);
    ASSERT_TRUE(t.ok()) << c.reason << ": " << t.status();
    EXPECT_EQ(*t, c.want) << c.reason;
  }
  EXPECT_FALSE(ParseTimeFlag("2018-13-01").ok()) << "month out of range";
  EXPECT_FALSE(ParseTimeFlag("yesterday").ok()) << "no natural language";
  EXPECT_FALSE(ParseTimeFlag("").ok()) << "empty";
}

TEST(UsageTextTest, MentionsEveryCommand) {
  const std::string usage = UsageText();
  for (const char* command : {"ingest", "search", "get", "list", "delete", "status", "wait"}) {
    EXPECT_THAT(usage, HasSubstr(absl::StrCat("  ", command, " "))) << command;
  }
}

TEST(ParseCommandLineTest, ParseTakesOneFileAndRequestFields) {
  absl::StatusOr<Invocation> inv =
      Parse({"parse", "page.html", "--url", "http://a/1", "--external_id=e1", "--content_type",
             "text/html; charset=gbk", "--source_hint", "某报", "--json"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kParse);
  EXPECT_EQ(inv->parse.path, "page.html");
  EXPECT_EQ(inv->parse.url, "http://a/1");
  EXPECT_EQ(inv->parse.external_id, "e1");
  EXPECT_EQ(inv->ingest.content_type, "text/html; charset=gbk");
  EXPECT_EQ(inv->ingest.source_hint, "某报");
  EXPECT_TRUE(inv->global.json);
  EXPECT_THAT(Parse({"parse"}).status().message(), HasSubstr("exactly one page file"));
  EXPECT_THAT(Parse({"parse", "a", "b"}).status().message(), HasSubstr("exactly one page file"));
  EXPECT_THAT(Parse({"ingest", "dir", "--url", "x"}).status().message(),
              HasSubstr("--url is not a flag of `newsearch ingest`"));
}

TEST(ParseCommandLineTest, ReparseTakesBatchSizeOnly) {
  absl::StatusOr<Invocation> inv = Parse({"reparse", "--batch_size", "500"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kReparse);
  EXPECT_EQ(inv->reparse.batch_size(), 500);
  EXPECT_THAT(Parse({"reparse", "x"}).status().message(), HasSubstr("no positional arguments"));
  EXPECT_THAT(Parse({"reparse", "--batch_size=-1"}).status().message(),
              HasSubstr("--batch_size takes a non-negative integer"));
}

}  // namespace
}  // namespace newsearch::cli
