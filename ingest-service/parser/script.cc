#include "ingest-service/parser/script.h"

#include <opencc/SimpleConverter.hpp>

#include <cstdint>
#include <exception>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

constexpr uint8_t kTraditionalOnly = 1;
constexpr uint8_t kSimplifiedOnly = 2;

bool IsBmpHan(char32_t cp) { return cp < 0x10000 && text::IsHan(cp); }

// Converts every BMP Han character on its own line (newlines keep OpenCC's
// phrase matching from spanning two of them) and sets `flag` in `kinds` for
// each one the conversion changes.
void MarkChanged(const opencc::SimpleConverter& converter, uint8_t flag,
                 std::vector<uint8_t>* kinds) {
  std::u32string chars;
  std::string joined;
  for (char32_t cp = 0; cp < 0x10000; ++cp) {
    if (!IsBmpHan(cp)) continue;
    chars.push_back(cp);
    text::AppendUtf8(cp, &joined);
    joined += '\n';
  }
  const std::string converted = converter.Convert(joined);
  const std::vector<absl::string_view> pieces = absl::StrSplit(converted, '\n');
  if (pieces.size() < chars.size()) return;
  std::string original;
  for (size_t i = 0; i < chars.size(); ++i) {
    original.clear();
    text::AppendUtf8(chars[i], &original);
    if (pieces[i] != original) (*kinds)[chars[i]] |= flag;
  }
}

}  // namespace

ScriptDetector::ScriptDetector(std::vector<uint8_t> kinds) : kinds_(std::move(kinds)) {}

ScriptDetector::~ScriptDetector() = default;

absl::StatusOr<std::unique_ptr<ScriptDetector>> ScriptDetector::Create(
    const std::string& opencc_data_dir) {
  std::unique_ptr<opencc::SimpleConverter> t2s, s2t;
  const std::string t2s_path = absl::StrCat(opencc_data_dir, "/t2s.json");
  const std::string s2t_path = absl::StrCat(opencc_data_dir, "/s2t.json");
  std::vector<uint8_t> kinds(0x10000, 0);
  try {
    t2s = std::make_unique<opencc::SimpleConverter>(t2s_path);
    s2t = std::make_unique<opencc::SimpleConverter>(s2t_path);
    MarkChanged(*t2s, kTraditionalOnly, &kinds);
    MarkChanged(*s2t, kSimplifiedOnly, &kinds);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load OpenCC configs ", t2s_path, " and ", s2t_path, ": ", e.what()));
  }
  return std::unique_ptr<ScriptDetector>(new ScriptDetector(std::move(kinds)));
}

std::string ScriptDetector::Detect(absl::string_view text) const {
  size_t traditional_only = 0, simplified_only = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = text::NextCodePoint(text, &pos);
    if (cp >= 0x10000) continue;
    const uint8_t kind = kinds_[cp];
    traditional_only += (kind & kTraditionalOnly) ? 1 : 0;
    simplified_only += (kind & kSimplifiedOnly) ? 1 : 0;
  }
  return traditional_only >= 3 && traditional_only > 2 * simplified_only ? kScriptTraditional
                                                                        : kScriptSimplified;
}

}  // namespace newsearch::ingest
