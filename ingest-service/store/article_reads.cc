// Reads of the article store on its pool of read connections: live
// articles (Get, GetRaw, List) and the change log (ChangesAfter,
// PartitionChangesAfter), each from one WAL snapshot, never waiting for a
// writer's commit.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/stable_hash.h"
#include "common/base/status_macros.h"
#include "ingest-service/store/article_rows.h"
#include "ingest-service/store/article_store.h"
#include "ingest-service/store/article_store_impl.h"
#include "ingest-service/store/sqlite_connection.h"

namespace newsearch::ingest {

using store_internal::BindText;
using store_internal::CheckId;
using store_internal::ColumnBlob;
using store_internal::ColumnText;
using store_internal::ReadArticle;
using store_internal::SqliteError;
using store_internal::StmtScope;

namespace {

constexpr char kSelectLive[] =
    "SELECT seq, article, ingested_at, updated_at, page_id FROM articles "
    "WHERE id = ?1 AND deleted = 0";
constexpr char kSelectRaw[] =
    "SELECT p.raw FROM articles a JOIN pages p ON p.page_id = a.page_id "
    "WHERE a.id = ?1 AND a.deleted = 0";
constexpr char kList[] =
    "SELECT id, seq, article, ingested_at, updated_at, page_id FROM articles "
    "WHERE id > ?1 AND deleted = 0 ORDER BY id LIMIT ?2";
constexpr char kChanges[] =
    "SELECT id, seq, article, ingested_at, updated_at, page_id, deleted FROM articles "
    "WHERE seq > ?1 ORDER BY seq LIMIT ?2";

// Binds `id` to parameter 1 of a one-row lookup and steps to its row.
// NOT_FOUND when there is none; SQLite errors name `operation`.
absl::Status StepToArticleRow(sqlite3* db, sqlite3_stmt* stmt, absl::string_view id,
                              absl::string_view operation) {
  BindText(stmt, 1, id);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("article store: no article with id '", id, "'"));
  }
  if (rc != SQLITE_ROW) return SqliteError(db, rc, operation);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Article> ArticleStore::Get(absl::string_view id) const {
  NEWSEARCH_RETURN_IF_ERROR(CheckId(id));
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, (*reader)->Prepare(kSelectLive));
  StmtScope scope(stmt);
  NEWSEARCH_RETURN_IF_ERROR(
      StepToArticleRow((*reader)->db(), stmt, id, absl::StrCat("get article ", id)));
  NEWSEARCH_ASSIGN_OR_RETURN(v1::Article article, ReadArticle(stmt, 0, id));
  return article;
}

absl::StatusOr<std::string> ArticleStore::GetRaw(absl::string_view id) const {
  NEWSEARCH_RETURN_IF_ERROR(CheckId(id));
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, (*reader)->Prepare(kSelectRaw));
  StmtScope scope(stmt);
  NEWSEARCH_RETURN_IF_ERROR(
      StepToArticleRow((*reader)->db(), stmt, id, absl::StrCat("get raw page of ", id)));
  return std::string(ColumnBlob(stmt, 0));
}

absl::StatusOr<ListResult> ArticleStore::List(absl::string_view after_id, int limit) const {
  if (limit <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("article store: list limit must be positive, got ", limit));
  }
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, (*reader)->Prepare(kList));
  StmtScope scope(stmt);
  BindText(stmt, 1, after_id);
  // One extra row tells whether another page follows.
  sqlite3_bind_int64(stmt, 2, static_cast<int64_t>(limit) + 1);
  ListResult result;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (static_cast<int>(result.articles.size()) == limit) {
      result.next_after_id = result.articles.back().id();
      break;
    }
    const absl::string_view id = ColumnText(stmt, 0);
    NEWSEARCH_ASSIGN_OR_RETURN(v1::Article article, ReadArticle(stmt, 1, id));
    result.articles.push_back(std::move(article));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return SqliteError((*reader)->db(), rc, "list articles");
  }
  return result;
}

absl::StatusOr<std::vector<v1::Change>> ArticleStore::ChangesAfter(int64_t after_seq,
                                                                   int limit,
                                                                   int64_t max_bytes) const {
  NEWSEARCH_ASSIGN_OR_RETURN(PartitionChanges read,
                             PartitionChangesAfter(after_seq, 0, 1, limit, max_bytes, limit));
  return std::move(read.changes);
}

absl::StatusOr<ArticleStore::PartitionChanges> ArticleStore::PartitionChangesAfter(
    int64_t after_seq, int partition, int partitions, int limit, int64_t max_bytes,
    int max_scanned) const {
  if (limit <= 0 || max_scanned < limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "article store: changes limit must be positive and at most the rows scanned, got ",
        limit, " and ", max_scanned));
  }
  if (partitions <= 0 || partition < 0 || partition >= partitions) {
    return absl::InvalidArgumentError(absl::StrCat("article store: partition ", partition, "/",
                                                   partitions, " is not in 0..",
                                                   partitions - 1, " of a positive count"));
  }
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, (*reader)->Prepare(kChanges));
  StmtScope scope(stmt);
  sqlite3_bind_int64(stmt, 1, after_seq);
  sqlite3_bind_int64(stmt, 2, max_scanned);
  PartitionChanges result;
  result.complete_seq = after_seq;
  std::vector<v1::Change>& changes = result.changes;
  int64_t bytes = 0;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const absl::string_view id = ColumnText(stmt, 0);
    const int64_t seq = sqlite3_column_int64(stmt, 1);
    if (partitions > 1 && PartitionOf(id, partitions) != partition) {
      // Rows are read in seq order: everything of the partition up to here
      // has been taken.
      result.complete_seq = seq;
      continue;
    }
    v1::Change change;
    change.set_seq(seq);
    change.set_article_id(std::string(id));
    if (sqlite3_column_int(stmt, 6) != 0) {
      change.set_kind(v1::CHANGE_KIND_DELETE);
    } else {
      change.set_kind(v1::CHANGE_KIND_UPSERT);
      NEWSEARCH_ASSIGN_OR_RETURN(*change.mutable_article(), ReadArticle(stmt, 1, id));
    }
    bytes += static_cast<int64_t>(change.ByteSizeLong());
    if (!changes.empty() && bytes > max_bytes) break;
    changes.push_back(std::move(change));
    result.complete_seq = seq;
    if (static_cast<int>(changes.size()) >= limit) break;
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return SqliteError((*reader)->db(), rc, "read changes");
  }
  return result;
}

}  // namespace newsearch::ingest
