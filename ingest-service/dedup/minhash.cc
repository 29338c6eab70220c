#include "ingest-service/dedup/minhash.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <limits>
#include <utility>
#include <vector>

#include "common/analysis/analyzer.h"
#include "common/base/status_macros.h"

namespace newsearch::ingest {
namespace {

// splitmix64 finalizer: every output bit depends on every input bit. All
// hashing here is fixed arithmetic, so signatures stored in the database stay
// comparable across builds and machines.
// In place, so one formula serves a uint64_t and the eight lanes of
// MinOverShingles (a vector returned by value would change the ABI).
template <typename T>
inline void MixInPlace(T& h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
}

uint64_t Mix(uint64_t h) {
  MixInPlace(h);
  return h;
}

uint64_t HashShingle(const UChar32* cps, int n) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (int i = 0; i < n; ++i) {
    const uint32_t c = static_cast<uint32_t>(cps[i]);
    for (int b = 0; b < 4; ++b) {
      h ^= (c >> (8 * b)) & 0xff;
      h *= 1099511628211ULL;
    }
  }
  return Mix(h);
}

// Eight lanes of 64 bits: GCC's vector extensions, compiled to AVX-512
// instructions in the clone the CPU can run and to plain 64-bit arithmetic
// otherwise. The values are the same either way (integer arithmetic).
using Lanes = uint64_t __attribute__((vector_size(64)));
constexpr int kLanes = 8;
static_assert(kMinHashSize % kLanes == 0);

// Signature position k holds the least, over the shingles, of hash function
// k: the shingle's hash re-mixed with a per-k constant, top 32 bits. Written
// one k at a time, this was a quarter of ingest's CPU.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=x86-64-v4", "default")))
#endif
void MinOverShingles(const std::vector<uint64_t>& shingles, MinHashSignature* signature) {
  constexpr int kGroups = kMinHashSize / kLanes;
  Lanes salt[kGroups];
  Lanes least[kGroups];
  for (int g = 0; g < kGroups; ++g) {
    for (int l = 0; l < kLanes; ++l) {
      salt[g][l] = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(g * kLanes + l + 1);
      least[g][l] = std::numeric_limits<uint32_t>::max();
    }
  }
  for (const uint64_t shingle : shingles) {
    for (int g = 0; g < kGroups; ++g) {
      Lanes h = salt[g] ^ shingle;
      MixInPlace(h);
      const Lanes v = h >> 32;
      least[g] = v < least[g] ? v : least[g];
    }
  }
  for (int k = 0; k < kMinHashSize; ++k) {
    (*signature)[k] = static_cast<uint32_t>(least[k / kLanes][k % kLanes]);
  }
}

}  // namespace

std::optional<MinHashSignature> SignatureOfFolded(absl::string_view folded) {
  std::vector<UChar32> cps;
  cps.reserve(folded.size() / 2);
  int32_t i = 0;
  const int32_t length = static_cast<int32_t>(folded.size());
  const auto* s = reinterpret_cast<const uint8_t*>(folded.data());
  while (i < length) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c >= 0 && u_isalnum(c)) cps.push_back(c);
  }
  if (static_cast<int>(cps.size()) < kMinSignatureCodePoints) return std::nullopt;
  std::vector<uint64_t> shingles;
  shingles.reserve(cps.size());
  for (size_t p = 0; p + kShingleCodePoints <= cps.size(); ++p) {
    shingles.push_back(HashShingle(&cps[p], kShingleCodePoints));
  }
  // A shingle seen twice changes no least value, so repeats stay in: sorting
  // them out cost twice what they add to MinOverShingles.
  MinHashSignature signature;
  MinOverShingles(shingles, &signature);
  return signature;
}

double EstimatedSimilarity(const MinHashSignature& a, const MinHashSignature& b) {
  int equal = 0;
  for (int k = 0; k < kMinHashSize; ++k) equal += a[k] == b[k] ? 1 : 0;
  return static_cast<double>(equal) / kMinHashSize;
}

std::array<int64_t, kBands> BandKeys(const MinHashSignature& signature) {
  std::array<int64_t, kBands> keys{};
  for (int b = 0; b < kBands; ++b) {
    uint64_t h = static_cast<uint64_t>(b + 1);
    for (int r = 0; r < kRowsPerBand; ++r) {
      h = Mix(h ^ signature[b * kRowsPerBand + r]);
    }
    // 8 bits of band number, 55 bits of hash: non-negative in SQLite.
    keys[b] = static_cast<int64_t>((static_cast<uint64_t>(b) << 55) | (h >> 9));
  }
  return keys;
}

std::string EncodeSignature(const MinHashSignature& signature) {
  std::string out(4 * kMinHashSize, '\0');
  for (int k = 0; k < kMinHashSize; ++k) {
    for (int b = 0; b < 4; ++b) out[4 * k + b] = static_cast<char>((signature[k] >> (8 * b)) & 0xff);
  }
  return out;
}

std::optional<MinHashSignature> DecodeSignature(absl::string_view bytes) {
  if (bytes.size() != 4 * kMinHashSize) return std::nullopt;
  MinHashSignature signature;
  for (int k = 0; k < kMinHashSize; ++k) {
    uint32_t v = 0;
    for (int b = 0; b < 4; ++b) {
      v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[4 * k + b])) << (8 * b);
    }
    signature[k] = v;
  }
  return signature;
}

absl::StatusOr<std::unique_ptr<BodyFingerprinter>> BodyFingerprinter::Create() {
  // One OpenCC pass (t2s) is enough to sign both scripts alike; the search
  // analyzer's regional folding (s2t then tw2sp) would double the cost of
  // the whole-body conversion, the largest part of ingest CPU time.
  analysis::AnalyzerOptions options;
  options.opencc_config = NEWSEARCH_OPENCC_T2S_CONFIG;
  // Only Fold and Tokenize are used: no dictionary to load.
  options.boundary_evidence = false;
  NEWSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<analysis::Analyzer> analyzer,
                             analysis::Analyzer::Create(options));
  return std::unique_ptr<BodyFingerprinter>(new BodyFingerprinter(std::move(analyzer)));
}

BodyFingerprinter::BodyFingerprinter(std::unique_ptr<analysis::Analyzer> analyzer)
    : analyzer_(std::move(analyzer)) {}

BodyFingerprinter::~BodyFingerprinter() = default;

std::optional<MinHashSignature> BodyFingerprinter::Signature(absl::string_view body) const {
  return SignatureOfFolded(analyzer_->Fold(body));
}

}  // namespace newsearch::ingest
