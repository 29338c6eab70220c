#include "ingest-service/server/backup.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/logging.h"
#include "common/base/sha256.h"
#include "common/server/grpc_status.h"
#include "newsearch/v1/ingest.grpc.pb.h"

namespace newsearch::ingest {
namespace {

// Removes the scratch file however the stream ends.
class ScratchFile {
 public:
  explicit ScratchFile(std::string path) : path_(std::move(path)) {}
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string UniqueScratchName(const std::string& data_dir) {
  static std::atomic<int64_t> counter{0};
  return absl::StrCat(BackupScratchDir(data_dir), "/snapshot-", absl::ToUnixNanos(absl::Now()),
                      "-", counter.fetch_add(1), ".db");
}

}  // namespace

std::string BackupScratchDir(const std::string& data_dir) {
  return absl::StrCat(data_dir, "/backup-scratch");
}

absl::Status PrepareBackupScratch(const std::string& data_dir) {
  const std::string dir = BackupScratchDir(data_dir);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!ec) std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot prepare the backup scratch directory ", dir, ": ", ec.message()));
  }
  return absl::OkStatus();
}

grpc::Status StreamBackup(const ArticleStore& store, const std::string& data_dir,
                          const v1::BackupStoreRequest& request, grpc::ServerContext* context,
                          grpc::ServerWriter<v1::BackupStoreResponse>* writer) {
  int chunk = request.chunk_bytes();
  if (chunk < 0 || chunk > kMaxBackupChunkBytes) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("chunk_bytes is ", chunk, "; it must be between 0 and ",
                                     kMaxBackupChunkBytes));
  }
  if (chunk == 0) chunk = kDefaultBackupChunkBytes;
  const absl::Time started = absl::Now();
  ScratchFile scratch(UniqueScratchName(data_dir));
  absl::StatusOr<SnapshotInfo> snapshot = store.SnapshotTo(scratch.path());
  if (!snapshot.ok()) {
    Log(LogLevel::kError, "backup", "snapshot failed", {{"status", snapshot.status().ToString()}});
    return server::ToGrpcStatus(snapshot.status());
  }
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(scratch.path(), ec);
  std::ifstream in(scratch.path(), std::ios::binary);
  if (ec || !in) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("cannot read the snapshot ", scratch.path()));
  }
  v1::BackupStoreResponse message;
  v1::BackupInfo* info = message.mutable_info();
  info->set_head_seq(snapshot->head_seq);
  info->set_article_count(snapshot->article_count);
  info->set_size_bytes(static_cast<int64_t>(size));
  info->mutable_taken_at()->set_seconds(absl::ToUnixSeconds(started));
  if (!writer->Write(message)) return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");

  Sha256 sha;
  std::vector<char> buffer(static_cast<size_t>(chunk));
  uintmax_t sent = 0;
  while (sent < size) {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got <= 0) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("snapshot ", scratch.path(), " ended at byte ", sent,
                                       " of ", size));
    }
    sha.Update(absl::string_view(buffer.data(), static_cast<size_t>(got)));
    message.set_data(buffer.data(), static_cast<size_t>(got));
    if (!writer->Write(message)) return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");
    sent += static_cast<uintmax_t>(got);
  }
  message.set_sha256(sha.HexDigest());
  if (!writer->Write(message)) return grpc::Status(grpc::StatusCode::CANCELLED, "caller went away");
  Log(LogLevel::kInfo, "backup", "backup streamed",
      {{"peer", context->peer()},
       {"head_seq", static_cast<long long>(snapshot->head_seq)},
       {"articles", static_cast<long long>(snapshot->article_count)},
       {"bytes", static_cast<long long>(size)},
       {"ms", static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - started))}});
  return grpc::Status::OK;
}

}  // namespace newsearch::ingest
