#include "search-service/schema/folding_patch.h"

#include <algorithm>
#include <utility>

#include "search-service/schema/schema.h"

namespace newsearch::search::schema {
namespace {

// Letters dropped or added, at most, when folding whole changed a text's
// letter count (`網際網路` is `互联网`: three); beyond, the folded texts
// are kept.
constexpr size_t kMaxEdits = 200;

void AppendVarint(uint32_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads a varint of at most 32 bits at `*p`, before `end`; false when it
// runs past `end` or over 32 bits.
bool ReadVarint(const uint8_t** p, const uint8_t* end, uint32_t* value) {
  uint64_t v = 0;
  for (int shift = 0; shift < 35 && *p < end; shift += 7) {
    const uint8_t b = *(*p)++;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      if (v > UINT32_MAX) return false;
      *value = static_cast<uint32_t>(v);
      return true;
    }
  }
  return false;
}

const uint8_t* Bytes(absl::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Checks one section: its spans decode, replace at least one letter each,
// and stay below LetterPatch's 32-bit indices.
bool SectionDecodes(const uint8_t* p, const uint8_t* end) {
  uint64_t next = 0;  // the index after the previous span
  while (p < end) {
    uint32_t delta = 0;
    uint32_t head = 0;
    if (!ReadVarint(&p, end, &delta) || !ReadVarint(&p, end, &head)) return false;
    uint32_t letters = 1;
    uint32_t count = 0;
    if ((head & 1) == 0) {
      if ((head >> 1) > 0x10FFFF) return false;
    } else {
      count = head >> 1;
      if (!ReadVarint(&p, end, &letters) || letters == 0) return false;
    }
    for (uint32_t k = 0; k < count; ++k) {
      uint32_t code_point = 0;
      if (!ReadVarint(&p, end, &code_point) || code_point > 0x10FFFF) return false;
    }
    next += static_cast<uint64_t>(delta) + letters;
    if (next >= UINT32_MAX) return false;
  }
  return true;
}

std::string Utf8(const std::u32string& code_points) {
  std::string out;
  out.reserve(code_points.size() * 3);
  for (const char32_t cp : code_points) {
    char bytes[U8_MAX_LENGTH];
    int32_t length = 0;
    U8_APPEND_UNSAFE(bytes, length, static_cast<UChar32>(cp));
    out.append(bytes, static_cast<size_t>(length));
  }
  return out;
}

// What tokenizing `read` (code points as a phrase check reads them) depends
// on: the letters, digits, combining marks and CJK characters (`kept`), and
// what stands between each of them and the one before (`gaps`): nothing
// (0), one word connector (`.`, `_`, `-`: it joins two words), or anything
// else (1: a break). Two texts alike in both give the same tokens.
void Skeleton(const std::u32string& read, std::u32string* kept, std::u32string* gaps) {
  char32_t gap = 0;
  size_t gap_length = 0;
  for (const char32_t c : read) {
    const auto u = static_cast<UChar32>(c);
    if (!(c >= 0x2E80 || u_isalnum(u) || (U_GET_GC_MASK(u) & U_GC_M_MASK) != 0)) {
      gap = c;
      ++gap_length;
      continue;
    }
    const bool connector = gap_length == 1 && (gap == '.' || gap == '_' || gap == '-');
    gaps->push_back(kept->empty() || gap_length == 0 ? 0 : connector ? gap : 1);
    kept->push_back(c);
    gap_length = 0;
  }
}

// Whether a phrase check reads `raw` through `patch` as it reads `folded`
// (the text as indexing folded it) whole: the same tokens (a phrase of Han
// characters sees only the letters and digits among them, others the
// tokens), though what stands between them may differ (`…` folds to three
// dots whole and to one alone).
bool ReadsAsFolded(const analysis::Analyzer& analyzer, absl::string_view raw, LetterPatch patch,
                   absl::string_view folded) {
  std::u32string expected;
  NoPatch none;
  ForEachCheckedCodePoint(analyzer, folded, /*fold_cjk=*/false, none, [&expected](char32_t f) {
    expected.push_back(f);
    return false;
  });
  std::u32string read;
  read.reserve(expected.size());
  ForEachCheckedCodePoint(analyzer, raw, /*fold_cjk=*/true, patch, [&read](char32_t f) {
    read.push_back(f);
    return false;
  });
  if (read == expected) return true;
  std::u32string kept[2];
  std::u32string gaps[2];
  Skeleton(expected, &kept[0], &gaps[0]);
  Skeleton(read, &kept[1], &gaps[1]);
  if (kept[0] == kept[1] && gaps[0] == gaps[1]) return true;
  // Tokens alike all the same (rare): the tokenizer decides.
  const std::vector<analysis::Token> want = analyzer.Tokenize(Utf8(expected));
  const std::vector<analysis::Token> got = analyzer.Tokenize(Utf8(read));
  return std::equal(want.begin(), want.end(), got.begin(), got.end(),
                    [](const analysis::Token& a, const analysis::Token& b) {
                      return a.text == b.text;
                    });
}

}  // namespace

std::u32string CjkLetters(absl::string_view text, const analysis::Analyzer* analyzer) {
  std::u32string letters;
  const uint8_t* s = Bytes(text);
  const int32_t length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);
    if (!IsCjkLetter(c)) continue;
    letters.push_back(analyzer != nullptr ? analyzer->FoldCodePoint(static_cast<char32_t>(c))
                                          : static_cast<char32_t>(c));
  }
  return letters;
}

std::string EncodeFoldingPatch(const std::vector<std::vector<PatchedSpan>>& texts) {
  std::string out(1, kFoldingPatchMark);
  size_t count = texts.size();
  while (count > 0 && texts[count - 1].empty()) --count;
  std::string section;
  for (size_t i = 0; i < count; ++i) {
    section.clear();
    uint32_t next = 0;  // the index after the previous span
    for (const PatchedSpan& span : texts[i]) {
      AppendVarint(span.index - next, &section);
      if (span.letters == 1 && span.code_points.size() == 1) {
        AppendVarint(static_cast<uint32_t>(span.code_points[0]) << 1, &section);
      } else {
        AppendVarint(static_cast<uint32_t>(span.code_points.size()) << 1 | 1, &section);
        AppendVarint(span.letters, &section);
        for (const char32_t cp : span.code_points) AppendVarint(cp, &section);
      }
      next = span.index + span.letters;
    }
    AppendVarint(static_cast<uint32_t>(section.size()), &out);
    out += section;
  }
  return out;
}

bool AlignLetters(const std::u32string& one_by_one, const std::u32string& indexed,
                  std::vector<PatchedSpan>* spans) {
  spans->clear();
  const size_t n = one_by_one.size();
  const size_t m = indexed.size();
  // The letters both read alike, in order (i in one_by_one, j in indexed).
  std::vector<std::pair<size_t, size_t>> same;
  if (n == m) {
    // The usual case: letters read one for one (`著` for `着`).
    for (size_t i = 0; i < n; ++i) {
      if (one_by_one[i] == indexed[i]) same.emplace_back(i, i);
    }
  } else {
    // Myers' shortest edit script, at most kMaxEdits letters dropped or
    // added. v[k + offset]: the furthest i on diagonal k = i - j.
    const long offset = static_cast<long>(kMaxEdits) + 1;
    std::vector<long> v(2 * kMaxEdits + 3, 0);
    std::vector<std::vector<long>> trace;
    bool reached = false;
    for (long d = 0; d <= static_cast<long>(kMaxEdits) && !reached; ++d) {
      trace.push_back(v);
      for (long k = -d; k <= d; k += 2) {
        long i = k == -d || (k != d && v[k - 1 + offset] < v[k + 1 + offset])
                     ? v[k + 1 + offset]        // a letter added
                     : v[k - 1 + offset] + 1;   // a letter dropped
        long j = i - k;
        while (i < static_cast<long>(n) && j < static_cast<long>(m) &&
               one_by_one[i] == indexed[j]) {
          ++i;
          ++j;
        }
        v[k + offset] = i;
        if (i >= static_cast<long>(n) && j >= static_cast<long>(m)) {
          reached = true;
          break;
        }
      }
    }
    if (!reached) return false;
    // Back from the end along the script, collecting the letters read alike.
    long i = static_cast<long>(n);
    long j = static_cast<long>(m);
    for (long d = static_cast<long>(trace.size()) - 1; d >= 0; --d) {
      const std::vector<long>& before = trace[d];
      const long k = i - j;
      long start_i = 0;
      long start_j = 0;
      if (d > 0) {
        const long from = k == -d || (k != d && before[k - 1 + offset] < before[k + 1 + offset])
                              ? k + 1
                              : k - 1;
        const long from_i = before[from + offset];
        start_i = from == k + 1 ? from_i : from_i + 1;
        start_j = start_i - k;
        while (i > start_i && j > start_j) same.emplace_back(--i, --j);
        i = from_i;
        j = from_i - from;
      } else {
        while (i > 0 && j > 0) same.emplace_back(--i, --j);
      }
    }
    std::reverse(same.begin(), same.end());
  }
  for (size_t s = 0; s < same.size(); ++s) {  // in order, within both, alike
    const auto [i, j] = same[s];
    if (i >= n || j >= m || one_by_one[i] != indexed[j] ||
        (s > 0 && (i <= same[s - 1].first || j <= same[s - 1].second))) {
      return false;
    }
  }
  // Each gap between letters read alike is a span: one letter for one
  // where the gap reads as many letters as it holds, else one span.
  size_t i = 0;
  size_t j = 0;
  same.emplace_back(n, m);  // the end
  for (const auto& [next_i, next_j] : same) {
    const size_t dropped = next_i - i;
    const size_t added = next_j - j;
    if (dropped == added) {
      for (size_t k = 0; k < dropped; ++k) {
        if (one_by_one[i + k] != indexed[j + k]) {
          spans->push_back({static_cast<uint32_t>(i + k), 1, indexed.substr(j + k, 1)});
        }
      }
    } else if (dropped > 0) {
      spans->push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(dropped),
                        indexed.substr(j, added)});
    } else if (next_i < n) {
      // Letters read where there were none: the span takes the next
      // letter, which reads as itself.
      spans->push_back({static_cast<uint32_t>(next_i), 1, indexed.substr(j, added + 1)});
      i = next_i + 1;
      j = next_j + 1;
      continue;
    } else if (!spans->empty() && spans->back().index + spans->back().letters == n) {
      spans->back().code_points += indexed.substr(j, added);  // after the last span
    } else if (n > 0) {
      // After the last letter, which reads as itself.
      spans->push_back({static_cast<uint32_t>(n - 1), 1, indexed.substr(j - 1, added + 1)});
    } else {
      return false;  // no letter to hang them on
    }
    i = next_i + 1;
    j = next_j + 1;
  }
  // The spans make one_by_one read as indexed.
  std::u32string read;
  size_t at = 0;
  for (const PatchedSpan& span : *spans) {
    if (span.index < at || span.letters == 0 || span.index + span.letters > n) return false;
    read.append(one_by_one, at, span.index - at);
    read += span.code_points;
    at = span.index + span.letters;
  }
  read.append(one_by_one, at, std::u32string::npos);
  return read == indexed;
}

std::string FoldedTextsValue(const analysis::Analyzer& analyzer, const v1::Article& article,
                             const v1::Article& folded) {
  const std::vector<absl::string_view> raw = PhraseTexts(article, "");
  const std::vector<absl::string_view> as_indexed = PhraseTexts(folded, "");
  if (raw.size() != as_indexed.size()) return folded.SerializeAsString();
  std::vector<std::vector<PatchedSpan>> texts(raw.size());
  bool patched = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::u32string one_by_one = CjkLetters(raw[i], &analyzer);
    const std::u32string indexed = CjkLetters(as_indexed[i], nullptr);
    if (one_by_one == indexed) continue;
    if (!AlignLetters(one_by_one, indexed, &texts[i])) return folded.SerializeAsString();
    patched = true;
  }
  if (!patched) {
    // The letters read alike one by one; so must the tokens: `linux…windows`
    // is two words folded whole (`linux...windows`), one folded one by one
    // (`linux.windows`), so that article keeps its folded texts.
    for (size_t i = 0; i < raw.size(); ++i) {
      if (!ReadsAsFolded(analyzer, raw[i], LetterPatch(), as_indexed[i])) {
        return folded.SerializeAsString();
      }
    }
    return std::string();
  }
  std::string value = EncodeFoldingPatch(texts);
  // The article reads through the patch as its folded texts read, or keeps
  // them: a phrase matches exactly where it matched in them.
  FoldingPatch patch;
  if (!patch.Parse(value)) return folded.SerializeAsString();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (!ReadsAsFolded(analyzer, raw[i], patch.Text(i), as_indexed[i])) {
      return folded.SerializeAsString();
    }
  }
  return value;
}

uint32_t LetterPatch::ReadVarint(const uint8_t** p) {
  uint32_t value = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t b = *(*p)++;
    value |= static_cast<uint32_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return value;
  }
}

void LetterPatch::Advance() {
  if (p_ >= end_) {
    next_ = kNone;
    return;
  }
  next_ = letter_ + ReadVarint(&p_);
  const uint32_t head = ReadVarint(&p_);
  single_ = (head & 1) == 0;
  if (single_) {
    letters_ = 1;
    code_point_ = static_cast<char32_t>(head >> 1);
  } else {
    count_ = head >> 1;
    letters_ = ReadVarint(&p_);
    code_points_ = p_;
    for (uint32_t k = 0; k < count_; ++k) ReadVarint(&p_);
  }
}

bool FoldingPatch::Parse(absl::string_view value) {
  if (!IsPatch(value)) return false;
  sections_ = value.substr(1);
  const uint8_t* p = Bytes(sections_);
  const uint8_t* const end = p + sections_.size();
  while (p < end) {
    uint32_t size = 0;
    if (!ReadVarint(&p, end, &size) || size > static_cast<size_t>(end - p) ||
        !SectionDecodes(p, p + size)) {
      return false;
    }
    p += size;
  }
  return true;
}

LetterPatch FoldingPatch::Text(size_t index) const {
  const uint8_t* p = Bytes(sections_);
  const uint8_t* const end = p + sections_.size();
  for (size_t i = 0; p < end; ++i) {
    uint32_t size = 0;
    if (!ReadVarint(&p, end, &size) || size > static_cast<size_t>(end - p)) break;
    if (i == index) return LetterPatch(p, p + size);
    p += size;
  }
  return LetterPatch();
}

std::vector<std::vector<PatchedSpan>> FoldingPatch::Spans() const {
  std::vector<std::vector<PatchedSpan>> texts;
  const uint8_t* p = Bytes(sections_);
  const uint8_t* const end = p + sections_.size();
  while (p < end) {
    uint32_t size = 0;
    if (!ReadVarint(&p, end, &size) || size > static_cast<size_t>(end - p)) break;
    LetterPatch letters(p, p + size);
    texts.emplace_back();
    while (letters.pending()) {
      PatchedSpan span{letters.next_, letters.letters_, {}};
      if (letters.single_) {
        span.code_points.push_back(letters.code_point_);
      } else {
        const uint8_t* q = letters.code_points_;
        for (uint32_t k = 0; k < letters.count_; ++k) {
          span.code_points.push_back(LetterPatch::ReadVarint(&q));
        }
      }
      texts.back().push_back(std::move(span));
      letters.letter_ = letters.next_ + letters.letters_;
      letters.Advance();
    }
    p += size;
  }
  return texts;
}

}  // namespace newsearch::search::schema
