#include "ingest-service/parser/text_util.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
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

// Trim as its contract reads: code points decoded from the front, spaces
// dropped from both ends.
absl::string_view TrimByDecodingAll(absl::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t next = begin;
    if (!IsSpace(NextCodePoint(s, &next))) break;
    begin = next;
  }
  size_t end = begin;
  size_t pos = begin;
  while (pos < s.size()) {
    if (!IsSpace(NextCodePoint(s, &pos))) end = pos;
  }
  return s.substr(begin, end - begin);
}

TEST(TextUtilTest, TrimDropsSpacesOfEveryWidthAtBothEnds) {
  EXPECT_EQ(Trim(" \t\u3000\u00A0正文\u2003 \uFEFF\n"), "正文");
  EXPECT_EQ(Trim("\u3000 \u3000"), "");
  EXPECT_EQ(Trim("a b"), "a b");
  EXPECT_EQ(Trim(""), "");
}

TEST(TextUtilTest, TrimFromTheEndAgreesWithDecodingFromTheFront) {
  // Spaces of one to three bytes next to letters and ill-formed bytes
  // (lone trail and lead bytes, cut sequences, an encoded surrogate).
  const std::vector<std::string> pieces = {
      "a",  " ",    "\t",   "\u3000", "\u00A0", "\u2003", "\uFEFF", "中", "\U00020000",
      "\x80", "\xBF", "\xE3", "\xE3\x80", "\xC2", "\xF0\xA0\x80", "\xED\xA0\x80",
      std::string("\xC0\x80", 2)};
  std::mt19937 random(20261204);
  std::uniform_int_distribution<size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 8);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    for (int n = length(random); n > 0; --n) s += pieces[piece(random)];
    ASSERT_EQ(Trim(s), TrimByDecodingAll(s)) << "bytes: " << absl::CHexEscape(s);
  }
}

}  // namespace
}  // namespace newsearch::ingest::text
