#include "common/base/logging.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace newsearch {
namespace {

std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_write_mutex;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

}  // namespace

std::string JsonEscape(absl::string_view text) {
  // nlohmann's serializer escapes quotes, backslashes and control characters
  // and turns bytes that are not UTF-8 into U+FFFD, so a log line stays
  // valid JSON whatever a page or a client sent.
  const std::string quoted = nlohmann::json(std::string(text))
                                 .dump(/*indent=*/-1, ' ', /*ensure_ascii=*/false,
                                       nlohmann::json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

LogField::LogField(absl::string_view key, absl::string_view value)
    : json_(absl::StrCat("\"", JsonEscape(key), "\":\"", JsonEscape(value), "\"")) {}
LogField::LogField(absl::string_view key, long long value)
    : json_(absl::StrCat("\"", JsonEscape(key), "\":", value)) {}
LogField::LogField(absl::string_view key, double value)
    : json_(absl::StrCat("\"", JsonEscape(key), "\":", absl::StrFormat("%.6g", value))) {}
LogField::LogField(absl::string_view key, bool value)
    : json_(absl::StrCat("\"", JsonEscape(key), "\":", value ? "true" : "false")) {}

bool SetLogLevel(absl::string_view level) {
  if (level == "debug") {
    SetLogLevel(LogLevel::kDebug);
  } else if (level == "info") {
    SetLogLevel(LogLevel::kInfo);
  } else if (level == "warning" || level == "warn") {
    SetLogLevel(LogLevel::kWarning);
  } else if (level == "error") {
    SetLogLevel(LogLevel::kError);
  } else {
    return false;
  }
  return true;
}

void SetLogLevel(LogLevel level) { g_min_level.store(static_cast<int>(level)); }

void Log(LogLevel level, absl::string_view component, absl::string_view message,
         std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  std::string line = absl::StrCat(
      "{\"ts\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      "\",\"level\":\"", LevelName(level), "\",\"logger\":\"", JsonEscape(component),
      "\",\"msg\":\"", JsonEscape(message), "\"");
  for (const LogField& f : fields) absl::StrAppend(&line, ",", f.json());
  line += "}\n";
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace newsearch
