#include "common/server/auth.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/logging.h"

namespace newsearch::server {
namespace {

// Tokens longer than this are refused as misconfiguration (a wrong file).
constexpr size_t kMaxTokenBytes = 4096;

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read token file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(buffer.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " is empty"));
  }
  if (token.size() > kMaxTokenBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("token file ", path, " holds more than ", kMaxTokenBytes, " bytes"));
  }
  return token;
}

}  // namespace

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // The length is not secret; the contents are.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

absl::StatusOr<std::unique_ptr<TokenSource>> TokenSource::FromFile(const std::string& path,
                                                                  absl::Duration recheck) {
  std::unique_ptr<TokenSource> source(new TokenSource());
  source->path_ = path;
  source->recheck_ = recheck;
  source->description_ = absl::StrCat("file ", path);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read token file ", path));
  }
  absl::MutexLock lock(&source->mu_);
  FileState state{st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size, st.st_ino};
  absl::Status loaded = source->Reload(state);
  if (!loaded.ok()) return loaded;
  return source;
}

absl::StatusOr<std::unique_ptr<TokenSource>> TokenSource::FromValue(absl::string_view token) {
  std::string trimmed(absl::StripAsciiWhitespace(token));
  if (trimmed.empty()) return absl::InvalidArgumentError("token is empty");
  std::unique_ptr<TokenSource> source(new TokenSource());
  source->description_ = "environment";
  absl::MutexLock lock(&source->mu_);
  source->token_ = std::move(trimmed);
  return source;
}

absl::Status TokenSource::Reload(const FileState& state) {
  state_ = state;
  absl::StatusOr<std::string> token = ReadToken(path_);
  if (!token.ok()) return token.status();
  token_ = std::move(*token);
  return absl::OkStatus();
}

std::string TokenSource::Current() {
  const int64_t now = absl::GetCurrentTimeNanos();
  if (path_.empty() || now < next_check_ns_.load(std::memory_order_relaxed)) {
    absl::ReaderMutexLock lock(&mu_);
    return token_;
  }
  absl::MutexLock lock(&mu_);
  if (now < next_check_ns_.load(std::memory_order_relaxed)) return token_;  // checked meanwhile
  next_check_ns_.store(now + absl::ToInt64Nanoseconds(recheck_), std::memory_order_relaxed);
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    // Rotation by rename leaves a short window without the file: keep the
    // last token rather than locking everyone out.
    return token_;
  }
  FileState state{st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size, st.st_ino};
  if (state == state_) return token_;
  absl::Status reloaded = Reload(state);
  if (reloaded.ok()) {
    Log(LogLevel::kInfo, "auth", "token reloaded", {{"source", description_}});
  } else {
    Log(LogLevel::kWarning, "auth", "token file changed but is unusable; keeping the last token",
        {{"source", description_}, {"status", reloaded.ToString()}});
  }
  return token_;
}

absl::StatusOr<std::unique_ptr<TokenSource>> MakeTokenSource(const std::string& file,
                                                             const std::string& value) {
  if (!file.empty()) return TokenSource::FromFile(file);
  if (value.empty()) return std::unique_ptr<TokenSource>();
  return TokenSource::FromValue(value);
}

absl::Status CheckBearerToken(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                              const std::string& expected) {
  auto it = metadata.find(kAuthorizationMetadataKey);
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing \"authorization: Bearer <token>\" metadata; this service requires a token");
  }
  const absl::string_view value(it->second.data(), it->second.size());
  if (!absl::StartsWithIgnoreCase(value, kBearerPrefix)) {
    return absl::UnauthenticatedError("authorization metadata is not \"Bearer <token>\"");
  }
  const absl::string_view presented =
      absl::StripAsciiWhitespace(value.substr(sizeof(kBearerPrefix) - 1));
  if (expected.empty() || !ConstantTimeEquals(presented, expected)) {
    return absl::UnauthenticatedError("bearer token is not valid");
  }
  return absl::OkStatus();
}

}  // namespace newsearch::server
