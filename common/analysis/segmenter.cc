#include "common/analysis/segmenter.h"

#include <cmath>
#include <fstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace newsearch::analysis {
namespace {

// Longest word considered, in code points; longer dictionary entries
// (a handful of idioms) are kept but never extended past this.
constexpr int kMaxWordChars = 16;

// Byte length of the UTF-8 sequence that starts with `lead`.
int Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Segmenter>> Segmenter::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the segmentation dictionary ", path,
                     " (Debian: apt-get install python3-jieba)"));
  }
  std::unique_ptr<Segmenter> segmenter(new Segmenter());
  auto& frequencies = segmenter->frequencies_;
  frequencies.reserve(600000);
  uint64_t total = 0;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    absl::string_view rest = absl::StripAsciiWhitespace(line);
    if (rest.empty()) continue;
    const size_t space = rest.find(' ');
    const absl::string_view word = rest.substr(0, space);
    uint32_t frequency = 0;
    if (space == absl::string_view::npos ||
        !absl::SimpleAtoi(rest.substr(space + 1, rest.find(' ', space + 1) - space - 1),
                          &frequency)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "segmentation dictionary ", path, " line ", line_number,
          ": expected `word frequency [tag]`, got `", rest.substr(0, 80), "`"));
    }
    // Dictionary entries are matched against folded (lower-case) text.
    const std::string key = absl::AsciiStrToLower(word);
    auto [it, inserted] = frequencies.try_emplace(key, frequency);
    if (!inserted) {
      if (it->second == 0 && frequency > 0) ++segmenter->word_count_;
      total += frequency;
      it->second += frequency;
    } else if (frequency > 0) {
      ++segmenter->word_count_;
      total += frequency;
    }
    // Every proper prefix, so the DAG walk can tell "no word starts like
    // this" from "a longer word may follow".
    int chars = 0;
    for (size_t i = 0; i < key.size(); i += Utf8Length(static_cast<unsigned char>(key[i]))) {
      if (i > 0) frequencies.try_emplace(key.substr(0, i), 0);
      ++chars;
    }
    if (chars > segmenter->max_word_chars_) segmenter->max_word_chars_ = chars;
  }
  if (total == 0 || segmenter->word_count_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("segmentation dictionary ", path, " holds no word with a frequency"));
  }
  segmenter->log_total_ = std::log(static_cast<double>(total));
  if (segmenter->max_word_chars_ > kMaxWordChars) segmenter->max_word_chars_ = kMaxWordChars;
  return segmenter;
}

std::vector<int> Segmenter::Segment(const std::vector<std::string>& chars) const {
  const int n = static_cast<int>(chars.size());
  // best[i]: log probability of the best cut of chars[i, n); next[i]: the
  // end of the first word on that path.
  std::vector<double> best(n + 1, 0.0);
  std::vector<int> next(n + 1, n);
  std::string fragment;
  for (int i = n - 1; i >= 0; --i) {
    // A single character is always a candidate (frequency 1 when unknown).
    fragment = chars[i];
    auto single = frequencies_.find(fragment);
    double single_log =
        std::log(static_cast<double>(single != frequencies_.end() && single->second > 0
                                         ? single->second
                                         : 1)) -
        log_total_;
    best[i] = single_log + best[i + 1];
    next[i] = i + 1;
    if (single == frequencies_.end()) continue;
    const int limit = std::min(n, i + max_word_chars_);
    for (int j = i + 1; j < limit; ++j) {
      fragment += chars[j];
      auto it = frequencies_.find(fragment);
      if (it == frequencies_.end()) break;
      if (it->second == 0) continue;
      const double score = std::log(static_cast<double>(it->second)) - log_total_ + best[j + 1];
      // Ties go to the longer word, as in jieba.
      if (score >= best[i]) {
        best[i] = score;
        next[i] = j + 1;
      }
    }
  }
  std::vector<int> lengths;
  for (int i = 0; i < n; i = next[i]) lengths.push_back(next[i] - i);
  return lengths;
}

}  // namespace newsearch::analysis
