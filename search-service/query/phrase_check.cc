#include "search-service/query/phrase_check.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "search-service/query/utf8.h"
#include "search-service/schema/schema.h"
#include "search-service/schema/stored_texts.h"

namespace newsearch::search {
namespace {

// A code point of a checked text as indexing folds it: the stored text of
// an article whose characters fold one by one as indexing folded them
// (`fold_cjk`), or the folded texts an article keeps otherwise, where only
// the rest is folded (case, full-width forms), as refolding a character
// alone could undo OpenCC's reading in context (`著名` stays, `著` alone
// becomes `着`).
char32_t FoldedCodePoint(const analysis::Analyzer& analyzer, char32_t c, bool fold_cjk) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  if (fold_cjk || c < 0x2E80 || (c >= 0xFF00 && c <= 0xFFEF)) return analyzer.FoldCodePoint(c);
  return c;
}

// Whether the tokens `phrase` stand together in `text` (a stored text, see
// FoldedCodePoint): the text folded, tokenized as indexing tokenizes, and
// searched for the sequence.
bool ContainsTokens(const analysis::Analyzer& analyzer, absl::string_view text, bool fold_cjk,
                    const std::vector<std::string>& phrase) {
  std::string folded;
  folded.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);  // ill-formed: negative, folds to nothing
    const char32_t f = c < 0 ? 0 : FoldedCodePoint(analyzer, static_cast<char32_t>(c), fold_cjk);
    if (f != 0) AppendUtf8(f, &folded);
  }
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

  bool FoundIn(const analysis::Analyzer& analyzer, absl::string_view text, bool fold_cjk) const {
    size_t k = 0;
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < length;) {
      UChar32 c = 0;
      U8_NEXT(s, i, length, c);
      if (c < 0) continue;  // ill-formed: no token
      const char32_t f = FoldedCodePoint(analyzer, static_cast<char32_t>(c), fold_cjk);
      if (f == 0 || !u_isalnum(static_cast<UChar32>(f))) continue;
      while (k > 0 && f != chars_[k]) k = fail_[k - 1];
      if (f == chars_[k] && ++k == chars_.size()) return true;
    }
    return false;
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

bool PhraseMatcher::Matches(const schema::StoredTexts& texts, bool folded) const {
  for (const absl::string_view text : schema::PhraseTexts(texts, prefix_)) {
    if (han_ != nullptr ? han_->FoundIn(*analyzer_, text, !folded)
                        : ContainsTokens(*analyzer_, text, !folded, tokens_)) {
      return true;
    }
  }
  return false;
}

PhraseDecider::PhraseDecider(std::vector<PhraseMatcher> phrases) : phrases_(std::move(phrases)) {}

bool PhraseDecider::operator()(const Xapian::Document& doc) const {
  // Articles whose characters indexing folded in context keep their texts
  // folded; the others are folded here character by character.
  const std::string folded = doc.get_value(schema::kFoldedTextsSlot);
  const std::string data = folded.empty() ? doc.get_data() : std::string();
  schema::StoredTexts texts;
  if (!schema::ReadStoredTexts(folded.empty() ? data : folded, &texts)) return false;
  for (const PhraseMatcher& phrase : phrases_) {
    if (!phrase.Matches(texts, /*folded=*/!folded.empty())) return false;
  }
  return true;
}

}  // namespace newsearch::search
