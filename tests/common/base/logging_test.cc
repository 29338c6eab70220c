#include "common/base/logging.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace newsearch {
namespace {

struct EscapeCase {
  std::string reason;
  std::string text;
  std::string escaped;
};

TEST(JsonEscapeTest, EscapesWhatJsonNeedsAndReplacesBadUtf8) {
  const std::vector<EscapeCase> cases = {
      {"plain ASCII passes through", "IngestArticle", "IngestArticle"},
      {"double quotes are escaped", "say \"hi\"", "say \\\"hi\\\""},
      {"backslashes are doubled", "C:\\dir", "C:\\\\dir"},
      {"newline, tab and carriage return use their short forms", "a\nb\tc\rd", "a\\nb\\tc\\rd"},
      {"other control characters use \\u", std::string("a\x01z", 3), "a\\u0001z"},
      {"Chinese UTF-8 passes through unescaped", "中国台州网", "中国台州网"},
      {"a GBK byte pair is not UTF-8: each bad byte becomes U+FFFD", "\xd6\xd0",
       "\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"a UTF-8 sequence cut short becomes U+FFFD", "ok\xe4\xb8", "ok\xEF\xBF\xBD"},
      {"empty stays empty", "", ""},
  };
  for (const EscapeCase& c : cases) {
    EXPECT_EQ(JsonEscape(c.text), c.escaped) << c.reason;
  }
}

TEST(LogTest, WritesOneValidJsonObjectPerLineWhateverTheBytes) {
  SetLogLevel(LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  Log(LogLevel::kInfo, "test", "page \"rejected\"\n",
      {LogField("source", "\xd6\xd0"), LogField("pages", 3), LogField("ok", false)});
  Log(LogLevel::kDebug, "test", "below the level: not written");
  const std::string out = ::testing::internal::GetCapturedStderr();

  ASSERT_EQ(out.back(), '\n');
  ASSERT_EQ(out.find('\n'), out.size() - 1) << "exactly one line: " << out;
  const nlohmann::json line = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(line.is_discarded()) << out;
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["logger"], "test");
  EXPECT_EQ(line["msg"], "page \"rejected\"\n");
  EXPECT_EQ(line["source"], "\xEF\xBF\xBD\xEF\xBF\xBD") << "中 in GBK";
  EXPECT_EQ(line["pages"], 3);
  EXPECT_EQ(line["ok"], false);
}

}  // namespace
}  // namespace newsearch
