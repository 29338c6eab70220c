// OpenCC conversions on in-memory hash dictionaries.
//
// OpenCC's Debian dictionaries are marisa tries (.ocd2): compact, but every
// longest-prefix lookup walks a LOUDS trie, and a conversion does several
// lookups per character (s2t then tw2sp: about nine). Profiling the search
// replica's bulk load put marisa at a fifth of all indexing CPU time.
//
// LoadConverter reads a configuration with OpenCC itself (opencc::Config:
// the same JSON, the same dictionary files), then rebuilds the converter it
// returns around the same segmentation and conversion chain, with each leaf
// dictionary copied into a hash table of its keys and of every prefix of a
// key (HashDict below). The algorithm stays OpenCC's (MaxMatchSegmentation,
// Conversion, ConversionChain, DictGroup, Converter); only the lookup
// structure changes, so the output is OpenCC's, byte for byte
// (opencc_converter_test compares every dictionary key, in context, with
// opencc::SimpleConverter).
#ifndef NEWSEARCH_COMMON_ANALYSIS_OPENCC_CONVERTER_H_
#define NEWSEARCH_COMMON_ANALYSIS_OPENCC_CONVERTER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace opencc {
class Converter;
}

namespace newsearch::analysis {

// Loads the OpenCC configuration file `config_path` (e.g.
// /usr/share/opencc/s2t.json) and returns its converter on hash
// dictionaries; thread-safe to use from many threads (Convert is const and
// the dictionaries are read-only). A configuration whose segmentation is not
// OpenCC's max-match one is returned as OpenCC built it.
// FAILED_PRECONDITION with OpenCC's message when it cannot be loaded.
absl::StatusOr<std::shared_ptr<opencc::Converter>> LoadConverter(const std::string& config_path);

}  // namespace newsearch::analysis

#endif  // NEWSEARCH_COMMON_ANALYSIS_OPENCC_CONVERTER_H_
