// The Searcher's pool of reader handles: at most max_concurrent_searches
// searches run at once, each on a Xapian::Database handle of its own that
// stays open between searches (a returned handle only reopen()s). Handles on
// an index layout that compaction replaced, or on remote shards whose
// replicas changed, are dropped and opened afresh.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <xapian.h>

#include "absl/strings/str_cat.h"
#include "common/base/logging.h"
#include "common/base/status_macros.h"
#include "search-service/query/remote_shards.h"
#include "search-service/query/searcher.h"
#include "search-service/query/searcher_impl.h"

namespace newsearch::search {
namespace {

// Identifies the index's layout: the stub file (`XAPIANDB` in the index
// directory, or the stub file itself) whose inode changes when compaction
// swaps a shard's directory. Database::reopen() never rereads a stub, so a
// handle opened on another layout must be opened afresh. Empty when there is
// no stub (a plain Xapian directory).
std::string LayoutStamp(const std::string& path) {
  struct stat st;
  const std::string stub = path + "/XAPIANDB";
  if (::stat(stub.c_str(), &st) != 0 && (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))) {
    return "";
  }
  return absl::StrCat(st.st_ino, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ":",
                      st.st_size);
}

}  // namespace

int DefaultConcurrentSearches() {
  return std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
}

std::string Searcher::Impl::Stamp() const {
  return shards != nullptr ? absl::StrCat("g", shards->generation()) : LayoutStamp(options.path);
}

Searcher::Impl::Lease::~Lease() {
  if (impl_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    --impl_->leased;
    if (handle_.db != nullptr && handle_.missing.empty() && layout_ == impl_->layout) {
      impl_->idle.push_back(std::move(handle_));
    }
  }
  impl_->handle_returned.notify_one();
}

absl::StatusOr<Searcher::Impl::Lease> Searcher::Impl::Acquire(bool allow_partial,
                                                             absl::Time deadline) const {
  Lease lease(this);
  ShardedDatabase handle;
  std::string stamp = Stamp();
  {
    std::unique_lock<std::mutex> lock(mu);
    handle_returned.wait(lock, [this] { return leased < max_handles; });
    ++leased;
    if (stamp != layout) {
      // A shard was swapped (compaction) or a replica came or went:
      // handles on the old layout would reopen() into old directories
      // forever, or keep using replicas that were marked down.
      idle.clear();
      layout = stamp;
    }
    if (!idle.empty()) {
      handle = std::move(idle.back());
      idle.pop_back();
    }
  }
  if (shards != nullptr) {
    if (handle.db != nullptr) {
      try {
        handle.db->reopen();  // one round trip per partition
        lease.Set(std::move(handle), std::move(stamp));
        return lease;
      } catch (const Xapian::Error& e) {
        // Idle too long (xapian-tcpsrv's idle timeout), or the replica is
        // gone: check its replicas and open afresh.
        Log(LogLevel::kDebug, "router", "pooled shard handle failed",
            {{"error", e.get_description()}});
        shards->ReportFailure(handle);
        stamp = Stamp();
      }
    }
    NEWSEARCH_ASSIGN_OR_RETURN(ShardedDatabase opened, shards->Open(allow_partial, deadline));
    lease.Set(std::move(opened), std::move(stamp));
    return lease;
  }
  try {
    if (handle.db != nullptr) {
      handle.db->reopen();  // cheap when nothing was committed since
    } else {
      handle.db = std::make_unique<Xapian::Database>(options.path);
    }
    lease.Set(std::move(handle), std::move(stamp));
    return lease;
  } catch (const Xapian::DatabaseNotFoundError&) {
    return lease;
  } catch (const Xapian::DatabaseOpeningError& e) {
    // The index writer creates the directory before the first commit.
    std::error_code ec;
    if (!std::filesystem::exists(options.path, ec) ||
        (std::filesystem::is_directory(options.path, ec) &&
         std::filesystem::is_empty(options.path, ec))) {
      return lease;
    }
    return absl::InternalError(
        absl::StrCat("cannot open index ", options.path, ": ", e.get_description()));
  } catch (const Xapian::Error& e) {
    return absl::InternalError(
        absl::StrCat("cannot open index ", options.path, ": ", e.get_description()));
  }
}

}  // namespace newsearch::search
