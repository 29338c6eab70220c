#include "search-service/query/page_token.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/base/page_token.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::search {
namespace {

using ::testing::HasSubstr;

TEST(SearchPageTokenTest, RoundTripsOffsetFingerprintAndRevision) {
  const std::string token = EncodeSearchPageToken({20, 0xabcdef, 42, {}});
  absl::StatusOr<SearchPageToken> decoded = DecodeSearchPageToken(token, 0xabcdef);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->offset, 20);
  EXPECT_EQ(decoded->fingerprint, 0xabcdefu);
  EXPECT_EQ(decoded->applied_seq, 42);
}

TEST(SearchPageTokenTest, RejectsAnotherQuerysTokenAndGarbage) {
  const std::string token = EncodeSearchPageToken({20, 7, 42, {}});
  EXPECT_THAT(DecodeSearchPageToken(token, 8).status().message(),
              HasSubstr("does not belong to this query"));
  for (const std::string plain : {"p2.1.7", "p2.1.7.-3", "p2.-1.7.3", "p2.1.zz.3", "p3.1.7.3",
                                  "p1.1.7.3", "", "p2.1.7.3.", "p2.1.7.3.x", "p2.1.7.3.-1",
                                  "p2.1.7.3.2,1", "p2.1.7.3.1,1", "p2.1.7.3.1.2"}) {
    absl::StatusOr<SearchPageToken> decoded =
        DecodeSearchPageToken(absl::WebSafeBase64Escape(plain), 7);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << plain;
    EXPECT_THAT(decoded.status().message(), HasSubstr("malformed")) << plain;
  }
}

TEST(SearchPageTokenTest, OldTokensWithoutRevisionStillWork) {
  absl::StatusOr<SearchPageToken> decoded =
      DecodeSearchPageToken(absl::WebSafeBase64Escape("p1.10.7"), 7);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->offset, 10);
  EXPECT_EQ(decoded->applied_seq, -1);
  bool changed = true;
  EXPECT_TRUE(CheckTokenRevision(*decoded, 5, &changed).ok());
  EXPECT_FALSE(changed);
}

TEST(SearchPageTokenTest, ReplicaBehindIsUnavailableAheadIsChanged) {
  const SearchPageToken token{10, 7, 42, {}};
  bool changed = true;
  EXPECT_TRUE(CheckTokenRevision(token, 42, &changed).ok());
  EXPECT_FALSE(changed);
  EXPECT_TRUE(CheckTokenRevision(token, 43, &changed).ok());
  EXPECT_TRUE(changed);
  const absl::Status behind = CheckTokenRevision(token, 41, &changed);
  EXPECT_EQ(behind.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(behind.message(), HasSubstr("behind"));
}

TEST(SearchPageTokenTest, RoundTripsTheMissingPartitionsOfAPartialAnswer) {
  SearchPageToken partial{10, 7, 42, {}};
  partial.missing_partitions = {1, 3};
  absl::StatusOr<SearchPageToken> decoded =
      DecodeSearchPageToken(EncodeSearchPageToken(partial), 7);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->applied_seq, 42);
  EXPECT_EQ(decoded->missing_partitions, std::vector<int>({1, 3}));
  // A complete answer's token is the one a replica hands out.
  EXPECT_EQ(EncodeSearchPageToken({10, 7, 42, {}}), EncodePageToken("p2.10.7.42"));
}

TEST(SearchPageTokenTest, PartialTokenIsRefusedWhenOtherPartitionsAnswer) {
  SearchPageToken partial{10, 7, 42, {}};
  partial.missing_partitions = {1};
  bool changed = true;
  // The same partitions missing: the list goes on.
  EXPECT_TRUE(CheckTokenRevision(partial, 42, &changed, {1}).ok());
  EXPECT_FALSE(changed);
  // Every partition back: the earlier pages lacked partition 1's hits.
  absl::Status complete = CheckTokenRevision(partial, 42, &changed);
  EXPECT_EQ(complete.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(complete.message(), HasSubstr("partial answer without partition(s) 1"));
  EXPECT_THAT(complete.message(), HasSubstr("every partition answers now"));
  EXPECT_THAT(complete.message(), HasSubstr("search again without page_token"));
  absl::Status other = CheckTokenRevision(partial, 42, &changed, {0});
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.message(), HasSubstr("partition(s) 0 are missing now"));
  // A complete list continued by a partial answer: marked, not refused.
  EXPECT_TRUE(CheckTokenRevision({10, 7, 42, {}}, 42, &changed, {1}).ok());
  EXPECT_TRUE(changed);
}

}  // namespace
}  // namespace newsearch::search
