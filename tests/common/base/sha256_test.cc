#include "common/base/sha256.h"

#include <string>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"

namespace newsearch {
namespace {

// FIPS 180-2 test vectors (and one UTF-8 string, digest from Python's
// hashlib): page ids and stored content hashes depend on these bytes.
TEST(Sha256Test, OneShotMatchesKnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("新闻"), "d39567b2b9f17d731d9b1ea68a6520d4d95e1673e22da4f1f727448ff5e959f3");
  EXPECT_EQ(Sha256Digest("abc").size(), 32u);
  EXPECT_EQ(absl::BytesToHexString(Sha256Digest("abc")), Sha256Hex("abc"));
}

TEST(Sha256Test, IncrementalEqualsOneShotWhateverTheChunks) {
  const std::string million(1000000, 'a');
  Sha256 hasher;
  for (size_t at = 0; at < million.size(); at += 4096) {
    hasher.Update(absl::string_view(million).substr(at, 4096));
  }
  EXPECT_EQ(hasher.HexDigest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  Sha256 nothing;
  nothing.Update("");
  EXPECT_EQ(nothing.HexDigest(), Sha256Hex(""));
  Sha256 split;
  split.Update("a");
  split.Update("bc");
  EXPECT_EQ(split.Digest(), Sha256Digest("abc"));
}

TEST(Sha256Test, DigestEndsTheHasher) {
  Sha256 hasher;
  hasher.Update("abc");
  EXPECT_EQ(hasher.HexDigest(), Sha256Hex("abc"));
  EXPECT_EQ(hasher.HexDigest(), "");
}

}  // namespace
}  // namespace newsearch
