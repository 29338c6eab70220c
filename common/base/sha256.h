// SHA-256, the one wrapper of OpenSSL's digest API in the tree: page ids and
// content hashes in the article store, article ids in the ingestor, and the
// checksums of store backups and index snapshots (server and client side).
// One-shot helpers for a string in memory, and an incremental hasher for
// bytes that arrive (or are sent) in chunks.
#ifndef NEWSEARCH_COMMON_BASE_SHA256_H_
#define NEWSEARCH_COMMON_BASE_SHA256_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace newsearch {

// Returns the 32-byte SHA-256 digest of `bytes` (raw, not hex). Empty only
// when OpenSSL cannot allocate its context; an empty digest never equals a
// real one.
std::string Sha256Digest(absl::string_view bytes);

// Returns the SHA-256 digest of `bytes` as 64 lower-case hex digits (empty
// as Sha256Digest).
std::string Sha256Hex(absl::string_view bytes);

// Incremental SHA-256 over everything given to Update, in order. Not
// thread-safe; one digest per object.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Feeds more bytes.
  void Update(absl::string_view bytes);
  // Returns the raw 32-byte digest of the bytes fed so far and ends the
  // hasher (later calls return empty). Empty as Sha256Digest.
  std::string Digest();
  // Digest() as 64 lower-case hex digits.
  std::string HexDigest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace newsearch

#endif  // NEWSEARCH_COMMON_BASE_SHA256_H_
