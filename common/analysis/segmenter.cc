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

// The code point of `c` when it is one character of the Basic Multilingual
// Plane in shortest-form UTF-8, else -1. One-to-one on the strings it
// accepts, so indexing by it finds what the hash table would.
int32_t BmpCodePoint(absl::string_view c) {
  const auto byte = [&c](size_t k) {
    return static_cast<int32_t>(static_cast<unsigned char>(c[k]));
  };
  const auto continuation = [&byte](size_t k) { return (byte(k) & 0xC0) == 0x80; };
  if (c.size() == 1 && byte(0) < 0x80) return byte(0);
  if (c.size() == 2 && (byte(0) & 0xE0) == 0xC0 && continuation(1)) {
    const int32_t cp = (byte(0) & 0x1F) << 6 | (byte(1) & 0x3F);
    return cp >= 0x80 ? cp : -1;
  }
  if (c.size() == 3 && (byte(0) & 0xF0) == 0xE0 && continuation(1) && continuation(2)) {
    const int32_t cp = (byte(0) & 0x0F) << 12 | (byte(1) & 0x3F) << 6 | (byte(2) & 0x3F);
    return cp >= 0x800 ? cp : -1;
  }
  return -1;
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
  auto& entries = segmenter->entries_;
  entries.reserve(600000);
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
    auto [it, inserted] = entries.try_emplace(key, frequency);
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
      if (i > 0) entries.try_emplace(key.substr(0, i), 0);
      ++chars;
    }
    if (chars > segmenter->max_word_chars_) segmenter->max_word_chars_ = chars;
  }
  if (total == 0 || segmenter->word_count_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("segmentation dictionary ", path, " holds no word with a frequency"));
  }
  const double log_total = std::log(static_cast<double>(total));
  segmenter->unknown_log_probability_ = std::log(1.0) - log_total;
  for (auto& [key, value] : entries) {
    value = value > 0 ? std::log(value) - log_total : std::nan("");
  }
  segmenter->bmp_characters_.resize(0x10000);
  for (const auto& [key, value] : entries) {
    if (const int32_t cp = BmpCodePoint(key); cp >= 0) {
      segmenter->bmp_characters_[cp] = {
          true, std::isnan(value) ? segmenter->unknown_log_probability_ : value};
    }
  }
  if (segmenter->max_word_chars_ > kMaxWordChars) segmenter->max_word_chars_ = kMaxWordChars;
  return segmenter;
}

Segmenter::Character Segmenter::Lookup(absl::string_view character) const {
  if (const int32_t cp = BmpCodePoint(character); cp >= 0) return bmp_characters_[cp];
  const auto it = entries_.find(character);
  if (it == entries_.end()) return Character();
  return {true, std::isnan(it->second) ? unknown_log_probability_ : it->second};
}

std::vector<int> Segmenter::Segment(absl::string_view run, std::vector<bool>* word_bigrams) const {
  // starts[k]: byte offset of code point k of the run; starts[n] = size.
  std::vector<size_t> starts;
  starts.reserve(run.size() / 3 + 1);
  for (size_t b = 0; b < run.size(); b += Utf8Length(static_cast<unsigned char>(run[b]))) {
    starts.push_back(b);
  }
  const int n = static_cast<int>(starts.size());
  starts.push_back(run.size());
  // Code points [i, j) of the run, looked up without a copy.
  const auto fragment = [&](int i, int j) { return run.substr(starts[i], starts[j] - starts[i]); };
  // best[i]: log probability of the best cut of code points [i, n); next[i]:
  // the end of the first word on that path.
  std::vector<double> best(n + 1, 0.0);
  std::vector<int> next(n + 1, n);
  // Every prefix of a word is an entry, so a bigram that is a word is
  // looked up below (j = i + 1) whenever one is (max_word_chars_ >= 2).
  const size_t bigrams_at = word_bigrams != nullptr ? word_bigrams->size() : 0;
  if (word_bigrams != nullptr) word_bigrams->resize(bigrams_at + n, false);
  for (int i = n - 1; i >= 0; --i) {
    // A single character is always a candidate (frequency 1 when unknown).
    const Character single = Lookup(fragment(i, i + 1));
    best[i] =
        (single.in_dictionary ? single.log_probability : unknown_log_probability_) + best[i + 1];
    next[i] = i + 1;
    if (!single.in_dictionary) continue;
    const int limit = std::min(n, i + max_word_chars_);
    for (int j = i + 1; j < limit; ++j) {
      const auto it = entries_.find(fragment(i, j + 1));
      if (it == entries_.end()) break;
      if (std::isnan(it->second)) continue;  // a prefix only
      if (j == i + 1 && word_bigrams != nullptr) (*word_bigrams)[bigrams_at + i] = true;
      const double score = it->second + best[j + 1];
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
