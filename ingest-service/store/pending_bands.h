// The band keys of the articles in dedup_pending (schema_migrations.h),
// held in memory by the store's writer and indexed both ways, so that its
// near-duplicate lookup probes kBands hash tables instead of scanning the
// table. Internal to newsearch_store.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_PENDING_BANDS_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_PENDING_BANDS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "ingest-service/dedup/minhash.h"

namespace newsearch::ingest::store_internal {

using BandKeyArray = std::array<int64_t, kBands>;

class PendingBands {
 public:
  // Sets the keys of article `id` (replacing any it had).
  void Add(absl::string_view id, const BandKeyArray& keys);
  void Remove(absl::string_view id);
  void Clear();
  size_t size() const { return slot_of_.size(); }

  // The articles sharing at least one key with `keys`, each once.
  std::vector<std::string> Candidates(const BandKeyArray& keys) const;

 private:
  static constexpr uint32_t kNone = ~uint32_t{0};
  // One article; next[b] is the next older slot holding keys[b] (kNone at
  // the end, and for a key repeated within keys, linked once).
  struct Slot {
    std::string id;
    BandKeyArray keys;
    std::array<uint32_t, kBands> next;
  };
  // Where `key` sits in slot `s`'s keys (its first place).
  int BandOf(uint32_t s, int64_t key) const;

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  absl::flat_hash_map<std::string, uint32_t> slot_of_;
  // Key -> the newest slot holding it. Chains are one slot long unless
  // articles alike wait together. About 30 bytes per key, 8 MB for 8,192
  // articles.
  absl::flat_hash_map<int64_t, uint32_t> head_;
};

}  // namespace newsearch::ingest::store_internal

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_PENDING_BANDS_H_
