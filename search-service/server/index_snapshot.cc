#include "search-service/server/index_snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

#include <xapian.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/file_sync.h"
#include "common/base/logging.h"
#include "common/base/sha256.h"
#include "common/base/status_macros.h"
#include "common/server/grpc_status.h"
#include "common/server/server_setup.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

namespace fs = std::filesystem;

// Removes a directory however the call ends.
class ScratchDir {
 public:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The regular files of a compacted shard, sorted by name.
std::vector<std::string> ShardFiles(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A file name the peer sends must stay inside its shard directory.
bool SafeFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

std::string SnapshotScratchDir(const std::string& data_dir) {
  return absl::StrCat(data_dir, "/snapshot-scratch");
}

SnapshotServer::SnapshotServer(IndexWriter* writer, std::string data_dir,
                               std::string analyzer_signature)
    : index_(writer), data_dir_(std::move(data_dir)), analyzer_(std::move(analyzer_signature)) {
  std::error_code ec;
  fs::remove_all(SnapshotScratchDir(data_dir_), ec);
}

grpc::Status SnapshotServer::Stream(grpc::ServerContext* context,
                                    const v1::SnapshotIndexRequest& request,
                                    grpc::ServerWriter<v1::SnapshotIndexResponse>* writer) {
  int chunk = request.chunk_bytes();
  if (chunk < 0 || chunk > kMaxSnapshotChunkBytes) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("chunk_bytes is ", chunk, "; it must be between 0 and ",
                                     kMaxSnapshotChunkBytes));
  }
  if (chunk == 0) chunk = kDefaultSnapshotChunkBytes;
  if (busy_.exchange(true)) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "this replica is taking another snapshot; retry in a while");
  }
  struct Release {
    std::atomic<bool>* busy;
    ~Release() { busy->store(false); }
  } release{&busy_};

  const absl::Time started = absl::Now();
  static std::atomic<int64_t> counter{0};
  ScratchDir scratch(absl::StrCat(SnapshotScratchDir(data_dir_), "/",
                                  absl::ToUnixNanos(started), "-", counter.fetch_add(1)));
  std::error_code ec;
  fs::create_directories(scratch.path(), ec);
  if (ec) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("cannot create ", scratch.path(), ": ", ec.message()));
  }
  absl::StatusOr<std::vector<ShardSnapshot>> shards = index_->Snapshot(scratch.path());
  if (!shards.ok()) {
    Log(LogLevel::kError, "snapshot", "snapshot failed", {{"status", shards.status().ToString()}});
    return server::ToGrpcStatus(shards.status());
  }
  v1::SnapshotIndexResponse message;
  v1::IndexSnapshotInfo* info = message.mutable_info();
  info->set_partition(index_->partition());
  info->set_partition_count(index_->partitions());
  info->set_analyzer(analyzer_);
  info->mutable_taken_at()->set_seconds(absl::ToUnixSeconds(started));
  std::vector<std::string> paths;
  int64_t total = 0;
  int64_t documents = 0;
  for (const ShardSnapshot& shard : *shards) {
    v1::IndexSnapshotShard* s = info->add_shards();
    s->set_shard(shard.shard);
    s->set_applied_seq(shard.applied_seq);
    s->set_document_count(shard.document_count);
    documents += shard.document_count;
    for (const std::string& name : ShardFiles(shard.path)) {
      const std::string path = absl::StrCat(shard.path, "/", name);
      const uintmax_t size = fs::file_size(path, ec);
      if (ec) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            absl::StrCat("cannot read ", path, ": ", ec.message()));
      }
      v1::IndexSnapshotFile* file = info->add_files();
      file->set_shard(shard.shard);
      file->set_name(name);
      file->set_size_bytes(static_cast<int64_t>(size));
      total += static_cast<int64_t>(size);
      paths.push_back(path);
    }
  }
  info->set_size_bytes(total);
  const absl::Duration compacted = absl::Now() - started;
  if (!writer->Write(message)) return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");

  Sha256 sha;
  std::vector<char> buffer(static_cast<size_t>(chunk));
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return grpc::Status(grpc::StatusCode::INTERNAL, absl::StrCat("cannot open ", path));
    while (in) {
      if (context->IsCancelled()) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");
      }
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const std::streamsize got = in.gcount();
      if (got <= 0) break;
      sha.Update(absl::string_view(buffer.data(), static_cast<size_t>(got)));
      message.set_data(buffer.data(), static_cast<size_t>(got));
      if (!writer->Write(message)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");
      }
    }
  }
  message.set_sha256(sha.HexDigest());
  if (!writer->Write(message)) return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");
  Log(LogLevel::kInfo, "snapshot", "index snapshot streamed",
      {{"peer", context->peer()},
       {"shards", static_cast<long long>(shards->size())},
       {"documents", static_cast<long long>(documents)},
       {"bytes", static_cast<long long>(total)},
       {"compact_ms", static_cast<long long>(absl::ToInt64Milliseconds(compacted))},
       {"ms", static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - started))}});
  return grpc::Status::OK;
}

namespace {

// Receives the snapshot into `staging` (which exists and is empty) and
// checks it; fills `result`.
absl::Status ReceiveSnapshot(const BootstrapOptions& options, const std::string& staging,
                             BootstrapResult* result) {
  auto channel = grpc::CreateCustomChannel(
      options.peer,
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials(),
      server::StreamingChannelArguments(options.max_message_bytes));
  auto stub = v1::SearchService::NewStub(channel);
  grpc::ClientContext context;
  if (options.token) {
    const std::string token = options.token();
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
  // The peer may still be starting: wait for it rather than fail at once.
  context.set_wait_for_ready(true);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(6));
  v1::SnapshotIndexRequest request;
  request.set_chunk_bytes(std::min(kMaxSnapshotChunkBytes, options.max_message_bytes / 2));
  auto stream = stub->SnapshotIndex(&context, request);
  v1::SnapshotIndexResponse message;
  auto fail = [&](absl::Status status) {
    context.TryCancel();
    stream->Finish();
    return status;
  };
  if (!stream->Read(&message)) {
    const grpc::Status finished = stream->Finish();
    return absl::UnavailableError(absl::StrCat("snapshot from ", options.peer, " failed: ",
                                               static_cast<int>(finished.error_code()), " ",
                                               finished.error_message()));
  }
  if (!message.has_info()) {
    return fail(absl::DataLossError(
        absl::StrCat("snapshot from ", options.peer, " does not start with its info")));
  }
  const v1::IndexSnapshotInfo info = message.info();
  const int shards = info.shards_size();
  const int peer_partitions = std::max(1, info.partition_count());
  if (info.partition() != options.partition || peer_partitions != options.partitions) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "peer ", options.peer, " holds partition ", info.partition(), "/", peer_partitions,
        " but this replica runs --partition=", options.partition, "/", options.partitions,
        "; bootstrap from a replica of the same partition")));
  }
  if (options.index_shards != 0 && options.index_shards != shards) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "peer ", options.peer, " has ", shards, " index shards but --index_shards is ",
        options.index_shards, "; start with --index_shards=", shards,
        " (or 0) to bootstrap from it, or without --bootstrap_from to build the index from the "
        "change log")));
  }
  if (info.analyzer() != options.analyzer_signature) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "peer ", options.peer, " built its index with analyzer `", info.analyzer(),
        "` but this replica runs `", options.analyzer_signature,
        "`; start it with the peer's --analyzer or bootstrap from another replica")));
  }
  if (shards == 0) {
    return fail(absl::DataLossError(absl::StrCat("snapshot from ", options.peer, " has no shard")));
  }
  for (int i = 0; i < shards; ++i) {
    if (info.shards(i).shard() != i) {
      return fail(absl::DataLossError(absl::StrCat("snapshot from ", options.peer,
                                                   " lists shard ", info.shards(i).shard(),
                                                   " in place ", i)));
    }
  }
  // The files, in info order, from the concatenated data chunks.
  Sha256 sha;
  int64_t received = 0;
  std::string pending;  // bytes received, not yet written
  size_t offset = 0;
  for (const v1::IndexSnapshotFile& file : info.files()) {
    if (file.shard() < 0 || file.shard() >= shards || !SafeFileName(file.name()) ||
        file.size_bytes() < 0) {
      return fail(absl::DataLossError(absl::StrCat("snapshot from ", options.peer,
                                                   " names a bad file: shard ", file.shard(),
                                                   " '", file.name(), "'")));
    }
    const std::string dir =
        absl::StrCat(staging, "/", IndexShardDirName(file.shard(), 0));
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string path = absl::StrCat(dir, "/", file.name());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(ErrnoError("creating", path));
    int64_t left = file.size_bytes();
    absl::Status written = absl::OkStatus();
    while (left > 0 && written.ok()) {
      if (offset == pending.size()) {
        pending.clear();
        offset = 0;
        if (!stream->Read(&message) || !message.has_data()) {
          written = absl::DataLossError(absl::StrCat(
              "snapshot from ", options.peer, " ended after ", received, " of ",
              info.size_bytes(), " bytes"));
          break;
        }
        pending = std::move(*message.mutable_data());
        sha.Update(pending);
        received += static_cast<int64_t>(pending.size());
      }
      const size_t n = std::min(static_cast<size_t>(left), pending.size() - offset);
      if (::write(fd, pending.data() + offset, n) != static_cast<ssize_t>(n)) {
        written = ErrnoError("writing", path);
        break;
      }
      offset += n;
      left -= static_cast<int64_t>(n);
    }
    if (written.ok() && ::fsync(fd) != 0) written = ErrnoError("syncing", path);
    ::close(fd);
    if (!written.ok()) return fail(written);
  }
  if (offset != pending.size()) {
    return fail(absl::DataLossError(
        absl::StrCat("snapshot from ", options.peer, " sent more bytes than its files hold")));
  }
  if (!stream->Read(&message) || !message.has_sha256()) {
    return fail(absl::DataLossError(
        absl::StrCat("snapshot from ", options.peer, " ended without its checksum")));
  }
  const std::string digest = sha.HexDigest();
  if (message.sha256() != digest || received != info.size_bytes()) {
    return fail(absl::DataLossError(absl::StrCat(
        "snapshot from ", options.peer, " does not match its checksum: received ", received,
        " of ", info.size_bytes(), " bytes, sha256 ", digest, ", expected ", message.sha256())));
  }
  const grpc::Status finished = stream->Finish();
  if (!finished.ok()) {
    return absl::UnavailableError(absl::StrCat("snapshot from ", options.peer, " failed: ",
                                               finished.error_message()));
  }
  // Xapian must read from the copy exactly what the peer's shard held.
  result->shards = shards;
  result->bytes = received;
  for (int i = 0; i < shards; ++i) {
    const std::string dir = absl::StrCat(staging, "/", IndexShardDirName(i, 0));
    const v1::IndexSnapshotShard& want = info.shards(i);
    try {
      Xapian::Database db(dir);
      int64_t applied = 0;
      const std::string recorded = db.get_metadata(schema::kAppliedSeqKey);
      if ((!recorded.empty() && !absl::SimpleAtoi(recorded, &applied)) ||
          applied != want.applied_seq() ||
          static_cast<int64_t>(db.get_doccount()) != want.document_count()) {
        return absl::DataLossError(absl::StrCat(
            "snapshot shard ", i, " from ", options.peer, " holds ", db.get_doccount(),
            " documents at applied_seq '", recorded, "', the peer announced ",
            want.document_count(), " at ", want.applied_seq()));
      }
      result->documents += want.document_count();
      result->min_applied_seq =
          i == 0 ? applied : std::min(result->min_applied_seq, applied);
    } catch (const Xapian::Error& e) {
      return absl::DataLossError(absl::StrCat("snapshot shard ", i, " from ", options.peer,
                                              " does not open: ", e.get_description()));
    }
    NEWSEARCH_RETURN_IF_ERROR(FsyncPath(dir, O_RDONLY | O_DIRECTORY));
  }
  return WriteNewIndexStub(staging, shards);
}

}  // namespace

absl::StatusOr<BootstrapResult> BootstrapIndex(const BootstrapOptions& options) {
  BootstrapResult result;
  std::error_code ec;
  const fs::path index(options.index_path);
  if (fs::exists(index / "XAPIANDB", ec) || fs::exists(index / "iamglass", ec)) {
    Log(LogLevel::kInfo, "bootstrap", "index present; following the change log from it",
        {{"path", options.index_path}});
    return result;  // IndexWriter::Open checks what is there
  }
  // No stub: nothing of an index was ever completed here.
  fs::remove_all(index, ec);
  const std::string staging = options.index_path + ".bootstrap";
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("creating ", staging, ": ", ec.message()));
  }
  const absl::Time started = absl::Now();
  Log(LogLevel::kInfo, "bootstrap", "copying the index snapshot of a peer",
      {{"peer", options.peer}, {"path", options.index_path}});
  absl::Status received = ReceiveSnapshot(options, staging, &result);
  if (!received.ok()) {
    fs::remove_all(staging, ec);
    return received;
  }
  if (::rename(staging.c_str(), options.index_path.c_str()) != 0) {
    const absl::Status renamed = ErrnoError("renaming into", options.index_path);
    fs::remove_all(staging, ec);
    return renamed;
  }
  NEWSEARCH_RETURN_IF_ERROR(
      FsyncPath(index.parent_path().empty() ? "." : index.parent_path().string(),
                O_RDONLY | O_DIRECTORY));
  result.copied = true;
  Log(LogLevel::kInfo, "bootstrap", "index bootstrapped",
      {{"peer", options.peer},
       {"shards", result.shards},
       {"documents", static_cast<long long>(result.documents)},
       {"applied_seq", static_cast<long long>(result.min_applied_seq)},
       {"bytes", static_cast<long long>(result.bytes)},
       {"ms", static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - started))}});
  return result;
}

}  // namespace newsearch::search
