#include "ingest-service/parser/mojibake.h"

#include <unicode/ucnv.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ingest-service/parser/charset.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

// Lines whose scored characters are less frequent than this are examined
// for whole-line mojibake.
constexpr double kSuspectShare = 0.6;
// A repair must reach this share and beat the original by kMinGain.
constexpr double kRepairedShare = 0.9;
constexpr double kMinGain = 0.25;
// Lines still below this share after repair are dropped as garbled.
constexpr double kGarbledShare = 0.4;
constexpr size_t kMinScored = 4;
// Spans after a `?` longer than this are not treated as one misaligned run.
constexpr size_t kMaxSpan = 80;
constexpr size_t kExampleCodePoints = 12;
// Misaligned spans tried per page; a page of thousands of `?` is not worth
// more (each try costs a few converter calls).
constexpr size_t kMaxAttempts = 1000;

// Characters frequent in news text, most frequent first (simplified, then
// the traditional forms of the commonest). A byte lost at the end of a
// misaligned span is guessed as the earliest of these that fits.
constexpr char kNewsFrequency[] =
    "的是在一国了年和中有人不为大会发展新业上工个这企部全党以地要作经员到时区市"
    "们来网对出行成建设主开动产生务于进提高家多日月生等与后公司服村民政重力"
    "的國會發業們個這來對時為動產務進設開經員區網電黨議關實現過還"
    "能那你南内男难年";

class Converter {
 public:
  explicit Converter(const char* name) {
    UErrorCode status = U_ZERO_ERROR;
    conv_ = ucnv_open(name, &status);
    if (U_FAILURE(status)) conv_ = nullptr;
    if (conv_ == nullptr) return;
    status = U_ZERO_ERROR;
    ucnv_setFromUCallBack(conv_, UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
    status = U_ZERO_ERROR;
    ucnv_setToUCallBack(conv_, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  }
  ~Converter() {
    if (conv_ != nullptr) ucnv_close(conv_);
  }
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;

  bool ok() const { return conv_ != nullptr; }

  // Bytes of `cps` in this charset; nullopt when one is unmappable.
  std::optional<std::string> Encode(const std::u32string& cps) {
    std::u16string units;
    for (char32_t cp : cps) {
      if (cp >= 0x10000) return std::nullopt;
      units.push_back(static_cast<char16_t>(cp));
    }
    ucnv_reset(conv_);
    std::string out(units.size() * 4 + 4, '\0');
    UErrorCode status = U_ZERO_ERROR;
    const int32_t n = ucnv_fromUChars(conv_, out.data(), static_cast<int32_t>(out.size()),
                                      reinterpret_cast<const UChar*>(units.data()),
                                      static_cast<int32_t>(units.size()), &status);
    if (U_FAILURE(status)) return std::nullopt;
    out.resize(n);
    return out;
  }

  // Code points of `bytes`; nullopt when they do not decode cleanly.
  std::optional<std::u32string> Decode(absl::string_view bytes) {
    ucnv_reset(conv_);
    std::u16string units(bytes.size() * 2 + 2, u'\0');
    UErrorCode status = U_ZERO_ERROR;
    const int32_t n = ucnv_toUChars(conv_, reinterpret_cast<UChar*>(units.data()),
                                    static_cast<int32_t>(units.size()), bytes.data(),
                                    static_cast<int32_t>(bytes.size()), &status);
    if (U_FAILURE(status)) return std::nullopt;
    std::u32string out;
    for (int32_t i = 0; i < n; ++i) {
      const char16_t u = units[i];
      if (u >= 0xD800 && u <= 0xDFFF) return std::nullopt;  // Only BMP is expected here.
      out.push_back(u);
    }
    return out;
  }

 private:
  UConverter* conv_ = nullptr;
};

bool IsPrivateUse(char32_t cp) { return cp >= 0xE000 && cp <= 0xF8FF; }

// Code points that tell plausible Chinese from mojibake: Han, kana, hangul,
// box drawing, Latin-1 letters and U+FFFD. Others (ASCII, emoji, symbols)
// are neutral.
// Latin-1 letters that pinyin uses (`zhèn`) are neutral too.
bool IsPinyinVowel(char32_t cp) {
  switch (cp) {
    case 0xE0:
    case 0xE1:
    case 0xE8:
    case 0xE9:
    case 0xEC:
    case 0xED:
    case 0xF2:
    case 0xF3:
    case 0xF9:
    case 0xFA:
    case 0xFC:
      return true;
    default:
      return false;
  }
}

// Code points that tell plausible Chinese from mojibake: Han, kana, hangul,
// box drawing, the Latin-1 and Windows-1252 letters and signs that UTF-8 read
// as Latin-1 produces, and U+FFFD. Others (ASCII, pinyin, emoji, symbols)
// are neutral.
bool IsScored(char32_t cp) {
  return text::IsHan(cp) || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
         (cp >= 0x2500 && cp <= 0x257F) || (cp >= 0xA0 && cp <= 0xFF && !IsPinyinVowel(cp)) ||
         (cp >= 0x152 && cp <= 0x192) || cp == 0xFFFD || IsPrivateUse(cp);
}

bool IsSentencePunct(char32_t cp) {
  for (char32_t p : std::u32string(U"。，、“”！？：；")) {
    if (cp == p) return true;
  }
  return false;
}

bool IsGbkTrail(unsigned char b) { return b >= 0x40 && b <= 0xFE && b != 0x7F; }

std::string Example(const std::u32string& cps) {
  std::u32string head = cps.substr(0, kExampleCodePoints);
  std::string out = text::FromCodePoints(head);
  if (cps.size() > head.size()) out += "…";
  return out;
}

}  // namespace

MojibakeRepairer::MojibakeRepairer() : frequent_(0x10000, false) {}
MojibakeRepairer::~MojibakeRepairer() = default;

absl::StatusOr<std::unique_ptr<MojibakeRepairer>> MojibakeRepairer::Create() {
  std::unique_ptr<MojibakeRepairer> r(new MojibakeRepairer());
  Converter gb("GB18030"), big5("windows-950");
  if (!gb.ok() || !big5.ok()) {
    return absl::FailedPreconditionError("ICU has no GB18030 or windows-950 converter");
  }
  auto mark = [&r](Converter& conv, unsigned lead, unsigned trail) {
    const char bytes[2] = {static_cast<char>(lead), static_cast<char>(trail)};
    if (std::optional<std::u32string> cps = conv.Decode(absl::string_view(bytes, 2))) {
      if (cps->size() == 1 && (*cps)[0] < 0x10000 && !IsPrivateUse((*cps)[0])) {
        r->frequent_[(*cps)[0]] = true;
      }
    }
  };
  // GB2312 punctuation rows and the 3,755 level-1 hanzi.
  for (unsigned lead = 0xA1; lead <= 0xD7; ++lead) {
    if (lead > 0xA3 && lead < 0xB0) continue;
    for (unsigned trail = 0xA1; trail <= 0xFE; ++trail) mark(gb, lead, trail);
  }
  // Big5 punctuation and the 5,401 frequent hanzi.
  for (unsigned lead = 0xA1; lead <= 0xC6; ++lead) {
    for (unsigned trail = 0x40; trail <= 0xFE; ++trail) {
      if (trail > 0x7E && trail < 0xA1) continue;
      const unsigned code = lead << 8 | trail;
      if (code > 0xA3BF && code < 0xA440) continue;
      if (code > 0xC67E) continue;
      mark(big5, lead, trail);
    }
  }
  for (char32_t cp = 0x3000; cp <= 0x303F; ++cp) r->frequent_[cp] = true;
  for (char32_t cp = 0xFF01; cp <= 0xFF5E; ++cp) r->frequent_[cp] = true;
  for (char32_t cp = 0x2010; cp <= 0x2027; ++cp) r->frequent_[cp] = true;
  r->frequent_[0xB7] = true;
  // The likeliest character for each GBK lead byte whose trail byte was lost:
  // the earliest in kNewsFrequency that the lead byte can start.
  const std::u32string ranked = text::ToCodePoints(kNewsFrequency);
  r->tail_guess_.assign(0x100, 0);
  for (unsigned lead = 0x81; lead <= 0xFE; ++lead) {
    size_t best_rank = ranked.size();
    for (unsigned trail = 0x40; trail <= 0xFE; ++trail) {
      if (trail == 0x7F) continue;
      const char pair[2] = {static_cast<char>(lead), static_cast<char>(trail)};
      std::optional<std::u32string> cps = gb.Decode(absl::string_view(pair, 2));
      if (!cps.has_value() || cps->size() != 1) continue;
      const size_t rank = ranked.find((*cps)[0]);
      if (rank != std::u32string::npos && rank < best_rank) {
        best_rank = rank;
        r->tail_guess_[lead] = (*cps)[0];
      }
    }
  }
  // Box drawing sits in the Big5 punctuation rows but is never article text;
  // it is typical of misaligned GBK (`蓖┼l` for `”桐鄉`).
  for (char32_t cp = 0x2500; cp <= 0x259F; ++cp) r->frequent_[cp] = false;
  return r;
}

bool MojibakeRepairer::IsFrequent(char32_t cp) const {
  return cp < frequent_.size() && frequent_[cp];
}

namespace {

struct Share {
  size_t scored = 0;
  size_t frequent = 0;
  double value() const {
    return scored == 0 ? 1.0 : static_cast<double>(frequent) / static_cast<double>(scored);
  }
};

}  // namespace

double MojibakeRepairer::PlausibleShare(absl::string_view text) const {
  Share share;
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = text::NextCodePoint(text, &pos);
    if (IsFrequent(cp)) {
      ++share.scored;
      ++share.frequent;
    } else if (IsScored(cp)) {
      ++share.scored;
    }
  }
  return share.value();
}

namespace {

Share ShareOf(const std::u32string& cps, const std::function<bool(char32_t)>& frequent) {
  Share share;
  for (char32_t cp : cps) {
    if (frequent(cp)) {
      ++share.scored;
      ++share.frequent;
    } else if (IsScored(cp)) {
      ++share.scored;
    }
  }
  return share;
}

// Re-aligns `span` (the text after a `?` that swallowed a GBK lead byte) by
// one byte. `lost_tail` is true when the span ended at another `?`, which
// swallowed the trail byte of its last character. Returns the repaired text
// (with the guessed first and last characters) or nullopt.
std::optional<std::u32string> Realign(const std::u32string& span, bool lost_tail, Converter& gb,
                                      const std::function<bool(char32_t)>& frequent,
                                      const std::vector<char32_t>& tail_guess) {
  std::u32string to_encode = span;
  // Scrapers fold full-width `！` (GBK A3A1) to ASCII.
  if (!to_encode.empty() && to_encode[0] == '!') to_encode[0] = 0xFF01;
  std::string bytes;
  for (char32_t cp : to_encode) {
    std::optional<std::string> b = gb.Encode(std::u32string(1, cp));
    if (!b.has_value() || b->empty() || b->size() > 2) return std::nullopt;
    bytes += *b;
  }
  if (bytes.size() < 2) return std::nullopt;
  std::u32string out;
  // The first byte is the trail of a character whose lead byte was lost:
  // guess a punctuation lead (rows A1 and A3 hold 。“”！，), preferring
  // sentence punctuation.
  const unsigned char first = static_cast<unsigned char>(bytes[0]);
  std::u32string lead_guess;
  for (unsigned char lead : {0xA1, 0xA3}) {
    const char pair[2] = {static_cast<char>(lead), static_cast<char>(first)};
    std::optional<std::u32string> cps = gb.Decode(absl::string_view(pair, 2));
    if (!cps.has_value() || cps->size() != 1 || !frequent((*cps)[0])) continue;
    if (lead_guess.empty() || IsSentencePunct((*cps)[0])) lead_guess = *cps;
  }
  out += lead_guess;
  size_t k = 1;
  while (k < bytes.size()) {
    const unsigned char b = static_cast<unsigned char>(bytes[k]);
    if (b < 0x80) {
      out.push_back(b);
      ++k;
      continue;
    }
    if (k + 1 < bytes.size()) {
      if (!IsGbkTrail(static_cast<unsigned char>(bytes[k + 1]))) return std::nullopt;
      std::optional<std::u32string> cps = gb.Decode(absl::string_view(bytes).substr(k, 2));
      if (!cps.has_value() || cps->size() != 1) return std::nullopt;
      out += *cps;
      k += 2;
      continue;
    }
    // A dangling lead byte: its trail went into the `?` that ends the span.
    if (!lost_tail) return std::nullopt;
    // After a full stop the lost character is most likely a closing quote.
    char32_t best = tail_guess[b];
    if (b == 0xA1 && !out.empty() &&
        (out.back() == U'。' || out.back() == U'！' || out.back() == U'？')) {
      best = U'”';
    }
    if (best != 0) out.push_back(best);
    ++k;
  }
  return out;
}

bool IsTrigger(char32_t cp) { return cp == '?' || cp == 0xFFFD; }

}  // namespace

MojibakeResult MojibakeRepairer::Repair(absl::string_view text) const {
  MojibakeResult result;
  result.text.reserve(text.size());
  const std::function<bool(char32_t)> frequent = [this](char32_t cp) { return IsFrequent(cp); };
  std::unique_ptr<Converter> gb;  // Opened on the first suspect line.
  std::string repaired_example, dropped_example;
  size_t attempts = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view line = text.substr(start, end - start);
    std::u32string cps = text::ToCodePoints(line);
    const Share before = ShareOf(cps, frequent);
    const bool has_trigger =
        std::any_of(cps.begin(), cps.end(), [](char32_t cp) { return IsTrigger(cp); });
    if (!has_trigger && (before.scored < kMinScored || before.value() >= kSuspectShare)) {
      result.text.append(line.data(), line.size());
    } else {
      if (gb == nullptr) gb = std::make_unique<Converter>("GB18030");
      // Whole lines of UTF-8 read as GBK, Big5 or Latin-1.
      if (before.scored >= kMinScored && before.value() < kSuspectShare) {
        for (const char* charset : {"GB18030", "windows-950", "windows-1252", "ISO-8859-1"}) {
          Converter conv(charset);
          if (!conv.ok()) continue;
          std::optional<std::string> bytes = conv.Encode(cps);
          if (!bytes.has_value() || FirstInvalidUtf8Offset(*bytes) != absl::string_view::npos) {
            continue;
          }
          const std::u32string decoded = text::ToCodePoints(*bytes);
          const Share after = ShareOf(decoded, frequent);
          if (after.value() >= kRepairedShare && after.value() - before.value() >= kMinGain) {
            if (repaired_example.empty()) repaired_example = Example(decoded);
            cps = decoded;
            ++result.repaired;
            break;
          }
        }
      }
      // Misaligned GBK spans after a `?` or U+FFFD.
      std::u32string out;
      size_t i = 0;
      while (i < cps.size()) {
        if (!IsTrigger(cps[i])) {
          out.push_back(cps[i++]);
          continue;
        }
        size_t j = i + 1;
        bool lost_tail = false;
        while (j < cps.size() && j - i <= kMaxSpan) {
          if (IsTrigger(cps[j])) {
            lost_tail = true;
            break;
          }
          if (cps[j] < 0x80 && !(j == i + 1 && cps[j] == '!')) {
            // An ASCII byte re-synchronises the decoder: it was the trail
            // byte of the last character.
            if (cps[j] >= 0x40) ++j;
            break;
          }
          ++j;
        }
        const std::u32string span = cps.substr(i + 1, j - i - 1);
        const Share span_share = ShareOf(span, frequent);
        std::optional<std::u32string> fixed;
        if (gb->ok() && !span.empty() && j - i <= kMaxSpan && attempts < kMaxAttempts) {
          fixed = Realign(span, lost_tail, *gb, frequent, tail_guess_);
          ++attempts;
        }
        if (fixed.has_value()) {
          const Share fixed_share = ShareOf(*fixed, frequent);
          size_t han = 0;
          for (char32_t cp : *fixed) han += text::IsHan(cp) ? 1 : 0;
          // `?!?` for `。”`: punctuation alone, when both its ends were lost.
          const bool punctuation_only =
              lost_tail && fixed->size() <= 3 &&
              std::all_of(fixed->begin(), fixed->end(), IsSentencePunct) &&
              std::all_of(span.begin(), span.end(), [](char32_t cp) { return cp == '!'; });
          if (!punctuation_only && (han < 2 || fixed_share.value() < kRepairedShare ||
                                    fixed_share.value() - span_share.value() < kMinGain)) {
            fixed.reset();
          }
        }
        if (fixed.has_value()) {
          if (repaired_example.empty()) repaired_example = Example(*fixed);
          out += *fixed;
          ++result.repaired;
          i = lost_tail ? j + 1 : j;
        } else if (cps[i] == 0xFFFD) {
          // A replacement character is never text.
          if (dropped_example.empty()) dropped_example = "U+FFFD";
          ++result.dropped;
          ++i;
        } else {
          out.push_back(cps[i++]);
        }
      }
      cps = std::move(out);
      // Whatever is still garbled goes.
      const Share after = ShareOf(cps, frequent);
      if (after.scored >= kMinScored && after.value() < kGarbledShare) {
        if (dropped_example.empty()) dropped_example = Example(cps);
        ++result.dropped;
        cps.clear();
      }
      result.text += text::FromCodePoints(cps);
    }
    if (end == text.size()) break;
    result.text.push_back('\n');
    start = end + 1;
  }
  if (result.repaired > 0) {
    result.warnings.push_back(absl::StrCat("mojibake_repaired: re-decoded ", result.repaired,
                                           " garbled span(s), e.g. \"", repaired_example, "\""));
  }
  if (result.dropped > 0) {
    result.warnings.push_back(absl::StrCat("mojibake_dropped: removed ", result.dropped,
                                           " garbled span(s) that could not be repaired, e.g. \"",
                                           dropped_example, "\""));
  }
  return result;
}

}  // namespace newsearch::ingest
