#include "common/analysis/analyzer.h"

#include <atomic>
#include <exception>
#include <fstream>
#include <utility>

#include <opencc/Converter.hpp>
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
  std::vector<std::shared_ptr<opencc::Converter>> converters;

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
  // FoldCodePoint memo for the BMP: folded code point + 1, 0 = not yet
  // computed. Races only recompute the same value.
  std::unique_ptr<std::atomic<uint32_t>[]> code_point_folds =
      std::make_unique<std::atomic<uint32_t>[]>(0x10000);
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
    } catch (const std::exception&) {
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
      } catch (const std::exception&) {
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
    absl::StrAppend(&signature, " positions=none");
  } else if (impl_->segmentation != Segmentation::kWords) {
    absl::StrAppend(&signature, " positions=unigrams");
  }
  if (impl_->boundary_evidence) absl::StrAppend(&signature, " boundaries=jieba");
  return signature;
}

std::vector<std::pair<size_t, size_t>> Analyzer::Words(const std::vector<Token>& tokens) const {
  std::vector<std::pair<size_t, size_t>> words;
  words.reserve(tokens.size());
  std::vector<std::string> run;
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
    if (impl_->segmenter == nullptr || impl_->segmentation == Segmentation::kBigrams ||
        j - i == 1) {
      for (size_t k = i; k < j; ++k) words.emplace_back(k, k + 1);
    } else {
      run.clear();
      for (size_t k = i; k < j; ++k) run.push_back(tokens[k].text);
      size_t begin = i;
      for (const int length : impl_->segmenter->Segment(run)) {
        words.emplace_back(begin, begin + length);
        begin += length;
      }
    }
    i = j;
  }
  return words;
}

std::vector<bool> Analyzer::Straddles(const std::vector<Token>& tokens) const {
  std::vector<bool> straddles(tokens.size(), false);
  if (!impl_->boundary_evidence) return straddles;
  std::vector<std::string> run;
  size_t i = 0;
  while (i < tokens.size()) {
    if (tokens[i].kind != Token::Kind::kHan || !tokens[i].joins_next) {
      ++i;
      continue;
    }
    size_t j = i;
    while (tokens[j].joins_next) ++j;
    ++j;  // the run is tokens [i, j), two or more characters
    run.clear();
    for (size_t k = i; k < j; ++k) run.push_back(tokens[k].text);
    size_t begin = i;
    int previous_length = 0;
    for (const int length : impl_->segmenter->Segment(run)) {
      // The bigram ending this word's predecessor and starting this word.
      if (begin > i && (previous_length >= 2 || length >= 2)) straddles[begin - 1] = true;
      previous_length = length;
      begin += length;
    }
    i = j;
  }
  return straddles;
}

void StraddleRecord::AddMarkers(Xapian::Document* doc) const {
  for (const auto& [term, straddle_only] : straddle_only_) {
    if (straddle_only && term.size() <= kMaxTermBytes) doc->add_boolean_term(term);
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

char32_t Analyzer::FoldCodePoint(char32_t c) const {
  auto fold = [this](char32_t cp) -> char32_t {
    std::string one;
    AppendUtf8(static_cast<UChar32>(cp), &one);
    const std::string folded = impl_->Fold(one).text;
    const std::vector<UChar32> cps = DecodeUtf8(folded);
    return cps.empty() ? 0 : static_cast<char32_t>(cps[0]);
  };
  if (c >= 0x10000) return fold(c);
  std::atomic<uint32_t>& slot = impl_->code_point_folds[c];
  const uint32_t known = slot.load(std::memory_order_relaxed);
  if (known != 0) return static_cast<char32_t>(known - 1);
  const char32_t folded = fold(c);
  slot.store(static_cast<uint32_t>(folded) + 1, std::memory_order_relaxed);
  return folded;
}

std::vector<Token> Analyzer::Tokenize(absl::string_view folded) const {
  const std::vector<UChar32> cps = DecodeUtf8(folded);
  std::vector<Token> tokens;
  const size_t n = cps.size();
  // At most one token per code point; one allocation instead of a chain of
  // reallocations (and moves) over a long body.
  tokens.reserve(n);
  uint32_t position = 0;
  size_t i = 0;
  while (i < n) {
    const UChar32 c = cps[i];
    if (IsCjk(c)) {
      Token token;
      token.kind = Token::Kind::kHan;
      token.text = EncodeUtf8(cps, i, i + 1);
      token.position = position++;
      token.begin = static_cast<int32_t>(i);
      token.end = static_cast<int32_t>(i + 1);
      token.joins_next = i + 1 < n && IsCjk(cps[i + 1]);
      tokens.push_back(std::move(token));
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
    Token token;
    token.kind = Token::Kind::kWord;
    token.text = EncodeUtf8(cps, i, j);
    token.position = position++;
    token.begin = static_cast<int32_t>(i);
    token.end = static_cast<int32_t>(j);
    token.joins_next = false;
    tokens.push_back(std::move(token));
    i = j;
  }
  return tokens;
}

void Analyzer::IndexText(absl::string_view text, absl::string_view prefix, uint32_t wdf_inc,
                         bool with_positions, uint32_t* next_position, Xapian::Document* doc,
                         StraddleRecord* straddles) const {
  IndexText(text, {{prefix, wdf_inc}}, with_positions, next_position, doc, straddles);
}

void Analyzer::IndexText(absl::string_view text, const std::vector<IndexPrefix>& prefixes,
                         bool with_positions, uint32_t* next_position, Xapian::Document* doc,
                         StraddleRecord* straddles, std::string* folded) const {
  if (doc == nullptr) return;
  std::string folded_text = Fold(text);
  const std::vector<Token> tokens = Tokenize(folded_text);
  if (folded != nullptr) *folded = std::move(folded_text);
  if (tokens.empty()) return;
  const uint32_t base = next_position != nullptr ? *next_position : 0;
  const Segmentation segmentation = impl_->segmentation;
  const std::vector<std::pair<size_t, size_t>> words =
      segmentation != Segmentation::kBigrams ? Words(tokens)
                                             : std::vector<std::pair<size_t, size_t>>();
  const std::vector<bool> straddling = Straddles(tokens);
  StraddleRecord own_record;
  StraddleRecord* record = straddles != nullptr ? straddles : &own_record;
  for (const auto& [prefix, wdf_inc] : prefixes) {
    const std::string prefix_str(prefix);
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
        const Token& token = tokens[i];
        const uint32_t position = base + token.position;
        post(prefix_str + token.text, position);
        if (!impl_->positions && i + 1 < tokens.size() &&
            (token.kind == Token::Kind::kWord || tokens[i + 1].kind == Token::Kind::kWord)) {
          std::string pair = absl::StrCat(prefix_str, token.text, kPairJoiner, tokens[i + 1].text);
          if (pair.size() <= kMaxTermBytes) doc->add_term(pair, wdf_inc);
        }
        if (token.joins_next) {
          // Bigrams carry no positions: a phrase is checked on the
          // unigrams (QueryForAtom), which halves the position table.
          std::string bigram = absl::StrCat(prefix_str, token.text, tokens[i + 1].text);
          if (bigram.size() <= kMaxTermBytes) doc->add_term(bigram, wdf_inc);
          if (impl_->boundary_evidence &&
              impl_->segmenter->IsWord(token.text + tokens[i + 1].text)) {
            std::string marker =
                absl::StrCat(prefix_str, kStraddleMarker, token.text, tokens[i + 1].text);
            if (straddling[i]) {
              record->straddle_only_.try_emplace(std::move(marker), true);
            } else {
              record->straddle_only_[std::move(marker)] = false;
            }
          }
        }
      }
    }
    if (segmentation != Segmentation::kBigrams) {
      const std::string word_prefix =
          segmentation == Segmentation::kWords ? prefix_str : absl::StrCat(prefix_str, kWordMarker);
      for (const auto& [first, last] : words) {
        if (segmentation == Segmentation::kWordsPlusBigrams &&
            (last - first < 2 || tokens[first].kind != Token::Kind::kHan)) {
          continue;  // single characters and non-Han words are terms already
        }
        std::string term = word_prefix;
        for (size_t k = first; k < last; ++k) term += tokens[k].text;
        if (segmentation == Segmentation::kWords) {
          post(term, base + tokens[first].position);
          continue;
        }
        if (term.size() <= kMaxTermBytes) doc->add_term(term, wdf_inc);
        // The dictionary words inside a longer word count as words too
        // (`台风` in `强台风`, `路桥` in `路桥区`), so a query for the
        // shorter word meets them; words across a boundary still do not.
        for (size_t b = first; last - first > 2 && b < last; ++b) {
          std::string inner;
          for (size_t e = b; e < last; ++e) {
            inner += tokens[e].text;
            if (e == b || (b == first && e + 1 == last)) continue;
            if (impl_->segmenter->IsWord(inner)) doc->add_term(word_prefix + inner, wdf_inc);
          }
        }
      }
    }
  }
  if (straddles == nullptr) own_record.AddMarkers(doc);
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
  const auto phrase_query = [&]() {
    std::vector<Xapian::Query> sequence;
    std::vector<Xapian::Query> positional;
    for (size_t i = 0; i < tokens.size(); ++i) {
      sequence.emplace_back(tokens[i].joins_next
                                ? absl::StrCat(prefix_str, tokens[i].text, tokens[i + 1].text)
                                : prefix_str + tokens[i].text);
      positional.emplace_back(prefix_str + tokens[i].text);
      if (!impl_->positions && i + 1 < tokens.size() &&
          (tokens[i].kind == Token::Kind::kWord || tokens[i + 1].kind == Token::Kind::kWord)) {
        sequence.emplace_back(
            absl::StrCat(prefix_str, tokens[i].text, kPairJoiner, tokens[i + 1].text));
      }
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
    const std::vector<bool> straddling = Straddles(tokens);
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
        terms.emplace_back(prefix_str + tokens[i].text);
      } else {
        for (size_t k = i; k < j; ++k) {
          terms.emplace_back(absl::StrCat(prefix_str, tokens[k].text, tokens[k + 1].text));
          if (impl_->boundary_evidence && !straddling[k] &&
              impl_->segmenter->IsWord(tokens[k].text + tokens[k + 1].text)) {
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
