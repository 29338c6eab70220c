#include "ingest-service/parser/text_util.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace newsearch::ingest::text {
namespace {

struct DecodeCase {
  std::string reason;
  std::string bytes;
  std::u32string code_points;
};

TEST(TextUtilTest, NextCodePointDecodesAndReplacesIllFormedSequences) {
  const std::vector<DecodeCase> cases = {
      {"ASCII", "ab", U"ab"},
      {"two, three and four bytes", "\xC3\xA9中\xF0\xA0\x80\x80", U"é中\U00020000"},
      {"a lone trail byte", "a\x80z", U"a\uFFFDz"},
      {"a GBK pair is not UTF-8", "\xD6\xD0", U"\uFFFD\uFFFD"},
      {"a sequence cut short at the end", "ok\xE4\xB8", U"ok\uFFFD"},
      {"an overlong NUL", std::string("\xC0\x80", 2), U"\uFFFD\uFFFD"},
      {"an encoded surrogate", "\xED\xA0\x80", U"\uFFFD\uFFFD\uFFFD"},
  };
  for (const DecodeCase& c : cases) {
    EXPECT_EQ(ToCodePoints(c.bytes), c.code_points) << c.reason;
  }
}

TEST(TextUtilTest, AppendUtf8RoundTripsAndReplacesNonCharacters) {
  const std::u32string valid = U"a\u00E9\u4E2D\U00020000\U0010FFFF";
  EXPECT_EQ(ToCodePoints(FromCodePoints(valid)), valid);
  std::string out;
  AppendUtf8(0xD800, &out);
  AppendUtf8(0x110000, &out);
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD") << "surrogates and values above U+10FFFF";
}

}  // namespace
}  // namespace newsearch::ingest::text
