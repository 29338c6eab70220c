#include "common/base/stable_hash.h"

namespace newsearch {

uint64_t StableHash64(absl::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // MurmurHash3 fmix64: FNV-1a alone mixes its last bytes poorly into the
  // high bits, which pick the local shard.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

int LocalShardOf(absl::string_view article_id, int shards) {
  return static_cast<int>((StableHash64(article_id) >> 32) % static_cast<uint64_t>(shards));
}

int PartitionOf(absl::string_view article_id, int partitions) {
  return static_cast<int>((StableHash64(article_id) & 0xffffffffULL) %
                          static_cast<uint64_t>(partitions));
}

}  // namespace newsearch
