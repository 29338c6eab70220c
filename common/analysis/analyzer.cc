#include "common/analysis/analyzer.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <utility>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>
#include <xapian.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/analysis/opencc_converter.h"
#include "common/analysis/segmenter.h"

#ifndef NEWSEARCH_OPENCC_FOLD_CONFIGS
#define NEWSEARCH_OPENCC_FOLD_CONFIGS "/usr/share/opencc/s2t.json,/usr/share/opencc/tw2sp.json"
#endif

namespace newsearch::analysis {
namespace {

// Xapian's glass backend rejects terms above 245 bytes; stay well clear of
// it so that a prefix never pushes a term over.
constexpr size_t kMaxTermBytes = 200;
// Gap left between two IndexText calls so that a phrase never matches
// across fields (title into body, one author into the next).
constexpr uint32_t kFieldPositionGap = 100;

// Decodes UTF-8; each ill-formed sequence becomes one U+FFFD.
std::vector<UChar32> DecodeUtf8(absl::string_view text) {
  std::vector<UChar32> out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    out.push_back(c < 0 ? 0xFFFD : c);
  }
  return out;
}

void AppendUtf8(UChar32 c, std::string* out) {
  char buf[U8_MAX_LENGTH];
  int32_t n = 0;
  UBool error = false;
  U8_APPEND(buf, n, U8_MAX_LENGTH, c, error);
  if (error) {
    out->append("\xEF\xBF\xBD");
  } else {
    out->append(buf, n);
  }
}

std::string EncodeUtf8(const std::vector<UChar32>& cps, size_t begin, size_t end) {
  std::string out;
  out.reserve((end - begin) * 3);
  for (size_t i = begin; i < end; ++i) AppendUtf8(cps[i], &out);
  return out;
}

bool IsHan(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  return uscript_getScript(c, &status) == USCRIPT_HAN && U_SUCCESS(status);
}

// Han, kana and Hangul characters: indexed as unigrams + bigrams.
bool IsCjk(UChar32 c) {
  if (c < 0x2E80) return false;  // Fast path: nothing CJK below the radicals block.
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(c, &status);
  if (U_FAILURE(status)) return false;
  switch (script) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_KATAKANA_OR_HIRAGANA:
    case USCRIPT_HANGUL:
      return !u_ispunct(c);
    case USCRIPT_COMMON:
      // The prolonged sound mark `ー` is Common but lives inside kana words.
      return u_charType(c) == U_MODIFIER_LETTER &&
             (uscript_hasScript(c, USCRIPT_KATAKANA) || uscript_hasScript(c, USCRIPT_HIRAGANA));
    default:
      return false;
  }
}

// Letters and digits of non-CJK scripts start and continue a word.
bool IsWordChar(UChar32 c) { return u_isalnum(c) && !IsCjk(c); }

// Combining marks continue a word (Devanagari, Thai, decomposed accents).
bool IsMark(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0; }

bool IsWordConnector(UChar32 c) { return c == '.' || c == '_' || c == '-'; }

// A token as a slice of the text it was scanned from. IndexText works on
// these, so no character, bigram or word is copied out of the folded text
// before it becomes a term; Tokenize turns them into Tokens.
struct TokenSlice {
  Token::Kind kind;
  uint32_t position;
  // Code points [begin, end) of the text.
  int32_t begin;
  int32_t end;
  // Bytes [byte_begin, byte_end) of the text (see ScanTokens).
  size_t byte_begin;
  size_t byte_end;
  bool joins_next;
};

// Splits decoded folded text into tokens (see the file comment of
// analyzer.h). Byte offsets add up each code point's UTF-8 length, so they
// index the text `cps` was decoded from when that text is valid UTF-8, as
// Fold's output is (it is encoded from code points).
std::vector<TokenSlice> ScanTokens(const std::vector<UChar32>& cps) {
  const size_t n = cps.size();
  std::vector<size_t> bytes(n + 1, 0);
  for (size_t i = 0; i < n; ++i) bytes[i + 1] = bytes[i] + U8_LENGTH(cps[i]);
  std::vector<TokenSlice> tokens;
  // At most one token per code point; one allocation instead of a chain of
  // reallocations (and moves) over a long body.
  tokens.reserve(n);
  uint32_t position = 0;
  size_t i = 0;
  while (i < n) {
    const UChar32 c = cps[i];
    if (IsCjk(c)) {
      tokens.push_back({Token::Kind::kHan, position++, static_cast<int32_t>(i),
                        static_cast<int32_t>(i + 1), bytes[i], bytes[i + 1],
                        i + 1 < n && IsCjk(cps[i + 1])});
      ++i;
      continue;
    }
    if (!IsWordChar(c)) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n) {
      if (IsWordChar(cps[j]) || IsMark(cps[j])) {
        ++j;
      } else if (IsWordConnector(cps[j]) && j + 1 < n && IsWordChar(cps[j + 1])) {
        j += 2;
      } else {
        break;
      }
    }
    tokens.push_back({Token::Kind::kWord, position++, static_cast<int32_t>(i),
                      static_cast<int32_t>(j), bytes[i], bytes[j], false});
    i = j;
  }
  return tokens;
}

// The text of tokens first..last (inclusive) of `text`: a character, a
// bigram or a word. Consecutive tokens of one Han run are adjacent code
// points, so their texts are one slice.
absl::string_view SliceOf(absl::string_view text, const TokenSlice& first, const TokenSlice& last) {
  return text.substr(first.byte_begin, last.byte_end - first.byte_begin);
}

// Tokenize's tokens as slices of the concatenation of their texts (Words
// and Straddles take Tokens; a Han run's characters stay adjacent in it).
std::vector<TokenSlice> SlicesOf(const std::vector<Token>& tokens, std::string* text) {
  std::vector<TokenSlice> slices;
  slices.reserve(tokens.size());
  for (const Token& token : tokens) {
    const size_t byte_begin = text->size();
    text->append(token.text);
    slices.push_back({token.kind, token.position, token.begin, token.end, byte_begin, text->size(),
                      token.joins_next});
  }
  return slices;
}

// Groups tokens into words, as [first, last) token index ranges covering
// `tokens` in order: each Han run of two or more characters cut by
// `segmenter` (one character per word when it is null), each other token
// alone. With a segmenter and `word_bigrams`, also sets
// (*word_bigrams)[i] for each token whose bigram with the next is a
// dictionary word (sized like `tokens`).
std::vector<std::pair<size_t, size_t>> CutWords(const Segmenter* segmenter, absl::string_view text,
                                                const std::vector<TokenSlice>& tokens,
                                                std::vector<bool>* word_bigrams = nullptr) {
  if (word_bigrams != nullptr) word_bigrams->assign(tokens.size(), false);
  std::vector<bool> run_bigrams;
  std::vector<std::pair<size_t, size_t>> words;
  words.reserve(tokens.size());
  size_t i = 0;
  while (i < tokens.size()) {
    if (tokens[i].kind != Token::Kind::kHan) {
      words.emplace_back(i, i + 1);
      ++i;
      continue;
    }
    size_t j = i;
    while (tokens[j].joins_next) ++j;
    ++j;  // the run is tokens [i, j)
    if (segmenter == nullptr || j - i == 1) {
      for (size_t k = i; k < j; ++k) words.emplace_back(k, k + 1);
    } else {
      run_bigrams.clear();
      size_t begin = i;
      for (const int length :
           segmenter->Segment(SliceOf(text, tokens[i], tokens[j - 1]),
                              word_bigrams != nullptr ? &run_bigrams : nullptr)) {
        words.emplace_back(begin, begin + length);
        begin += length;
      }
      for (size_t k = 0; k < run_bigrams.size(); ++k) {
        if (run_bigrams[k]) (*word_bigrams)[i + k] = true;
      }
    }
    i = j;
  }
  return words;
}

// For each token, true when it and the next token form a bigram that joins
// two dictionary words of the same run, at least `long_words` (1 or 2) of
// which have two or more characters. `words` come from CutWords with the
// segmenter. With 1 the bigram straddles a word boundary (boundary
// evidence); with 2 it joins two long words (`网企` in `互联网|企业`), the
// bigrams AnalyzerOptions::skip_cut_bigrams leaves out where every
// occurrence is such. Next to a single-character word (`业重` in `企业|重`)
// a bigram is kept: a query that starts or ends inside a word (`业重业务`)
// sees that word as single characters, and the articles holding it then
// still hold a term the query needs.
std::vector<bool> BigramsAcrossWords(const std::vector<TokenSlice>& tokens,
                                     const std::vector<std::pair<size_t, size_t>>& words,
                                     int long_words) {
  std::vector<bool> across(tokens.size(), false);
  for (size_t w = 1; w < words.size(); ++w) {
    const auto [first, last] = words[w - 1];
    // Only a bigram joins the two words when both are in one Han run.
    if (!tokens[last - 1].joins_next) continue;
    const int long_count = (last - first >= 2) + (words[w].second - words[w].first >= 2);
    if (long_count >= long_words) across[last - 1] = true;
  }
  return across;
}

}  // namespace

absl::StatusOr<Segmentation> ParseSegmentation(absl::string_view name) {
  for (Segmentation s :
       {Segmentation::kBigrams, Segmentation::kWords, Segmentation::kWordsPlusBigrams}) {
    if (name == SegmentationName(s)) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown analyzer `", name, "`; expected one of bigrams, words, words+bigrams"));
}

absl::string_view SegmentationName(Segmentation segmentation) {
  switch (segmentation) {
    case Segmentation::kBigrams:
      return "bigrams";
    case Segmentation::kWords:
      return "words";
    case Segmentation::kWordsPlusBigrams:
      return "words+bigrams";
  }
  return "unknown";
}

struct Analyzer::Impl {
  const icu::Normalizer2* nfkc_casefold = nullptr;
  // OpenCC conversions applied in order to each Han run.
  // OpenCC's converters on hash dictionaries (opencc_converter.h).
  std::vector<std::shared_ptr<const HashConverter>> converters;

  std::string Convert(const std::string& text) const {
    std::string out = text;
    for (const auto& converter : converters) out = converter->Convert(out);
    return out;
  }
  Segmentation segmentation = Segmentation::kBigrams;
  double word_weight = 1.0;
  double phrase_weight = 0.0;
  bool boundary_evidence = false;
  double straddle_weight = 0.0;
  bool drop_straddling = false;
  bool skip_cut_bigrams = false;
  bool positions = true;
  std::unique_ptr<Segmenter> segmenter;  // null for kBigrams without boundary evidence
  std::string fold_name;                 // OpenCC configuration, without .json

  // NFKC + case folding of `in`, keeping for every output code point the
  // index of the input code point it came from.
  void NormalizeAndCaseFold(const std::vector<UChar32>& in, std::vector<UChar32>* out,
                            std::vector<int32_t>* source) const;
  // OpenCC t2s over each run of Han characters of `in`.
  void TraditionalToSimplified(const std::vector<UChar32>& in, const std::vector<int32_t>& in_source,
                               std::vector<UChar32>* out, std::vector<int32_t>* source) const;
  FoldedText Fold(absl::string_view text) const;
};

void Analyzer::Impl::NormalizeAndCaseFold(const std::vector<UChar32>& in,
                                          std::vector<UChar32>* out,
                                          std::vector<int32_t>* source) const {
  out->reserve(in.size());
  source->reserve(in.size());
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    if (nfkc_casefold->isInert(in[i])) {
      out->push_back(in[i]);
      source->push_back(static_cast<int32_t>(i));
      ++i;
      continue;
    }
    // Normalise one segment (up to the next normalisation boundary) at a
    // time, so every output code point maps back into its own segment.
    size_t j = i + 1;
    while (j < n && !nfkc_casefold->hasBoundaryBefore(in[j])) ++j;
    icu::UnicodeString segment;
    for (size_t k = i; k < j; ++k) segment.append(in[k]);
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString normalized = nfkc_casefold->normalize(segment, status);
    std::vector<UChar32> cps;
    if (U_SUCCESS(status)) {
      for (int32_t k = 0; k < normalized.length();) {
        const UChar32 c = normalized.char32At(k);
        cps.push_back(c);
        k += U16_LENGTH(c);
      }
    } else {
      cps.assign(in.begin() + i, in.begin() + j);
    }
    const size_t segment_length = j - i;
    for (size_t t = 0; t < cps.size(); ++t) {
      out->push_back(cps[t]);
      // Proportional map: monotonic, and exact when lengths agree.
      source->push_back(static_cast<int32_t>(i + t * segment_length / cps.size()));
    }
    i = j;
  }
}

void Analyzer::Impl::TraditionalToSimplified(const std::vector<UChar32>& in,
                                             const std::vector<int32_t>& in_source,
                                             std::vector<UChar32>* out,
                                             std::vector<int32_t>* source) const {
  out->reserve(in.size());
  source->reserve(in.size());
  const size_t n = in.size();
  // Han runs [begin, end) of `in`.
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < n;) {
    if (!IsHan(in[i])) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n && IsHan(in[j])) ++j;
    runs.emplace_back(i, j);
    i = j;
  }
  // Whole runs go to OpenCC, so its phrase table sees the context
  // (`乾隆` stays, `乾燥` becomes `干燥`). All runs go in one call, joined by
  // '\n': no dictionary key contains a newline, so no phrase spans two runs
  // and the result splits back into the per-run conversions; one call per
  // run cost more in OpenCC's per-call setup than in the lookups. Should the
  // split not give one piece per run, each run is converted on its own.
  std::vector<std::vector<UChar32>> converted(runs.size());
  bool batched = false;
  if (!runs.empty()) {
    std::string joined;
    joined.reserve(in.size() * 3);
    for (size_t r = 0; r < runs.size(); ++r) {
      if (r > 0) joined.push_back('\n');
      for (size_t k = runs[r].first; k < runs[r].second; ++k) AppendUtf8(in[k], &joined);
    }
    try {
      const std::vector<UChar32> all = DecodeUtf8(Convert(joined));
      size_t r = 0;
      for (const UChar32 c : all) {
        if (c == '\n') {
          if (++r == runs.size()) break;
          continue;
        }
        converted[r].push_back(c);
      }
      batched = r + 1 == runs.size();
    } catch (...) {
    }
  }
  if (!batched) {
    std::string run;
    for (size_t r = 0; r < runs.size(); ++r) {
      const auto [i, j] = runs[r];
      run.clear();
      for (size_t k = i; k < j; ++k) AppendUtf8(in[k], &run);
      try {
        converted[r] = DecodeUtf8(Convert(run));
      } catch (...) {
        converted[r].assign(in.begin() + i, in.begin() + j);
      }
    }
  }
  size_t i = 0;
  for (size_t r = 0; r <= runs.size(); ++r) {
    const size_t run_begin = r < runs.size() ? runs[r].first : n;
    for (; i < run_begin; ++i) {
      out->push_back(in[i]);
      source->push_back(in_source[i]);
    }
    if (r == runs.size()) break;
    const size_t run_length = runs[r].second - runs[r].first;
    const std::vector<UChar32>& run_out = converted[r];
    for (size_t t = 0; t < run_out.size(); ++t) {
      out->push_back(run_out[t]);
      // Equal lengths (the usual case) map one to one; otherwise the run's
      // code points are spread proportionally over the converted run.
      source->push_back(in_source[i + t * run_length / run_out.size()]);
    }
    i = runs[r].second;
  }
}

FoldedText Analyzer::Impl::Fold(absl::string_view text) const {
  const std::vector<UChar32> original = DecodeUtf8(text);
  std::vector<UChar32> normalized;
  std::vector<int32_t> normalized_source;
  NormalizeAndCaseFold(original, &normalized, &normalized_source);
  std::vector<UChar32> simplified;
  FoldedText folded;
  TraditionalToSimplified(normalized, normalized_source, &simplified, &folded.source);
  folded.text = EncodeUtf8(simplified, 0, simplified.size());
  return folded;
}

Analyzer::Analyzer() : impl_(std::make_unique<Impl>()) {}
Analyzer::~Analyzer() = default;

absl::StatusOr<std::unique_ptr<Analyzer>> Analyzer::Create(const AnalyzerOptions& options) {
  // Default: s2t then tw2sp. Going through traditional first makes the
  // regional folding symmetric: the simplified `资讯` and the traditional
  // `資訊` both end as `信息` (tw2sp alone only rewrites traditional text).
  std::vector<std::string> configs = absl::StrSplit(
      options.opencc_config.empty() ? NEWSEARCH_OPENCC_FOLD_CONFIGS : options.opencc_config, ',',
      absl::SkipEmpty());
  std::unique_ptr<Analyzer> analyzer(new Analyzer());
  UErrorCode status = U_ZERO_ERROR;
  analyzer->impl_->nfkc_casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status) || analyzer->impl_->nfkc_casefold == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot load ICU NFKC_Casefold data: ", u_errorName(status)));
  }
  std::vector<std::string> names;
  for (const std::string& config : configs) {
    if (!std::ifstream(config).good()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read OpenCC configuration ", config));
    }
    auto converter = LoadConverter(config);
    if (!converter.ok()) return converter.status();
    analyzer->impl_->converters.push_back(*std::move(converter));
    absl::string_view name = config;
    if (const size_t slash = name.rfind('/'); slash != absl::string_view::npos) {
      name.remove_prefix(slash + 1);
    }
    if (absl::EndsWith(name, ".json")) name.remove_suffix(5);
    names.emplace_back(name);
  }
  analyzer->impl_->fold_name = absl::StrJoin(names, "+");
  analyzer->impl_->segmentation = options.segmentation;
  if (!(options.word_weight >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("word_weight must be >= 0, got ", options.word_weight));
  }
  analyzer->impl_->word_weight = options.word_weight;
  if (!(options.phrase_weight >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("phrase_weight must be >= 0, got ", options.phrase_weight));
  }
  analyzer->impl_->phrase_weight = options.phrase_weight;
  if (!(options.straddle_weight >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("straddle_weight must be >= 0, got ", options.straddle_weight));
  }
  analyzer->impl_->boundary_evidence =
      options.boundary_evidence && options.segmentation != Segmentation::kWords;
  analyzer->impl_->straddle_weight = options.straddle_weight;
  analyzer->impl_->drop_straddling = options.drop_straddling;
  // The word boundaries say which bigrams are cut. With positions the
  // bigrams are what keeps OP_PHRASE from reading `数字，经济` as `数字经济`
  // (positions skip punctuation); without, the stored-text check does.
  analyzer->impl_->skip_cut_bigrams =
      options.skip_cut_bigrams && analyzer->impl_->boundary_evidence && !options.positions;
  analyzer->impl_->positions = options.positions;
  if (options.segmentation != Segmentation::kBigrams || analyzer->impl_->boundary_evidence) {
    auto segmenter = Segmenter::Load(options.dictionary_path.empty()
                                         ? Segmenter::kDefaultDictionaryPath
                                         : options.dictionary_path);
    if (!segmenter.ok()) return segmenter.status();
    analyzer->impl_->segmenter = *std::move(segmenter);
  }
  return analyzer;
}

Segmentation Analyzer::segmentation() const { return impl_->segmentation; }

bool Analyzer::positions() const { return impl_->positions; }


std::string Analyzer::Signature() const {
  std::string signature =
      absl::StrCat(SegmentationName(impl_->segmentation), " fold=", impl_->fold_name);
  // Indexes of the bigram variants built before this marker held positions
  // on bigrams; their phrases cannot be checked by QueryForAtom's queries.
  if (!impl_->positions) {
    absl::StrAppend(&signature, kNoPositionsSignature);
    // Unigrams only where no bigram starts (IndexText).
    if (impl_->segmentation != Segmentation::kWords) absl::StrAppend(&signature, " unigrams=ends");
  } else if (impl_->segmentation != Segmentation::kWords) {
    absl::StrAppend(&signature, " positions=unigrams");
  }
  if (impl_->boundary_evidence) absl::StrAppend(&signature, " boundaries=jieba");
  if (impl_->skip_cut_bigrams) absl::StrAppend(&signature, kCutBigramsSignature);
  return signature;
}

std::vector<std::pair<size_t, size_t>> Analyzer::Words(const std::vector<Token>& tokens) const {
  std::string text;
  const std::vector<TokenSlice> slices = SlicesOf(tokens, &text);
  return CutWords(impl_->segmentation == Segmentation::kBigrams ? nullptr : impl_->segmenter.get(),
                  text, slices);
}

std::vector<bool> Analyzer::Straddles(const std::vector<Token>& tokens) const {
  std::vector<bool> dictionary_bigrams;
  return Straddles(tokens, &dictionary_bigrams);
}

std::vector<bool> Analyzer::Straddles(const std::vector<Token>& tokens,
                                      std::vector<bool>* dictionary_bigrams) const {
  if (!impl_->boundary_evidence) {
    dictionary_bigrams->assign(tokens.size(), false);
    return std::vector<bool>(tokens.size(), false);
  }
  std::string text;
  const std::vector<TokenSlice> slices = SlicesOf(tokens, &text);
  return BigramsAcrossWords(
      slices, CutWords(impl_->segmenter.get(), text, slices, dictionary_bigrams), 1);
}

namespace {

// For each key of `map`, the first term of `doc` at or after it (empty past
// the last), in the order of the keys: one walk over the terms, which Xapian
// keeps sorted, answers for all of them.
template <typename Value>
std::vector<std::pair<const std::pair<const std::string, Value>*, std::string>> TermsFrom(
    const Xapian::Document& doc, const absl::flat_hash_map<std::string, Value>& map) {
  std::vector<std::pair<const std::pair<const std::string, Value>*, std::string>> found;
  found.reserve(map.size());
  for (const auto& entry : map) found.emplace_back(&entry, std::string());
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first->first < b.first->first; });
  Xapian::TermIterator it = doc.termlist_begin();
  const Xapian::TermIterator end = doc.termlist_end();
  for (auto& [entry, term] : found) {
    it.skip_to(entry->first);
    if (it != end) term = *it;
  }
  return found;
}

}  // namespace

void DeferredTerms::AddTo(Xapian::Document* doc) const {
  for (const auto& [term, straddle_only] : straddle_only_) {
    if (straddle_only && term.size() <= kMaxTermBytes) doc->add_boolean_term(term);
  }
  // A cut bigram goes to the bigram where the document also holds it whole.
  for (const auto& [entry, next] : TermsFrom(*doc, cut_)) {
    const auto& [bigram, occurrences] = *entry;
    doc->add_term(next == bigram ? bigram : occurrences.unigram, occurrences.wdf);
  }
  // A run's last character needs its unigram only where the document holds
  // neither that unigram (a cut bigram's stand-in: it takes the wdf) nor a
  // longer term starting with the character.
  for (const auto& [entry, next] : TermsFrom(*doc, run_ends_)) {
    const auto& [unigram, wdf] = *entry;
    if (next == unigram || !absl::StartsWith(next, unigram)) doc->add_term(unigram, wdf);
  }
}

std::vector<std::string> Analyzer::SegmentWords(absl::string_view text) const {
  const std::vector<Token> tokens = Tokenize(Fold(text));
  std::vector<std::string> out;
  for (const auto& [first, last] : Words(tokens)) {
    std::string word;
    for (size_t k = first; k < last; ++k) word += tokens[k].text;
    out.push_back(std::move(word));
  }
  return out;
}

std::string Analyzer::Fold(absl::string_view text) const { return impl_->Fold(text).text; }

FoldedText Analyzer::FoldWithOffsets(absl::string_view text) const { return impl_->Fold(text); }

char32_t Analyzer::FoldCodePointSlow(char32_t c) const {
  std::string one;
  AppendUtf8(static_cast<UChar32>(c), &one);
  const std::vector<UChar32> cps = DecodeUtf8(impl_->Fold(one).text);
  const char32_t folded = cps.empty() ? 0 : static_cast<char32_t>(cps[0]);
  if (c < kMemoisedCodePoints) {
    code_point_folds_[c].store(static_cast<uint32_t>(folded) + 1, std::memory_order_relaxed);
  }
  return folded;
}

std::vector<Token> Analyzer::Tokenize(absl::string_view folded) const {
  const std::vector<UChar32> cps = DecodeUtf8(folded);
  std::vector<Token> tokens;
  const std::vector<TokenSlice> slices = ScanTokens(cps);
  tokens.reserve(slices.size());
  for (const TokenSlice& slice : slices) {
    // Encoded from the code points, not sliced: `folded` may be any text.
    tokens.push_back({slice.kind, EncodeUtf8(cps, slice.begin, slice.end), slice.position,
                      slice.begin, slice.end, slice.joins_next});
  }
  return tokens;
}

void Analyzer::IndexText(absl::string_view text, absl::string_view prefix, uint32_t wdf_inc,
                         bool with_positions, uint32_t* next_position, Xapian::Document* doc,
                         DeferredTerms* deferred) const {
  IndexText(text, {{prefix, wdf_inc}}, with_positions, next_position, doc, deferred);
}

void Analyzer::IndexText(absl::string_view text, const std::vector<IndexPrefix>& prefixes,
                         bool with_positions, uint32_t* next_position, Xapian::Document* doc,
                         DeferredTerms* deferred, std::string* folded) const {
  if (doc == nullptr) return;
  // Every token, bigram and word below is a slice of this string: it must
  // outlive them (so `folded` gets a copy).
  const std::string folded_text = Fold(text);
  if (folded != nullptr) *folded = folded_text;
  const std::vector<TokenSlice> tokens = ScanTokens(DecodeUtf8(folded_text));
  if (tokens.empty()) return;
  const auto text_of = [&folded_text, &tokens](size_t first, size_t last) {
    return SliceOf(folded_text, tokens[first], tokens[last]);
  };
  const uint32_t base = next_position != nullptr ? *next_position : 0;
  const Segmentation segmentation = impl_->segmentation;
  const Segmenter* segmenter = impl_->segmenter.get();
  const bool boundary_evidence = impl_->boundary_evidence;
  const bool skip_cut_bigrams = impl_->skip_cut_bigrams;
  // Dictionary words: the terms of kWords and kWordsPlusBigrams and the
  // boundaries bigrams are checked against, one segmentation for both.
  // Bigrams that are dictionary words, the only ones that get a straddle
  // marker: the segmentation looks them up on its way (once for all
  // prefixes).
  std::vector<bool> dictionary_bigram;
  std::vector<std::pair<size_t, size_t>> words;
  if (segmentation != Segmentation::kBigrams || boundary_evidence) {
    words =
        CutWords(segmenter, folded_text, tokens, boundary_evidence ? &dictionary_bigram : nullptr);
  }
  std::vector<bool> straddling;
  if (boundary_evidence) straddling = BigramsAcrossWords(tokens, words, 1);
  std::vector<bool> cuttable;
  if (skip_cut_bigrams) cuttable = BigramsAcrossWords(tokens, words, 2);
  DeferredTerms own_record;
  DeferredTerms* record = deferred != nullptr ? deferred : &own_record;
  // Every term is built in this one string (Xapian copies what it keeps).
  std::string term;
  for (const auto& [prefix, wdf_inc] : prefixes) {
    auto post = [&, wdf_inc = wdf_inc](const std::string& term, uint32_t position) {
      if (term.size() > kMaxTermBytes) return;
      if (with_positions && impl_->positions) {
        doc->add_posting(term, position, wdf_inc);
      } else {
        doc->add_term(term, wdf_inc);
      }
    };
    if (segmentation != Segmentation::kWords) {
      for (size_t i = 0; i < tokens.size(); ++i) {
        term.clear();
        absl::StrAppend(&term, prefix, text_of(i, i));
        // Without positions a character's unigram is indexed only where no
        // bigram starts with it (the end of a Han run, a lone character, a
        // word token): the bigram says the character is there, and a query
        // for the lone character expands to both (LoneCharacterQuery). A
        // Han character's is left out even there when another term of the
        // document starts with it (DeferredTerms::AddTo).
        if (impl_->positions || (!tokens[i].joins_next && tokens[i].kind != Token::Kind::kHan)) {
          post(term, base + tokens[i].position);
        } else if (!tokens[i].joins_next && term.size() <= kMaxTermBytes) {
          record->run_ends_[term] += wdf_inc;
        }
        if (!impl_->positions && i + 1 < tokens.size() &&
            (tokens[i].kind == Token::Kind::kWord || tokens[i + 1].kind == Token::Kind::kWord)) {
          term.clear();
          absl::StrAppend(&term, prefix, text_of(i, i), kPairJoiner, text_of(i + 1, i + 1));
          if (term.size() <= kMaxTermBytes) doc->add_term(term, wdf_inc);
        }
        if (!tokens[i].joins_next) continue;
        // Bigrams carry no positions: a phrase is checked on the
        // unigrams (QueryForAtom), which halves the position table.
        const absl::string_view bigram = text_of(i, i + 1);
        term.clear();
        absl::StrAppend(&term, prefix, bigram);
        if (skip_cut_bigrams && cuttable[i] && !dictionary_bigram[i]) {
          // Indexed only if it also occurs whole (AddTo).
          if (term.size() <= kMaxTermBytes) {
            DeferredTerms::CutBigram& cut = record->cut_[term];
            if (cut.unigram.empty()) absl::StrAppend(&cut.unigram, prefix, text_of(i, i));
            cut.wdf += wdf_inc;
          }
        } else if (term.size() <= kMaxTermBytes) {
          doc->add_term(term, wdf_inc);
        }
        if (boundary_evidence && dictionary_bigram[i]) {
          term.clear();
          absl::StrAppend(&term, prefix, kStraddleMarker, bigram);
          // Marked only when every occurrence straddles.
          auto& straddle_only = record->straddle_only_;
          if (const auto it = straddle_only.find(term); it == straddle_only.end()) {
            straddle_only.emplace(term, straddling[i]);
          } else if (!straddling[i]) {
            it->second = false;
          }
        }
      }
    }
    if (segmentation != Segmentation::kBigrams) {
      const absl::string_view word_marker =
          segmentation == Segmentation::kWords ? absl::string_view() : kWordMarker;
      for (const auto& [first, last] : words) {
        if (segmentation == Segmentation::kWordsPlusBigrams &&
            (last - first < 2 || tokens[first].kind != Token::Kind::kHan)) {
          continue;  // single characters and non-Han words are terms already
        }
        term.clear();
        absl::StrAppend(&term, prefix, word_marker, text_of(first, last - 1));
        if (segmentation == Segmentation::kWords) {
          post(term, base + tokens[first].position);
          continue;
        }
        if (term.size() <= kMaxTermBytes) doc->add_term(term, wdf_inc);
        // The dictionary words inside a longer word count as words too
        // (`台风` in `强台风`, `路桥` in `路桥区`), so a query for the
        // shorter word meets them; words across a boundary still do not.
        for (size_t b = first; last - first > 2 && b < last; ++b) {
          for (size_t e = b + 1; e < last; ++e) {
            if (b == first && e + 1 == last) continue;  // the whole word
            const absl::string_view inner = text_of(b, e);
            if (!segmenter->IsWord(inner)) continue;
            term.clear();
            absl::StrAppend(&term, prefix, word_marker, inner);
            doc->add_term(term, wdf_inc);
          }
        }
      }
    }
  }
  if (deferred == nullptr) own_record.AddTo(doc);
  if (next_position != nullptr) {
    *next_position = base + tokens.back().position + 1 + kFieldPositionGap;
  }
}

namespace {

Xapian::Query Combine(Xapian::Query::op op, std::vector<Xapian::Query>& terms,
                      Xapian::termcount window = 0) {
  if (terms.empty()) return Xapian::Query();
  if (terms.size() == 1) return terms.front();
  return Xapian::Query(op, terms.begin(), terms.end(), window);
}

}  // namespace

Xapian::Query Analyzer::LoneCharacterQuery(const std::string& term) const {
  if (impl_->positions) return Xapian::Query(term);
  // Every term that starts with the character: its unigram where it ends a
  // run, the bigrams it starts elsewhere (and its pair terms, where it has
  // a unigram too), counted as one term.
  return Xapian::Query(Xapian::Query::OP_WILDCARD, term, /*max_expansion=*/0,
                       Xapian::Query::WILDCARD_LIMIT_ERROR, Xapian::Query::OP_SYNONYM);
}

Xapian::Query Analyzer::QueryForAtom(absl::string_view atom, absl::string_view prefix,
                                     bool phrase) const {
  const std::vector<Token> tokens = Tokenize(Fold(atom));
  const std::string prefix_str(prefix);
  std::vector<Xapian::Query> terms;
  const Segmentation segmentation = impl_->segmentation;
  if (segmentation == Segmentation::kWords) {
    for (const auto& [first, last] : Words(tokens)) {
      std::string term = prefix_str;
      for (size_t k = first; k < last; ++k) term += tokens[k].text;
      terms.emplace_back(term);
    }
    if (!phrase) return Combine(Xapian::Query::OP_AND, terms);
    // Without positions the caller checks the order (phrase_check.h).
    if (!impl_->positions) return Combine(Xapian::Query::OP_AND, terms);
    // Words sit at the position of their first character: the phrase spans
    // as many positions as the atom has tokens.
    return Combine(Xapian::Query::OP_PHRASE, terms,
                   tokens.empty() ? 0
                                  : static_cast<Xapian::termcount>(tokens.back().position -
                                                                   tokens.front().position + 1));
  }
  // The exact sequence. Positions are on unigrams and word tokens only, so
  // the order is checked by OP_PHRASE over those, one per position. It is
  // the filter of the AND of one term per position (the bigram where
  // joins_next, else the unigram / word), which ranks the match as before
  // and narrows the candidates: Xapian checks the positions only of the
  // documents the AND matches.
  // Which of the atom's bigrams are dictionary words, found on the way
  // (without boundary evidence none is asked for).
  std::vector<bool> dictionary_bigram;
  const std::vector<bool> straddling = Straddles(tokens, &dictionary_bigram);
  // A bigram of the atom as a query. A document holds a bigram that is no
  // dictionary word only if it stands whole somewhere in it; where every
  // occurrence joins two long words it holds the first character's unigram
  // instead (AnalyzerOptions::skip_cut_bigrams, DeferredTerms). The atom,
  // segmented without the text around it, cannot always tell which (a
  // word it cuts short, a path through the dictionary that the context
  // changes), so such a bigram matches either, and only the bigram weighs.
  // One the atom cuts itself is left out (an article holding it whole most
  // likely holds other words), unless nothing else is left: then it only
  // has to be there, either way (`cut`). The stored-text check of a quoted
  // phrase reads the whole atom.
  const auto bigram_query = [&](size_t k, bool cut) {
    const std::string bigram = absl::StrCat(tokens[k].text, tokens[k + 1].text);
    Xapian::Query whole(prefix_str + bigram);
    if (!impl_->skip_cut_bigrams || dictionary_bigram[k]) return whole;
    if (straddling[k] && !cut) return Xapian::Query();
    const Xapian::Query either(Xapian::Query::OP_OR, whole,
                               Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                                             Xapian::Query(prefix_str + tokens[k].text), 0.0));
    return straddling[k] ? Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, either, 0.0) : either;
  };
  const auto phrase_query = [&]() {
    std::vector<Xapian::Query> sequence;
    std::vector<Xapian::Query> positional;
    std::vector<size_t> left_out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      positional.emplace_back(prefix_str + tokens[i].text);
      if (tokens[i].joins_next) {
        Xapian::Query bigram = bigram_query(i, false);
        if (bigram.empty()) {
          left_out.push_back(i);
        } else {
          sequence.push_back(std::move(bigram));
        }
      } else if (impl_->positions || tokens[i].kind == Token::Kind::kWord) {
        sequence.emplace_back(prefix_str + tokens[i].text);
      } else if (i == 0 || !tokens[i - 1].joins_next) {
        // A lone character (the bigram before covers a run's last one).
        sequence.push_back(LoneCharacterQuery(prefix_str + tokens[i].text));
      }
      if (!impl_->positions && i + 1 < tokens.size() &&
          (tokens[i].kind == Token::Kind::kWord || tokens[i + 1].kind == Token::Kind::kWord)) {
        sequence.emplace_back(
            absl::StrCat(prefix_str, tokens[i].text, kPairJoiner, tokens[i + 1].text));
      }
    }
    if (sequence.empty()) {
      for (const size_t k : left_out) sequence.push_back(bigram_query(k, true));
    }
    if (sequence.size() == 1) return sequence.front();
    if (!impl_->positions) return Combine(Xapian::Query::OP_AND, sequence);
    return Xapian::Query(
        Xapian::Query::OP_FILTER, Combine(Xapian::Query::OP_AND, sequence),
        Combine(Xapian::Query::OP_PHRASE, positional,
                static_cast<Xapian::termcount>(positional.size())));
  };
  Xapian::Query query;
  // Straddle markers of the atom's bigrams that do not straddle in the atom.
  std::vector<Xapian::Query> markers;
  if (phrase) {
    query = phrase_query();
  } else {
    size_t i = 0;
    while (i < tokens.size()) {
      if (tokens[i].kind == Token::Kind::kWord) {
        terms.emplace_back(prefix_str + tokens[i].text);
        ++i;
        continue;
      }
      // One Han run: tokens [i, j].
      size_t j = i;
      while (tokens[j].joins_next) ++j;
      if (i == j) {
        terms.push_back(LoneCharacterQuery(prefix_str + tokens[i].text));
      } else {
        const size_t before = terms.size();
        for (size_t k = i; k < j; ++k) {
          Xapian::Query bigram = bigram_query(k, false);
          if (!bigram.empty()) terms.push_back(std::move(bigram));
        }
        if (terms.size() == before) {  // the atom cuts every bigram of the run
          for (size_t k = i; k < j; ++k) terms.push_back(bigram_query(k, true));
        }
        for (size_t k = i; k < j; ++k) {
          if (impl_->boundary_evidence && !straddling[k] && dictionary_bigram[k]) {
            markers.emplace_back(
                absl::StrCat(prefix_str, kStraddleMarker, tokens[k].text, tokens[k + 1].text));
          }
        }
      }
      i = j + 1;
    }
    query = Combine(Xapian::Query::OP_AND, terms);
    // Articles where the atom's terms stand together, in order, rank above
    // those that only contain them somewhere (`苏宁易购` against an article
    // with `苏宁` and `易购` apart).
    if (impl_->phrase_weight > 0 && terms.size() > 1) {
      query = Xapian::Query(
          Xapian::Query::OP_AND_MAYBE, query,
          Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, phrase_query(), impl_->phrase_weight));
    }
    if (!markers.empty() && !query.empty()) {
      // A document matches either with no occurrence of these bigrams
      // confined to straddling ones, at full weight, or with one, at
      // straddle_weight (a query word cut across two words of the article).
      const Xapian::Query straddle = Combine(Xapian::Query::OP_OR, markers);
      const Xapian::Query clean(Xapian::Query::OP_AND_NOT, query, straddle);
      if (impl_->drop_straddling) {
        query = clean;
      } else {
        query = Xapian::Query(
            Xapian::Query::OP_OR, clean,
            Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                          Xapian::Query(Xapian::Query::OP_FILTER, query, straddle),
                          impl_->straddle_weight));
      }
    }
  }
  if (segmentation == Segmentation::kBigrams || query.empty()) return query;
  std::vector<Xapian::Query> words;
  for (const auto& [first, last] : Words(tokens)) {
    if (last - first < 2 || tokens[first].kind != Token::Kind::kHan) continue;
    std::string term = absl::StrCat(prefix_str, kWordMarker);
    for (size_t k = first; k < last; ++k) term += tokens[k].text;
    words.emplace_back(term);
  }
  if (words.empty()) return query;
  Xapian::Query evidence = Combine(Xapian::Query::OP_OR, words);
  if (impl_->word_weight != 1.0) {
    evidence = Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, evidence, impl_->word_weight);
  }
  return Xapian::Query(Xapian::Query::OP_AND_MAYBE, query, evidence);
}

}  // namespace newsearch::analysis
