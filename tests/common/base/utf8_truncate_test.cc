#include "common/base/utf8_truncate.h"

#include "gtest/gtest.h"

namespace newsearch {
namespace {

TEST(TruncateUtf8Test, NeverSplitsACharacter) {
  const absl::string_view text = "网络ab";  // 3 + 3 + 1 + 1 bytes
  EXPECT_EQ(TruncateUtf8(text, 100), text);
  EXPECT_EQ(TruncateUtf8(text, 8), text);
  EXPECT_EQ(TruncateUtf8(text, 7), "网络a");
  EXPECT_EQ(TruncateUtf8(text, 6), "网络");
  EXPECT_EQ(TruncateUtf8(text, 5), "网");
  EXPECT_EQ(TruncateUtf8(text, 4), "网");
  EXPECT_EQ(TruncateUtf8(text, 2), "");
  EXPECT_EQ(TruncateUtf8(text, 0), "");
}

}  // namespace
}  // namespace newsearch
