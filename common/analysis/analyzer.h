// The one text analyzer of newsearch, used identically when the search
// service indexes an article and when it parses a query, so that a query
// term always meets the terms it should.
//
// Pipeline: Unicode NFKC (full-width forms -> ASCII, so `２０１８` is `2018`),
// case folding, then OpenCC `s2t` followed by `tw2sp` (phrase-level
// conversion to simplified with Taiwan's regional vocabulary folded to the
// mainland's, on both sides: `網路` and `网络`, `軟體` and `软件`, `資訊` and
// `资讯` and `信息` meet; `乾隆` stays `乾隆`; never by sound), then
// tokenisation into character tokens:
//   * a run of Han characters (and other CJK scripts) yields, at each
//     character position p, the unigram c[p] (posted at position p) and,
//     when c[p+1] is in the same run, the bigram c[p]c[p+1] (a term without
//     positions: a phrase needs the positions of one n-gram order only, and
//     the unigrams' are the smaller table: about half the entries);
//   * a run of letters and digits (`5g`, `coo`, `2018`, `iphone`) is one term
//     at one position; `.`/`_`/`-` inside it are kept when followed by an
//     alnum (`1.5`, `covid-19`);
//   * everything else (punctuation, spaces, symbols) separates tokens and
//     takes no position.
// The original text is stored and displayed; only the folded form is indexed.
//
// Which terms the character tokens become depends on the Segmentation:
//   * kBigrams: the unigram and bigram terms above (positions are character
//     positions);
//   * kWords: each Han run is cut into dictionary words (segmenter.h); each
//     word is one term at the position of its first character;
//   * kWordsPlusBigrams: the kBigrams terms, plus, for every dictionary word
//     of two or more characters, the term kWordMarker + word (no position),
//     and the same for every dictionary word of two or more characters
//     inside a longer one (`台风` in `强台风`).
//     Phrases and highlights stay on character positions; the word terms
//     are extra evidence that the characters form that word here (`网络`
//     inside `网络安全`, not the `网` `络` of `上网 络绎不绝`).
// Positions are character positions in every variant, so snippets and
// phrase windows are the same for all of them.
//
// Without positions (AnalyzerOptions::positions false), the bigram variants
// index a character's unigram only where no bigram starts with it (the end
// of a run, a character alone): the bigram already says the character is
// there, and a query for a character standing alone expands to every term
// it starts (OP_WILDCARD as one OP_SYNONYM). A third of the terms of an
// article, and of their writes, are gone. Where a run ends, a Han
// character's unigram is left out as well when another term of the
// document starts with that character (the query meets that term): about
// 60 of the 100 run-end unigrams of a news article. With boundary
// evidence, a bigram that is no dictionary word and joins two words of two
// or more characters wherever it occurs can be left out too, its first
// character's unigram standing in (AnalyzerOptions::skip_cut_bigrams): a
// tenth of what is left.

//
// Boundary evidence (kBigrams and kWordsPlusBigrams, on by default): each
// Han run is also cut into dictionary words (segmenter.h), and a bigram
// whose two characters fall in two different words, one of them of two or
// more characters, "straddles" (`拍卖` in `球拍|卖完`, `京剧` in `北京|剧院`,
// `和服` in `管理|和|服务`); two single characters (names and words the
// dictionary lacks) are no evidence either way. A bigram that is itself a
// dictionary word (what a two-character query word is; about one straddling
// bigram in twenty) and every occurrence of which in the document straddles
// gets the boolean term prefix + kStraddleMarker + bigram (wdf 0, no
// position). A query atom's dictionary-word bigrams that do not straddle in
// the query itself are checked against these markers:
// documents whose only occurrences straddle match with their weight scaled
// by straddle_weight (0: below every true match) or, with drop_straddling,
// not at all. Quoted phrases are exact strings and stay unchecked.
#ifndef NEWSEARCH_COMMON_ANALYSIS_ANALYZER_H_
#define NEWSEARCH_COMMON_ANALYSIS_ANALYZER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace Xapian {
class Document;
class Query;
}  // namespace Xapian

namespace newsearch::analysis {

// How Han text becomes terms (see the file comment). The names are
// `bigrams`, `words` and `words+bigrams`.
enum class Segmentation { kBigrams, kWords, kWordsPlusBigrams };

// The variant chosen by the relevance evaluation (docs/relevance.md).
inline constexpr Segmentation kDefaultSegmentation = Segmentation::kBigrams;

// Parses a variant name; INVALID_ARGUMENT listing the valid names otherwise.
absl::StatusOr<Segmentation> ParseSegmentation(absl::string_view name);
// Returns the name of a variant (`bigrams`, `words`, `words+bigrams`).
absl::string_view SegmentationName(Segmentation segmentation);

// Marks a dictionary-word term of the kWordsPlusBigrams variant, after the
// field prefix (`W网络`, `SW网络` in titles). Folded text is lower case, so
// no unigram, bigram or word token starts with it.
inline constexpr char kWordMarker[] = "W";
// Marks a bigram that occurs in the document only across a word boundary
// (boundary evidence, see the file comment): `B拍卖`, `SB拍卖` in titles.
inline constexpr char kStraddleMarker[] = "B";
// Joins the two tokens of a pair term: in an index without positions
// (AnalyzerOptions::positions false), every two consecutive tokens of which
// one is a word (Latin, digits) also index as one term, `2018\x1f年`, as
// two Han characters do as their bigram, so a phrase's terms say which
// tokens stand next to each other (`2018年4月`, `5G手机`).
// The part of Signature() that says an index holds no positions.
inline constexpr char kNoPositionsSignature[] = " positions=none";
inline constexpr char kPairJoiner[] = "\x1f";
// The part of Signature() that says cut bigrams were left out
// (AnalyzerOptions::skip_cut_bigrams).
inline constexpr char kCutBigramsSignature[] = " cut=unigrams";

struct AnalyzerOptions {
  // Comma-separated OpenCC configurations applied in order when folding.
  // Empty means s2t.json,tw2sp.json from the OpenCC data directory found at
  // build time (Debian: /usr/share/opencc).
  std::string opencc_config;
  Segmentation segmentation = kDefaultSegmentation;
  // kWordsPlusBigrams: factor on the weight of the dictionary-word terms
  // a query adds (OP_SCALE_WEIGHT; 1 = as much as the characters' terms).
  double word_weight = 1.0;
  // kBigrams and kWordsPlusBigrams, atoms not already phrases: when the
  // atom's terms (e.g. the bigrams of a Han run of 3+ characters) match
  // adjacent and in order, the OP_PHRASE of them is added as evidence
  // (OP_AND_MAYBE, weight scaled by this factor); 0 = no phrase evidence.
  // Query time only: it does not change the index or the Signature().
  double phrase_weight = 0.0;
  // jieba's dict.txt for kWords, kWordsPlusBigrams and boundary evidence;
  // empty means Segmenter::kDefaultDictionaryPath. Not read for kBigrams
  // without boundary evidence.
  std::string dictionary_path;
  // kBigrams and kWordsPlusBigrams: index straddle markers and check query
  // bigrams against them (file comment). Changes the index and the
  // Signature(); kWords ignores it.
  bool boundary_evidence = true;
  // Query time only (no change to the index or the Signature()): the factor
  // on the weight of an atom whose checked bigrams only straddle in a
  // document (0 = the atom adds no weight, so such documents rank below the
  // true matches of a one-atom query), and whether such documents are left
  // out altogether (strict).
  double straddle_weight = 0.0;
  bool drop_straddling = false;
  // kBigrams and kWordsPlusBigrams with boundary evidence and without
  // positions (ignored otherwise): a bigram that is no dictionary word and
  // joins two dictionary words of two or more characters each wherever it
  // occurs in a document (`网企` in `互联网|企业`) is not indexed there; its
  // first character's unigram is, so the character alone is still found.
  // Next to a single-character word a bigram is always kept (`业重` in
  // `企业|重|业务`): a query that starts or ends inside a word sees that
  // word as single characters, and needs the bigram. A query atom, cut
  // without the article's context, matches a non-word bigram or that
  // unigram (the unigram adds no weight), and leaves out those it cuts
  // itself. About a tenth fewer terms per news article (docs/relevance.md),
  // but a quoted fragment whose only selective bigrams join long words
  // (`"商党群服"` in `电商|党群|服务`) is checked on every article holding
  // what is left (`党群`): 21 ms over gRPC at 100k. Off by default.
  // Changes the index and the Signature().
  bool skip_cut_bigrams = false;
  // Whether the index holds positions (on unigrams and word tokens; on words
  // for kWords). Changes the index and the Signature(). With positions a
  // phrase is checked by OP_PHRASE; without, QueryForAtom gives only the AND
  // of its terms and the caller checks the phrase on the stored text
  // (search-service/query/phrase_check.h), which keeps the position table
  // (over a third of a compacted index) and its writes out of the index.
  bool positions = true;
};

// Per-document record of what every IndexText call on one document (title,
// body, authors... share the unprefixed terms) leaves to be decided once the
// whole document is indexed: a bigram is marked only when it straddles in
// every field it occurs in, and a character's unigram is needed only when no
// term of the document starts with that character.
class DeferredTerms {
 public:
  // Adds the marker of each bigram that straddled wherever it occurred,
  // (AnalyzerOptions::skip_cut_bigrams) each cut bigram's occurrences: to
  // the bigram when it was also indexed whole, else to its first
  // character's unigram, and (without positions) the unigram of each Han
  // character that ended a run, unless another term of the document starts
  // with that character: a query for the character alone matches every term
  // it starts (Analyzer::LoneCharacterQuery), so that term already finds the
  // document. About 60 of the 100 such unigrams of a news article.
  void AddTo(Xapian::Document* doc) const;

 private:
  friend class Analyzer;
  // Marker term -> every occurrence so far straddles.
  absl::flat_hash_map<std::string, bool> straddle_only_;
  // Occurrences of bigrams (prefix included) that were cut where they
  // occurred and are no dictionary word: their wdf and the unigram term of
  // their first character.
  struct CutBigram {
    uint32_t wdf = 0;
    std::string unigram;
  };
  absl::flat_hash_map<std::string, CutBigram> cut_;
  // Without positions: the unigram terms (prefix included) of Han
  // characters that ended a run, and their wdf.
  absl::flat_hash_map<std::string, uint32_t> run_ends_;
};

// Text after folding, with a map back to the original.
struct FoldedText {
  // NFKC + case folded + t2s, UTF-8.
  std::string text;
  // For folded code point i, `source[i]` is the index of the code point of the
  // original text it came from; `source.size()` equals the number of code
  // points of `text`. Monotonic (non-decreasing).
  std::vector<int32_t> source;
};

// One token of folded text.
struct Token {
  enum class Kind { kHan, kWord };
  Kind kind;
  // The token text (one Han character, or a whole word), UTF-8, folded.
  std::string text;
  // Position counter: consecutive tokens have consecutive positions.
  uint32_t position;
  // Code point offsets [begin, end) in the folded text.
  int32_t begin;
  int32_t end;
  // True when the next token is a Han character of the same run, i.e. a
  // bigram text + next.text is indexed at this position.
  bool joins_next;
};

// Thread-safe after Create(); share one instance.
class Analyzer {
 public:
  // Loads OpenCC (and the dictionary when the variant needs one). Returns
  // FAILED_PRECONDITION with the path when the OpenCC configuration or the
  // dictionary cannot be loaded.
  static absl::StatusOr<std::unique_ptr<Analyzer>> Create(const AnalyzerOptions& options = {});
  ~Analyzer();

  // Folds text for indexing or querying (NFKC, case fold, t2s). Invalid UTF-8
  // sequences become U+FFFD.
  std::string Fold(absl::string_view text) const;
  // Fold() with the code point map back to `text` (for snippets).
  FoldedText FoldWithOffsets(absl::string_view text) const;
  // The first code point of Fold() of the single code point `c` (0 when it
  // folds to nothing), memoised for the Basic Multilingual Plane. A cheap,
  // context-free approximation used to find where folded text may hold a
  // character: phrase-level conversion can differ (callers confirm with
  // FoldWithOffsets). Thread-safe. Inline: phrase checks and snippets call
  // it on every character of an article.
  char32_t FoldCodePoint(char32_t c) const {
    if (c < kMemoisedCodePoints) {
      const uint32_t known = code_point_folds_[c].load(std::memory_order_relaxed);
      if (known != 0) return static_cast<char32_t>(known - 1);
    }
    return FoldCodePointSlow(c);
  }

  // Splits already folded text into tokens (see the file comment).
  std::vector<Token> Tokenize(absl::string_view folded) const;

  // Groups tokens into words: each Han run cut by the dictionary (a run is
  // one character per word for kBigrams, which loads no dictionary), each
  // non-Han word token alone. Returns [first, last) token index ranges
  // covering `tokens` in order.
  std::vector<std::pair<size_t, size_t>> Words(const std::vector<Token>& tokens) const;
  // Folds and tokenizes `text` and returns its words as strings (for tests
  // and debugging).
  std::vector<std::string> SegmentWords(absl::string_view text) const;

  Segmentation segmentation() const;
  // Names what decides the terms: the variant and the folding table, e.g.
  // `words+bigrams fold=s2t+tw2sp positions=unigrams boundaries=jieba` (no
  // `positions=` for kWords, whose words carry the positions as before;
  // `boundaries=jieba` when boundary evidence is indexed). An index built
  // under one signature cannot be searched under another.
  std::string Signature() const;

  // Folds `text` and adds its terms to `doc` with `prefix`, each with wdf
  // `wdf_inc`, at positions starting from *next_position. Afterwards
  // *next_position is one past the last token plus a gap of 100, so a phrase
  // never spans two calls (fields); it is unchanged when `text` has no token.
  // Positions are recorded only when `with_positions`. Terms longer than 200
  // bytes are skipped (their position is still taken). The terms that
  // depend on the whole document (straddle markers, cut bigrams, run-end
  // unigrams) go to `deferred` when given (the caller adds them once every
  // field is indexed: DeferredTerms::AddTo), else straight to `doc`.
  void IndexText(absl::string_view text, absl::string_view prefix, uint32_t wdf_inc,
                 bool with_positions, uint32_t* next_position, Xapian::Document* doc,
                 DeferredTerms* deferred = nullptr) const;
  // One field indexed under several prefixes at the same positions (e.g.
  // `S` for `title:` and unprefixed), folding and tokenising the text once.
  struct IndexPrefix {
    absl::string_view prefix;
    uint32_t wdf_inc;
  };
  // `folded` (when given) receives Fold(text), as indexed.
  void IndexText(absl::string_view text, const std::vector<IndexPrefix>& prefixes,
                 bool with_positions, uint32_t* next_position, Xapian::Document* doc,
                 DeferredTerms* deferred = nullptr, std::string* folded = nullptr) const;

  // For each token, true when it and the next token form a bigram that
  // straddles a word boundary (file comment); all false without boundary
  // evidence. For tests and debugging.
  std::vector<bool> Straddles(const std::vector<Token>& tokens) const;

  // Builds the query for one query atom (user text without operators),
  // already or not yet folded (it is folded again; folding is idempotent).
  // Terms are prefixed with `prefix`.
  //  * `phrase` false: the AND of the atom's terms: each Han run of length 1
  //    is its unigram (without positions, the synonym of every term the
  //    character starts), of length 2 its bigram, longer runs the AND of their
  //    bigrams; each word its term.
  //  * `phrase` true: the exact sequence: the AND of one term per position
  //    (the bigram where joins_next, else the unigram / word), which gives the
  //    weight, OP_FILTER the OP_PHRASE of the unigrams / words (the terms with
  //    positions) with the window equal to the number of positions. A single
  //    term is itself. Punctuation takes no position, so a document matches
  //    when the characters stand in order with only punctuation between and
  //    each bigram of the atom occurs somewhere in it. Without positions
  //    (AnalyzerOptions::positions) only the AND: the caller checks the
  //    phrase.
  //  * `phrase` false and phrase_weight > 0 with 2+ terms: the AND above,
  //    OP_AND_MAYBE the phrase query of the atom scaled by phrase_weight.
  // kWords: the AND (phrase false) or OP_PHRASE (window: the atom's
  // characters) of the atom's words. kWordsPlusBigrams: the kBigrams query,
  // OP_AND_MAYBE the OR of the atom's marked dictionary words.
  // Boundary evidence (phrase false): the query above OR-ed from two parts,
  // the documents without a straddle marker of the atom's checked bigrams
  // (OP_AND_NOT) and those with one (OP_FILTER, scaled by straddle_weight;
  // left out with drop_straddling).
  // Returns an empty Query (Xapian::Query()) when the atom has no tokens.
  Xapian::Query QueryForAtom(absl::string_view atom, absl::string_view prefix,
                             bool phrase) const;

  // Whether the index holds positions (AnalyzerOptions::positions).
  bool positions() const;

 private:
  // The query for one Han character standing alone in a query atom
  // (`term`: prefix + character): the term itself with positions; without,
  // where the index holds the unigram only at the end of a run, the
  // synonym of every term the character starts.
  Xapian::Query LoneCharacterQuery(const std::string& term) const;

  // Straddles, also setting `dictionary_bigrams[k]` when tokens k and k + 1
  // form a dictionary word (all false without boundary evidence), from the
  // same segmentation.
  std::vector<bool> Straddles(const std::vector<Token>& tokens,
                              std::vector<bool>* dictionary_bigrams) const;

  // FoldCodePoint's first call for `c`: folds it and, in the BMP, memoises
  // the result.
  char32_t FoldCodePointSlow(char32_t c) const;

  Analyzer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  // FoldCodePoint's memo for the Basic Multilingual Plane: folded code point
  // + 1, 0 = not yet computed. Races only recompute the same value.
  static constexpr char32_t kMemoisedCodePoints = 0x10000;
  std::unique_ptr<std::atomic<uint32_t>[]> code_point_folds_ =
      std::make_unique<std::atomic<uint32_t>[]>(kMemoisedCodePoints);
};

}  // namespace newsearch::analysis

#endif  // NEWSEARCH_COMMON_ANALYSIS_ANALYZER_H_
