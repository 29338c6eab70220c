// Duplicate rules of the article store: which stored article a new
// one is a near-duplicate of, and what happens to the copies when their
// first copy is deleted. An article with a MinHash signature has its LSH
// band keys in dedup_bands; candidates come from there, never from a full
// scan, and links always point at a root (a first copy), never chain.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/sha256.h"
#include "common/base/status_macros.h"
#include "ingest-service/dedup/minhash.h"
#include "ingest-service/store/article_rows.h"
#include "ingest-service/store/article_store.h"
#include "ingest-service/store/article_store_impl.h"
#include "ingest-service/store/sqlite_connection.h"

namespace newsearch::ingest {

using store_internal::BindBlob;
using store_internal::BindText;
using store_internal::CanonicalBytes;
using store_internal::ColumnBlob;
using store_internal::ColumnText;
using store_internal::Connection;
using store_internal::SqliteError;
using store_internal::StepDone;
using store_internal::StmtScope;

namespace {

constexpr char kSetDedupColumns[] =
    "UPDATE articles SET signature = ?2, duplicate_of = ?3 WHERE id = ?1";
constexpr char kDeleteBands[] = "DELETE FROM dedup_bands WHERE article_id = ?1";
constexpr char kInsertBand[] =
    "INSERT OR IGNORE INTO dedup_bands (band_key, article_id) VALUES (?1, ?2)";
constexpr char kHasDependents[] =
    "SELECT 1 FROM articles WHERE duplicate_of = ?1 AND deleted = 0 LIMIT 1";
constexpr char kSelectDependents[] =
    "SELECT id FROM articles WHERE duplicate_of = ?1 AND deleted = 0 "
    "ORDER BY ingested_at, id";
constexpr char kSelectForRelink[] =
    "SELECT article FROM articles WHERE id = ?1 AND deleted = 0";
constexpr char kRelink[] =
    "UPDATE articles SET seq = ?2, article = ?3, content_hash = ?4, duplicate_of = ?5, "
    "updated_at = ?6 WHERE id = ?1";

// The candidate lookup of near-duplicates: live signed articles sharing a
// band key with the new signature (?2 .. ?kBands+1), other than ?1.
const std::string& CandidatesSql() {
  static const std::string* sql = [] {
    std::string q =
        "SELECT DISTINCT a.id, a.signature, a.duplicate_of, a.ingested_at FROM dedup_bands b "
        "JOIN articles a ON a.id = b.article_id WHERE a.deleted = 0 AND b.article_id != ?1 "
        "AND b.band_key IN (";
    for (int i = 0; i < kBands; ++i) absl::StrAppend(&q, i == 0 ? "" : ", ", "?", i + 2);
    q += ")";
    return new std::string(q);
  }();
  return *sql;
}

// Returns the root id of the most similar live near-duplicate of
// `signature` other than `id` (ties: the earliest stored), or "" when none
// reaches kDuplicateMinSimilarity. A candidate whose root is `id` itself is
// ignored, so an article never points at itself.
absl::StatusOr<std::string> FindRootOn(Connection& conn, absl::string_view id,
                                       const MinHashSignature& signature) {
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare(CandidatesSql().c_str()));
  StmtScope scope(stmt);
  BindText(stmt, 1, id);
  const std::array<int64_t, kBands> keys = BandKeys(signature);
  for (int i = 0; i < kBands; ++i) sqlite3_bind_int64(stmt, i + 2, keys[i]);
  double best_similarity = -1;
  int64_t best_ingested = 0;
  std::string best_root;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const std::optional<MinHashSignature> other = DecodeSignature(ColumnBlob(stmt, 1));
    if (!other) continue;
    const double similarity = EstimatedSimilarity(signature, *other);
    if (similarity < kDuplicateMinSimilarity) continue;
    const absl::string_view candidate = ColumnText(stmt, 0);
    const absl::string_view parent = ColumnText(stmt, 2);
    const absl::string_view root = parent.empty() ? candidate : parent;
    if (root == id) continue;
    const int64_t ingested = sqlite3_column_int64(stmt, 3);
    if (similarity > best_similarity ||
        (similarity == best_similarity && ingested < best_ingested)) {
      best_similarity = similarity;
      best_ingested = ingested;
      best_root = std::string(root);
    }
  }
  if (rc != SQLITE_DONE) return SqliteError(conn.db(), rc, "look up near-duplicates");
  return best_root;
}

}  // namespace

absl::StatusOr<std::string> ArticleStore::Impl::DuplicateRootFor(
    absl::string_view id, const std::optional<MinHashSignature>& signature) {
  std::string root;
  if (signature) {
    // A first copy that others already point at stays one: no chains.
    bool has_dependents = false;
    {
      NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kHasDependents));
      StmtScope scope(stmt);
      BindText(stmt, 1, id);
      const int rc = sqlite3_step(stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return SqliteError(writer->db(), rc, "read near-duplicates");
      }
      has_dependents = rc == SQLITE_ROW;
    }
    if (!has_dependents) {
      NEWSEARCH_ASSIGN_OR_RETURN(root, FindRootOn(*writer, id, *signature));
    }
  }
  return root;
}

absl::Status ArticleStore::Impl::SetDedup(absl::string_view id,
                                          const std::optional<MinHashSignature>& signature,
                                          absl::string_view root) {
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSetDedupColumns));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    const std::string encoded = signature ? EncodeSignature(*signature) : std::string();
    if (signature) {
      BindBlob(stmt, 2, encoded);
    } else {
      sqlite3_bind_null(stmt, 2);
    }
    if (root.empty()) {
      sqlite3_bind_null(stmt, 3);
    } else {
      BindText(stmt, 3, root);
    }
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "store signature"));
  }
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kDeleteBands));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "drop band keys"));
  }
  if (!signature) return absl::OkStatus();
  for (const int64_t key : BandKeys(*signature)) {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kInsertBand));
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, key);
    BindText(stmt, 2, id);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "store band key"));
  }
  return absl::OkStatus();
}

absl::Status ArticleStore::Impl::RemoveFromDuplicates(absl::string_view id, int64_t now,
                                                      int64_t* next_seq) {
  NEWSEARCH_RETURN_IF_ERROR(SetDedup(id, std::nullopt, ""));
  std::vector<std::string> dependents;
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSelectDependents));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      dependents.emplace_back(ColumnText(stmt, 0));
    }
    if (rc != SQLITE_DONE) return SqliteError(writer->db(), rc, "read near-duplicates");
  }
  // The oldest remaining copy becomes the first copy; the others follow it.
  for (const std::string& dependent : dependents) {
    const std::string& new_root = dependents.front();
    v1::Article article;
    {
      NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSelectForRelink));
      StmtScope scope(stmt);
      BindText(stmt, 1, dependent);
      const int rc = sqlite3_step(stmt);
      if (rc != SQLITE_ROW) return SqliteError(writer->db(), rc, "read near-duplicate");
      const absl::string_view blob = ColumnBlob(stmt, 0);
      if (!article.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
        return absl::InternalError(
            absl::StrCat("article store: stored article '", dependent, "' does not parse"));
      }
    }
    const std::string root = dependent == new_root ? std::string() : new_root;
    article.set_duplicate_of(root);
    const std::string blob = CanonicalBytes(article);
    const std::string hash = Sha256Digest(blob);
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kRelink));
    StmtScope scope(stmt);
    BindText(stmt, 1, dependent);
    sqlite3_bind_int64(stmt, 2, ++*next_seq);
    BindBlob(stmt, 3, blob);
    BindBlob(stmt, 4, hash);
    if (root.empty()) {
      sqlite3_bind_null(stmt, 5);
    } else {
      BindText(stmt, 5, root);
    }
    sqlite3_bind_int64(stmt, 6, now);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "re-link near-duplicate"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ArticleStore::FindDuplicateRoot(
    absl::string_view id, const MinHashSignature& signature) const {
  NEWSEARCH_ASSIGN_OR_RETURN(auto reader, impl_->AcquireReader());
  return FindRootOn(**reader, id, signature);
}

}  // namespace newsearch::ingest
