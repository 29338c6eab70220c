// Finds and repairs mojibake in decoded page text before any other stage
// reads it. Two kinds are seen on scraped Chinese pages:
//  - GBK text decoded one byte off (seed 002: `?！拔覀児臼墙衲?月份` is the
//    GBK bytes of `。“我們公司是今年6月份` read from the second byte on), found
//    after a `?` or U+FFFD that swallowed the lost byte;
//  - whole lines of UTF-8 read as GBK, Big5 or Latin-1 (`涓枃` for `中文`).
// A span is replaced only when the re-aligned or re-decoded text is clearly
// more plausible Chinese (a larger share of frequent characters); a span that
// is implausible and cannot be repaired is dropped, so junk never reaches the
// index. A re-aligned span keeps every byte that survived; a byte that was
// lost is guessed only where one character is clearly likeliest, and a
// character that cannot be had back is marked U+FFFD rather than invented. Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_MOJIBAKE_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_MOJIBAKE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsearch::ingest {

// One span re-read from GBK bytes one byte off (seed 002), as evidence of
// what the repair did: the GBK bytes of `repaired` (its U+FFFD marks left
// out) without the bytes at offsets `guessed_bytes` are exactly the GBK
// bytes of `garbled` (a leading `!` read as `！`) without the bytes at
// offsets `unread_bytes` (the remains of characters marked U+FFFD).
struct MojibakeSpan {
  std::string garbled;   // The span as the page had it, after the `?`.
  std::string repaired;  // What replaced it (and its `?` delimiters).
  std::vector<size_t> guessed_bytes;
  std::vector<size_t> unread_bytes;
};

struct MojibakeResult {
  // The text with repaired spans replaced and garbled spans removed; a
  // character whose bytes were lost is marked U+FFFD.
  std::string text;
  // `mojibake_repaired: ...` / `mojibake_dropped: ...` warnings, one per
  // kind, with counts and an example.
  std::vector<std::string> warnings;
  int repaired = 0;
  int dropped = 0;
  // U+FFFD marks written for lost characters.
  int lost_marks = 0;
  std::vector<MojibakeSpan> spans;
};

// Counts, in decoded text, the characters that stand for bytes a wrong
// decoding destroyed: U+FFFD, and `锟斤拷` (U+FFFD's UTF-8 read as GBK),
// against all non-ASCII, non-space code points (`*total`, left 0 when there
// are none of either).
size_t CountLostCharacters(absl::string_view text, size_t* total);

// Thread-safe after Create(): the frequent-character table is read-only and
// every call opens its own ICU converters.
class MojibakeRepairer {
 public:
  // Builds the frequent-character table (GB2312 level-1 hanzi and
  // punctuation, Big5 frequent hanzi and punctuation) through ICU.
  static absl::StatusOr<std::unique_ptr<MojibakeRepairer>> Create();
  ~MojibakeRepairer();

  // Repairs or drops mojibake in valid UTF-8 `text`, line by line. Linear in
  // the size of `text`; clean text is returned unchanged.
  MojibakeResult Repair(absl::string_view text) const;

  // Share (0..1) of the non-ASCII code points of `text` that are frequent
  // Chinese characters or punctuation; 1 when there are none.
  double PlausibleShare(absl::string_view text) const;

 private:
  MojibakeRepairer();
  bool IsFrequent(char32_t cp) const;

  std::vector<bool> frequent_;  // Indexed by BMP code point.
  // Rank + 1 among common news characters, 0 when unranked; by BMP code point.
  std::vector<uint16_t> rank_;
  // The character of each GBK byte pair (lead << 8 | trail), 0 when none.
  std::vector<char32_t> gbk_pair_;
  // Common words that fit around a dropped pair, by the GBK lead of their
  // first character << 8 | the trail of their second: index + 1 in words_.
  std::vector<uint32_t> gap_word_;
  std::vector<std::u32string> words_;
  // Indexed by GBK lead byte: the guess for a character whose trail byte
  // was lost, 0 when none.
  std::vector<char32_t> tail_guess_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_MOJIBAKE_H_
