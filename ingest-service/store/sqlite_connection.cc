#include "ingest-service/store/sqlite_connection.h"

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

#include "common/base/logging.h"

namespace newsearch::ingest::store_internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Readers beyond this many wait for a free connection (StoreOptions::reader_wait).
constexpr int kMaxReadConnections = 4;

// Busy and I/O errors are worth a retry; a full disk is RESOURCE_EXHAUSTED
// (retrying does not help until an operator frees space); anything else (corrupt
// file, constraint, misuse) is a broken invariant.
absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view op) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_FULL ||
      ((rc & 0xff) == SQLITE_IOERR && db != nullptr && sqlite3_system_errno(db) == ENOSPC)) {
    // Says where and how much room is left, so the operator knows what to
    // free; reads go on, and writes work again once there is room.
    const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
    const std::string path = file != nullptr && *file != '\0' ? file : "(unknown file)";
    std::error_code ec;
    const std::filesystem::space_info space =
        std::filesystem::space(std::filesystem::path(path).parent_path(), ec);
    const std::string free = ec ? std::string("unknown") : absl::StrCat(space.available);
    Log(LogLevel::kError, "store", "disk full: writes refused until space is freed",
        {{"path", path}, {"free_bytes", free}, {"op", std::string(op)}});
    return absl::ResourceExhaustedError(
        absl::StrCat("article store: ", op, ": disk full writing ", path, " (", free,
                     " bytes free on its filesystem); free space and retry: ", msg,
                     " (sqlite code ", rc, ")"));
  }
  return absl::Status(CodeFor(rc), absl::StrCat("article store: ", op, ": ", msg,
                                                " (sqlite code ", rc, ")"));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                             bool read_only) {
  auto conn = std::unique_ptr<Connection>(new Connection());
  // NOMUTEX: each connection is used by one thread at a time (our mutexes).
  const int flags = (read_only ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &conn->db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteError(conn->db_, rc, absl::StrCat("open ", path));
  }
  sqlite3_extended_result_codes(conn->db_, 1);
  sqlite3_busy_timeout(conn->db_, kBusyTimeoutMs);
  return conn;
}

absl::Status Connection::Exec(const char* sql, absl::string_view op) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, op);
  return absl::OkStatus();
}

absl::StatusOr<sqlite3_stmt*> Connection::Prepare(const char* sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, absl::StrCat("prepare ", sql));
  stmts_.emplace(sql, stmt);
  return stmt;
}

std::unique_ptr<ReadPool> MakeReadPool(const std::string& path, absl::Duration max_wait) {
  return std::make_unique<ReadPool>(
      kMaxReadConnections, max_wait, "article store read connections",
      [path] { return Connection::Open(path, /*read_only=*/true); });
}

void BindText(sqlite3_stmt* stmt, int i, absl::string_view s) {
  sqlite3_bind_text(stmt, i, s.data() != nullptr ? s.data() : "",
                    static_cast<int>(s.size()), SQLITE_STATIC);
}

void BindBlob(sqlite3_stmt* stmt, int i, absl::string_view s) {
  sqlite3_bind_blob(stmt, i, s.data() != nullptr ? s.data() : "",
                    static_cast<int>(s.size()), SQLITE_STATIC);
}

absl::string_view ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* p = sqlite3_column_text(stmt, col);
  return p == nullptr ? absl::string_view()
                      : absl::string_view(reinterpret_cast<const char*>(p),
                                          sqlite3_column_bytes(stmt, col));
}

absl::string_view ColumnBlob(sqlite3_stmt* stmt, int col) {
  const void* p = sqlite3_column_blob(stmt, col);
  return p == nullptr ? absl::string_view()
                      : absl::string_view(static_cast<const char*>(p),
                                          sqlite3_column_bytes(stmt, col));
}

absl::Status StepDone(Connection& conn, sqlite3_stmt* stmt, absl::string_view op) {
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return SqliteError(conn.db(), rc, op);
  return absl::OkStatus();
}

}  // namespace newsearch::ingest::store_internal
