#include "search-service/query/phrase_check.h"

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
                    Patch patch, const std::vector<std::string>& phrase) {
  std::string folded;
  folded.reserve(text.size());
  schema::ForEachCheckedCodePoint(analyzer, text, fold_cjk, patch, [&folded](char32_t f) {
    AppendUtf8(f, &folded);
    return false;
  });
  const std::vector<analysis::Token> tokens = analyzer.Tokenize(folded);
  for (size_t i = 0; i + phrase.size() <= tokens.size(); ++i) {
    size_t k = 0;
    while (k < phrase.size() && tokens[i + k].text == phrase[k]) ++k;
    if (k == phrase.size()) return true;
  }
  return false;
}

}  // namespace

// A phrase of Han characters only (the usual quoted phrase) is found in one
// pass over the text with no allocation: Knuth-Morris-Pratt over its
// characters, skipping what indexing drops (punctuation, spaces: no
// position) and restarting at a letter or digit (a word between two
// characters breaks the phrase).
class PhraseMatcher::HanPhrase {
 public:
  explicit HanPhrase(std::vector<char32_t> chars) : chars_(std::move(chars)), fail_(chars_.size()) {
    // fail_[i]: the length of the longest proper border of chars_[0..i].
    for (size_t i = 1, k = 0; i < chars_.size(); ++i) {
      while (k > 0 && chars_[i] != chars_[k]) k = fail_[k - 1];
      if (chars_[i] == chars_[k]) ++k;
      fail_[i] = k;
    }
  }

  template <typename Patch>
  bool FoundIn(const analysis::Analyzer& analyzer, absl::string_view text, bool fold_cjk,
               Patch patch) const {
    size_t k = 0;
    return schema::ForEachCheckedCodePoint(analyzer, text, fold_cjk, patch, [&](char32_t f) {
      // The phrase's characters are letters, so a character equal to the
      // next one extends the match, and one that is not leaves an empty
      // match empty whether or not it is a letter: only a mismatch inside
      // a match asks Unicode whether it breaks the phrase (most of the text
      // is read without that lookup).
      if (f == chars_[k]) return ++k == chars_.size();
      if (k == 0 || !u_isalnum(static_cast<UChar32>(f))) return false;
      while (k > 0 && f != chars_[k]) k = fail_[k - 1];
      if (f == chars_[k]) ++k;
      return false;
    });
  }

 private:
  std::vector<char32_t> chars_;
  std::vector<size_t> fail_;
};

PhraseMatcher::PhraseMatcher(const analysis::Analyzer& analyzer, absl::string_view atom,
                             absl::string_view prefix)
    : analyzer_(&analyzer), prefix_(prefix) {
  std::vector<char32_t> han;
  for (analysis::Token& token : analyzer.Tokenize(analyzer.Fold(atom))) {
    const std::vector<char32_t> cps = DecodeUtf8(token.text);
    if (token.kind == analysis::Token::Kind::kHan && cps.size() == 1 &&
        u_isalnum(static_cast<UChar32>(cps[0]))) {
      han.push_back(cps[0]);
    }
    tokens_.push_back(std::move(token.text));
  }
  if (han.size() == tokens_.size()) han_ = std::make_shared<const HanPhrase>(std::move(han));
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
                   : ContainsTokens(*analyzer_, text, /*fold_cjk=*/true, letters, tokens_);
      }
    }
    return han_ != nullptr ? han_->FoundIn(*analyzer_, text, !folded, schema::NoPatch())
                           : ContainsTokens(*analyzer_, text, !folded, schema::NoPatch(), tokens_);
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
