// The article store's schema and how a file is brought up to it. Each
// version is one SQL script, applied in its own write transaction together
// with PRAGMA user_version; a released script never changes, a new version
// appends one. Internal to newsearch_store.
//
// Schema (version 1, PRAGMA user_version):
//   meta(key, value)     head_seq: the highest seq ever handed out. Kept here
//                        and not derived from MAX(seq) so that it can never
//                        go backwards, whatever later versions do with rows.
//   pages(page_id, ...)  raw bytes keyed by the hex SHA-256 of those bytes;
//                        a page no live article points at is dropped.
//   articles(id, seq, deleted, article, content_hash, page_id,
//            ingested_at, updated_at)
//                        `article` is the deterministic serialization of the
//                        article with seq/ingested_at/updated_at cleared; those
//                        three live in columns and are filled back on read.
//                        content_hash = SHA-256 of `article`. A tombstone keeps
//                        id, seq and ingested_at; the rest is NULL.
//
// Version 2 (re-parse and duplicates):
//   pages gain url, external_id, source_hint (the request fields, so a
//                        re-parse rebuilds the same request) and has_request
//                        (1 for pages written by version 2; version-1 pages
//                        take url and external_id from their articles).
//                        New page ids cover the request fields (PageIdFor).
//   articles gain signature (MinHash of the body, NULL when too short) and
//                        duplicate_of (mirror of the article's field, for the
//                        re-linking when a first copy is deleted).
//   dedup_bands(band_key, article_id)
//                        the LSH band keys of live signed articles (since
//                        version 4, of those not in dedup_pending).
//
// Version 3 (retention, #9):
//   followers(follower_id, acked_seq, seen_at)
//                        each follower of the change log and the seq it has
//                        applied; meta purged_through_seq, the highest seq of
//                        a tombstone retention removed.
//
// Version 4 (ingest throughput, #14):
//   dedup_pending(article_id)
//                        the signed articles whose band keys (from their
//                        signature column) are not yet in dedup_bands; they
//                        move there in sorted batches. An article's keys are
//                        in one table or the other, never both.
//
// Version 5 (#14): dedup_bands loses its index by article_id; an article's
//                        keys are deleted by (band_key, article_id), the keys
//                        computed from its signature column.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_SCHEMA_MIGRATIONS_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_SCHEMA_MIGRATIONS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ingest-service/store/sqlite_connection.h"

namespace newsearch::ingest::store_internal {

// Brings the database of `writer` (the file `path`, named in messages) from
// its PRAGMA user_version to the newest schema, one version per
// transaction. FAILED_PRECONDITION when the file's version is newer than
// this binary's; SQLite errors as SqliteError. Call before any other use of
// the file, under the store's write lock.
absl::Status MigrateSchema(Connection& writer, absl::string_view path);

}  // namespace newsearch::ingest::store_internal

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_SCHEMA_MIGRATIONS_H_
