#include "search-service/query/phrase_check.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "newsearch/v1/article.pb.h"
#include "search-service/query/utf8.h"
#include "search-service/schema/folding_patch.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

// A code point of a checked text as indexing folds it: the stored text,
// whose characters fold one by one (`fold_cjk`; with a patch of the letters
// OpenCC read otherwise in context, see NoPatch), or the folded texts an
// article keeps when its folding changed a text's letter count, where only
// the rest is folded (case, full-width forms), as refolding a character
// alone could undo OpenCC's reading in context (`著名` stays, `著` alone
// becomes `着`).
char32_t FoldedCodePoint(const analysis::Analyzer& analyzer, char32_t c, bool fold_cjk) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  if (fold_cjk || c < 0x2E80 || (c >= 0xFF00 && c <= 0xFFEF)) return analyzer.FoldCodePoint(c);
  return c;
}

// The patch of a text whose characters all fold one by one as indexing
// folded them (the stand-in for schema::LetterPatch, which substitutes the
// letters OpenCC read otherwise): the common path costs nothing more.
struct NoPatch {
  char32_t Apply(int32_t /*c*/, char32_t f) const { return f; }
};

// Whether the tokens `phrase` stand together in `text` (a stored text, see
// FoldedCodePoint, patched by `patch`): the text folded, tokenized as
// indexing tokenizes, and searched for the sequence.
template <typename Patch>
bool ContainsTokens(const analysis::Analyzer& analyzer, absl::string_view text, bool fold_cjk,
                    Patch patch, const std::vector<std::string>& phrase) {
  std::string folded;
  folded.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);  // ill-formed: negative, folds to nothing
    const char32_t f = patch.Apply(
        c, c < 0 ? 0 : FoldedCodePoint(analyzer, static_cast<char32_t>(c), fold_cjk));
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

  template <typename Patch>
  bool FoundIn(const analysis::Analyzer& analyzer, absl::string_view text, bool fold_cjk,
               Patch patch) const {
    size_t k = 0;
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < length;) {
      UChar32 c = 0;
      U8_NEXT(s, i, length, c);
      if (c < 0) continue;  // ill-formed: no token
      const char32_t f =
          patch.Apply(c, FoldedCodePoint(analyzer, static_cast<char32_t>(c), fold_cjk));
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

bool PhraseMatcher::Matches(const v1::Article& texts, bool folded,
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
    return han_ != nullptr ? han_->FoundIn(*analyzer_, text, !folded, NoPatch())
                           : ContainsTokens(*analyzer_, text, !folded, NoPatch(), tokens_);
  });
}

PhraseDecider::PhraseDecider(std::vector<PhraseMatcher> phrases) : phrases_(std::move(phrases)) {}

bool PhraseDecider::operator()(const Xapian::Document& doc) const {
  // The stored article, folded here character by character, with the
  // patch of the letters indexing folded otherwise when it has one; or,
  // rarely, its texts as indexing folded them (schema::kFoldedTextsSlot).
  v1::Article texts;
  schema::FoldingPatch patch;
  const std::string value = doc.get_value(schema::kFoldedTextsSlot);
  const bool folded = !value.empty() && !schema::FoldingPatch::IsPatch(value);
  if (folded) {
    if (!texts.ParseFromString(value)) return false;
  } else if ((!value.empty() && !patch.Parse(value)) ||
             !schema::ArticleFromDocumentData(doc.get_data(), &texts)) {
    return false;
  }
  const schema::FoldingPatch* const patched = value.empty() || folded ? nullptr : &patch;
  for (const PhraseMatcher& phrase : phrases_) {
    if (!phrase.Matches(texts, folded, patched)) return false;
  }
  return true;
}

}  // namespace newsearch::search
