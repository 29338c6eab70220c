// How an article sits in a row of the `articles` table (schema in
// schema_migrations.h): the canonical bytes stored for it, and the article
// read back from a row. Internal to newsearch_store.
#ifndef NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_ROWS_H_
#define NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_ROWS_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "newsearch/v1/article.pb.h"

namespace newsearch::ingest::store_internal {

// The current time as stored in ingested_at/updated_at (Unix microseconds).
int64_t NowMicros();

// Serializes the stored fields of `article` (all but seq/ingested_at/
// updated_at) deterministically, so equal content gives equal bytes.
std::string CanonicalBytes(const v1::Article& article);

// Builds an article from columns (seq, article blob, ingested_at, updated_at,
// page_id) starting at `first`. INTERNAL when the blob of article `id` does
// not parse.
absl::StatusOr<v1::Article> ReadArticle(sqlite3_stmt* stmt, int first, absl::string_view id);

// INVALID_ARGUMENT for an empty article id.
absl::Status CheckId(absl::string_view id);

}  // namespace newsearch::ingest::store_internal

#endif  // NEWSEARCH_INGEST_SERVICE_STORE_ARTICLE_ROWS_H_
