// Retention of the article store (#9): the followers of the change log and
// the seq each has applied, the purge of tombstones every follower has
// passed, and the WAL checkpoint and file sizes the retention loop
// (ingest-service/server/retention.h) looks after.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "ingest-service/store/article_rows.h"
#include "ingest-service/store/article_store.h"
#include "ingest-service/store/article_store_impl.h"
#include "ingest-service/store/sqlite_connection.h"

namespace newsearch::ingest {

using store_internal::BindText;
using store_internal::ColumnText;
using store_internal::NowMicros;
using store_internal::SqliteError;
using store_internal::StepDone;
using store_internal::StmtScope;

namespace {

constexpr char kSelectPurgedThrough[] = "SELECT value FROM meta WHERE key = 'purged_through_seq'";
constexpr char kUpdatePurgedThrough[] =
    "UPDATE meta SET value = MAX(value, ?1) WHERE key = 'purged_through_seq'";
constexpr char kUpsertFollower[] =
    "INSERT INTO followers (follower_id, acked_seq, seen_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (follower_id) DO UPDATE SET acked_seq = excluded.acked_seq, "
    "seen_at = excluded.seen_at";
constexpr char kSelectFollowers[] =
    "SELECT follower_id, acked_seq, seen_at FROM followers ORDER BY follower_id";
constexpr char kMinAckedSince[] = "SELECT MIN(acked_seq) FROM followers WHERE seen_at >= ?1";
constexpr char kMaxPurgeableSeq[] =
    "SELECT MAX(seq), COUNT(*) FROM articles WHERE deleted = 1 AND seq <= ?1 AND updated_at < ?2";
constexpr char kPurgeTombstones[] =
    "DELETE FROM articles WHERE deleted = 1 AND seq <= ?1 AND updated_at < ?2";

}  // namespace

absl::Status ArticleStore::Impl::LoadPurgedThroughSeq() {
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSelectPurgedThrough));
  StmtScope scope(stmt);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    if (rc == SQLITE_DONE) {
      return absl::InternalError(
          absl::StrCat("article store: ", path, " has no purged_through_seq row"));
    }
    return SqliteError(writer->db(), rc, "read purged_through_seq");
  }
  purged_through_seq.store(sqlite3_column_int64(stmt, 0));
  return absl::OkStatus();
}

absl::Status ArticleStore::RecordFollower(absl::string_view follower_id, int64_t acked_seq) {
  if (follower_id.empty()) return absl::InvalidArgumentError("follower_id is empty");
  Impl& impl = *impl_;
  absl::MutexLock lock(&impl.write_mu);
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kUpsertFollower));
  StmtScope scope(stmt);
  BindText(stmt, 1, follower_id);
  sqlite3_bind_int64(stmt, 2, acked_seq);
  sqlite3_bind_int64(stmt, 3, NowMicros());
  return StepDone(*impl.writer, stmt, absl::StrCat("record follower ", follower_id));
}

absl::StatusOr<std::vector<FollowerPosition>> ArticleStore::Followers() const {
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, (*reader)->Prepare(kSelectFollowers));
  StmtScope scope(stmt);
  std::vector<FollowerPosition> followers;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    FollowerPosition& follower = followers.emplace_back();
    follower.follower_id = std::string(ColumnText(stmt, 0));
    follower.acked_seq = sqlite3_column_int64(stmt, 1);
    follower.seen_at = absl::FromUnixMicros(sqlite3_column_int64(stmt, 2));
  }
  if (rc != SQLITE_DONE) return SqliteError((*reader)->db(), rc, "list followers");
  return followers;
}

absl::StatusOr<PurgeResult> ArticleStore::PurgeTombstones(absl::Time deleted_before,
                                                          absl::Time followers_seen_since) {
  Impl& impl = *impl_;
  absl::MutexLock lock(&impl.write_mu);
  PurgeResult result;
  // Every follower heard from since `followers_seen_since` must have
  // applied a tombstone before it goes; with none, any may go (a follower
  // that starts later bootstraps from seq 0 and needs no tombstone).
  int64_t limit = impl.head_seq.load();
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kMinAckedSince));
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, absl::ToUnixMicros(followers_seen_since));
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) return SqliteError(impl.writer->db(), rc, "read followers' seqs");
    if (sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
      limit = std::min<int64_t>(limit, sqlite3_column_int64(stmt, 0));
    }
  }
  result.purged_through_seq = impl.purged_through_seq.load();
  int64_t max_seq = 0;
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kMaxPurgeableSeq));
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, limit);
    sqlite3_bind_int64(stmt, 2, absl::ToUnixMicros(deleted_before));
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) return SqliteError(impl.writer->db(), rc, "find purgeable tombstones");
    max_seq = sqlite3_column_int64(stmt, 0);
    result.purged = sqlite3_column_int64(stmt, 1);
  }
  if (result.purged == 0) return result;
  NEWSEARCH_RETURN_IF_ERROR(impl.InWriteTransaction("purge tombstones", [&]() -> absl::Status {
    {
      NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kPurgeTombstones));
      StmtScope scope(stmt);
      sqlite3_bind_int64(stmt, 1, limit);
      sqlite3_bind_int64(stmt, 2, absl::ToUnixMicros(deleted_before));
      NEWSEARCH_RETURN_IF_ERROR(StepDone(*impl.writer, stmt, "purge tombstones"));
    }
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kUpdatePurgedThrough));
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, max_seq);
    return StepDone(*impl.writer, stmt, "update purged_through_seq");
  }));
  if (max_seq > impl.purged_through_seq.load()) impl.purged_through_seq.store(max_seq);
  result.purged_through_seq = impl.purged_through_seq.load();
  return result;
}

int64_t ArticleStore::PurgedThroughSeq() const { return impl_->purged_through_seq.load(); }

absl::Status ArticleStore::Checkpoint() {
  Impl& impl = *impl_;
  absl::MutexLock lock(&impl.write_mu);
  // PASSIVE never waits for readers; the next write then restarts the WAL
  // from its beginning and journal_size_limit truncates the file.
  int log_frames = 0;
  int checkpointed = 0;
  const int rc = sqlite3_wal_checkpoint_v2(impl.writer->db(), nullptr,
                                           SQLITE_CHECKPOINT_PASSIVE, &log_frames, &checkpointed);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    return SqliteError(impl.writer->db(), rc, "checkpoint the WAL");
  }
  return absl::OkStatus();
}

int64_t ArticleStore::SizeBytes() const {
  int64_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(impl_->path + suffix, ec);
    if (!ec) total += static_cast<int64_t>(size);
  }
  return total;
}

}  // namespace newsearch::ingest
