// Near-duplicate detection for article bodies: a MinHash signature over
// character shingles of the folded body, the estimated Jaccard similarity of
// two signatures, and the LSH band keys that let the store find the stored
// signatures similar to a new one without a full scan.
//
// Folding is the analyzer's (common/analysis): NFKC, case folding and OpenCC
// t2s, so a simplified and a traditional copy of one story sign alike. After
// folding only letters and digits count (punctuation, spaces and line breaks
// are dropped), so re-wrapped paragraphs, half-width commas or different
// quote marks do not change the signature. Features are the distinct
// shingles of kShingleCodePoints consecutive code points.
//
// Two bodies are near-duplicates when their estimated Jaccard similarity is
// at least kDuplicateMinSimilarity. The signature is cut into kBands bands of
// kRowsPerBand values; two signatures become candidates when they agree on a
// whole band, which happens with probability 1 - (1 - J^rows)^bands: > 99%
// from J = 0.6 on, about 0.3% at J = 0.1 (README, "Duplicates", has the
// measured figures). Candidates are then checked on the whole signature.
#ifndef NEWSEARCH_INGEST_SERVICE_DEDUP_MINHASH_H_
#define NEWSEARCH_INGEST_SERVICE_DEDUP_MINHASH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsearch::analysis {
class Analyzer;
}  // namespace newsearch::analysis

namespace newsearch::ingest {

// Shingle length in code points of folded letters and digits.
inline constexpr int kShingleCodePoints = 5;
// Bodies with fewer letters and digits than this get no signature (too short
// to tell a copy from a shared stock phrase) and are never deduplicated.
inline constexpr int kMinSignatureCodePoints = 50;
inline constexpr int kMinHashSize = 128;
inline constexpr int kRowsPerBand = 4;
inline constexpr int kBands = kMinHashSize / kRowsPerBand;
// Smallest estimated Jaccard similarity of two near-duplicate bodies.
inline constexpr double kDuplicateMinSimilarity = 0.6;

using MinHashSignature = std::array<uint32_t, kMinHashSize>;

// Signature of already folded text; nullopt when it has fewer than
// kMinSignatureCodePoints letters and digits.
std::optional<MinHashSignature> SignatureOfFolded(absl::string_view folded);

// Fraction of equal positions: an unbiased estimate of the Jaccard
// similarity of the two shingle sets.
double EstimatedSimilarity(const MinHashSignature& a, const MinHashSignature& b);

// One key per band: a hash of the band's values, with the band number in the
// top bits so that keys of different bands never collide.
std::array<int64_t, kBands> BandKeys(const MinHashSignature& signature);

// Little-endian bytes (4 * kMinHashSize) for storage, and back. Decode
// returns nullopt for bytes of the wrong length.
std::string EncodeSignature(const MinHashSignature& signature);
std::optional<MinHashSignature> DecodeSignature(absl::string_view bytes);

// Folds with the analyzer, then SignatureOfFolded. Thread-safe.
class BodyFingerprinter {
 public:
  // Loads the analyzer (OpenCC); its error when that fails.
  static absl::StatusOr<std::unique_ptr<BodyFingerprinter>> Create();
  ~BodyFingerprinter();

  std::optional<MinHashSignature> Signature(absl::string_view body) const;

 private:
  explicit BodyFingerprinter(std::unique_ptr<analysis::Analyzer> analyzer);
  std::unique_ptr<analysis::Analyzer> analyzer_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_DEDUP_MINHASH_H_
