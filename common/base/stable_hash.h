// The one hash that places an article: which local index shard of a search
// replica holds it (`--index_shards`) and, later, which replica partition
// (`--partition=K/N`, issue 12). Both must agree across machines, compilers
// and versions, so this is a fixed, documented function of the id's bytes,
// never std::hash or absl::Hash (both are free to change, and absl::Hash is
// salted per process).
//
// StableHash64(id) = fmix64(FNV-1a-64(id)): FNV-1a over the UTF-8 bytes
// (offset basis 0xcbf29ce484222325, prime 0x100000001b3) then MurmurHash3's
// 64-bit finalizer (so every output bit depends on every input bit). The
// local shard uses the high 32 bits and the partition the low 32 bits, so a
// partition's articles still spread evenly over its local shards.
#ifndef NEWSEARCH_COMMON_BASE_STABLE_HASH_H_
#define NEWSEARCH_COMMON_BASE_STABLE_HASH_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace newsearch {

// Returns the stable 64-bit hash of `bytes` described above.
uint64_t StableHash64(absl::string_view bytes);

// Returns the local index shard (0..shards-1) of an article id:
// (StableHash64(id) >> 32) % shards. `shards` must be positive.
int LocalShardOf(absl::string_view article_id, int shards);

// Returns the replica partition (0..partitions-1) of an article id:
// (StableHash64(id) & 0xffffffff) % partitions. `partitions` must be
// positive.
int PartitionOf(absl::string_view article_id, int partitions);

}  // namespace newsearch

#endif  // NEWSEARCH_COMMON_BASE_STABLE_HASH_H_
