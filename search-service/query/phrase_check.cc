#include "search-service/query/phrase_check.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unicode/uchar.h>

#include "search-service/query/utf8.h"
#include "search-service/schema/folding_patch.h"
#include "search-service/schema/schema.h"
#include "search-service/schema/stored_texts.h"

namespace newsearch::search {
namespace {

// Whether the tokens `phrase` stand together in `text` (a stored text, see
// schema::CheckedCodePoint, read through `patch`): the text folded,
// tokenized as indexing tokenizes, and searched for the sequence.
template <typename Patch>
bool ContainsTokens(const analysis::Analyzer& analyzer, absl::string_view text, bool fold_cjk,
                    Patch patch, const std::vector<std::string>& phrase,
                    const std::vector<bool>& joined) {
  std::string folded;
  folded.reserve(text.size());
  schema::ForEachCheckedCodePoint(analyzer, text, fold_cjk, patch, [&folded](char32_t f) {
    AppendUtf8(f, &folded);
    return false;
  });
  const std::vector<analysis::Token> tokens = analyzer.Tokenize(folded);
  for (size_t i = 0; i + phrase.size() <= tokens.size(); ++i) {
    size_t k = 0;
    while (k < phrase.size() && tokens[i + k].text == phrase[k] &&
           (k == 0 || !joined[k] || tokens[i + k - 1].joins_next)) {
      ++k;
    }
    if (k == phrase.size()) return true;
  }
  return false;
}

}  // namespace

// A phrase of Han characters only (the usual quoted phrase) is found in one
// pass over the text with no allocation per character: the bit-parallel
// Shift-And over its characters, skipping what indexing drops
// (punctuation, spaces: no position) and breaking at another letter or
// digit (a word between two characters breaks the phrase). Characters the
// query wrote as one run (`数字经济`) must stand together in the text too:
// `数字，经济` holds `数字 经济` but not `数字经济`, as the bigram `字经` of
// the query once said (an index that leaves cut bigrams out,
// AnalyzerOptions::skip_cut_bigrams, may not hold it).
class PhraseMatcher::HanPhrase {
 public:
  // `joined[i]`: character i continues the query's run of character i - 1.
  HanPhrase(const std::vector<char32_t>& chars, const std::vector<bool>& joined)
      : size_(chars.size()), words_((chars.size() + 63) / 64), may_follow_gap_(words_, 0) {
    for (size_t i = 0; i < size_; ++i) {
      if (i == 0 || !joined[i]) may_follow_gap_[i / 64] |= uint64_t{1} << (i % 64);
      size_t c = 0;
      while (c < masks_.size() && masks_[c].first != chars[i]) ++c;
      if (c == masks_.size()) masks_.emplace_back(chars[i], Mask(words_, 0));
      masks_[c].second[i / 64] |= uint64_t{1} << (i % 64);
    }
  }

  template <typename Patch>
  bool FoundIn(const analysis::Analyzer& analyzer, absl::string_view text, bool fold_cjk,
               Patch patch) const {
    // Bit i of `whole`: the phrase's first i + 1 characters end at the last
    // letter read; of `gapped`, the same with something skipped since.
    Mask whole(words_, 0);
    Mask gapped(words_, 0);
    bool any = false;
    return schema::ForEachCheckedCodePoint(analyzer, text, fold_cjk, patch, [&](char32_t f) {
      const Mask* chars = MaskOf(f);
      if (chars == nullptr) {
        // Most of the text: no match is open, nothing to ask Unicode.
        if (!any) return false;
        if (u_isalnum(static_cast<UChar32>(f))) {
          std::fill(whole.begin(), whole.end(), 0);
          std::fill(gapped.begin(), gapped.end(), 0);
          any = false;
        } else {
          for (size_t w = 0; w < words_; ++w) gapped[w] |= whole[w], whole[w] = 0;
        }
        return false;
      }
      uint64_t carry_whole = 1;  // a match may start at any character
      uint64_t carry_gapped = 0;
      any = false;
      for (size_t w = 0; w < words_; ++w) {
        const uint64_t shifted_whole = (whole[w] << 1) | carry_whole;
        const uint64_t shifted_gapped = (gapped[w] << 1) | carry_gapped;
        carry_whole = whole[w] >> 63;
        carry_gapped = gapped[w] >> 63;
        whole[w] = (shifted_whole | (shifted_gapped & may_follow_gap_[w])) & (*chars)[w];
        gapped[w] = 0;
        any = any || whole[w] != 0;
      }
      return ((whole[(size_ - 1) / 64] >> ((size_ - 1) % 64)) & 1) != 0;
    });
  }

 private:
  using Mask = std::vector<uint64_t>;
  const Mask* MaskOf(char32_t f) const {
    for (const auto& [c, mask] : masks_) {
      if (c == f) return &mask;
    }
    return nullptr;
  }
  size_t size_;
  size_t words_;
  Mask may_follow_gap_;                           // bit i: character i may follow a skip
  std::vector<std::pair<char32_t, Mask>> masks_;  // where each character stands
};

PhraseMatcher::PhraseMatcher(const analysis::Analyzer& analyzer, absl::string_view atom,
                             absl::string_view prefix)
    : analyzer_(&analyzer), prefix_(prefix) {
  std::vector<char32_t> han;
  bool joins_previous = false;
  for (analysis::Token& token : analyzer.Tokenize(analyzer.Fold(atom))) {
    const std::vector<char32_t> cps = DecodeUtf8(token.text);
    if (token.kind == analysis::Token::Kind::kHan && cps.size() == 1 &&
        u_isalnum(static_cast<UChar32>(cps[0]))) {
      han.push_back(cps[0]);
    }
    tokens_.push_back(std::move(token.text));
    joined_.push_back(joins_previous);
    joins_previous = token.joins_next;
  }
  if (han.size() == tokens_.size() && !han.empty()) {
    han_ = std::make_shared<const HanPhrase>(han, joined_);
  }
}

bool PhraseMatcher::trivial() const { return tokens_.size() < 2; }

bool PhraseMatcher::Matches(const schema::StoredTexts& texts, bool folded,
                            const schema::FoldingPatch* patch) const {
  return schema::AnyPhraseText(texts, prefix_, [&](size_t index, absl::string_view text) {
    if (patch != nullptr) {
      const schema::LetterPatch letters = patch->Text(index);
      if (letters.pending()) {
        return han_ != nullptr
                   ? han_->FoundIn(*analyzer_, text, /*fold_cjk=*/true, letters)
                   : ContainsTokens(*analyzer_, text, /*fold_cjk=*/true, letters, tokens_, joined_);
      }
    }
    return han_ != nullptr ? han_->FoundIn(*analyzer_, text, !folded, schema::NoPatch())
                           : ContainsTokens(*analyzer_, text, !folded, schema::NoPatch(), tokens_,
                                            joined_);
  });
}

PhraseDecider::PhraseDecider(std::vector<PhraseMatcher> phrases) : phrases_(std::move(phrases)) {}

bool PhraseDecider::operator()(const Xapian::Document& doc) const {
  // The stored article, folded here character by character, with the
  // patch of the letters indexing folded otherwise when it has one; or,
  // rarely, its texts as indexing folded them (schema::kFoldedTextsSlot).
  schema::StoredTexts texts;
  schema::FoldingPatch patch;
  const std::string value = doc.get_value(schema::kFoldedTextsSlot);
  const bool folded = !value.empty() && !schema::FoldingPatch::IsPatch(value);
  std::string data;
  std::string buffer;  // the decompressed article (document_data.h)
  if (folded) {
    if (!schema::ReadStoredTexts(value, &texts)) return false;
  } else {
    if (!value.empty() && !patch.Parse(value)) return false;
    data = doc.get_data();
    if (!schema::ReadDocumentTexts(data, &buffer, &texts)) return false;
  }
  const schema::FoldingPatch* const patched = value.empty() || folded ? nullptr : &patch;
  for (const PhraseMatcher& phrase : phrases_) {
    if (!phrase.Matches(texts, folded, patched)) return false;
  }
  return true;
}

}  // namespace newsearch::search
