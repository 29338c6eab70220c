#include "ingest-service/store/schema_migrations.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace newsearch::ingest::store_internal {
namespace {

// Ordered list of schema migrations; entry i brings the schema to version
// i + 1. Append only: a released entry never changes.
constexpr const char* kMigrations[] = {
    // Version 1: the initial schema.
    R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('head_seq', 0);
CREATE TABLE pages (
  page_id TEXT PRIMARY KEY,
  raw BLOB NOT NULL,
  content_type TEXT NOT NULL,
  stored_at INTEGER NOT NULL
);
CREATE TABLE articles (
  id TEXT PRIMARY KEY,
  seq INTEGER UNIQUE NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  article BLOB,
  content_hash BLOB,
  page_id TEXT,
  ingested_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX articles_page_id ON articles (page_id);
)sql",
    // Version 2: request fields of pages, MinHash signatures and their bands.
    R"sql(
ALTER TABLE pages ADD COLUMN url TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN source_hint TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN has_request INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN signature BLOB;
ALTER TABLE articles ADD COLUMN duplicate_of TEXT;
CREATE INDEX articles_duplicate_of ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE TABLE dedup_bands (
  band_key INTEGER NOT NULL,
  article_id TEXT NOT NULL,
  PRIMARY KEY (band_key, article_id)
) WITHOUT ROWID;
CREATE INDEX dedup_bands_article ON dedup_bands (article_id);
)sql",
    // Version 3: retention. Followers of the change log and the seq they
    // have applied; purged_through_seq, the highest seq of a tombstone that
    // retention removed (a follower behind it must rebuild).
    R"sql(
CREATE TABLE followers (
  follower_id TEXT PRIMARY KEY,
  acked_seq INTEGER NOT NULL,
  seen_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('purged_through_seq', 0);
CREATE INDEX articles_tombstones ON articles (seq) WHERE deleted = 1;
)sql",
    // Version 4: band keys of recently signed articles, moved to dedup_bands
    // in sorted batches (duplicate_rules.cc).
    R"sql(
CREATE TABLE dedup_pending (
  article_id TEXT PRIMARY KEY
) WITHOUT ROWID;
)sql",
    // Version 5: an article's band keys are deleted by their own key, found
    // from its stored signature, so dedup_bands needs no index by article.
    R"sql(
DROP INDEX dedup_bands_article;
)sql",
};
constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

}  // namespace

absl::Status MigrateSchema(Connection& writer, absl::string_view path) {
  int version = 0;
  {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(writer.db(), "PRAGMA user_version", -1, &stmt, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return SqliteError(writer.db(), rc, "read schema version");
  }
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("article store: ", path, " has schema version ", version,
                     ", newer than this binary's ", kSchemaVersion));
  }
  for (int next = version + 1; next <= kSchemaVersion; ++next) {
    NEWSEARCH_RETURN_IF_ERROR(InWriteTransaction(writer, "migrate", [&]() -> absl::Status {
      NEWSEARCH_RETURN_IF_ERROR(writer.Exec(
          kMigrations[next - 1], absl::StrCat("migrate to schema version ", next)));
      // user_version is stored in the file header, inside this transaction.
      const std::string set_version = absl::StrCat("PRAGMA user_version = ", next);
      return writer.Exec(set_version.c_str(), "set schema version");
    }));
  }
  return absl::OkStatus();
}

}  // namespace newsearch::ingest::store_internal
