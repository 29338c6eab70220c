// What a phrase check on an index without positions needs to read an
// article's stored texts as indexing folded them (schema::kFoldedTextsSlot).
//
// A phrase check folds the stored text character by character
// (Analyzer::FoldCodePoint). Indexing folds whole texts (Analyzer::Fold:
// OpenCC with its phrase dictionaries), which can read a CJK letter
// otherwise in context: `著` alone folds to `着`, `著名` keeps it. Only such
// letters matter to a phrase (punctuation and spaces give no token, Latin
// and digits fold alike both ways), so for each text of PhraseTexts (in its
// order, prefix "") BuildDocument compares its CJK letters (IsCjkLetter, in
// order) folded one by one with the CJK letters of its folded text, and
// stores in the slot:
//   - nothing, when they are the same for every text (most articles);
//   - a patch, when each text has as many letters both ways: byte
//     kFoldingPatchMark, then one section per text (the trailing ones
//     without a patch left out): varint byte length, then for each letter
//     that differs, in order, varint(its index among the text's CJK letters
//     minus the previous patched index plus one; the first: its index) and
//     varint(the code point indexing read there). A few bytes an article;
//   - otherwise (a text whose letter count folding changed: rare), the texts
//     as indexing folded them, a serialized v1::Article holding title,
//     subtitle, body, source and authors: the value's only form before
//     patches, which never starts with kFoldingPatchMark (protobuf has no
//     field 0), so an index built before patches reads as it did.
#ifndef NEWSEARCH_SEARCH_SERVICE_SCHEMA_FOLDING_PATCH_H_
#define NEWSEARCH_SEARCH_SERVICE_SCHEMA_FOLDING_PATCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include <unicode/uchar.h>

#include "absl/strings/string_view.h"
#include "newsearch/v1/article.pb.h"

namespace newsearch::analysis {
class Analyzer;
}

namespace newsearch::search::schema {

// First byte of a patch value.
inline constexpr char kFoldingPatchMark = '\0';

// Whether code point `c` of a text is one of the letters a patch counts:
// CJK (U+2E80 on, except the full-width forms U+FF00-U+FFEF) and a letter or
// digit. Ill-formed UTF-8 (negative) is none.
inline bool IsCjkLetter(int32_t c) {
  return c >= 0x2E80 && !(c >= 0xFF00 && c <= 0xFFEF) && u_isalnum(c);
}

// The letters of `text` a patch compares (IsCjkLetter), in order; each
// folded on its own first (Analyzer::FoldCodePoint) when `analyzer` is
// given.
std::u32string CjkLetters(absl::string_view text, const analysis::Analyzer* analyzer);

// One patched letter: its index among the CJK letters of its text, and the
// code point indexing read there.
struct PatchedLetter {
  uint32_t index = 0;
  char32_t code_point = 0;
  bool operator==(const PatchedLetter& other) const {
    return index == other.index && code_point == other.code_point;
  }
};

// The patch value of `texts` (one list per text, indices increasing),
// starting with kFoldingPatchMark.
std::string EncodeFoldingPatch(const std::vector<std::vector<PatchedLetter>>& texts);

// The slot's value for `article` whose texts indexing folded into `folded`
// (the file comment): "", a patch, or `folded` serialized.
std::string FoldedTextsValue(const analysis::Analyzer& analyzer, const v1::Article& article,
                             const v1::Article& folded);

// The patch of one text, read letter by letter as a phrase check folds it.
// Cheap to copy; views into the value.
class LetterPatch {
 public:
  LetterPatch() = default;
  // Whether a letter is still to be patched.
  bool pending() const { return next_ != kNone; }
  // Called for every code point `c` of the stored text in order, with `f`
  // the phrase check's fold of it; returns the code point indexing read
  // there (`f` unless `c` is a patched CJK letter).
  char32_t Apply(int32_t c, char32_t f) {
    if (next_ == kNone || !IsCjkLetter(c) || letter_++ != next_) return f;
    const char32_t patched = code_point_;
    Advance();
    return patched;
  }

 private:
  friend class FoldingPatch;
  static constexpr uint32_t kNone = UINT32_MAX;
  LetterPatch(const uint8_t* begin, const uint8_t* end) : p_(begin), end_(end) { Advance(); }
  void Advance();

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint32_t letter_ = 0;       // index of the next CJK letter
  uint32_t next_ = kNone;     // index of the next patched one
  char32_t code_point_ = 0;   // what indexing read there
};

// A patch value, checked once and read per text.
class FoldingPatch {
 public:
  // Whether `value` (a non-empty value of the slot) is a patch rather than
  // folded texts.
  static bool IsPatch(absl::string_view value) {
    return !value.empty() && value[0] == kFoldingPatchMark;
  }
  // Checks `value` (IsPatch) and keeps a view of it; false when it does not
  // decode (truncated, a varint too long, indices out of order).
  bool Parse(absl::string_view value);
  // The patch of text `index` (PhraseTexts order, prefix ""): none pending
  // for a text without one.
  LetterPatch Text(size_t index) const;
  // Every text's patched letters (tests and debugging).
  std::vector<std::vector<PatchedLetter>> Letters() const;

 private:
  absl::string_view sections_;  // after the mark
};

}  // namespace newsearch::search::schema

#endif  // NEWSEARCH_SEARCH_SERVICE_SCHEMA_FOLDING_PATCH_H_
