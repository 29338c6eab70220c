// Builds the snippet of a search hit: an excerpt of the article's ORIGINAL
// text (its own script) with highlight spans where the query matched.
// Xapian's MSet::snippet cannot see our folding (a simplified query term
// `网络` must highlight a traditional `網絡`), so matching happens on the
// analyzer's tokens of the folded text and is mapped back through
// FoldedText::source to code points of the original.
//
// What counts as a match mirrors the index (analyzer.h): an unquoted Han run
// matches the same characters as one bigram chain (runs longer than two
// characters also match by their bigrams, used only when the whole run
// appears nowhere in the text); a phrase matches its tokens in order; a
// word matches the equal word.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_SNIPPET_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_SNIPPET_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "newsearch/v1/search.pb.h"
#include "search-service/query/query_parser.h"

namespace newsearch::analysis {
class Analyzer;
}

namespace newsearch::search {

// Prepared once per query, then used for every hit. Thread-compatible
// (Build is const and may run concurrently).
class SnippetBuilder {
 public:
  // `atoms` are the query's positive atoms (ParsedQuery::PositiveAtoms());
  // atoms of the source: and author: fields are ignored. `max_chars` is the
  // excerpt length in code points (at least 1; the `…` marks are extra).
  // `analyzer` must outlive the builder.
  SnippetBuilder(const analysis::Analyzer& analyzer, const std::vector<QueryAtom>& atoms,
                 int max_chars);

  // Returns the excerpt of `body` holding the most distinct query atoms in
  // max_chars code points; the title (with its highlights) when only the
  // title matched (or the title matched and the body only through an OpenCC
  // phrase conversion, which is not looked for then); else the start of the
  // body (the title when the body is empty). Work is bounded by the
  // snippet, not the body, except for a body matched only through phrase
  // conversion. Whitespace runs become one space; `…` marks cut ends.
  // Highlights are [start, end) code point offsets into Snippet.text, one per
  // matched word or phrase, sorted, overlapping ones merged.
  v1::Snippet Build(absl::string_view title, absl::string_view body) const;

 private:
  // A token sequence to find in the folded text.
  struct Needle {
    std::vector<std::string> tokens;
    // The tokens' code points.
    std::vector<std::vector<char32_t>> token_cps;
    // must_join[i]: tokens i and i+1 are a bigram in the query, so they must
    // be adjacent Han characters in the text too.
    std::vector<bool> must_join;
    int atom = 0;       // index of the atom it came from
    bool whole = true;  // false for the bigrams of a longer Han run
  };
  struct Match {
    int begin;  // original code points, [begin, end)
    int end;
    int atom;
    bool whole;
    // Candidates only: some character matched only through its own fold
    // (another script, case, width), which OpenCC's phrase conversion can
    // fold differently; Build confirms such candidates on the folded text.
    bool needs_fold = false;
  };

  // Where the excerpt starts, and the match it was chosen for.
  struct Window {
    int start = 0;
    int anchor = 0;
  };

  // Exact matches in `text` (whose code points are `original`), sorted.
  std::vector<Match> FindMatches(absl::string_view text,
                                 const std::vector<char32_t>& original) const;
  // Likely matches, sorted, from each code point folded on its own (no
  // OpenCC phrase conversion; word boundaries as the tokenizer draws them):
  // linear in the text and cheap. They place the window; a candidate whose
  // characters are the needle's own (not only after folding) is a match.
  std::vector<Match> Candidates(const std::vector<char32_t>& original) const;
  // Drops bigram matches of atoms that also match whole (per `has_whole`,
  // by atom) and sorts by begin, longest first.
  static std::vector<bool> AtomsWithWholeMatch(const std::vector<Match>& matches);
  static void PreferWhole(const std::vector<bool>& has_whole, std::vector<Match>* matches);
  // The window of max_chars_ holding the most distinct atoms (then the most
  // matches) among sorted `matches`, in a text of `total` code points.
  Window ChooseWindow(int total, const std::vector<Match>& matches) const;
  // Adds the needles' matches in `text`, which is the code points
  // [offset, offset + size) of the original, as original offsets.
  void MatchRange(absl::string_view text, int offset, int original_size,
                  std::vector<Match>* matches) const;
  // Ranges [begin, end) of `original` worth folding: those around a code
  // point whose own fold starts a needle. Empty when folding all of it is
  // as cheap (short text, or ranges covering most of it).
  std::vector<std::pair<int, int>> ScreenRanges(const std::vector<char32_t>& original) const;
  v1::Snippet Excerpt(const std::vector<char32_t>& original, const std::vector<Match>& matches,
                      const Window& window) const;

  const analysis::Analyzer& analyzer_;
  std::vector<Needle> needles_;
  // First code point of each needle's first token (folded), for ScreenRanges.
  std::vector<char32_t> needle_starts_;
  // Length of the longest needle in folded code points.
  int longest_needle_chars_ = 0;
  int max_chars_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_SNIPPET_H_
