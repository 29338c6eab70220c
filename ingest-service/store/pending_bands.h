// The band keys of the articles in dedup_pending (schema_migrations.h),
// held in memory by the store's writer and indexed both ways, so that its
// near-duplicate lookup probes kBands hash tables instead of scanning the
// table. Internal to newsearch_store.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_PENDING_BANDS_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_PENDING_BANDS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "ingest-service/dedup/minhash.h"

namespace newsearch::ingest::store_internal {

using BandKeyArray = std::array<int64_t, kBands>;

// dedup_pending.band_keys: kBands little-endian int64s.
std::string EncodeBandKeys(const BandKeyArray& keys);
std::optional<BandKeyArray> DecodeBandKeys(absl::string_view blob);

class PendingBands {
 public:
  // Sets the keys of article `id` (replacing any it had).
  void Add(absl::string_view id, const BandKeyArray& keys);
  void Remove(absl::string_view id);
  void Clear();
  size_t size() const { return keys_of_.size(); }

  // The articles sharing at least one key with `keys`, each once.
  std::vector<std::string> Candidates(const BandKeyArray& keys) const;

 private:
  absl::flat_hash_map<std::string, BandKeyArray> keys_of_;
  // Usually one article per key: two only share one by being alike.
  absl::flat_hash_map<int64_t, std::vector<std::string>> ids_of_;
};

}  // namespace newsearch::ingest::store_internal

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_PENDING_BANDS_H_
