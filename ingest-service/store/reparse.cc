// Re-parse support of the article store: the stored raw pages with the
// request fields they came with (ListPages, CountPages), and writing a new
// parse of them back (ReplacePages) without undoing what ingest wrote
// meanwhile.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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
using store_internal::Connection;
using store_internal::NowMicros;
using store_internal::ReadArticle;
using store_internal::SqliteError;
using store_internal::StmtScope;

namespace {

constexpr char kListPages[] =
    "SELECT p.page_id, p.raw, p.content_type, p.url, p.external_id, p.source_hint, "
    "p.has_request FROM pages p WHERE p.page_id > ?1 AND EXISTS "
    "(SELECT 1 FROM articles a WHERE a.page_id = p.page_id AND a.deleted = 0) "
    "ORDER BY p.page_id LIMIT ?2";
constexpr char kCountPages[] =
    "SELECT COUNT(*) FROM pages p WHERE EXISTS "
    "(SELECT 1 FROM articles a WHERE a.page_id = p.page_id AND a.deleted = 0)";
constexpr char kPageArticles[] =
    "SELECT id, seq, article, ingested_at, updated_at, page_id FROM articles "
    "WHERE page_id = ?1 AND deleted = 0 ORDER BY id";
constexpr char kPageExists[] = "SELECT 1 FROM pages WHERE page_id = ?1";
constexpr char kSelectPageId[] = "SELECT page_id, deleted FROM articles WHERE id = ?1";

}  // namespace

absl::StatusOr<std::vector<StoredPage>> ArticleStore::ListPages(absl::string_view after_page_id,
                                                                int limit) const {
  if (limit <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("article store: page limit must be positive, got ", limit));
  }
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  Connection& conn = **reader;
  // One read transaction: the pages and their articles from one snapshot.
  NEWSEARCH_RETURN_IF_ERROR(conn.Exec("BEGIN", "list pages: begin"));
  std::vector<StoredPage> pages;
  std::vector<bool> has_request;
  absl::Status status = [&]() -> absl::Status {
    {
      NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare(kListPages));
      StmtScope scope(stmt);
      BindText(stmt, 1, after_page_id);
      sqlite3_bind_int64(stmt, 2, limit);
      int rc;
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        StoredPage& page = pages.emplace_back();
        page.page_id = std::string(ColumnText(stmt, 0));
        page.raw = std::string(ColumnBlob(stmt, 1));
        page.content_type = std::string(ColumnText(stmt, 2));
        page.url = std::string(ColumnText(stmt, 3));
        page.external_id = std::string(ColumnText(stmt, 4));
        page.source_hint = std::string(ColumnText(stmt, 5));
        has_request.push_back(sqlite3_column_int(stmt, 6) != 0);
      }
      if (rc != SQLITE_DONE) return SqliteError(conn.db(), rc, "list pages");
    }
    for (size_t i = 0; i < pages.size(); ++i) {
      NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare(kPageArticles));
      StmtScope scope(stmt);
      BindText(stmt, 1, pages[i].page_id);
      int rc;
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const absl::string_view id = ColumnText(stmt, 0);
        pages[i].article_ids.emplace_back(id);
        if (!has_request[i] && pages[i].article_ids.size() == 1) {
          // Schema version 1 kept the request's url and external_id only in
          // the articles; the source hint is lost.
          NEWSEARCH_ASSIGN_OR_RETURN(v1::Article article, ReadArticle(stmt, 1, id));
          pages[i].url = article.url();
          pages[i].external_id = article.external_id();
        }
      }
      if (rc != SQLITE_DONE) return SqliteError(conn.db(), rc, "list page articles");
    }
    return absl::OkStatus();
  }();
  sqlite3_exec(conn.db(), "COMMIT", nullptr, nullptr, nullptr);
  NEWSEARCH_RETURN_IF_ERROR(status);
  return pages;
}

absl::StatusOr<int64_t> ArticleStore::CountPages() const {
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, (*reader)->Prepare(kCountPages));
  StmtScope scope(stmt);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) return SqliteError((*reader)->db(), rc, "count pages");
  return sqlite3_column_int64(stmt, 0);
}

absl::StatusOr<ReparseCounts> ArticleStore::ReplacePages(const std::vector<PageReparse>& pages) {
  for (const PageReparse& page : pages) {
    for (const v1::Article& article : page.articles) {
      NEWSEARCH_RETURN_IF_ERROR(CheckId(article.id()));
    }
    if (!page.signatures.empty() && page.signatures.size() != page.articles.size()) {
      return absl::InvalidArgumentError("article store: signatures do not match articles");
    }
  }
  Impl& impl = *impl_;
  absl::MutexLock lock(&impl.write_mu);
  ReparseCounts counts;
  int64_t next_seq = impl.head_seq.load();
  const int64_t now = NowMicros();
  static const std::optional<MinHashSignature> kNoSignature;
  const PageWrite no_page;  // the page row exists: WriteOne never inserts it
  NEWSEARCH_RETURN_IF_ERROR(impl.InWriteTransaction("re-parse", [&]() -> absl::Status {
    counts = ReparseCounts();
    next_seq = impl.head_seq.load();
    for (const PageReparse& page : pages) {
      if (page.failed) {
        ++counts.failed_pages;
        continue;
      }
      {
        NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kPageExists));
        StmtScope scope(stmt);
        BindText(stmt, 1, page.page_id);
        const int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) {
          ++counts.skipped_pages;
          continue;
        }
        if (rc != SQLITE_ROW) return SqliteError(impl.writer->db(), rc, "read page");
      }
      std::vector<std::string> old_ids;
      {
        NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kPageArticles));
        StmtScope scope(stmt);
        BindText(stmt, 1, page.page_id);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) old_ids.emplace_back(ColumnText(stmt, 0));
        if (rc != SQLITE_DONE) return SqliteError(impl.writer->db(), rc, "read page articles");
      }
      std::vector<std::string> new_ids;
      for (size_t i = 0; i < page.articles.size(); ++i) {
        const v1::Article& article = page.articles[i];
        new_ids.push_back(article.id());
        {
          // Ingest may have moved the article to a newer page meanwhile.
          NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, impl.writer->Prepare(kSelectPageId));
          StmtScope scope(stmt);
          BindText(stmt, 1, article.id());
          const int rc = sqlite3_step(stmt);
          if (rc == SQLITE_ROW && sqlite3_column_int(stmt, 1) == 0 &&
              ColumnText(stmt, 0) != page.page_id) {
            continue;
          }
          if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            return SqliteError(impl.writer->db(), rc, "read article page");
          }
        }
        bool page_stored = true;
        NEWSEARCH_ASSIGN_OR_RETURN(
            ArticleWriteResult result,
            impl.WriteOne(article, page.signatures.empty() ? kNoSignature : page.signatures[i],
                          page.page_id, no_page, now, &next_seq, &page_stored));
        if (result.outcome == v1::OUTCOME_UNCHANGED) {
          ++counts.unchanged;
        } else {
          ++counts.changed;
        }
      }
      for (const std::string& old_id : old_ids) {
        if (std::find(new_ids.begin(), new_ids.end(), old_id) != new_ids.end()) continue;
        NEWSEARCH_RETURN_IF_ERROR(impl.Tombstone(old_id, page.page_id, now, &next_seq));
        ++counts.deleted;
      }
    }
    if (next_seq != impl.head_seq.load()) {
      NEWSEARCH_RETURN_IF_ERROR(impl.SetHeadSeq(next_seq));
    }
    return absl::OkStatus();
  }));
  if (next_seq != impl.head_seq.load()) counts.last_seq = next_seq;
  impl.head_seq.store(next_seq);
  return counts;
}

}  // namespace newsearch::ingest
