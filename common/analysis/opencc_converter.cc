#include "common/analysis/opencc_converter.h"

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <exception>
#include <list>
#include <utility>

#include <opencc/Config.hpp>
#include <opencc/Conversion.hpp>
#include <opencc/ConversionChain.hpp>
#include <opencc/Converter.hpp>
#include <opencc/Dict.hpp>
#include <opencc/DictEntry.hpp>
#include <opencc/DictGroup.hpp>
#include <opencc/Lexicon.hpp>
#include <opencc/MaxMatchSegmentation.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace newsearch::analysis {
namespace {

// One byte past the UTF-8 character starting at `i` of `word`, reading no
// further than `len` bytes and never past a NUL (Conversion hands its
// lookups a NUL-terminated string with the dictionary's longest key length
// as `len`, as it does to every dictionary).
size_t NextCharEnd(const char* word, size_t i, size_t len) {
  ++i;
  while (i < len && (static_cast<unsigned char>(word[i]) & 0xC0) == 0x80) ++i;
  return i;
}

// A dictionary whose lookups are hash probes: every key, and every prefix
// of a key ending at a character boundary, is a node; MatchPrefix extends
// the probe one character at a time while some key continues it, keeping
// the longest key seen. Same answers as the source dictionary (the entries
// are the source's own, kept alive with its lexicon) for valid UTF-8.
class HashDict : public opencc::Dict {
 public:
  explicit HashDict(const opencc::Dict& source)
      : lexicon_(source.GetLexicon()), key_max_length_(source.KeyMaxLength()) {
    nodes_.reserve(lexicon_->Length() * 2);
    for (const auto& entry : *lexicon_) {
      const std::string key = entry->Key();
      if (key.empty()) continue;
      nodes_[key].entry = entry.get();
      first_chars_.set(FirstCharSlot(key.data(), NextCharEnd(key.data(), 0, key.size())));
      for (size_t end = NextCharEnd(key.data(), 0, key.size()); end < key.size();
           end = NextCharEnd(key.data(), end, key.size())) {
        nodes_[key.substr(0, end)].continues = true;
      }
    }
  }

  opencc::Optional<const opencc::DictEntry*> Match(const char* word, size_t len) const override {
    const auto it = nodes_.find(absl::string_view(word, len));
    if (it == nodes_.end() || it->second.entry == nullptr) {
      return opencc::Optional<const opencc::DictEntry*>::Null();
    }
    return it->second.entry;
  }

  opencc::Optional<const opencc::DictEntry*> MatchPrefix(const char* word,
                                                         size_t len) const override {
    len = std::min(len, key_max_length_);
    const opencc::DictEntry* longest = nullptr;
    if (len > 0 && word[0] != '\0' &&
        !first_chars_.test(FirstCharSlot(word, NextCharEnd(word, 0, len)))) {
      return opencc::Optional<const opencc::DictEntry*>::Null();
    }
    for (size_t end = 0; end < len && word[end] != '\0';) {
      end = NextCharEnd(word, end, len);
      const auto it = nodes_.find(absl::string_view(word, end));
      if (it == nodes_.end()) break;
      if (it->second.entry != nullptr) longest = it->second.entry;
      if (!it->second.continues) break;
    }
    if (longest == nullptr) return opencc::Optional<const opencc::DictEntry*>::Null();
    return longest;
  }

  size_t KeyMaxLength() const override { return key_max_length_; }
  opencc::LexiconPtr GetLexicon() const override { return lexicon_; }

 private:
  // A bit per hashed first character of the keys: a dictionary is asked
  // for a prefix at every character of a run (each dictionary of a group,
  // in each conversion of the chain), and the small ones (Taiwan's phrase
  // and variant tables) start with few characters, so most probes end here
  // without hashing a string. A set bit only means "probe the table".
  static size_t FirstCharSlot(const char* word, size_t end) {
    uint32_t packed = static_cast<uint32_t>(end);
    for (size_t i = 0; i < end; ++i) {
      packed = packed * 0x9E3779B1u + static_cast<unsigned char>(word[i]);
    }
    return (packed * 0x9E3779B1u) >> (32 - kFirstCharBits);
  }
  static constexpr int kFirstCharBits = 16;
  std::bitset<size_t{1} << kFirstCharBits> first_chars_;

  struct Node {
    const opencc::DictEntry* entry = nullptr;  // null: only a prefix of keys
    bool continues = false;                    // some longer key starts with it
  };
  const opencc::LexiconPtr lexicon_;
  const size_t key_max_length_;
  absl::flat_hash_map<std::string, Node> nodes_;
};

// The same dictionary on hash tables: groups keep their order (a group
// answers with its first dictionary that matches), leaves become HashDicts.
// `copies` shares one copy between the places a configuration names the
// same loaded dictionary.
opencc::DictPtr HashCopy(const opencc::DictPtr& dict,
                         absl::flat_hash_map<const opencc::Dict*, opencc::DictPtr>* copies) {
  if (const auto found = copies->find(dict.get()); found != copies->end()) return found->second;
  opencc::DictPtr copy;
  if (const auto group = std::dynamic_pointer_cast<opencc::DictGroup>(dict)) {
    std::list<opencc::DictPtr> members;
    for (const opencc::DictPtr& member : group->GetDicts()) {
      members.push_back(HashCopy(member, copies));
    }
    copy = std::make_shared<opencc::DictGroup>(members);
  } else {
    copy = std::make_shared<HashDict>(*dict);
  }
  (*copies)[dict.get()] = copy;
  return copy;
}

}  // namespace

absl::StatusOr<std::shared_ptr<opencc::Converter>> LoadConverter(const std::string& config_path) {
  try {
    opencc::Config config;
    const opencc::ConverterPtr loaded = config.NewFromFile(config_path);
    const auto segmentation =
        std::dynamic_pointer_cast<opencc::MaxMatchSegmentation>(loaded->GetSegmentation());
    if (segmentation == nullptr) return loaded;
    absl::flat_hash_map<const opencc::Dict*, opencc::DictPtr> copies;
    std::list<opencc::ConversionPtr> conversions;
    for (const opencc::ConversionPtr& conversion : loaded->GetConversionChain()->GetConversions()) {
      conversions.push_back(
          std::make_shared<opencc::Conversion>(HashCopy(conversion->GetDict(), &copies)));
    }
    return std::make_shared<opencc::Converter>(
        config_path,
        std::make_shared<opencc::MaxMatchSegmentation>(HashCopy(segmentation->GetDict(), &copies)),
        std::make_shared<opencc::ConversionChain>(conversions));
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load OpenCC configuration ", config_path, ": ", e.what()));
  } catch (...) {
    // OpenCC reports a missing file with an exception of its own.
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load OpenCC configuration ", config_path));
  }
}

}  // namespace newsearch::analysis
