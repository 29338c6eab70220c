// Charset detection and decoding for scraped pages: the first stage of
// PageParser. Turns raw bytes (UTF-8, UTF-16 with a BOM, GB18030/GBK/GB2312
// or Big5) into UTF-8 text through ICU converters, using the caller's
// content type or the page's own `<meta charset>` as a hint.
// Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_CHARSET_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_CHARSET_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsearch::ingest {

// Names used in DecodedText::encoding and Article.detected_encoding.
inline constexpr char kUtf8[] = "UTF-8";
inline constexpr char kUtf16Le[] = "UTF-16LE";
inline constexpr char kUtf16Be[] = "UTF-16BE";
inline constexpr char kGb18030[] = "GB18030";
inline constexpr char kBig5[] = "Big5";

struct DecodedText {
  // Valid UTF-8, without a byte order mark.
  std::string text;
  // One of the k* names above.
  std::string encoding;
  // What the decoder had to guess, e.g. "charset hint gbk was wrong, decoded
  // as UTF-8".
  std::vector<std::string> warnings;
};

// Returns the canonical name (kUtf8, kGb18030, ...) for a charset label such
// as "gbk", "GB2312", "x-big5", "utf8"; empty when the label is unknown.
std::string CanonicalCharset(absl::string_view label);

// Returns the raw `charset=` parameter of a MIME type ("text/html;
// charset=GBK" -> "GBK"), without quotes; empty when there is none.
std::string CharsetFromContentType(absl::string_view content_type);

// Returns the raw charset named by a `<meta charset=...>` or `<meta
// http-equiv=... content="...; charset=...">` tag in the first 4 KiB of
// `bytes`; empty when there is none. Works on the undecoded bytes (the tag
// itself is ASCII in every supported charset but UTF-16).
std::string SniffMetaCharset(absl::string_view bytes);

// Returns the offset of the first byte that is not part of a well-formed
// UTF-8 sequence (overlongs, surrogates and values above U+10FFFF are
// ill-formed), or npos when `bytes` is valid UTF-8.
size_t FirstInvalidUtf8Offset(absl::string_view bytes);

// Decodes `bytes` to UTF-8. Order of preference: a UTF-16 or UTF-8 byte order
// mark; valid UTF-8 (wins over a non-UTF-8 hint, with a warning); the
// `charset_hint` (a raw label, may be empty) when it decodes without errors
// and looks no less plausible than the alternatives; otherwise whichever of
// GB18030 and Big5 decodes without errors and yields the larger share of
// frequent characters. INVALID_ARGUMENT when nothing decodes; the message
// gives the offset of the first byte that is not valid UTF-8. Linear time.
absl::StatusOr<DecodedText> DecodePage(absl::string_view bytes,
                                       absl::string_view charset_hint);

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_CHARSET_H_
