// Bearer-token authentication shared by both servers and their clients.
//
// A caller presents `authorization: Bearer <token>` metadata. The expected
// token comes from a file (--auth_token_file, re-read whenever the file's
// mtime, size or inode changes, so rotating it needs no restart) or, when no
// file is configured, from a literal (an environment variable). Token values
// are never logged.
#ifndef NEWSEARCH_COMMON_SERVER_AUTH_H_
#define NEWSEARCH_COMMON_SERVER_AUTH_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <ctime>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace newsearch::server {

// Metadata key and scheme of the bearer token.
inline constexpr char kAuthorizationMetadataKey[] = "authorization";
inline constexpr char kBearerPrefix[] = "Bearer ";

// Where a token lives: a file re-read on change, or a fixed value.
// Thread-safe.
class TokenSource {
 public:
  // How long a token read from a file is used before the file is looked at
  // again: calls share the token under a reader lock and at most one call
  // per interval stat()s the file.
  static constexpr absl::Duration kDefaultRecheck = absl::Seconds(1);

  // Reads `path` now. INVALID_ARGUMENT when the file cannot be read or holds
  // no token (surrounding whitespace and a trailing newline are ignored).
  static absl::StatusOr<std::unique_ptr<TokenSource>> FromFile(
      const std::string& path, absl::Duration recheck = kDefaultRecheck);
  // A token that never changes. INVALID_ARGUMENT when empty after trimming.
  static absl::StatusOr<std::unique_ptr<TokenSource>> FromValue(absl::string_view token);

  // The current token. When the file changed since the last read (checked
  // at most once per recheck interval) it is read again; if it cannot be
  // read or is empty now, the last good token stays in force (and the
  // problem is logged once per change).
  std::string Current();
  // What the token comes from, for logs ("file /etc/x" or "environment").
  const std::string& description() const { return description_; }

 private:
  TokenSource() = default;
  struct FileState {
    time_t mtime_sec = 0;
    long mtime_nsec = 0;
    off_t size = -1;
    ino_t inode = 0;
    bool operator==(const FileState& o) const {
      return mtime_sec == o.mtime_sec && mtime_nsec == o.mtime_nsec && size == o.size &&
             inode == o.inode;
    }
  };
  absl::Status Reload(const FileState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::string path_;  // empty for a fixed value
  std::string description_;
  absl::Duration recheck_ = kDefaultRecheck;
  // absl::GetCurrentTimeNanos() after which the file is looked at again.
  std::atomic<int64_t> next_check_ns_{0};
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  FileState state_ ABSL_GUARDED_BY(mu_);
};

// Returns the token source configured by a file flag and a literal (from an
// environment variable): the file when `file` is non-empty, else `value`
// when non-empty, else null (no authentication). Errors from reading the
// file.
absl::StatusOr<std::unique_ptr<TokenSource>> MakeTokenSource(const std::string& file,
                                                             const std::string& value);

// Checks the bearer token in `metadata` (a server context's client metadata)
// against `expected`. OK when it matches; UNAUTHENTICATED saying what is
// missing or wrong (never echoing either token) otherwise. The comparison
// takes the same time wherever the tokens differ.
absl::Status CheckBearerToken(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                              const std::string& expected);

// Equality that does not stop at the first differing byte.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_AUTH_H_
