// OpenCC conversions on in-memory hash dictionaries.
//
// OpenCC's Debian dictionaries are marisa tries (.ocd2): compact, but every
// longest-prefix lookup walks a LOUDS trie, and a conversion does several
// lookups per character (s2t then tw2sp: about nine). Profiling the search
// replica's bulk load put marisa at a fifth of all indexing CPU time.
//
// LoadConverter reads a configuration with OpenCC itself (opencc::Config:
// the same JSON, the same dictionary files), then copies each leaf
// dictionary into a hash table of its keys and of every prefix of a key
// (HashDict), with a direct table for a key's first character. The
// algorithm stays OpenCC's: max-match segmentation (characters no key
// starts with gather into one segment), then each conversion of the chain
// on each segment, longest key first, the first dictionary of a group that
// matches winning. HashConverter::Convert runs those loops itself on string
// views instead of OpenCC's per-segment strings and output streams (a third
// of a conversion's time); opencc() is OpenCC's own converter on the same
// hash dictionaries. The output is OpenCC's, byte for byte
// (opencc_converter_test compares every dictionary key, in context, with
// opencc::SimpleConverter, through both).
#ifndef NEWSEARCH_COMMON_ANALYSIS_OPENCC_CONVERTER_H_
#define NEWSEARCH_COMMON_ANALYSIS_OPENCC_CONVERTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace opencc {
class Converter;
}

namespace newsearch::analysis {

class HashDict;

// One loaded configuration. Thread-safe: everything is read-only.
class HashConverter {
 public:
  // The conversion of `text`, as opencc().Convert(text) gives it for
  // well-formed UTF-8 without NUL. A byte that starts no well-formed
  // character, and a NUL, is kept as it is and conversion goes on after it
  // (where OpenCC throws opencc::InvalidUTF8, stops at the NUL, or reads
  // outside its input), so ill-formed text converts piece by piece, the
  // same on every call. Throws only for a configuration without OpenCC's
  // max-match segmentation, where OpenCC's own loops run.
  std::string Convert(absl::string_view text) const;
  // OpenCC's converter on the same dictionaries.
  const opencc::Converter& opencc() const { return *opencc_; }

 private:
  friend absl::StatusOr<std::shared_ptr<const HashConverter>> LoadConverter(
      const std::string& config_path);
  // A dictionary group, flattened: the first member that matches wins.
  using Group = std::vector<const HashDict*>;
  // Appends `segment` converted by every conversion of the chain.
  void ConvertSegment(absl::string_view segment, std::string* out) const;

  std::shared_ptr<opencc::Converter> opencc_;
  // Empty when the configuration is not max-match segmentation on hash
  // dictionaries (Convert then calls OpenCC).
  Group segmentation_;
  std::vector<Group> chain_;
};

// Loads the OpenCC configuration file `config_path` (e.g.
// /usr/share/opencc/s2t.json) and returns its converter on hash
// dictionaries. A configuration whose segmentation is not OpenCC's
// max-match one converts as OpenCC built it. FAILED_PRECONDITION with
// OpenCC's message when it cannot be loaded.
absl::StatusOr<std::shared_ptr<const HashConverter>> LoadConverter(const std::string& config_path);

}  // namespace newsearch::analysis

#endif  // NEWSEARCH_COMMON_ANALYSIS_OPENCC_CONVERTER_H_
