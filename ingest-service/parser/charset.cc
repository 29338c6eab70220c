#include "ingest-service/parser/charset.h"

#include <unicode/ucnv.h>
#include <unicode/utf8.h>
#include <unicode/ustring.h>

#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace newsearch::ingest {
namespace {

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using ConverterPtr = std::unique_ptr<UConverter, ConverterCloser>;

// Decodes `bytes` with the ICU converter `icu_name`, stopping at the first
// illegal or unmappable sequence. Returns nullopt when decoding fails.
std::optional<std::string> DecodeStrict(absl::string_view bytes, const char* icu_name) {
  UErrorCode err = U_ZERO_ERROR;
  ConverterPtr conv(ucnv_open(icu_name, &err));
  if (U_FAILURE(err) || conv == nullptr) return std::nullopt;
  ucnv_setToUCallBack(conv.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  if (U_FAILURE(err)) return std::nullopt;
  // Every supported charset yields at most two UTF-16 units per input byte.
  std::u16string units(bytes.size() * 2 + 16, u'\0');
  UChar* target = reinterpret_cast<UChar*>(units.data());
  UChar* const target_begin = target;
  const char* source = bytes.data();
  ucnv_toUnicode(conv.get(), &target, target_begin + units.size(), &source,
                 bytes.data() + bytes.size(), nullptr, /*flush=*/true, &err);
  if (U_FAILURE(err)) return std::nullopt;
  const int32_t unit_count = static_cast<int32_t>(target - target_begin);
  std::string out(static_cast<size_t>(unit_count) * 3 + 4, '\0');
  int32_t out_len = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &out_len, target_begin,
                     unit_count, 0xFFFD, nullptr, &err);
  if (U_FAILURE(err)) return std::nullopt;
  out.resize(static_cast<size_t>(out_len));
  return out;
}

// Share of multi-byte characters in GB18030 `bytes` that are GB2312 symbols
// (rows A1..A3) or level-1 hanzi (B0A1..D7FE), the 3,755 frequent ones. Big5
// text read as GB18030 decodes cleanly into mostly rare characters; this
// tells the two apart.
double GbFrequentShare(absl::string_view bytes) {
  size_t total = 0, frequent = 0;
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char b0 = static_cast<unsigned char>(bytes[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    if (i + 1 >= bytes.size()) break;
    const unsigned char b1 = static_cast<unsigned char>(bytes[i + 1]);
    if (b1 >= 0x30 && b1 <= 0x39) {  // Four-byte GB18030 sequence.
      ++total;
      i += 4;
      continue;
    }
    ++total;
    if (b1 >= 0xA1 && ((b0 >= 0xA1 && b0 <= 0xA3) || (b0 >= 0xB0 && b0 <= 0xD7))) ++frequent;
    i += 2;
  }
  return total == 0 ? 0.0 : static_cast<double>(frequent) / total;
}

// Share of two-byte characters in Big5 `bytes` that are symbols (A140..A3BF)
// or frequent hanzi (A440..C67E).
double Big5FrequentShare(absl::string_view bytes) {
  size_t total = 0, frequent = 0;
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char b0 = static_cast<unsigned char>(bytes[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    if (i + 1 >= bytes.size()) break;
    const unsigned char b1 = static_cast<unsigned char>(bytes[i + 1]);
    const unsigned code = (b0 << 8) | b1;
    ++total;
    if ((code >= 0xA140 && code <= 0xA3BF) || (code >= 0xA440 && code <= 0xC67E)) ++frequent;
    i += 2;
  }
  return total == 0 ? 0.0 : static_cast<double>(frequent) / total;
}

bool HasNonAscii(absl::string_view bytes) {
  for (char c : bytes) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

struct Candidate {
  std::string encoding;
  std::string text;
  double score = 0;
};

}  // namespace

std::string CanonicalCharset(absl::string_view label) {
  std::string l = absl::AsciiStrToLower(absl::StripAsciiWhitespace(label));
  if (l == "utf-8" || l == "utf8" || l == "unicode-1-1-utf-8") return kUtf8;
  if (l == "gbk" || l == "gb2312" || l == "gb18030" || l == "x-gbk" || l == "cp936" ||
      l == "ms936" || l == "windows-936" || l == "euc-cn" || l == "gb_2312-80" ||
      l == "csgb2312" || l == "chinese" || l == "iso-ir-58") {
    return kGb18030;
  }
  if (l == "big5" || l == "x-big5" || l == "cp950" || l == "ms950" || l == "windows-950" ||
      l == "big5-hkscs" || l == "csbig5" || l == "cn-big5") {
    return kBig5;
  }
  if (l == "utf-16le") return kUtf16Le;
  if (l == "utf-16be" || l == "utf-16") return kUtf16Be;
  return "";
}

std::string CharsetFromContentType(absl::string_view content_type) {
  const std::string lower = absl::AsciiStrToLower(content_type);
  const size_t at = lower.find("charset=");
  if (at == std::string::npos) return "";
  size_t begin = at + 8;
  while (begin < lower.size() && (lower[begin] == '"' || lower[begin] == '\'' ||
                                  lower[begin] == ' ')) {
    ++begin;
  }
  size_t end = begin;
  while (end < lower.size() && lower[end] != ';' && lower[end] != '"' && lower[end] != '\'' &&
         lower[end] != ' ' && lower[end] != '>' && lower[end] != '/') {
    ++end;
  }
  return std::string(content_type.substr(begin, end - begin));
}

std::string SniffMetaCharset(absl::string_view bytes) {
  const absl::string_view head = bytes.substr(0, 4096);
  const std::string lower = absl::AsciiStrToLower(head);
  size_t pos = 0;
  while ((pos = lower.find("<meta", pos)) != std::string::npos) {
    const size_t close = lower.find('>', pos);
    const size_t end = close == std::string::npos ? lower.size() : close;
    const absl::string_view tag = absl::string_view(lower).substr(pos, end - pos);
    if (tag.find("charset") != absl::string_view::npos) {
      // Both `charset=gbk` and `content="text/html; charset=gbk"` forms.
      std::string found = CharsetFromContentType(tag);
      if (!found.empty()) return found;
    }
    pos = end;
  }
  return "";
}

size_t FirstInvalidUtf8Offset(absl::string_view bytes) {
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t i = 0;
  while (i < bytes.size()) {
    const size_t start = i;
    UChar32 c;
    // ICU's U8_NEXT rejects overlong forms, surrogates and values above
    // U+10FFFF.
    U8_NEXT(s, i, bytes.size(), c);
    if (c < 0) return start;
  }
  return absl::string_view::npos;
}

// The hint as it may appear in a warning: it comes from the page's own bytes
// (a `<meta charset>`), so anything but printable ASCII is escaped, and it is
// cut to 40 bytes, keeping warnings valid UTF-8 and short.
namespace {
std::string HintForMessage(absl::string_view charset_hint) {
  return absl::CHexEscape(charset_hint.substr(0, 40));
}
}  // namespace

absl::StatusOr<DecodedText> DecodePage(absl::string_view bytes, absl::string_view charset_hint) {
  DecodedText out;
  const std::string hint = CanonicalCharset(charset_hint);
  if (!charset_hint.empty() && hint.empty()) {
    out.warnings.push_back(
        absl::StrCat("charset_hint_unknown: unknown charset hint \"",
                     HintForMessage(charset_hint), "\" ignored"));
  }

  // Byte order marks are decisive.
  if (bytes.size() >= 2) {
    const unsigned char b0 = static_cast<unsigned char>(bytes[0]);
    const unsigned char b1 = static_cast<unsigned char>(bytes[1]);
    const char* utf16 = nullptr;
    if (b0 == 0xFF && b1 == 0xFE) utf16 = kUtf16Le;
    if (b0 == 0xFE && b1 == 0xFF) utf16 = kUtf16Be;
    if (utf16 != nullptr) {
      std::optional<std::string> text = DecodeStrict(bytes.substr(2), utf16);
      if (!text.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "page starts with a ", utf16, " byte order mark but is not valid ", utf16));
      }
      out.text = std::move(*text);
      out.encoding = utf16;
      return out;
    }
  }
  size_t skipped = 0;
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    bytes.remove_prefix(3);
    skipped = 3;
  }

  const size_t bad_utf8 = FirstInvalidUtf8Offset(bytes);
  if (bad_utf8 == absl::string_view::npos) {
    if (!hint.empty() && hint != kUtf8 && HasNonAscii(bytes)) {
      out.warnings.push_back(
          absl::StrCat("charset_hint_wrong: charset hint ", HintForMessage(charset_hint),
                       " was wrong, decoded as UTF-8"));
    }
    out.text = std::string(bytes);
    out.encoding = kUtf8;
    return out;
  }

  std::vector<Candidate> candidates;
  if (hint == kUtf16Le || hint == kUtf16Be) {
    if (std::optional<std::string> text = DecodeStrict(bytes, hint.c_str())) {
      out.text = std::move(*text);
      out.encoding = hint;
      return out;
    }
  }
  if (std::optional<std::string> text = DecodeStrict(bytes, "GB18030")) {
    candidates.push_back({kGb18030, std::move(*text), GbFrequentShare(bytes)});
  }
  // ICU's "Big5" (windows-950-2000) maps every stray byte to something;
  // IBM's Big5-HKSCS table is a strict superset of Big5 proper.
  if (std::optional<std::string> text = DecodeStrict(bytes, "ibm-1375_P100-2008")) {
    candidates.push_back({kBig5, std::move(*text), Big5FrequentShare(bytes)});
  }
  if (candidates.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "page bytes cannot be decoded: not valid UTF-8 (first bad byte 0x%02X at offset %d), "
        "nor GB18030, nor Big5",
        static_cast<unsigned char>(bytes[bad_utf8]),
        static_cast<long long>(bad_utf8 + skipped)));
  }
  size_t best = 0;
  for (size_t i = 1; i < candidates.size(); ++i) {
    if (candidates[i].score > candidates[best].score) best = i;
  }
  size_t chosen = best;
  for (size_t i = 0; i < candidates.size(); ++i) {
    // The hint wins unless it reads clearly worse than the best guess.
    if (candidates[i].encoding == hint && candidates[i].score >= candidates[best].score - 0.15) {
      chosen = i;
    }
  }
  if (!hint.empty() && candidates[chosen].encoding != hint) {
    out.warnings.push_back(absl::StrCat("charset_hint_wrong: charset hint ",
                                        HintForMessage(charset_hint),
                                        " was wrong, decoded as ", candidates[chosen].encoding));
  } else if (hint.empty()) {
    out.warnings.push_back(
        absl::StrCat("charset_guessed: no charset declared, guessed ",
                     candidates[chosen].encoding));
  }
  out.text = std::move(candidates[chosen].text);
  out.encoding = candidates[chosen].encoding;
  return out;
}

}  // namespace newsearch::ingest
