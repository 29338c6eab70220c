#include "search-service/server/shard_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/logging.h"

namespace newsearch::search {

absl::Status SplitHostPort(const std::string& address, const std::string& flag,
                           std::string* host, int* port) {
  std::string h;
  std::string p;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || address.compare(close + 1, 1, ":") != 0) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " '", address, "': expected [IPv6]:PORT"));
    }
    h = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " '", address, "': expected HOST:PORT"));
    }
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
  }
  if (h.empty() || !absl::SimpleAtoi(p, port) || *port < 1 || *port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " '", address, "': expected HOST:PORT with a port in 1..65535"));
  }
  *host = h;
  return absl::OkStatus();
}

struct ShardServer::State {
  mutable std::mutex mu;
  std::condition_variable cv;
  bool started = false;  // guarded by mu
  bool stop = false;     // guarded by mu
  pid_t pid = -1;        // guarded by mu
  int starts = 0;        // guarded by mu
  std::thread supervisor;
};

ShardServer::ShardServer(const ShardServerOptions& options)
    : options_(options), state_(std::make_unique<State>()) {}

ShardServer::~ShardServer() { Stop(); }

absl::StatusOr<std::unique_ptr<ShardServer>> ShardServer::Create(
    const ShardServerOptions& options) {
  std::unique_ptr<ShardServer> server(new ShardServer(options));
  absl::Status split = SplitHostPort(options.listen, "--shard_listen", &server->host_,
                                     &server->port_);
  if (!split.ok()) return split;
  if (access(options.program.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--xapian_tcpsrv '", options.program,
                     "' is not executable; install Debian's xapian-tools"));
  }
  return server;
}

void ShardServer::Start() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->started || state_->stop) return;
  state_->started = true;
  state_->supervisor = std::thread([this] { Supervise(); });
}

void ShardServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stop) return;
    state_->stop = true;
    // SIGKILL, not SIGTERM: xapian-tcpsrv's SIGTERM handler calls exit(),
    // which can deadlock in a connection child that is already exiting
    // (tests/search-service/query/remote_shards_test.cc). The group holds
    // the listener and every connection child.
    if (state_->pid > 0) kill(-state_->pid, SIGKILL);
  }
  state_->cv.notify_all();
  if (state_->supervisor.joinable()) state_->supervisor.join();
}

pid_t ShardServer::pid() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->pid;
}

int ShardServer::starts() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->starts;
}

void ShardServer::Supervise() {
  // Everything the child needs is built before fork(): between fork and
  // exec only async-signal-safe calls are allowed in a threaded process.
  std::vector<std::string> args = {options_.program, "--quiet", "--port", std::to_string(port_),
                                   "--interface", host_, options_.database};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  for (;;) {
    pid_t pid = -1;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->stop) return;
      pid = fork();
      if (pid == 0) {
        // Its own group (Stop kills the group), killed when this thread dies.
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);  // the replica died before prctl
        const int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        execv(argv[0], argv.data());
        _exit(127);
      }
      if (pid > 0) {
        setpgid(pid, pid);  // also from here: no window where Stop misses the group
        state_->pid = pid;
        ++state_->starts;
      }
    }
    if (pid < 0) {
      Log(LogLevel::kError, "search", "cannot start xapian-tcpsrv",
          {{"errno", static_cast<long long>(errno)}});
    } else {
      Log(LogLevel::kInfo, "search", "shard port serving",
          {{"listen", options_.listen}, {"pid", static_cast<long long>(pid)},
           {"database", options_.database}});
      int wstatus = 0;
      while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
      std::unique_lock<std::mutex> lock(state_->mu);
      state_->pid = -1;
      if (state_->stop) return;
      lock.unlock();
      // The group may still hold connection children of the dead listener.
      kill(-pid, SIGKILL);
      Log(LogLevel::kError, "search", "xapian-tcpsrv exited; restarting",
          {{"listen", options_.listen},
           {"status", WIFEXITED(wstatus) ? absl::StrCat("exit ", WEXITSTATUS(wstatus))
                                         : absl::StrCat("signal ", WTERMSIG(wstatus))}});
    }
    std::unique_lock<std::mutex> lock(state_->mu);
    if (state_->cv.wait_for(lock, absl::ToChronoMilliseconds(options_.restart_delay),
                            [this] { return state_->stop; })) {
      return;
    }
  }
}

}  // namespace newsearch::search
