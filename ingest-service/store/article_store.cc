// ArticleStore on SQLite (C API). One write connection behind write_mu_, a
// small pool of read connections (LeasePool), so that readers never wait
// for a writer's commit (WAL gives every reader its own snapshot).
//
// This file opens the store and holds its core writes (PutPages, Delete)
// and whole-store operations (HeadSeq, CountLive, SnapshotTo). The rest of
// ArticleStore, one job a file:
//   article_reads.cc       Get, GetRaw, List and the change log reads
//   duplicate_rules.cc     near-duplicate roots, band keys, re-linking
//   reparse.cc             ListPages, CountPages, ReplacePages
//   retention.cc           followers, tombstone purge, WAL checkpoint
//   schema_migrations.*    the schema, its versions and the migrations
//   sqlite_connection.*    connections, statements, the read pool, errors
//   article_rows.*         an article's stored bytes and reading a row back
#include "ingest-service/store/article_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/base/sha256.h"
#include "common/base/status_macros.h"
#include "ingest-service/store/article_rows.h"
#include "ingest-service/store/article_store_impl.h"
#include "ingest-service/store/schema_migrations.h"
#include "ingest-service/store/sqlite_connection.h"

namespace newsearch::ingest {

using store_internal::BindBlob;
using store_internal::BindText;
using store_internal::CanonicalBytes;
using store_internal::CheckId;
using store_internal::ColumnBlob;
using store_internal::ColumnText;
using store_internal::Connection;
using store_internal::NowMicros;
using store_internal::SqliteError;
using store_internal::StepDone;
using store_internal::StmtScope;

namespace {

// Statements, cached per connection (keyed by these pointers).
constexpr char kSelectHeadSeq[] = "SELECT value FROM meta WHERE key = 'head_seq'";
constexpr char kUpdateHeadSeq[] = "UPDATE meta SET value = ?1 WHERE key = 'head_seq'";
constexpr char kSelectForWrite[] =
    "SELECT seq, deleted, content_hash, page_id, signature IS NULL FROM articles WHERE id = ?1";
constexpr char kInsertPage[] =
    "INSERT OR IGNORE INTO pages (page_id, raw, content_type, stored_at, url, external_id, "
    "source_hint, has_request) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)";
constexpr char kDropPageIfUnused[] =
    "DELETE FROM pages WHERE page_id = ?1 AND "
    "NOT EXISTS (SELECT 1 FROM articles WHERE page_id = ?1)";
constexpr char kInsertArticle[] =
    "INSERT INTO articles (id, seq, deleted, article, content_hash, page_id, "
    "ingested_at, updated_at) VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?6)";
constexpr char kRecreateArticle[] =
    "UPDATE articles SET seq = ?2, deleted = 0, article = ?3, content_hash = ?4, "
    "page_id = ?5, ingested_at = ?6, updated_at = ?6 WHERE id = ?1";
constexpr char kUpdateArticle[] =
    "UPDATE articles SET seq = ?2, article = ?3, content_hash = ?4, page_id = ?5, "
    "updated_at = ?6 WHERE id = ?1";
// Live articles whose id is `<base>-<k>`: ids are hex, so the range
// ["<base>-", "<base>.") holds exactly them.
constexpr char kSelectSiblings[] =
    "SELECT id, page_id FROM articles WHERE id > ?1 AND id < ?2 AND deleted = 0";
constexpr char kTombstone[] =
    "UPDATE articles SET seq = ?2, deleted = 1, article = NULL, content_hash = NULL, "
    "page_id = NULL, updated_at = ?3, duplicate_of = NULL WHERE id = ?1";
constexpr char kCountLive[] = "SELECT COUNT(*) FROM articles WHERE deleted = 0";

}  // namespace

std::string PageIdFor(absl::string_view raw, absl::string_view url,
                      absl::string_view external_id, absl::string_view source_hint,
                      absl::string_view content_type) {
  std::string key = "newsearch-page-v2";
  for (absl::string_view field : {url, external_id, source_hint, content_type, raw}) {
    absl::StrAppend(&key, "\n", field.size(), ":", field);
  }
  return Sha256Hex(key);
}

absl::Status ArticleStore::Impl::DropPageIfUnused(absl::string_view page_id) {
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kDropPageIfUnused));
  StmtScope scope(stmt);
  BindText(stmt, 1, page_id);
  return StepDone(*writer, stmt, "drop unused page");
}

absl::Status ArticleStore::Impl::SetHeadSeq(int64_t seq) {
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kUpdateHeadSeq));
  StmtScope scope(stmt);
  sqlite3_bind_int64(stmt, 1, seq);
  return StepDone(*writer, stmt, "update head_seq");
}

absl::Status ArticleStore::Impl::TombstoneDroppedSiblings(
    const PageWrite& page, int64_t now, int64_t* next_seq,
    std::vector<ArticleWriteResult>* written) {
  const std::string& base = page.articles.front().id();
  std::vector<std::pair<std::string, std::string>> dropped;  // id, page_id
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSelectSiblings));
    StmtScope scope(stmt);
    const std::string from = base + "-";
    const std::string to = base + ".";
    BindText(stmt, 1, from);
    BindText(stmt, 2, to);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const absl::string_view id = ColumnText(stmt, 0);
      size_t k = 0;
      if (absl::SimpleAtoi(id.substr(from.size()), &k) && k >= page.articles.size()) {
        dropped.emplace_back(std::string(id), std::string(ColumnText(stmt, 1)));
      }
    }
    if (rc != SQLITE_DONE) return SqliteError(writer->db(), rc, "read the page's other articles");
  }
  for (const auto& [id, page_id] : dropped) {
    const int64_t tombstone_seq = *next_seq + 1;  // re-linked copies take later ones
    NEWSEARCH_RETURN_IF_ERROR(Tombstone(id, page_id, now, next_seq));
    ArticleWriteResult& result = written->emplace_back();
    result.id = id;
    result.seq = tombstone_seq;
    result.outcome = v1::OUTCOME_DELETED;
  }
  return absl::OkStatus();
}

absl::Status ArticleStore::Impl::Tombstone(absl::string_view id, absl::string_view page_id,
                                           int64_t now, int64_t* next_seq) {
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kTombstone));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, ++*next_seq);
    sqlite3_bind_int64(stmt, 3, now);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, absl::StrCat("delete article ", id)));
  }
  // Clears the signature too, after finding the band keys to drop from it.
  NEWSEARCH_RETURN_IF_ERROR(RemoveFromDuplicates(id, now, next_seq));
  if (!page_id.empty()) NEWSEARCH_RETURN_IF_ERROR(DropPageIfUnused(page_id));
  return absl::OkStatus();
}

absl::StatusOr<ArticleWriteResult> ArticleStore::Impl::WriteOne(
    const v1::Article& input, const std::optional<MinHashSignature>& signature,
    absl::string_view page_id, const PageWrite& page, int64_t now, int64_t* next_seq,
    bool* page_stored) {
  v1::Article article = input;
  NEWSEARCH_ASSIGN_OR_RETURN(const std::string root, DuplicateRootFor(article.id(), signature));
  article.set_duplicate_of(root);
  article.clear_page_id();
  const std::string blob = CanonicalBytes(article);
  // Empty only when OpenSSL fails to allocate: an empty digest never equals
  // a stored one, so the write then goes through as a change.
  const std::string hash = Sha256Digest(blob);
  ArticleWriteResult result;
  result.id = article.id();
  result.duplicate_of = root;

  bool exists = false;
  bool deleted = false;
  std::string old_page_id;
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSelectForWrite));
    StmtScope scope(stmt);
    BindText(stmt, 1, article.id());
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      exists = true;
      deleted = sqlite3_column_int(stmt, 1) != 0;
      if (!deleted && !hash.empty() && ColumnBlob(stmt, 2) == hash) {
        result.seq = sqlite3_column_int64(stmt, 0);
        result.outcome = v1::OUTCOME_UNCHANGED;
        // Rows written by schema version 1 have no signature yet.
        const bool unsigned_row = sqlite3_column_int(stmt, 4) != 0;
        if (unsigned_row && signature) {
          NEWSEARCH_RETURN_IF_ERROR(SetDedup(article.id(), signature, root));
        }
        return result;
      }
      old_page_id = std::string(ColumnText(stmt, 3));
    } else if (rc != SQLITE_DONE) {
      return SqliteError(writer->db(), rc, absl::StrCat("read article ", article.id()));
    }
  }

  if (!*page_stored) {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kInsertPage));
    StmtScope scope(stmt);
    BindText(stmt, 1, page_id);
    BindBlob(stmt, 2, page.raw);
    BindText(stmt, 3, page.content_type);
    sqlite3_bind_int64(stmt, 4, now);
    BindText(stmt, 5, page.url);
    BindText(stmt, 6, page.external_id);
    BindText(stmt, 7, page.source_hint);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "store page"));
    *page_stored = true;
  }

  const int64_t seq = ++*next_seq;
  const char* sql = !exists ? kInsertArticle : deleted ? kRecreateArticle : kUpdateArticle;
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(sql));
    StmtScope scope(stmt);
    BindText(stmt, 1, article.id());
    sqlite3_bind_int64(stmt, 2, seq);
    BindBlob(stmt, 3, blob);
    BindBlob(stmt, 4, hash);
    BindText(stmt, 5, page_id);
    sqlite3_bind_int64(stmt, 6, now);
    NEWSEARCH_RETURN_IF_ERROR(
        StepDone(*writer, stmt, absl::StrCat("write article ", article.id())));
  }
  NEWSEARCH_RETURN_IF_ERROR(SetDedup(article.id(), signature, root));
  if (!old_page_id.empty() && old_page_id != page_id) {
    NEWSEARCH_RETURN_IF_ERROR(DropPageIfUnused(old_page_id));
  }
  result.seq = seq;
  result.outcome = exists && !deleted ? v1::OUTCOME_UPDATED : v1::OUTCOME_CREATED;
  return result;
}

ArticleStore::ArticleStore() : impl_(std::make_unique<Impl>()) {}
ArticleStore::~ArticleStore() = default;

absl::StatusOr<std::unique_ptr<ArticleStore>> ArticleStore::Open(
    const StoreOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("article store: path is empty");
  }
  if (options.dedup_pending_articles < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "article store: dedup_pending_articles must be positive, got ",
        options.dedup_pending_articles));
  }
  const std::filesystem::path path(options.path);
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("article store: cannot create directory ",
                                                 path.parent_path().string(), ": ",
                                                 ec.message()));
    }
  }

  auto store = std::unique_ptr<ArticleStore>(new ArticleStore());
  Impl& impl = *store->impl_;
  impl.path = options.path;
  impl.fsync_every_commit = options.fsync_every_commit;
  impl.readers = store_internal::MakeReadPool(options.path, options.reader_wait);

  absl::MutexLock lock(&impl.write_mu);
  NEWSEARCH_ASSIGN_OR_RETURN(impl.writer, Connection::Open(options.path, false));
  Connection& w = *impl.writer;
  {
    // journal_mode answers with the mode in force; anything but "wal" means
    // the file cannot do WAL (e.g. some network filesystems).
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(w.db(), "PRAGMA journal_mode = WAL", -1, &stmt, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    const std::string mode =
        rc == SQLITE_ROW ? std::string(ColumnText(stmt, 0)) : std::string();
    const absl::Status error =
        rc == SQLITE_ROW ? absl::OkStatus()
                         : SqliteError(w.db(), rc, absl::StrCat("open ", options.path));
    sqlite3_finalize(stmt);
    NEWSEARCH_RETURN_IF_ERROR(error);
    if (mode != "wal") {
      return absl::UnavailableError(absl::StrCat("article store: ", options.path,
                                                 " cannot use WAL (journal_mode=", mode,
                                                 ")"));
    }
  }
  NEWSEARCH_RETURN_IF_ERROR(w.Exec(options.fsync_every_commit ? "PRAGMA synchronous = FULL"
                                                              : "PRAGMA synchronous = NORMAL",
                                   "set synchronous"));
  // The WAL is cut back to this size after each checkpoint that empties it,
  // so a burst of writes does not leave a large file behind (#9).
  NEWSEARCH_RETURN_IF_ERROR(
      w.Exec("PRAGMA journal_size_limit = 67108864", "set journal_size_limit"));
  // The writer's page cache (SQLite's default is 2 MiB): the indexes it
  // updates for every page (dedup bands, ids, pages) stay in memory rather
  // than being read back from the OS on every insert. A fixed 32 MiB.
  NEWSEARCH_RETURN_IF_ERROR(w.Exec("PRAGMA cache_size = -32768", "set cache_size"));
  NEWSEARCH_RETURN_IF_ERROR(store_internal::MigrateSchema(*impl.writer, impl.path));
  NEWSEARCH_RETURN_IF_ERROR(impl.LoadPurgedThroughSeq());
  impl.dedup_pending_articles = options.dedup_pending_articles;
  NEWSEARCH_RETURN_IF_ERROR(impl.LoadPendingBands());

  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, w.Prepare(kSelectHeadSeq));
  StmtScope scope(stmt);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    if (rc == SQLITE_DONE) {
      return absl::InternalError(
          absl::StrCat("article store: ", options.path, " has no head_seq row"));
    }
    return SqliteError(w.db(), rc, "read head_seq");
  }
  impl.head_seq.store(sqlite3_column_int64(stmt, 0));
  return store;
}

absl::StatusOr<std::vector<ArticleWriteResult>> ArticleStore::PutPage(const PageWrite& page) {
  return std::move(PutPages({&page}).front());
}

std::vector<absl::StatusOr<std::vector<ArticleWriteResult>>> ArticleStore::PutPages(
    const std::vector<const PageWrite*>& pages) {
  std::vector<absl::StatusOr<std::vector<ArticleWriteResult>>> results(
      pages.size(), std::vector<ArticleWriteResult>());
  std::vector<size_t> to_write;
  std::vector<std::string> page_ids(pages.size());
  for (size_t p = 0; p < pages.size(); ++p) {
    const PageWrite& page = *pages[p];
    absl::Status valid = absl::OkStatus();
    for (const v1::Article& article : page.articles) {
      valid.Update(CheckId(article.id()));
    }
    if (valid.ok() && !page.signatures.empty() && page.signatures.size() != page.articles.size()) {
      valid = absl::InvalidArgumentError(absl::StrCat("article store: ", page.signatures.size(),
                                                      " signatures for ", page.articles.size(),
                                                      " articles"));
    }
    if (!valid.ok()) {
      results[p] = valid;
    } else if (!page.articles.empty()) {
      page_ids[p] =
          PageIdFor(page.raw, page.url, page.external_id, page.source_hint, page.content_type);
      to_write.push_back(p);
    }
  }
  if (to_write.empty()) return results;

  static const std::optional<MinHashSignature> kNoSignature;
  Impl& impl = *impl_;
  absl::MutexLock lock(&impl.write_mu);
  // Seqs are handed out from the committed head; head_seq only moves after
  // COMMIT, so a rolled-back page or batch leaves no gap.
  int64_t next_seq = impl.head_seq.load();
  const int64_t now = NowMicros();
  const absl::Status batch = impl.InWriteTransaction("put pages", [&]() -> absl::Status {
    for (const size_t p : to_write) {
      const PageWrite& page = *pages[p];
      const int64_t seq_before_page = next_seq;
      NEWSEARCH_RETURN_IF_ERROR(impl.writer->Exec("SAVEPOINT page", "put page: savepoint"));
      std::vector<ArticleWriteResult> written;
      bool page_stored = false;
      absl::Status status = absl::OkStatus();
      for (size_t i = 0; i < page.articles.size() && status.ok(); ++i) {
        const std::optional<MinHashSignature>& signature =
            page.signatures.empty() ? kNoSignature : page.signatures[i];
        absl::StatusOr<ArticleWriteResult> result = impl.WriteOne(
            page.articles[i], signature, page_ids[p], page, now, &next_seq, &page_stored);
        if (result.ok()) {
          written.push_back(*std::move(result));
        } else {
          status = result.status();
        }
      }
      if (status.ok()) {
        status = impl.TombstoneDroppedSiblings(page, now, &next_seq, &written);
      }
      if (status.ok()) {
        NEWSEARCH_RETURN_IF_ERROR(impl.writer->Exec("RELEASE page", "put page: release"));
        results[p] = std::move(written);
        continue;
      }
      // The page fails alone: undo its writes, keep its batch-mates'. After
      // some errors (I/O, disk full) SQLite has ended the whole
      // transaction; then the batch fails.
      next_seq = seq_before_page;
      if (sqlite3_get_autocommit(impl.writer->db()) ||
          !impl.writer->Exec("ROLLBACK TO page", "put page: roll back").ok() ||
          !impl.writer->Exec("RELEASE page", "put page: release").ok()) {
        return status;
      }
      // The page's band keys left dedup_pending with it.
      NEWSEARCH_RETURN_IF_ERROR(impl.LoadPendingBands());
      results[p] = status;
    }
    if (next_seq != impl.head_seq.load()) {
      NEWSEARCH_RETURN_IF_ERROR(impl.SetHeadSeq(next_seq));
    }
    return absl::OkStatus();
  });
  if (!batch.ok()) {
    // Nothing of the batch was committed.
    for (const size_t p : to_write) {
      if (results[p].ok()) results[p] = batch;
    }
    return results;
  }
  impl.head_seq.store(next_seq);
  return results;
}

absl::StatusOr<int64_t> ArticleStore::Delete(absl::string_view id) {
  NEWSEARCH_RETURN_IF_ERROR(CheckId(id));
  Impl& impl = *impl_;
  absl::MutexLock lock(&impl.write_mu);
  int64_t seq = impl.head_seq.load();
  NEWSEARCH_RETURN_IF_ERROR(impl.InWriteTransaction("delete", [&]() -> absl::Status {
    std::string page_id;
    {
      NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kSelectForWrite));
      StmtScope scope(stmt);
      BindText(stmt, 1, id);
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE || (rc == SQLITE_ROW && sqlite3_column_int(stmt, 1) != 0)) {
        return absl::NotFoundError(absl::StrCat("article store: no article with id '", id,
                                                "'"));
      }
      if (rc != SQLITE_ROW) {
        return SqliteError(impl.writer->db(), rc, absl::StrCat("read article ", id));
      }
      page_id = std::string(ColumnText(stmt, 3));
    }
    NEWSEARCH_RETURN_IF_ERROR(impl.Tombstone(id, page_id, NowMicros(), &seq));
    return impl.SetHeadSeq(seq);
  }));
  impl.head_seq.store(seq);
  return seq;
}

int64_t ArticleStore::HeadSeq() const { return impl_->head_seq.load(); }

absl::StatusOr<int64_t> ArticleStore::CountLive() const {
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, (*reader)->Prepare(kCountLive));
  StmtScope scope(stmt);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) return SqliteError((*reader)->db(), rc, "count articles");
  return sqlite3_column_int64(stmt, 0);
}

absl::StatusOr<SnapshotInfo> ArticleStore::SnapshotTo(const std::string& dest_path) const {
  std::error_code ec;
  if (std::filesystem::exists(dest_path, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("article store: snapshot target ", dest_path, " already exists"));
  }
  {
    NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
    sqlite3* db = (*reader)->db();
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &stmt, nullptr);
    if (rc == SQLITE_OK) {
      BindText(stmt, 1, dest_path);
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    absl::Status status = rc == SQLITE_OK ? absl::OkStatus()
                                          : SqliteError(db, rc, absl::StrCat("snapshot to ", dest_path));
    sqlite3_finalize(stmt);
    if (!status.ok()) {
      std::filesystem::remove(dest_path, ec);
      if ((rc & 0xff) == SQLITE_FULL) {
        return absl::ResourceExhaustedError(status.message());
      }
      return status;
    }
  }
  // Read what the copy holds from the copy itself: exact whatever ingest
  // committed meanwhile.
  NEWSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Connection> copy,
                             Connection::Open(dest_path, /*read_only=*/true));
  SnapshotInfo info;
  for (auto [sql, out] : {std::pair<const char*, int64_t*>{kSelectHeadSeq, &info.head_seq},
                          std::pair<const char*, int64_t*>{kCountLive, &info.article_count}}) {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, copy->Prepare(sql));
    StmtScope scope(stmt);
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) return SqliteError(copy->db(), rc, "read the snapshot");
    *out = sqlite3_column_int64(stmt, 0);
  }
  return info;
}

}  // namespace newsearch::ingest
