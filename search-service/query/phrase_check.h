// Phrase checks on the stored text, for an index without positions
// (analysis::AnalyzerOptions::positions false, newsearch-search
// --index_positions=false or a new index under `auto`): the bigrams of a
// quoted phrase say that each pair of its characters occurs somewhere in a
// document (those the index keeps: AnalyzerOptions::skip_cut_bigrams);
// whether they stand together, in order, within one field, with nothing
// between the characters the query wrote as one run, is read from the
// article the document stores, as Xapian's OP_PHRASE reads it from
// positions. Folding matches indexing: the stored text folds character
// by character (Analyzer::FoldCodePoint); an article where OpenCC's phrases
// folded some CJK letters otherwise (`著名` keeps the `著` that alone folds
// to `着`, `網際網路` is `互联网`) keeps a patch naming those spans of
// letters and what indexing read there, which the check substitutes as it
// folds; the rare article a patch cannot describe, or whose text reads other
// tokens one by one (`linux…windows`: `…` is three dots whole, one alone),
// keeps its texts folded as indexing folded them instead
// (schema::kFoldedTextsSlot, schema/folding_patch.h).
//
// The check is a Xapian::MatchDecider: Xapian asks it only about documents
// whose weight would place them in the results, so it reads a few dozen
// articles where a filter inside the query would read every document holding
// the phrase's terms. A decider sees the whole match, so it checks the
// phrases every match holds (ParsedQuery::RequiredPhrases: the quoted
// phrase that is the query, or an operand of its top-level AND); a phrase
// inside an OR or a NOT matches when all its terms occur. Local databases
// only: Xapian's remote backend refuses deciders, so the replicas a router
// reads keep positions.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_PHRASE_CHECK_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_PHRASE_CHECK_H_

#include <memory>
#include <string>
#include <vector>

#include <xapian.h>

#include "absl/strings/string_view.h"
#include "common/analysis/analyzer.h"
#include "search-service/schema/stored_texts.h"

namespace newsearch::search {
namespace schema {
class FoldingPatch;
}

// One phrase to look for in stored articles. Cheap to copy.
class PhraseMatcher {
 public:
  // `atom` as the query gives it, `prefix` its field's (schema::PhraseTexts).
  // `analyzer` must outlive the matcher.
  PhraseMatcher(const analysis::Analyzer& analyzer, absl::string_view atom,
                absl::string_view prefix);
  // One token or none: the term itself says everything; nothing to check.
  bool trivial() const;
  // Whether the phrase stands in one of the texts of `texts` for the
  // prefix: the stored article (with `patch`, the letters indexing folded
  // otherwise, when not null), or its folded texts (`folded`; see
  // schema::kFoldedTextsSlot).
  bool Matches(const schema::StoredTexts& texts, bool folded,
               const schema::FoldingPatch* patch = nullptr) const;

 private:
  class HanPhrase;
  const analysis::Analyzer* analyzer_;
  std::string prefix_;
  std::vector<std::string> tokens_;  // folded as indexing folds
  // joined_[i]: token i continues the query's run of token i - 1 (a bigram
  // of the two), so it must stand right after it in the text too.
  std::vector<bool> joined_;
  std::shared_ptr<const HanPhrase> han_;  // when every token is a Han character
};

// Keeps the documents that hold every one of `phrases`.
class PhraseDecider final : public Xapian::MatchDecider {
 public:
  explicit PhraseDecider(std::vector<PhraseMatcher> phrases);
  bool operator()(const Xapian::Document& doc) const override;

 private:
  std::vector<PhraseMatcher> phrases_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_PHRASE_CHECK_H_
