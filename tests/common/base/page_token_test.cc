#include "common/base/page_token.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace newsearch {
namespace {

TEST(PageTokenTest, RoundTripsAndHidesThePlainText) {
  const std::string plain = "l1.3151a860801b4c410a013c2e7ad01103-2";
  const std::string token = EncodePageToken(plain);
  EXPECT_FALSE(absl::StrContains(token, "3151a860"));
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos) << token;
  absl::StatusOr<std::string> back = DecodePageToken(token, "ListArticles");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, plain);
}

TEST(PageTokenTest, RefusesWhatIsNotAToken) {
  for (const std::string& bad : {std::string("not a token!"), std::string(2000, 'A')}) {
    absl::StatusOr<std::string> plain = DecodePageToken(bad, "ListArticles");
    ASSERT_FALSE(plain.ok());
    EXPECT_EQ(plain.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(plain.status().message(), "ListArticles"))
        << plain.status().message();
  }
}

}  // namespace
}  // namespace newsearch
