// Tests the mojibake repair (ingest-service/parser/mojibake.h): every span
// re-read from misaligned GBK on every test page re-encodes to the bytes it
// came from, except the bytes the repair says it guessed or could not use,
// and lost characters are marked rather than invented (#13).
#include "ingest-service/parser/mojibake.h"

#include <iconv.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/parser/charset.h"
#include "tests/ingest-service/parser/golden.h"

namespace newsearch::ingest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// GB18030 bytes of UTF-8 `s` (glibc iconv, independent of the repairer's ICU).
std::string EncodeGb(const std::string& s) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string in = s, out(s.size() * 4 + 16, '\0');
  char* inp = in.data();
  char* outp = out.data();
  size_t in_left = in.size(), out_left = out.size();
  EXPECT_NE(iconv(cd, &inp, &in_left, &outp, &out_left), static_cast<size_t>(-1)) << s;
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

std::string EraseOffsets(std::string bytes, std::vector<size_t> offsets) {
  std::sort(offsets.rbegin(), offsets.rend());
  for (size_t o : offsets) {
    if (o < bytes.size()) bytes.erase(o, 1);
  }
  return bytes;
}

class MojibakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<MojibakeRepairer>> r = MojibakeRepairer::Create();
    ASSERT_TRUE(r.ok()) << r.status();
    repairer_ = r->release();
  }
  static void TearDownTestSuite() {
    delete repairer_;
    repairer_ = nullptr;
  }
  static MojibakeRepairer* repairer_;
};

MojibakeRepairer* MojibakeTest::repairer_ = nullptr;

TEST_F(MojibakeTest, EveryRepairedSpanReencodesToItsBytes) {
  size_t spans = 0, guessed = 0, unread = 0;
  for (const char* sub : {"seeds", "samples", "fixtures"}) {
    for (const fs::directory_entry& e :
         fs::directory_iterator(absl::StrCat(golden::PagesDir(), "/", sub))) {
      const std::string ext = e.path().extension().string();
      if (ext != ".txt" && ext != ".html") continue;
      const std::string bytes = golden::ReadFile(e.path().string());
      absl::StatusOr<DecodedText> decoded = DecodePage(bytes, SniffMetaCharset(bytes));
      if (!decoded.ok()) continue;
      const MojibakeResult result = repairer_->Repair(decoded->text);
      for (const MojibakeSpan& span : result.spans) {
        ++spans;
        guessed += span.guessed_bytes.size();
        unread += span.unread_bytes.size();
        std::string garbled = span.garbled;
        if (!garbled.empty() && garbled[0] == '!') garbled.replace(0, 1, "！");
        const std::string repaired = absl::StrReplaceAll(span.repaired, {{"\uFFFD", ""}});
        EXPECT_EQ(EraseOffsets(EncodeGb(repaired), span.guessed_bytes),
                  EraseOffsets(EncodeGb(garbled), span.unread_bytes))
            << e.path().filename() << ": \"" << span.garbled << "\" -> \"" << span.repaired
            << "\"";
      }
    }
  }
  // Seed 002, f39, f40 and the mojibake fixtures hold a dozen such spans.
  EXPECT_GE(spans, 10u);
  EXPECT_GT(guessed, 0u);
  EXPECT_GT(unread, 0u) << "some span left bytes it could not use";
}

TEST_F(MojibakeTest, RestoresWhatTheBytesAllowAndMarksTheRest) {
  const struct {
    const char* text;
    const char* want;  // Substring of the repaired text.
    const char* reason;
  } cases[] = {
      {"目前在冊黨員共8名?!拔覀児臼墙衲?月份入駐的", "共8名。“我們公司是今年\uFFFD月份入駐的",
       "seed 002: the pair dropped between 公 and 司 comes back as the word, 年 is the only "
       "common character its lead byte starts, the digit swallowed with the lost byte is marked"},
      {"非常有意義?!蓖┼l(xiāng)經濟開發區", "非常有意義。”桐鄉(xiāng)經濟",
       "seed 002: the ASCII trail byte of 鄉 re-synchronises; 桐 is read as it is"},
      {"不斷給自己充電?!?/p>", "不斷給自己充電。”/p>",
       "seed 002: the byte lost before /p> was the tag's <, not a character"},
      {"上完課後入住率明顯提高?!爆F在週末的房間", "明顯提高。”現在週末的房間",
       "a short run that opens a quote and ends at an ASCII trail byte"},
      {"你知道吗?这是一个很好的问题，值得我们认真思考。", "你知道吗?这是一个很好的问题",
       "a real question mark before clean text stays"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(repairer_->Repair(c.text).text, HasSubstr(c.want)) << c.reason;
  }
}

TEST(CountLostCharactersTest, CountsReplacementCharactersAndKunJinKao) {
  size_t total = 0;
  EXPECT_EQ(CountLostCharacters("\uFFFD\uFFFD好", &total), 2u);
  EXPECT_EQ(total, 3u);
  EXPECT_EQ(CountLostCharacters("锟斤拷锟斤拷食锟", &total), 6u);
  EXPECT_EQ(total, 8u);
  EXPECT_EQ(CountLostCharacters("斤拷问题", &total), 0u) << "only whole 锟斤拷 runs count";
}

}  // namespace
}  // namespace newsearch::ingest
