// Tests charset detection and decoding (ingest-service/parser/charset.h).
#include "ingest-service/parser/charset.h"

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// "今年春茶的兰花香特别明显，茶农在直播间里销售铁观音。" in GBK.
constexpr char kGbkTea[] =
    "\xbd\xf1\xc4\xea\xb4\xba\xb2\xe8\xb5\xc4\xc0\xbc\xbb\xa8\xcf\xe3\xcc\xd8\xb1\xf0\xc3\xf7"
    "\xcf\xd4\xa3\xac\xb2\xe8\xc5\xa9\xd4\xda\xd6\xb1\xb2\xa5\xbc\xe4\xc0\xef\xcf\xfa\xca\xdb"
    "\xcc\xfa\xb9\xdb\xd2\xf4\xa1\xa3";
constexpr char kGbkTeaUtf8[] = "今年春茶的兰花香特别明显，茶农在直播间里销售铁观音。";
// "小三通客輪復航首日，金門碼頭湧現返鄉人潮。" in Big5.
constexpr char kBig5Ferry[] =
    "\xa4\x70\xa4\x54\xb3\x71\xab\xc8\xbd\xfc\xb4\x5f\xaf\xe8\xad\xba\xa4\xe9\xa1\x41\xaa\xf7"
    "\xaa\xf9\xbd\x58\xc0\x59\xb4\xe9\xb2\x7b\xaa\xf0\xb6\x6d\xa4\x48\xbc\xe9\xa1\x43";
constexpr char kBig5FerryUtf8[] = "小三通客輪復航首日，金門碼頭湧現返鄉人潮。";

struct DecodeCase {
  std::string name;
  std::string bytes;
  std::string hint;
  std::string want_text;
  std::string want_encoding;
  std::string want_warning;  // Substring of the only warning; empty for none.
  std::string reason;
};

// Keeps ctest's test names readable.
void PrintTo(const DecodeCase& c, std::ostream* os) { *os << c.name; }

class DecodePageTest : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(DecodePageTest, DecodesToExpectedText) {
  const DecodeCase& c = GetParam();
  absl::StatusOr<DecodedText> decoded = DecodePage(c.bytes, c.hint);
  ASSERT_TRUE(decoded.ok()) << c.reason << ": " << decoded.status();
  EXPECT_EQ(decoded->text, c.want_text) << c.reason;
  EXPECT_EQ(decoded->encoding, c.want_encoding) << c.reason;
  if (c.want_warning.empty()) {
    EXPECT_THAT(decoded->warnings, IsEmpty()) << c.reason;
  } else {
    ASSERT_EQ(decoded->warnings.size(), 1u) << c.reason;
    EXPECT_THAT(decoded->warnings[0], HasSubstr(c.want_warning)) << c.reason;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Charsets, DecodePageTest,
    ::testing::Values(
        DecodeCase{"Utf8", "新闻 5G", "", "新闻 5G", kUtf8, "", "valid UTF-8 is taken as is"},
        DecodeCase{"Utf8Bom", "\xEF\xBB\xBF新闻", "", "新闻", kUtf8, "",
                   "a UTF-8 byte order mark is stripped"},
        DecodeCase{"Ascii", "plain ascii", "gbk", "plain ascii", kUtf8, "",
                   "ASCII fits every hint, so no warning"},
        DecodeCase{"Utf8WithWrongGbkHint", "新闻报道", "gbk", "新闻报道", kUtf8,
                   "charset hint gbk was wrong, decoded as UTF-8",
                   "valid UTF-8 beats a GBK hint, with a warning"},
        DecodeCase{"GbkWithHint", kGbkTea, "GBK", kGbkTeaUtf8, kGb18030, "",
                   "a GBK hint that decodes cleanly is followed"},
        DecodeCase{"Gb2312Hint", kGbkTea, "gb2312", kGbkTeaUtf8, kGb18030, "",
                   "GB2312 is read as its superset GB18030"},
        DecodeCase{"GbkGuessed", kGbkTea, "", kGbkTeaUtf8, kGb18030, "guessed GB18030",
                   "GBK without a hint is recognised by its frequent characters"},
        DecodeCase{"Big5WithHint", kBig5Ferry, "big5", kBig5FerryUtf8, kBig5, "",
                   "a Big5 hint that decodes cleanly is followed"},
        DecodeCase{"Big5Guessed", kBig5Ferry, "", kBig5FerryUtf8, kBig5, "guessed Big5",
                   "Big5 also decodes as GB18030, but into rare characters"},
        DecodeCase{"Big5WithWrongGbkHint", kBig5Ferry, "gbk", kBig5FerryUtf8, kBig5,
                   "charset hint gbk was wrong, decoded as Big5",
                   "a GBK hint yielding mostly rare characters loses to Big5"},
        DecodeCase{"Utf16LeBom", std::string("\xFF\xFE\xB0\x65\xFB\x95", 6), "", "新闻",
                   kUtf16Le, "", "UTF-16LE byte order mark"},
        DecodeCase{"Utf16BeBom", std::string("\xFE\xFF\x65\xB0\x95\xFB", 6), "", "新闻",
                   kUtf16Be, "", "UTF-16BE byte order mark"},
        DecodeCase{"UnknownHint", "新闻", "x-klingon", "新闻", kUtf8, "unknown charset hint",
                   "an unknown hint is reported and ignored"}),
    [](const ::testing::TestParamInfo<DecodeCase>& info) { return info.param.name; });

TEST(DecodePageTest, RejectsUndecodableBytesWithOffset) {
  // 0x80 and 0xFF are not lead bytes in UTF-8, GB18030 or Big5.
  const std::string bytes = std::string("news: ") + "\x80\xFF\x80";
  absl::StatusOr<DecodedText> decoded = DecodePage(bytes, "");
  ASSERT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), HasSubstr("offset 6"));
  EXPECT_THAT(decoded.status().message(), HasSubstr("0x80"));
}

TEST(DecodePageTest, RejectsBrokenUtf16AfterBom) {
  // A lone high surrogate.
  absl::StatusOr<DecodedText> decoded = DecodePage(std::string("\xFF\xFE\x00\xD8", 4), "");
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DecodePageTest, OffsetCountsAStrippedBom) {
  absl::StatusOr<DecodedText> decoded = DecodePage("\xEF\xBB\xBF" "ab\xFF\x80", "");
  ASSERT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), HasSubstr("offset 5"));
}

TEST(DecodePageTest, WarningsQuoteAGarbledHintAsValidUtf8) {
  // The hint comes from the page's own bytes (`<meta charset>`); a garbled
  // one must not carry invalid UTF-8 into the article's warnings.
  for (const std::string& hint : {std::string("gb\xFF\xFEk"), std::string("\xE4\xB8")}) {
    absl::StatusOr<DecodedText> decoded = DecodePage(kGbkTeaUtf8, hint);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    ASSERT_THAT(decoded->warnings, ::testing::Not(IsEmpty()));
    for (const std::string& warning : decoded->warnings) {
      EXPECT_EQ(FirstInvalidUtf8Offset(warning), absl::string_view::npos) << warning;
    }
  }
}

struct Utf8Case {
  std::string bytes;
  size_t want_offset;
  std::string reason;
};

TEST(FirstInvalidUtf8OffsetTest, FindsFirstBadByte) {
  const size_t kNone = absl::string_view::npos;
  const Utf8Case cases[] = {
      {"", kNone, "empty input is valid"},
      {"abc新闻", kNone, "ASCII and three-byte sequences"},
      {"\xF0\x9F\x98\x80", kNone, "a four-byte emoji"},
      {"ab\xC0\x80", 2, "overlong encoding of NUL"},
      {"\xED\xA0\x80", 0, "an encoded surrogate"},
      {"x\xF4\x90\x80\x80", 1, "above U+10FFFF"},
      {"新\xE9\x97", 3, "a sequence truncated at the end"},
      {"a\x80", 1, "a stray continuation byte"},
      {"\xE6\x96\x30", 0, "a continuation byte missing in the middle"},
  };
  for (const Utf8Case& c : cases) {
    EXPECT_EQ(FirstInvalidUtf8Offset(c.bytes), c.want_offset) << c.reason;
  }
}

TEST(CharsetLabelsTest, CanonicalisesLabels) {
  const struct {
    const char* label;
    const char* want;
    const char* reason;
  } cases[] = {
      {"utf-8", kUtf8, "canonical UTF-8"},
      {" UTF8 ", kUtf8, "case and spaces ignored"},
      {"GBK", kGb18030, "GBK is read as GB18030"},
      {"gb2312", kGb18030, "GB2312 is read as GB18030"},
      {"x-big5", kBig5, "Big5 alias"},
      {"big5-hkscs", kBig5, "HKSCS falls back to Big5"},
      {"utf-16le", kUtf16Le, "UTF-16LE"},
      {"latin1", "", "unsupported labels are unknown"},
  };
  for (const auto& c : cases) EXPECT_EQ(CanonicalCharset(c.label), c.want) << c.reason;
}

TEST(CharsetLabelsTest, ReadsContentTypeAndMetaTags) {
  EXPECT_EQ(CharsetFromContentType("text/html; charset=GBK"), "GBK");
  EXPECT_EQ(CharsetFromContentType("text/html;charset=\"big5\""), "big5");
  EXPECT_EQ(CharsetFromContentType("text/plain"), "");
  EXPECT_EQ(SniffMetaCharset("<html><head><meta charset=\"gb2312\"></head>"), "gb2312");
  EXPECT_EQ(SniffMetaCharset("<meta http-equiv=\"Content-Type\" "
                             "content=\"text/html; charset=big5\" />"),
            "big5");
  EXPECT_EQ(SniffMetaCharset("<html><meta name=\"x\"></html>"), "");
}

}  // namespace
}  // namespace newsearch::ingest
