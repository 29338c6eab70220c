// New replicas from a snapshot (issue 12 item 4). A replica serves
// SnapshotIndex: every local shard of its index compacted as of its last
// commit into a fresh directory (Xapian::Database::compact, on the shard's
// writer thread, so queries go on and changes wait for it), streamed with a
// SHA-256 of all the bytes. A new replica started with --bootstrap_from and
// an empty data directory copies that snapshot, checks it (partition, shard
// count, analyzer, checksum, then every shard's document count and
// applied_seq as Xapian reads them from the copy) and only then installs it
// as its index, from which it follows the change log at the shards'
// applied_seq instead of replaying from 0.
#ifndef NEWSEARCH_SEARCH_SERVICE_SERVER_INDEX_SNAPSHOT_H_
#define NEWSEARCH_SEARCH_SERVICE_SERVER_INDEX_SNAPSHOT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "newsearch/v1/search.grpc.pb.h"
#include "search-service/index/index_writer.h"

namespace newsearch::search {

inline constexpr int kDefaultSnapshotChunkBytes = 1 << 20;
inline constexpr int kMaxSnapshotChunkBytes = 4 << 20;

// Where snapshots are staged on the serving replica: DATA_DIR/snapshot-scratch.
std::string SnapshotScratchDir(const std::string& data_dir);

// Serves SnapshotIndex for one replica. One snapshot at a time: a second
// call while one is being taken or streamed is UNAVAILABLE (retry later).
class SnapshotServer {
 public:
  // `writer` must outlive the server. Clears what an earlier process left
  // in the scratch directory.
  SnapshotServer(IndexWriter* writer, std::string data_dir, std::string analyzer_signature);

  grpc::Status Stream(grpc::ServerContext* context, const v1::SnapshotIndexRequest& request,
                      grpc::ServerWriter<v1::SnapshotIndexResponse>* writer);

 private:
  IndexWriter* const index_;
  const std::string data_dir_;
  const std::string analyzer_;
  std::atomic<bool> busy_{false};
};

struct BootstrapOptions {
  // host:port of the peer replica (--bootstrap_from).
  std::string peer;
  // The new replica's index directory (DATA_DIR/xapian) and its settings.
  std::string index_path;
  int index_shards = 0;  // 0 = the peer's number
  int partition = 0;
  int partitions = 1;
  std::string analyzer_signature;
  int max_message_bytes = 32 << 20;
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // null = plaintext
  std::function<std::string()> token;                     // null/empty = none
};

// What a bootstrap copied (for the log and the caller).
struct BootstrapResult {
  bool copied = false;  // false: the index existed, nothing was done
  int shards = 0;
  int64_t documents = 0;
  int64_t min_applied_seq = 0;
  int64_t bytes = 0;
};

// When `index_path` holds no index yet, copies the peer's snapshot into
// `index_path` (staged beside it, checked, then renamed into place, so a
// crash leaves either no index or a complete one). FAILED_PRECONDITION when
// the peer holds another partition, another number of shards than a nonzero
// index_shards or another analyzer; DATA_LOSS when the copy does not check
// out; UNAVAILABLE when the peer cannot be reached or the stream breaks.
absl::StatusOr<BootstrapResult> BootstrapIndex(const BootstrapOptions& options);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_SERVER_INDEX_SNAPSHOT_H_
