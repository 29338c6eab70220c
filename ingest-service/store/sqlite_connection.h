// The article store's use of SQLite's C API, shared by the files of
// newsearch_store (not used outside it): one connection with its cache of
// prepared statements, the pool of read connections, the binding and column
// helpers, write transactions, and the one mapping of SQLite result codes to
// absl::Status.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_SQLITE_CONNECTION_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "ingest-service/store/lease_pool.h"

namespace newsearch::ingest::store_internal {

// Returns the status of a failed SQLite call `op` (named in the message):
// busy and I/O errors are UNAVAILABLE (worth a retry); a full disk is
// RESOURCE_EXHAUSTED, naming the file and the room left, and logged;
// anything else (corrupt file, constraint, misuse) is INTERNAL.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view op);

// One SQLite connection and its prepared statements. Not thread-safe: the
// owner serialises its use.
class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens `path` (read-only, or read-write and created when missing) with
  // extended result codes and a busy timeout.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path,
                                                          bool read_only);

  sqlite3* db() const { return db_; }

  // Runs one or more statements without results.
  absl::Status Exec(const char* sql, absl::string_view op);

  // Returns the cached statement for `sql` (a kXxx constant), reset and with
  // no bindings. The cache is keyed by the pointer: pass a constant, never a
  // string built per call.
  absl::StatusOr<sqlite3_stmt*> Prepare(const char* sql);

 private:
  Connection() = default;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
};

// The store's read connections: at most a few (kMaxReadConnections in the
// .cc), opened read-only on demand; a read beyond them waits up to
// `max_wait`, then fails with RESOURCE_EXHAUSTED (LeasePool).
using ReadPool = LeasePool<Connection>;
std::unique_ptr<ReadPool> MakeReadPool(const std::string& path, absl::Duration max_wait);

// Resets a cached statement when leaving scope, so it never holds a read
// snapshot open or keeps bindings pointing at freed memory.
class StmtScope {
 public:
  explicit StmtScope(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtScope() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtScope(const StmtScope&) = delete;
  StmtScope& operator=(const StmtScope&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Binds without copying: the caller keeps `s` alive until the statement is
// reset. A default string_view (null data) binds "", not SQL NULL.
void BindText(sqlite3_stmt* stmt, int i, absl::string_view s);
void BindBlob(sqlite3_stmt* stmt, int i, absl::string_view s);

// Column `col` of the current row, valid until the statement steps or
// resets; empty for NULL.
absl::string_view ColumnText(sqlite3_stmt* stmt, int col);
absl::string_view ColumnBlob(sqlite3_stmt* stmt, int col);

// Steps a statement that returns no rows.
absl::Status StepDone(Connection& conn, sqlite3_stmt* stmt, absl::string_view op);

// Runs `body` (returning absl::Status) inside BEGIN IMMEDIATE ... COMMIT on
// `writer`; rolls back when it or the commit fails, and returns the first
// error.
template <typename Fn>
absl::Status InWriteTransaction(Connection& writer, absl::string_view op, Fn body) {
  NEWSEARCH_RETURN_IF_ERROR(writer.Exec("BEGIN IMMEDIATE", absl::StrCat(op, ": begin")));
  absl::Status status = body();
  if (status.ok()) {
    status = writer.Exec("COMMIT", absl::StrCat(op, ": commit"));
    if (status.ok()) return status;
  }
  // Rolling back a transaction that SQLite already ended on its own (after
  // some I/O errors) fails harmlessly; the first error is the one to report.
  if (!sqlite3_get_autocommit(writer.db())) {
    sqlite3_exec(writer.db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return status;
}

}  // namespace newsearch::ingest::store_internal

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_SQLITE_CONNECTION_H_
