#include "ingest-service/parser/script.h"

#include <opencc/SimpleConverter.hpp>

#include <exception>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

// Converts each distinct character of `chars` on its own (newlines keep
// OpenCC's phrase matching from spanning two of them) and returns the total
// count of characters the conversion changes.
size_t CountChanged(const opencc::SimpleConverter& converter, const std::u32string& chars,
                    const std::vector<size_t>& counts) {
  std::string joined;
  for (char32_t cp : chars) {
    text::AppendUtf8(cp, &joined);
    joined += '\n';
  }
  std::string converted;
  try {
    converted = converter.Convert(joined);
  } catch (const std::exception&) {
    return 0;  // Treated as "no evidence" for this direction.
  }
  const std::vector<absl::string_view> pieces = absl::StrSplit(converted, '\n');
  if (pieces.size() < chars.size()) return 0;
  size_t changed = 0;
  for (size_t i = 0; i < chars.size(); ++i) {
    std::string original;
    text::AppendUtf8(chars[i], &original);
    if (pieces[i] != original) changed += counts[i];
  }
  return changed;
}

}  // namespace

ScriptDetector::ScriptDetector(std::unique_ptr<opencc::SimpleConverter> t2s,
                               std::unique_ptr<opencc::SimpleConverter> s2t)
    : t2s_(std::move(t2s)), s2t_(std::move(s2t)) {}

ScriptDetector::~ScriptDetector() = default;

absl::StatusOr<std::unique_ptr<ScriptDetector>> ScriptDetector::Create(
    const std::string& opencc_data_dir) {
  std::unique_ptr<opencc::SimpleConverter> t2s, s2t;
  const std::string t2s_path = absl::StrCat(opencc_data_dir, "/t2s.json");
  const std::string s2t_path = absl::StrCat(opencc_data_dir, "/s2t.json");
  try {
    t2s = std::make_unique<opencc::SimpleConverter>(t2s_path);
    s2t = std::make_unique<opencc::SimpleConverter>(s2t_path);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load OpenCC configs ", t2s_path, " and ", s2t_path, ": ", e.what()));
  }
  return std::unique_ptr<ScriptDetector>(new ScriptDetector(std::move(t2s), std::move(s2t)));
}

std::string ScriptDetector::Detect(absl::string_view text) const {
  absl::flat_hash_map<char32_t, size_t> index;
  std::u32string chars;
  std::vector<size_t> counts;
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = text::NextCodePoint(text, &pos);
    if (!text::IsHan(cp)) continue;
    auto [it, inserted] = index.try_emplace(cp, chars.size());
    if (inserted) {
      chars.push_back(cp);
      counts.push_back(0);
    }
    ++counts[it->second];
  }
  if (chars.empty()) return kScriptSimplified;
  const size_t traditional_only = CountChanged(*t2s_, chars, counts);
  const size_t simplified_only = CountChanged(*s2t_, chars, counts);
  return traditional_only >= 3 && traditional_only > 2 * simplified_only ? kScriptTraditional
                                                                        : kScriptSimplified;
}

}  // namespace newsearch::ingest
