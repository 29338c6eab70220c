// Structured logging: one JSON object per line on stderr.
// Lifecycle at info, per-request failures at debug; never article text.
#ifndef NEWSEARCH_COMMON_BASE_LOGGING_H_
#define NEWSEARCH_COMMON_BASE_LOGGING_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace newsearch {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// One key/value pair of a log line. Values are written as JSON strings
// unless built from a number or bool.
class LogField {
 public:
  LogField(absl::string_view key, absl::string_view value);
  LogField(absl::string_view key, const std::string& value)
      : LogField(key, absl::string_view(value)) {}
  LogField(absl::string_view key, const char* value)
      : LogField(key, absl::string_view(value)) {}
  LogField(absl::string_view key, long long value);
  LogField(absl::string_view key, long value) : LogField(key, static_cast<long long>(value)) {}
  LogField(absl::string_view key, int value) : LogField(key, static_cast<long long>(value)) {}
  LogField(absl::string_view key, unsigned long value)
      : LogField(key, static_cast<long long>(value)) {}
  LogField(absl::string_view key, double value);
  LogField(absl::string_view key, bool value);

  const std::string& json() const { return json_; }

 private:
  std::string json_;  // `"key":value`
};

// Sets the minimum level written; parses "debug", "info", "warning", "error".
// Returns false for an unknown name.
bool SetLogLevel(absl::string_view level);
void SetLogLevel(LogLevel level);
// Writes `{"ts":...,"level":...,"logger":component,"msg":message,fields...}`.
// Thread-safe.
void Log(LogLevel level, absl::string_view component, absl::string_view message,
         std::initializer_list<LogField> fields = {});

// Escapes `text` as the inside of a JSON string (quotes not included); bytes
// that are not UTF-8 become U+FFFD.
std::string JsonEscape(absl::string_view text);

}  // namespace newsearch

#endif  // NEWSEARCH_COMMON_BASE_LOGGING_H_
