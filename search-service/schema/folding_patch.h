// What a phrase check on an index without positions needs to read an
// article's stored texts as indexing folded them (schema::kFoldedTextsSlot).
//
// A phrase check folds the stored text character by character
// (CheckedCodePoint, Analyzer::FoldCodePoint). Indexing folds whole texts
// (Analyzer::Fold: OpenCC with its phrase dictionaries), which can read CJK
// letters otherwise in context: `著` alone folds to `着`, `著名` keeps it;
// Taiwan's `網際網路` is `互联网`, three letters for four. For each text of
// PhraseTexts (in its order, prefix ""), BuildDocument compares its CJK
// letters (IsCjkLetter, in order) folded one by one with the CJK letters of
// its folded text, and stores in the slot:
//   - nothing, when they are the same for every text and every text reads
//     one by one with the tokens it has folded whole (most articles);
//   - otherwise a patch: the spans of letters that differ and what indexing
//     read there, when every text reads through it as a phrase check reads
//     its folded text (the same tokens; checked when the patch is built).
//     Byte kFoldingPatchMark, then one section per text (the trailing ones
//     without a span left out): varint byte length, then per span, in
//     order: varint(its first letter's index among the text's CJK letters
//     minus the index after the previous span; the first: its index), then
//     either varint(code point << 1) for one letter read as another (the
//     usual span), or varint(count << 1 | 1), varint(letters replaced, at
//     least 1) and `count` varint code points (letters dropped or added). A
//     few bytes an article;
//   - otherwise (hundreds of letters dropped or added, or a text whose
//     tokens read otherwise one by one, with or without a patch, as
//     `linux…windows`, where `…` folds to three dots whole, two words, and to
//     one alone, one word: rare), the texts
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
#include <unicode/utf8.h>

#include "absl/strings/string_view.h"
#include "common/analysis/analyzer.h"
#include "newsearch/v1/article.pb.h"

namespace newsearch::search::schema {

// First byte of a patch value.
inline constexpr char kFoldingPatchMark = '\0';

// Whether code point `c` of a text is one of the letters a patch counts:
// CJK (U+2E80 on, except the full-width forms U+FF00-U+FFEF) and a letter or
// digit. Ill-formed UTF-8 (negative) is none.
inline bool IsCjkLetter(int32_t c) {
  return c >= 0x2E80 && !(c >= 0xFF00 && c <= 0xFFEF) && u_isalnum(c);
}

// A code point `c` of a text as a phrase check reads it: folded alone
// (`fold_cjk`: a stored text), or, in folded texts, only what refolding
// alone cannot undo (case, full-width forms), as refolding a CJK character
// alone could undo OpenCC's reading in context (`著名` stays, `著` alone
// becomes `着`). 0: nothing.
inline char32_t CheckedCodePoint(const analysis::Analyzer& analyzer, char32_t c, bool fold_cjk) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  if (fold_cjk || c < 0x2E80 || (c >= 0xFF00 && c <= 0xFFEF)) return analyzer.FoldCodePoint(c);
  return c;
}

// The patch of a text whose letters all fold one by one as indexing folded
// them: every code point as CheckedCodePoint reads it.
struct NoPatch {
  template <typename Emit>
  bool Apply(int32_t /*c*/, char32_t f, Emit& emit) const {
    return f != 0 && emit(f);
  }
};

// Calls `emit(code point)` on each code point of `text` as a phrase check
// reads it (CheckedCodePoint, then `patch`: NoPatch or a LetterPatch), none
// for what reads as nothing (ill-formed UTF-8, characters folding to
// nothing), until `emit` returns true; returns whether it did.
template <typename Patch, typename Emit>
bool ForEachCheckedCodePoint(const analysis::Analyzer& analyzer, absl::string_view text,
                             bool fold_cjk, Patch& patch, Emit&& emit) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);
    if (c < 0) continue;  // ill-formed: nothing
    if (patch.Apply(c, CheckedCodePoint(analyzer, static_cast<char32_t>(c), fold_cjk), emit)) {
      return true;
    }
  }
  return false;
}

// The letters of `text` a patch compares (IsCjkLetter), in order; each
// folded on its own first (Analyzer::FoldCodePoint) when `analyzer` is
// given.
std::u32string CjkLetters(absl::string_view text, const analysis::Analyzer* analyzer);

// One span of a patch: `letters` CJK letters of its text from `index` on
// (among the text's CJK letters) read as `code_points` by indexing.
struct PatchedSpan {
  uint32_t index = 0;
  uint32_t letters = 1;
  std::u32string code_points;
  bool operator==(const PatchedSpan& other) const {
    return index == other.index && letters == other.letters && code_points == other.code_points;
  }
};

// The patch value of `texts` (one list per text, spans in order, not
// overlapping, each replacing at least one letter), starting with
// kFoldingPatchMark.
std::string EncodeFoldingPatch(const std::vector<std::vector<PatchedSpan>>& texts);

// The spans that make `one_by_one` (a text's CJK letters folded one by one)
// read as `indexed` (its folded text's): one letter for one where both have
// as many letters, else along the shortest edit script; false when that
// drops or adds too many letters.
bool AlignLetters(const std::u32string& one_by_one, const std::u32string& indexed,
                  std::vector<PatchedSpan>* spans);

// The slot's value for `article` whose texts indexing folded into `folded`
// (the file comment): "", a patch, or `folded` serialized.
std::string FoldedTextsValue(const analysis::Analyzer& analyzer, const v1::Article& article,
                             const v1::Article& folded);

// The patch of one text, read letter by letter as a phrase check folds it.
// Cheap to copy; views into the value.
class LetterPatch {
 public:
  LetterPatch() = default;
  // Whether a span is still to come.
  bool pending() const { return next_ != kNone; }
  // Called on every code point `c` of the stored text in order, with `f`
  // its CheckedCodePoint: calls `emit` on what indexing read there (`f`,
  // unless `c` is a CJK letter of a span: at its first letter the span's
  // code points, none at its others), none for 0, until `emit` returns
  // true; returns whether it did.
  template <typename Emit>
  bool Apply(int32_t c, char32_t f, Emit& emit) {
    if (next_ == kNone || !IsCjkLetter(c)) return f != 0 && emit(f);
    const uint32_t letter = letter_++;
    if (letter < next_) return f != 0 && emit(f);
    if (letter == next_) {
      if (single_) {  // one letter read as another
        if (code_point_ != 0 && emit(code_point_)) return true;
      } else if (EmitSpan(emit)) {
        return true;
      }
    }
    if (letter + 1 == next_ + letters_) Advance();
    return false;
  }

 private:
  friend class FoldingPatch;
  static constexpr uint32_t kNone = UINT32_MAX;
  LetterPatch(const uint8_t* begin, const uint8_t* end) : p_(begin), end_(end) { Advance(); }
  // Reads the next span (FoldingPatch::Parse checked the section).
  void Advance();
  static uint32_t ReadVarint(const uint8_t** p);
  template <typename Emit>
  bool EmitSpan(Emit& emit) const {
    const uint8_t* q = code_points_;
    for (uint32_t k = 0; k < count_; ++k) {
      const char32_t cp = ReadVarint(&q);
      if (cp != 0 && emit(cp)) return true;
    }
    return false;
  }

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint32_t letter_ = 0;             // index of the next CJK letter
  uint32_t next_ = kNone;           // index of the next span's first letter
  uint32_t letters_ = 0;            // letters it replaces
  bool single_ = true;              // what indexing read there: one code point,
  char32_t code_point_ = 0;
  uint32_t count_ = 0;              // or `count_` of them (none or more),
  const uint8_t* code_points_ = nullptr;  // encoded from here
};

// A patch value, checked once and read per text.
class FoldingPatch {
 public:
  // Whether `value` (a non-empty value of the slot) is a patch rather than
  // folded texts.
  static bool IsPatch(absl::string_view value) {
    return !value.empty() && value[0] == kFoldingPatchMark;
  }
  // Checks `value` (IsPatch) and keeps a view of it (which must outlive
  // this); false when it does not decode (truncated, a varint too long, a
  // span of no letter, indices past 32 bits, code points past U+10FFFF).
  bool Parse(absl::string_view value);
  // The patch of text `index` (PhraseTexts order, prefix ""): none pending
  // for a text without one.
  LetterPatch Text(size_t index) const;
  // Every text's spans (tests and debugging).
  std::vector<std::vector<PatchedSpan>> Spans() const;

 private:
  absl::string_view sections_;  // after the mark
};

}  // namespace newsearch::search::schema

#endif  // NEWSEARCH_SEARCH_SERVICE_SCHEMA_FOLDING_PATCH_H_
