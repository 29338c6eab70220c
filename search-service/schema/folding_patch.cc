#include "search-service/schema/folding_patch.h"

#include <unicode/utf8.h>

#include "common/analysis/analyzer.h"
#include "search-service/schema/schema.h"

namespace newsearch::search::schema {
namespace {

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

std::string EncodeFoldingPatch(const std::vector<std::vector<PatchedLetter>>& texts) {
  std::string out(1, kFoldingPatchMark);
  size_t count = texts.size();
  while (count > 0 && texts[count - 1].empty()) --count;
  std::string section;
  for (size_t i = 0; i < count; ++i) {
    section.clear();
    uint32_t next = 0;  // the index after the previous patched letter
    for (const PatchedLetter& letter : texts[i]) {
      AppendVarint(letter.index - next, &section);
      AppendVarint(static_cast<uint32_t>(letter.code_point), &section);
      next = letter.index + 1;
    }
    AppendVarint(static_cast<uint32_t>(section.size()), &out);
    out += section;
  }
  return out;
}

std::string FoldedTextsValue(const analysis::Analyzer& analyzer, const v1::Article& article,
                             const v1::Article& folded) {
  const std::vector<absl::string_view> raw = PhraseTexts(article, "");
  const std::vector<absl::string_view> as_indexed = PhraseTexts(folded, "");
  if (raw.size() != as_indexed.size()) return folded.SerializeAsString();
  std::vector<std::vector<PatchedLetter>> texts(raw.size());
  bool patched = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::u32string one_by_one = CjkLetters(raw[i], &analyzer);
    const std::u32string indexed = CjkLetters(as_indexed[i], nullptr);
    if (one_by_one.size() != indexed.size()) return folded.SerializeAsString();
    for (size_t j = 0; j < indexed.size(); ++j) {
      if (one_by_one[j] == indexed[j]) continue;
      texts[i].push_back({static_cast<uint32_t>(j), indexed[j]});
      patched = true;
    }
  }
  return patched ? EncodeFoldingPatch(texts) : std::string();
}

void LetterPatch::Advance() {
  uint32_t delta = 0;
  uint32_t code_point = 0;
  if (p_ < end_ && ReadVarint(&p_, end_, &delta) && ReadVarint(&p_, end_, &code_point)) {
    next_ = letter_ + delta;  // FoldingPatch::Parse checked it stays below kNone
    code_point_ = static_cast<char32_t>(code_point);
  } else {
    next_ = kNone;
  }
}

bool FoldingPatch::Parse(absl::string_view value) {
  if (!IsPatch(value)) return false;
  sections_ = value.substr(1);
  const uint8_t* p = Bytes(sections_);
  const uint8_t* const end = p + sections_.size();
  while (p < end) {
    uint32_t size = 0;
    if (!ReadVarint(&p, end, &size) || size > static_cast<size_t>(end - p)) return false;
    const uint8_t* const section_end = p + size;
    uint64_t next = 0;
    while (p < section_end) {
      uint32_t delta = 0;
      uint32_t code_point = 0;
      if (!ReadVarint(&p, section_end, &delta) || !ReadVarint(&p, section_end, &code_point) ||
          code_point > 0x10FFFF) {
        return false;
      }
      next += static_cast<uint64_t>(delta) + 1;
      if (next >= LetterPatch::kNone) return false;
    }
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

std::vector<std::vector<PatchedLetter>> FoldingPatch::Letters() const {
  std::vector<std::vector<PatchedLetter>> texts;
  const uint8_t* p = Bytes(sections_);
  const uint8_t* const end = p + sections_.size();
  while (p < end) {
    uint32_t size = 0;
    if (!ReadVarint(&p, end, &size) || size > static_cast<size_t>(end - p)) break;
    LetterPatch letters(p, p + size);
    texts.emplace_back();
    while (letters.pending()) {
      texts.back().push_back({letters.next_, letters.code_point_});
      letters.letter_ = letters.next_ + 1;
      letters.Advance();
    }
    p += size;
  }
  return texts;
}

}  // namespace newsearch::search::schema
