#include "common/analysis/opencc_converter.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <list>
#include <utility>
#include <vector>

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

// The byte length of the UTF-8 character whose first byte is `lead`, as
// OpenCC's UTF8Util reads it; 0 for a byte no character starts with.
size_t CharLength(char lead) {
  const auto c = static_cast<unsigned char>(lead);
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0x80) == 0x00) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF8) == 0xF0) return 4;
  if ((c & 0xFC) == 0xF8) return 5;
  if ((c & 0xFE) == 0xFC) return 6;
  return 0;
}

// The length of the character starting at `p` (1 <= `avail` bytes readable)
// when it is well formed: its lead byte is one and its continuation bytes
// follow within `avail`. 0 otherwise; bytes are read one at a time and none
// after the first that is not a continuation byte, so a lookup on a
// NUL-terminated string never reads past the NUL.
size_t WellFormedLength(const char* p, size_t avail) {
  const size_t length = CharLength(p[0]);
  if (length == 0 || length > avail) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(p[k]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

// A dictionary whose lookups are hash probes: every key, and every prefix
// of a key ending at a character boundary, is a node; a lookup extends the
// probe one character at a time while some key continues it, keeping the
// longest key seen. Same answers as the source dictionary (the entries are
// the source's own, kept alive with its lexicon) for valid UTF-8.
class HashDict : public opencc::Dict {
 public:
  struct Node {
    const opencc::DictEntry* entry = nullptr;  // null: only a prefix of keys
    std::string value;                         // entry->GetDefault()
    bool continues = false;                    // some longer key starts with it
  };
  struct Found {
    const Node* node = nullptr;  // null: no key is a prefix of the word
    size_t length = 0;           // the key's length in bytes
  };

  explicit HashDict(const opencc::Dict& source)
      : lexicon_(source.GetLexicon()), key_max_length_(source.KeyMaxLength()) {
    nodes_.reserve(lexicon_->Length() * 2);
    for (const auto& entry : *lexicon_) {
      const std::string key = entry->Key();
      if (key.empty()) continue;
      Node& node = nodes_[key];
      node.entry = entry.get();
      node.value = entry->GetDefault();
      // Every prefix ending at a character boundary continues to a key.
      for (size_t end = 0;;) {
        end += std::max<size_t>(1, WellFormedLength(key.data() + end, key.size() - end));
        if (end >= key.size()) break;
        nodes_[key.substr(0, end)].continues = true;
      }
    }
    // The table holds pointers into nodes_, which no longer changes.
    first_.assign(kFirstTableSize, nullptr);
    starts_.assign(kFirstTableSize / 64, 0);
    for (const auto& [key, node] : nodes_) {
      const int32_t c = OneCharCodePoint(key.data(), key.size());
      if (c < 0) continue;
      first_[c] = &node;
      starts_[c / 64] |= uint64_t{1} << (c % 64);
    }
  }

  // The longest key that is a prefix of the first `len` bytes of `word`
  // (stopping at a NUL, as OpenCC's lookups do).
  Found Longest(const char* word, size_t len) const {
    len = std::min(len, key_max_length_);
    Found longest;
    if (len == 0 || word[0] == '\0') return longest;
    // No key holds an ill-formed character: the lookup ends before one.
    size_t end = WellFormedLength(word, len);
    if (end == 0) return longest;
    const Node* node = nullptr;
    if (const int32_t c = OneCharCodePoint(word, end); c >= 0) {
      if ((starts_[c / 64] >> (c % 64) & 1) == 0) return longest;
      node = first_[c];
    } else {
      const auto it = nodes_.find(absl::string_view(word, end));
      if (it != nodes_.end()) node = &it->second;
    }
    while (node != nullptr) {
      if (node->entry != nullptr) longest = {node, end};
      if (!node->continues || end >= len || word[end] == '\0') break;
      const size_t next = WellFormedLength(word + end, len - end);
      if (next == 0) break;
      end += next;
      const auto it = nodes_.find(absl::string_view(word, end));
      node = it == nodes_.end() ? nullptr : &it->second;
    }
    return longest;
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
    const Found found = Longest(word, len);
    if (found.node == nullptr) return opencc::Optional<const opencc::DictEntry*>::Null();
    return found.node->entry;
  }

  size_t KeyMaxLength() const override { return key_max_length_; }
  opencc::LexiconPtr GetLexicon() const override { return lexicon_; }

 private:
  // Characters below U+10000 (UTF-8 of one to three bytes) are looked up in
  // first_ without hashing: a lookup starts at every character of a text,
  // in every dictionary of a conversion, and most end at the first.
  static constexpr int32_t kFirstTableSize = 0x10000;
  // The code point of `bytes[0, end)` when that is one well-formed
  // character of up to three bytes, else -1.
  static int32_t OneCharCodePoint(const char* bytes, size_t end) {
    const auto b = [bytes](size_t i) { return static_cast<unsigned char>(bytes[i]); };
    if (end == 1 && b(0) < 0x80) return b(0);
    if (end == 2 && (b(0) & 0xE0) == 0xC0) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    if (end == 3 && (b(0) & 0xF0) == 0xE0) {
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    }
    return -1;
  }

  const opencc::LexiconPtr lexicon_;
  const size_t key_max_length_;
  absl::flat_hash_map<std::string, Node> nodes_;
  std::vector<const Node*> first_;
  // Bit c: first_[c] is set. 8 KB where first_ is 512 KB: most dictionaries
  // of a chain (Taiwan phrases, variants) start with few characters, and a
  // lookup of any other character is answered here, from the cache.
  std::vector<uint64_t> starts_;
};

namespace {

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

// The leaves of `dict` in the order a group asks them; false when one is
// not a HashDict.
bool Flatten(const opencc::DictPtr& dict, std::vector<const HashDict*>* leaves) {
  if (const auto group = std::dynamic_pointer_cast<opencc::DictGroup>(dict)) {
    for (const opencc::DictPtr& member : group->GetDicts()) {
      if (!Flatten(member, leaves)) return false;
    }
    return true;
  }
  const auto* leaf = dynamic_cast<const HashDict*>(dict.get());
  if (leaf == nullptr) return false;
  leaves->push_back(leaf);
  return true;
}

HashDict::Found LongestIn(const std::vector<const HashDict*>& group, const char* word,
                          size_t len) {
  for (const HashDict* dict : group) {
    const HashDict::Found found = dict->Longest(word, len);
    if (found.node != nullptr) return found;
  }
  return {};
}

// One conversion of `segment` (OpenCC's Conversion::Convert), appended to
// `out`. A character no key starts with is copied; so is, alone, a byte that
// starts no well-formed character.
void ConvertWith(const std::vector<const HashDict*>& group, absl::string_view segment,
                 std::string* out) {
  for (size_t pos = 0; pos < segment.size();) {
    const HashDict::Found found = LongestIn(group, segment.data() + pos, segment.size() - pos);
    if (found.node != nullptr) {
      out->append(found.node->value);
      pos += found.length;
      continue;
    }
    const size_t length =
        std::max<size_t>(1, WellFormedLength(segment.data() + pos, segment.size() - pos));
    out->append(segment.data() + pos, length);
    pos += length;
  }
}

}  // namespace

void HashConverter::ConvertSegment(absl::string_view segment, std::string* out) const {
  if (chain_.empty()) {
    out->append(segment.data(), segment.size());
    return;
  }
  if (chain_.size() == 1) {
    ConvertWith(chain_[0], segment, out);
    return;
  }
  std::string piece(segment.data(), segment.size());
  std::string next;
  for (size_t i = 0; i < chain_.size(); ++i) {
    next.clear();
    ConvertWith(chain_[i], piece, i + 1 == chain_.size() ? out : &next);
    piece.swap(next);
  }
}

std::string HashConverter::Convert(absl::string_view text) const {
  if (segmentation_.empty()) return opencc_->Convert(std::string(text));
  std::string out;
  out.reserve(text.size());
  // OpenCC's MaxMatchSegmentation: a key of the segmentation dictionary is a
  // segment; the characters between two keys are one segment.
  size_t gathered = 0;  // start of the characters no key matched
  for (size_t pos = 0; pos < text.size();) {
    const HashDict::Found found = LongestIn(segmentation_, text.data() + pos, text.size() - pos);
    if (found.node == nullptr) {
      pos += std::max<size_t>(1, WellFormedLength(text.data() + pos, text.size() - pos));
      continue;
    }
    if (gathered < pos) ConvertSegment(text.substr(gathered, pos - gathered), &out);
    ConvertSegment(text.substr(pos, found.length), &out);
    pos += found.length;
    gathered = pos;
  }
  if (gathered < text.size()) ConvertSegment(text.substr(gathered), &out);
  return out;
}

absl::StatusOr<std::shared_ptr<const HashConverter>> LoadConverter(
    const std::string& config_path) {
  try {
    opencc::Config config;
    const opencc::ConverterPtr loaded = config.NewFromFile(config_path);
    auto converter = std::make_shared<HashConverter>();
    const auto segmentation =
        std::dynamic_pointer_cast<opencc::MaxMatchSegmentation>(loaded->GetSegmentation());
    if (segmentation == nullptr) {
      converter->opencc_ = loaded;
      return converter;
    }
    absl::flat_hash_map<const opencc::Dict*, opencc::DictPtr> copies;
    std::list<opencc::ConversionPtr> conversions;
    for (const opencc::ConversionPtr& conversion : loaded->GetConversionChain()->GetConversions()) {
      conversions.push_back(
          std::make_shared<opencc::Conversion>(HashCopy(conversion->GetDict(), &copies)));
    }
    const opencc::DictPtr segmentation_dict = HashCopy(segmentation->GetDict(), &copies);
    converter->opencc_ = std::make_shared<opencc::Converter>(
        config_path, std::make_shared<opencc::MaxMatchSegmentation>(segmentation_dict),
        std::make_shared<opencc::ConversionChain>(conversions));
    bool flat = Flatten(segmentation_dict, &converter->segmentation_);
    for (const opencc::ConversionPtr& conversion : conversions) {
      converter->chain_.emplace_back();
      flat = flat && Flatten(conversion->GetDict(), &converter->chain_.back());
    }
    if (!flat || converter->segmentation_.empty()) {
      converter->segmentation_.clear();
      converter->chain_.clear();
    }
    return converter;
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
