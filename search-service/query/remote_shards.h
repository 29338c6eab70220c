// The router's view of a partitioned index (#12): N partitions, each served
// by one or more replicas over Xapian's remote protocol (xapian-tcpsrv, see
// search-service/server/shard_server.h). RemoteShards opens one
// Xapian::Database made of one remote database per partition, on a replica
// believed healthy, so the Searcher runs its usual code over it and Xapian
// merges term statistics, match spies, collapsing and sorting as for one
// index. A prober thread opens a fresh connection to every replica every
// probe interval: it marks replicas up or down and notices when a replica's
// index was replaced (its UUID changes after compaction or a snapshot), so
// that handles opened before are dropped. A call that fails on a handle is
// reported back (ReportFailure): its replicas are probed at once, and the
// ones that do not answer are skipped until the prober sees them again.
// A replica whose index records another partition than its place in the
// spec (schema::kPartitionKey, K/N) is never used.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_REMOTE_SHARDS_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_REMOTE_SHARDS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace Xapian {
class Database;
}

namespace newsearch::search {

struct ShardReplica {
  std::string host;  // a name (resolved on every connect) or an IP address
  int port = 0;
  std::string address() const;  // host:port ([v6]:port for IPv6 literals)
};

// Parses the --shards value "A1,A2;B1,B2": partitions separated by `;`,
// the replicas of one partition by `,`, each HOST:PORT ([v6]:PORT for
// IPv6). Spaces around items are ignored. INVALID_ARGUMENT naming the bad
// item (empty partition, missing or bad port, the same replica twice).
absl::StatusOr<std::vector<std::vector<ShardReplica>>> ParseShardSpec(absl::string_view spec);

struct RemoteShardsOptions {
  // The --shards value (ParseShardSpec).
  std::string spec;
  // Longest wait for one remote operation (a read or write on a shard's
  // connection); a replica slower than this counts as failed for the call.
  absl::Duration timeout = absl::Seconds(5);
  // Longest wait to connect to a replica.
  absl::Duration connect_timeout = absl::Seconds(1);
  // How often every replica is probed.
  absl::Duration probe_interval = absl::Seconds(1);
};

// One handle over the partitions: `db` has one sub-database per partition
// that answered, in partition order.
struct ShardedDatabase {
  ShardedDatabase();
  ShardedDatabase(ShardedDatabase&&) noexcept;
  ShardedDatabase& operator=(ShardedDatabase&&) noexcept;
  ~ShardedDatabase();

  std::unique_ptr<Xapian::Database> db;
  // Per partition, the index of the replica in use; -1 when left out.
  std::vector<int> replicas;
  // Describe(p) of each partition left out (allow_partial).
  std::vector<std::string> missing;
};

// Thread-safe.
class RemoteShards {
 public:
  // Parses the spec, probes every replica once and starts the prober.
  // INVALID_ARGUMENT for a bad spec or options; never fails because
  // replicas are down (they may come up later).
  static absl::StatusOr<std::unique_ptr<RemoteShards>> Create(const RemoteShardsOptions& options);
  ~RemoteShards();

  // Opens one remote database per partition on a replica marked up
  // (rotating between them, so handles spread over the replicas), moving to
  // the partition's next replica when one does not answer, until `deadline`.
  // UNAVAILABLE naming the partitions that no replica answered for, unless
  // `allow_partial`: then those are left out and listed in `missing` (all
  // partitions missing is still UNAVAILABLE). DEADLINE_EXCEEDED when the
  // deadline passed first.
  absl::StatusOr<ShardedDatabase> Open(bool allow_partial, absl::Time deadline);

  // A call on `handle` failed: probes its replicas now and marks those that
  // do not answer down. Returns true when one was marked down (another
  // replica, or leaving the partition out, may then succeed).
  bool ReportFailure(const ShardedDatabase& handle);

  // Changes whenever a replica goes up or down or its index is replaced:
  // handles opened under another generation should not be reused.
  uint64_t generation() const { return generation_.load(); }

  // True while every partition has a replica marked up (router readiness).
  bool Ready() const;

  int partitions() const { return static_cast<int>(replicas_.size()); }
  // "partition K (A1,A2)".
  std::string Describe(int partition) const;

  struct ReplicaStatus {
    int partition = 0;
    std::string address;
    bool up = false;
    std::string last_error;  // why it is down; empty when up
  };
  std::vector<ReplicaStatus> Status() const;

  // What one partition's index says, read over a fresh connection
  // (GetIndexStatus on a router).
  struct PartitionStatus {
    int partition = 0;
    bool missing = true;   // no replica answered
    std::string replica;   // the address of the one that answered
    std::string error;     // why each replica tried did not answer (missing)
    std::string holds;     // schema::kPartitionKey of its index ("K/N", or empty)
    int64_t document_count = 0;
    int64_t applied_seq = 0;  // as the replica serves it (its first local shard)
    int replicas = 0;         // listed in the spec
    int replicas_up = 0;      // marked up by the last probe
  };
  // Per partition, in spec order: asks a replica marked up (in spec order,
  // moving on when one fails; every listed one when none is marked up) for
  // its document count, applied_seq and recorded partition, until
  // `deadline`. A partition none of whose replicas answers is `missing`,
  // never an error, so operators see which one is down.
  std::vector<PartitionStatus> PartitionStatuses(absl::Time deadline);

 private:
  explicit RemoteShards(const RemoteShardsOptions& options);
  struct State;
  // Opens a connection to one replica: the remote database, or an error.
  absl::StatusOr<std::unique_ptr<Xapian::Database>> Connect(const ShardReplica& replica,
                                                            absl::Duration connect_timeout) const;
  // Probes one replica with a fresh connection and records the outcome.
  // Returns whether it is up.
  bool Probe(int partition, int replica);
  void Mark(int partition, int replica, bool up, const std::string& uuid,
            const std::string& error);
  void ProbeLoop();

  RemoteShardsOptions options_;
  std::vector<std::vector<ShardReplica>> replicas_;
  std::unique_ptr<State> state_;
  std::atomic<uint64_t> generation_{1};
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_REMOTE_SHARDS_H_
