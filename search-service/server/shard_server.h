// A replica's shard port (#12): serves this replica's index read-only to
// routers over Xapian's remote protocol by running Debian's xapian-tcpsrv
// (xapian-tools) as a supervised child process: restarted when it dies,
// killed with its per-connection children when the replica stops, and
// killed by the kernel when the thread that started it (and so the replica)
// dies (PR_SET_PDEATHSIG).
//
// xapian-tcpsrv forks one child per connection, and that child opens the
// database (the stub file listing the local shards) once, when the
// connection is made; reopen() on the connection moves to newer revisions
// of the same shard directories but never rereads the stub. After a
// compaction swaps in new shard directories, connections made before keep
// reading the old generation until it is removed (ten seconds later with a
// shard port: IndexWriterOptions::retired_grace), then
// fail. Routers therefore watch the database UUID on fresh connections
// (RemoteShards' prober) and drop their older connections when it changes,
// and reconnect after any failure.
#ifndef NEWSEARCH_SEARCH_SERVICE_SERVER_SHARD_SERVER_H_
#define NEWSEARCH_SEARCH_SERVICE_SERVER_SHARD_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace newsearch::search {

struct ShardServerOptions {
  // HOST:PORT ([v6]:PORT) to listen on; the port must not be 0.
  std::string listen;
  // The Xapian database to serve (the replica's DATA_DIR/xapian).
  std::string database;
  // The xapian-tcpsrv executable.
  std::string program = "/usr/bin/xapian-tcpsrv";
  // Wait before restarting a server that exited.
  absl::Duration restart_delay = absl::Seconds(1);
};

// Thread-safe.
class ShardServer {
 public:
  // INVALID_ARGUMENT for a bad listen address; FAILED_PRECONDITION when
  // the program is not executable. Does not start the server yet.
  static absl::StatusOr<std::unique_ptr<ShardServer>> Create(const ShardServerOptions& options);
  ~ShardServer();  // Stop()

  // Starts xapian-tcpsrv and supervises it. Idempotent.
  void Start();
  // Kills the server and its connection children; waits for them. Idempotent.
  void Stop();

  // The running server's pid, or -1.
  pid_t pid() const;
  // Times the server was started (1 after the first start).
  int starts() const;

 private:
  explicit ShardServer(const ShardServerOptions& options);
  struct State;
  void Supervise();

  ShardServerOptions options_;
  std::string host_;
  int port_ = 0;
  std::unique_ptr<State> state_;
};

// Splits HOST:PORT or [v6]:PORT; INVALID_ARGUMENT naming `flag` otherwise.
absl::Status SplitHostPort(const std::string& address, const std::string& flag,
                           std::string* host, int* port);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_SERVER_SHARD_SERVER_H_
