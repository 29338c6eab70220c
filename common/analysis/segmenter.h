// Dictionary word segmentation of Chinese text, for the `words` and
// `words+bigrams` analyzer variants (analyzer.h).
//
// The dictionary is jieba's frequency dictionary (`dict.txt`: one entry per
// line, `word frequency [part-of-speech]`; Debian's python3-jieba ships it as
// /usr/lib/python3/dist-packages/jieba/dict.txt). A run of Han characters is
// cut along the most probable path through the DAG of every dictionary word
// that starts at each character: the path maximising the sum of
// log(frequency(word) / total frequency), a character not starting any word
// being a word of its own with frequency 1. There is no HMM step for unknown
// words: such words come out as single characters (the bigram terms of the
// `words+bigrams` variant cover them).
#ifndef NEWSEARCH_COMMON_ANALYSIS_SEGMENTER_H_
#define NEWSEARCH_COMMON_ANALYSIS_SEGMENTER_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsearch::analysis {

// Immutable after Load(); thread-safe.
class Segmenter {
 public:
  // Default dictionary path (Debian 12, python3-jieba).
  static constexpr char kDefaultDictionaryPath[] = "/usr/lib/python3/dist-packages/jieba/dict.txt";

  // Reads the dictionary. FAILED_PRECONDITION naming the path when it cannot
  // be read; INVALID_ARGUMENT naming the line when a line has no word or its
  // frequency is not a non-negative integer; FAILED_PRECONDITION when it
  // holds no word with a positive frequency.
  static absl::StatusOr<std::unique_ptr<Segmenter>> Load(const std::string& path);

  // Cuts a run of characters (valid UTF-8, already folded like the
  // dictionary: simplified, lower case) into words. Returns the length in
  // code points of each word, in order; they sum to the run's code points.
  // When `word_bigrams` is given, appends to it, for each code point of the
  // run, whether it and the next one form a dictionary word (IsWord): the
  // walk has looked each bigram up already.
  std::vector<int> Segment(absl::string_view run, std::vector<bool>* word_bigrams = nullptr) const;

  // True when `word` (folded) is a dictionary word with a positive frequency.
  bool IsWord(absl::string_view word) const {
    auto it = entries_.find(word);
    return it != entries_.end() && !std::isnan(it->second);
  }

  // Number of dictionary words (entries with a positive frequency).
  size_t word_count() const { return word_count_; }

 private:
  Segmenter() = default;

  // Dictionary words with log(frequency) - log(total frequency), computed
  // once at load time rather than on every lookup of the DAG walk, and
  // every proper prefix of a word with NaN (so the walk knows when to stop
  // extending). While Load reads the file, the summed frequency instead (0
  // for a prefix).
  absl::flat_hash_map<std::string, double> entries_;
  // log(1) - log(total frequency): a character no word starts with.
  double unknown_log_probability_ = 0;
  // The entries of the single characters of the Basic Multilingual Plane
  // again, indexed by code point: the DAG walk looks one up at every
  // character, and this table (1 MiB) stays in the cache where the hash
  // table of every word does not.
  struct Character {
    bool in_dictionary = false;  // an entry, if only a prefix of words
    // The entry's, or unknown_log_probability_ for a prefix.
    double log_probability = 0;
  };
  std::vector<Character> bmp_characters_;
  // The entry of one character (a slice of UTF-8).
  Character Lookup(absl::string_view character) const;
  size_t word_count_ = 0;
  // Longest dictionary word, in code points.
  int max_word_chars_ = 1;
};

}  // namespace newsearch::analysis

#endif  // NEWSEARCH_COMMON_ANALYSIS_SEGMENTER_H_
