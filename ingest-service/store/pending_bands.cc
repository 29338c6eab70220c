#include "ingest-service/store/pending_bands.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace newsearch::ingest::store_internal {

std::string EncodeBandKeys(const BandKeyArray& keys) {
  std::string blob;
  blob.reserve(keys.size() * sizeof(int64_t));
  for (const int64_t key : keys) {
    for (int byte = 0; byte < 8; ++byte) {
      blob.push_back(static_cast<char>((static_cast<uint64_t>(key) >> (8 * byte)) & 0xff));
    }
  }
  return blob;
}

std::optional<BandKeyArray> DecodeBandKeys(absl::string_view blob) {
  BandKeyArray keys;
  if (blob.size() != keys.size() * sizeof(int64_t)) return std::nullopt;
  for (size_t i = 0; i < keys.size(); ++i) {
    uint64_t key = 0;
    for (int byte = 7; byte >= 0; --byte) {
      key = (key << 8) | static_cast<unsigned char>(blob[i * sizeof(int64_t) + byte]);
    }
    keys[i] = static_cast<int64_t>(key);
  }
  return keys;
}

void PendingBands::Add(absl::string_view id, const BandKeyArray& keys) {
  Remove(id);
  keys_of_.emplace(id, keys);
  for (const int64_t key : keys) {
    std::vector<std::string>& ids = ids_of_[key];
    // Two bands of one signature may hash alike.
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.emplace_back(id);
  }
}

void PendingBands::Remove(absl::string_view id) {
  const auto it = keys_of_.find(id);
  if (it == keys_of_.end()) return;
  for (const int64_t key : it->second) {
    const auto ids = ids_of_.find(key);
    if (ids == ids_of_.end()) continue;
    ids->second.erase(std::remove(ids->second.begin(), ids->second.end(), id), ids->second.end());
    if (ids->second.empty()) ids_of_.erase(ids);
  }
  keys_of_.erase(it);
}

void PendingBands::Clear() {
  keys_of_.clear();
  ids_of_.clear();
}

std::vector<std::string> PendingBands::Candidates(const BandKeyArray& keys) const {
  std::vector<std::string> found;
  absl::flat_hash_set<absl::string_view> seen;
  for (const int64_t key : keys) {
    const auto ids = ids_of_.find(key);
    if (ids == ids_of_.end()) continue;
    for (const std::string& id : ids->second) {
      if (seen.insert(id).second) found.push_back(id);
    }
  }
  return found;
}

}  // namespace newsearch::ingest::store_internal
