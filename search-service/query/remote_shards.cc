#include "search-service/query/remote_shards.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <xapian.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/logging.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

unsigned Millis(absl::Duration d) {
  return static_cast<unsigned>(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

absl::StatusOr<ShardReplica> ParseReplica(absl::string_view item) {
  ShardReplica replica;
  absl::string_view host;
  absl::string_view port;
  if (absl::ConsumePrefix(&item, "[")) {
    const size_t close = item.find(']');
    if (close == absl::string_view::npos || item.substr(close + 1, 1) != ":") {
      return absl::InvalidArgumentError("expected [IPv6]:PORT");
    }
    host = item.substr(0, close);
    port = item.substr(close + 2);
  } else {
    const size_t colon = item.rfind(':');
    if (colon == absl::string_view::npos) return absl::InvalidArgumentError("expected HOST:PORT");
    host = item.substr(0, colon);
    port = item.substr(colon + 1);
  }
  int number = 0;
  if (host.empty()) return absl::InvalidArgumentError("the host is empty");
  if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return absl::InvalidArgumentError("the port must be a number in 1..65535");
  }
  replica.host = std::string(host);
  replica.port = number;
  return replica;
}

}  // namespace

std::string ShardReplica::address() const {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

absl::StatusOr<std::vector<std::vector<ShardReplica>>> ParseShardSpec(absl::string_view spec) {
  std::vector<std::vector<ShardReplica>> partitions;
  std::set<std::string> seen;
  if (absl::StripAsciiWhitespace(spec).empty()) {
    return absl::InvalidArgumentError("--shards is empty; expected A1,A2;B1,B2");
  }
  int p = 0;
  for (absl::string_view part : absl::StrSplit(spec, ';')) {
    std::vector<ShardReplica> replicas;
    for (absl::string_view item : absl::StrSplit(part, ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (item.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--shards partition ", p, " ('", part, "') has an empty replica"));
      }
      absl::StatusOr<ShardReplica> replica = ParseReplica(item);
      if (!replica.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--shards partition ", p, " replica '",
                                                       item, "': ", replica.status().message()));
      }
      if (!seen.insert(replica->address()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("--shards lists ", replica->address(), " twice"));
      }
      replicas.push_back(*std::move(replica));
    }
    partitions.push_back(std::move(replicas));
    ++p;
  }
  return partitions;
}

ShardedDatabase::ShardedDatabase() = default;
ShardedDatabase::ShardedDatabase(ShardedDatabase&&) noexcept = default;
ShardedDatabase& ShardedDatabase::operator=(ShardedDatabase&&) noexcept = default;
ShardedDatabase::~ShardedDatabase() = default;

struct RemoteShards::State {
  struct Replica {
    bool up = false;
    bool probed = false;
    std::string uuid;
    std::string last_error = "not probed yet";
  };
  mutable std::mutex mu;
  std::condition_variable stop_cv;
  bool stop = false;                        // guarded by mu
  std::vector<std::vector<Replica>> state;  // guarded by mu
  std::vector<size_t> next;                 // rotation per partition, guarded by mu
  std::thread prober;
};

RemoteShards::RemoteShards(const RemoteShardsOptions& options)
    : options_(options), state_(std::make_unique<State>()) {}

RemoteShards::~RemoteShards() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop = true;
  }
  state_->stop_cv.notify_all();
  if (state_->prober.joinable()) state_->prober.join();
}

absl::StatusOr<std::unique_ptr<RemoteShards>> RemoteShards::Create(
    const RemoteShardsOptions& options) {
  if (options.timeout <= absl::ZeroDuration() || options.connect_timeout <= absl::ZeroDuration() ||
      options.probe_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "shard timeout, connect timeout and probe interval must be positive");
  }
  absl::StatusOr<std::vector<std::vector<ShardReplica>>> parsed = ParseShardSpec(options.spec);
  if (!parsed.ok()) return parsed.status();
  std::unique_ptr<RemoteShards> shards(new RemoteShards(options));
  shards->replicas_ = *std::move(parsed);
  shards->state_->state.resize(shards->replicas_.size());
  shards->state_->next.assign(shards->replicas_.size(), 0);
  for (size_t p = 0; p < shards->replicas_.size(); ++p) {
    shards->state_->state[p].resize(shards->replicas_[p].size());
  }
  for (int p = 0; p < shards->partitions(); ++p) {
    for (int r = 0; r < static_cast<int>(shards->replicas_[p].size()); ++r) shards->Probe(p, r);
  }
  RemoteShards* self = shards.get();
  shards->state_->prober = std::thread([self] { self->ProbeLoop(); });
  return shards;
}

absl::StatusOr<std::unique_ptr<Xapian::Database>> RemoteShards::Connect(
    const ShardReplica& replica, absl::Duration connect_timeout) const {
  try {
    return std::make_unique<Xapian::Database>(Xapian::Remote::open(
        replica.host, static_cast<unsigned>(replica.port), Millis(options_.timeout),
        Millis(std::min(connect_timeout, options_.connect_timeout))));
  } catch (const Xapian::Error& e) {
    return absl::UnavailableError(absl::StrCat(replica.address(), ": ", e.get_description()));
  }
}

bool RemoteShards::Probe(int partition, int replica) {
  absl::StatusOr<std::unique_ptr<Xapian::Database>> db =
      Connect(replicas_[partition][replica], options_.connect_timeout);
  if (!db.ok()) {
    Mark(partition, replica, false, "", std::string(db.status().message()));
    return false;
  }
  try {
    // The UUID names the database files the server opened: it changes when
    // the replica swaps in a compacted generation (or a snapshot), which
    // connections opened before never see (xapian-tcpsrv opens the
    // database once per connection and reopen() never rereads the stub).
    const std::string uuid = (*db)->get_uuid();
    // A replica of another partition listed here would silently drop or
    // double articles: the index records its partition (absent in an index
    // written by other means, which is taken as it is).
    const std::string holds = (*db)->get_metadata(schema::kPartitionKey);
    const std::string listed = absl::StrCat(partition, "/", partitions());
    if (!holds.empty() && holds != listed && !(partitions() == 1 && holds == "0/1")) {
      Mark(partition, replica, false, "",
           absl::StrCat(replicas_[partition][replica].address(), " holds partition ", holds,
                        " but --shards lists it as partition ", listed));
      return false;
    }
    Mark(partition, replica, true, uuid, "");
    return true;
  } catch (const Xapian::Error& e) {
    Mark(partition, replica, false, "",
         absl::StrCat(replicas_[partition][replica].address(), ": ", e.get_description()));
    return false;
  }
}

void RemoteShards::Mark(int partition, int replica, bool up, const std::string& uuid,
                        const std::string& error) {
  bool changed = false;
  bool was_up = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    State::Replica& r = state_->state[partition][replica];
    was_up = r.up;
    changed = !r.probed || r.up != up || (up && r.uuid != uuid);
    r.probed = true;
    r.up = up;
    if (up) r.uuid = uuid;
    r.last_error = error;
  }
  if (!changed) return;
  generation_.fetch_add(1);
  if (up != was_up || !up) {
    Log(up ? LogLevel::kInfo : LogLevel::kWarning, "router",
        up ? "shard replica up" : "shard replica down",
        {{"partition", partition},
         {"replica", replicas_[partition][replica].address()},
         {"error", error}});
  } else {
    Log(LogLevel::kInfo, "router", "shard replica index replaced",
        {{"partition", partition}, {"replica", replicas_[partition][replica].address()}});
  }
}

void RemoteShards::ProbeLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(state_->mu);
      if (state_->stop_cv.wait_for(lock, absl::ToChronoMilliseconds(options_.probe_interval),
                                   [this] { return state_->stop; })) {
        return;
      }
    }
    for (int p = 0; p < partitions(); ++p) {
      for (int r = 0; r < static_cast<int>(replicas_[p].size()); ++r) {
        {
          std::lock_guard<std::mutex> lock(state_->mu);
          if (state_->stop) return;
        }
        Probe(p, r);
      }
    }
  }
}

absl::StatusOr<ShardedDatabase> RemoteShards::Open(bool allow_partial, absl::Time deadline) {
  ShardedDatabase out;
  out.db = std::make_unique<Xapian::Database>();
  std::vector<std::string> unavailable;
  for (int p = 0; p < partitions(); ++p) {
    std::vector<int> order;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      const size_t n = replicas_[p].size();
      const size_t start = state_->next[p]++ % n;
      for (size_t i = 0; i < n; ++i) {
        const size_t r = (start + i) % n;
        if (state_->state[p][r].up) order.push_back(static_cast<int>(r));
      }
    }
    std::string last_error;
    bool opened = false;
    for (int r : order) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(
            absl::StrCat("deadline passed while connecting to ", Describe(p)));
      }
      absl::StatusOr<std::unique_ptr<Xapian::Database>> db = Connect(replicas_[p][r], left);
      if (db.ok()) {
        out.db->add_database(**db);
        out.replicas.push_back(r);
        opened = true;
        break;
      }
      last_error = std::string(db.status().message());
      Mark(p, r, false, "", last_error);
    }
    if (!opened) {
      if (order.empty()) {
        std::lock_guard<std::mutex> lock(state_->mu);
        for (const State::Replica& replica : state_->state[p]) {
          if (!replica.last_error.empty()) last_error = replica.last_error;
        }
      }
      out.replicas.push_back(-1);
      out.missing.push_back(Describe(p));
      unavailable.push_back(absl::StrCat(Describe(p), ": ", last_error));
    }
  }
  if (!unavailable.empty() &&
      (!allow_partial || static_cast<int>(unavailable.size()) == partitions())) {
    return absl::UnavailableError(absl::StrCat("no replica answers for ",
                                               absl::StrJoin(unavailable, "; ")));
  }
  return out;
}

bool RemoteShards::ReportFailure(const ShardedDatabase& handle) {
  bool marked_down = false;
  for (size_t p = 0; p < handle.replicas.size(); ++p) {
    if (handle.replicas[p] < 0) continue;
    if (!Probe(static_cast<int>(p), handle.replicas[p])) marked_down = true;
  }
  return marked_down;
}

bool RemoteShards::Ready() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const auto& partition : state_->state) {
    if (std::none_of(partition.begin(), partition.end(),
                     [](const State::Replica& r) { return r.up; })) {
      return false;
    }
  }
  return true;
}

std::string RemoteShards::Describe(int partition) const {
  std::vector<std::string> addresses;
  for (const ShardReplica& r : replicas_[partition]) addresses.push_back(r.address());
  return absl::StrCat("partition ", partition, " (", absl::StrJoin(addresses, ","), ")");
}

std::vector<RemoteShards::ReplicaStatus> RemoteShards::Status() const {
  std::vector<ReplicaStatus> out;
  std::lock_guard<std::mutex> lock(state_->mu);
  for (int p = 0; p < partitions(); ++p) {
    for (size_t r = 0; r < replicas_[p].size(); ++r) {
      ReplicaStatus s;
      s.partition = p;
      s.address = replicas_[p][r].address();
      s.up = state_->state[p][r].up;
      s.last_error = state_->state[p][r].last_error;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<RemoteShards::PartitionStatus> RemoteShards::PartitionStatuses(absl::Time deadline) {
  std::vector<PartitionStatus> out;
  for (int p = 0; p < partitions(); ++p) {
    PartitionStatus status;
    status.partition = p;
    status.replicas = static_cast<int>(replicas_[p].size());
    std::vector<int> order;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      for (int r = 0; r < status.replicas; ++r) {
        if (state_->state[p][r].up) order.push_back(r);
      }
    }
    status.replicas_up = static_cast<int>(order.size());
    if (order.empty()) {
      // The prober may not have seen a replica that just came back.
      for (int r = 0; r < status.replicas; ++r) order.push_back(r);
    }
    std::vector<std::string> errors;
    for (int r : order) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        errors.push_back(absl::StrCat(replicas_[p][r].address(), ": deadline passed"));
        break;
      }
      absl::StatusOr<std::unique_ptr<Xapian::Database>> db = Connect(replicas_[p][r], left);
      if (!db.ok()) {
        errors.push_back(std::string(db.status().message()));
        continue;
      }
      try {
        status.document_count = static_cast<int64_t>((*db)->get_doccount());
        if (!absl::SimpleAtoi((*db)->get_metadata(schema::kAppliedSeqKey), &status.applied_seq)) {
          status.applied_seq = 0;
        }
        status.holds = (*db)->get_metadata(schema::kPartitionKey);
        status.replica = replicas_[p][r].address();
        status.missing = false;
        break;
      } catch (const Xapian::Error& e) {
        errors.push_back(absl::StrCat(replicas_[p][r].address(), ": ", e.get_description()));
      }
    }
    if (status.missing && status.replicas_up > 0) {
      // Only the replicas marked up were tried: the others' last probe says why.
      std::lock_guard<std::mutex> lock(state_->mu);
      for (int r = 0; r < status.replicas; ++r) {
        const State::Replica& replica = state_->state[p][r];
        if (!replica.up && !replica.last_error.empty()) errors.push_back(replica.last_error);
      }
    }
    if (status.missing) status.error = absl::StrJoin(errors, "; ");
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace newsearch::search
