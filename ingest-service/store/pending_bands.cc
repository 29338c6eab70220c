#include "ingest-service/store/pending_bands.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace newsearch::ingest::store_internal {

int PendingBands::BandOf(uint32_t s, int64_t key) const {
  const BandKeyArray& keys = slots_[s].keys;
  return static_cast<int>(std::find(keys.begin(), keys.end(), key) - keys.begin());
}

void PendingBands::Add(absl::string_view id, const BandKeyArray& keys) {
  Remove(id);
  uint32_t s;
  if (!free_slots_.empty()) {
    s = free_slots_.back();
    free_slots_.pop_back();
  } else {
    s = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[s];
  slot.id = std::string(id);
  slot.keys = keys;
  slot_of_.emplace(slot.id, s);
  for (int b = 0; b < kBands; ++b) {
    slot.next[b] = kNone;
    if (BandOf(s, keys[b]) != b) continue;  // repeated within the article
    const auto [head, inserted] = head_.try_emplace(keys[b], s);
    if (!inserted) {
      slot.next[b] = head->second;
      head->second = s;
    }
  }
}

void PendingBands::Remove(absl::string_view id) {
  const auto found = slot_of_.find(id);
  if (found == slot_of_.end()) return;
  const uint32_t s = found->second;
  Slot& slot = slots_[s];
  for (int b = 0; b < kBands; ++b) {
    const int64_t key = slot.keys[b];
    if (BandOf(s, key) != b) continue;
    const auto head = head_.find(key);
    if (head == head_.end()) continue;
    if (head->second == s) {
      if (slot.next[b] == kNone) {
        head_.erase(head);
      } else {
        head->second = slot.next[b];
      }
      continue;
    }
    for (uint32_t p = head->second; p != kNone;) {
      uint32_t& link = slots_[p].next[BandOf(p, key)];
      if (link == s) {
        link = slot.next[b];
        break;
      }
      p = link;
    }
  }
  slot_of_.erase(found);
  slot.id.clear();
  slot.id.shrink_to_fit();
  free_slots_.push_back(s);
}

void PendingBands::Clear() {
  slots_.clear();
  free_slots_.clear();
  slot_of_.clear();
  head_.clear();
}

std::vector<std::string> PendingBands::Candidates(const BandKeyArray& keys) const {
  std::vector<std::string> found;
  absl::flat_hash_set<uint32_t> seen;
  for (const int64_t key : keys) {
    const auto head = head_.find(key);
    if (head == head_.end()) continue;
    for (uint32_t p = head->second; p != kNone; p = slots_[p].next[BandOf(p, key)]) {
      if (seen.insert(p).second) found.push_back(slots_[p].id);
    }
  }
  return found;
}

}  // namespace newsearch::ingest::store_internal
