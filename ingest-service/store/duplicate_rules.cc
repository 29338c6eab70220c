// Duplicate rules of the article store: which stored article a new
// one is a near-duplicate of, and what happens to the copies when their
// first copy is deleted. An article with a MinHash signature has its LSH
// band keys in dedup_bands, or, while recent, in dedup_pending (and the
// writer's memory); candidates come from there, never from a full scan of
// the articles, and links always point at a root (a first copy), never
// chain.
//
// Why the pending table: dedup_bands is keyed by random 64-bit band keys,
// so an article's kBands keys land on kBands random pages of a large index,
// and each commit wrote every page it touched to the WAL and again at the
// checkpoint. At 10k articles that was half of ingest's CPU and two thirds
// of its time. Moved in one sorted batch per StoreOptions::
// dedup_pending_articles, the keys share the pages they land on.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/logging.h"
#include "common/base/sha256.h"
#include "common/base/status_macros.h"
#include "ingest-service/dedup/minhash.h"
#include "ingest-service/store/article_rows.h"
#include "ingest-service/store/article_store.h"
#include "ingest-service/store/article_store_impl.h"
#include "ingest-service/store/pending_bands.h"
#include "ingest-service/store/sqlite_connection.h"

namespace newsearch::ingest {

using store_internal::BindBlob;
using store_internal::BandKeyArray;
using store_internal::BindText;
using store_internal::CanonicalBytes;
using store_internal::ColumnBlob;
using store_internal::ColumnText;
using store_internal::Connection;
using store_internal::PendingBands;
using store_internal::SqliteError;
using store_internal::StepDone;
using store_internal::StmtScope;

namespace {

constexpr char kSetDedupColumns[] =
    "UPDATE articles SET signature = ?2, duplicate_of = ?3 WHERE id = ?1";
constexpr char kSelectSignature[] = "SELECT signature FROM articles WHERE id = ?1";
constexpr char kDeleteBand[] = "DELETE FROM dedup_bands WHERE band_key = ?1 AND article_id = ?2";
// A full scan (dedup_bands has no index by article): only for a stored
// signature that does not decode.
constexpr char kDeleteBandsOfArticle[] = "DELETE FROM dedup_bands WHERE article_id = ?1";
constexpr char kInsertBand[] =
    "INSERT OR IGNORE INTO dedup_bands (band_key, article_id) VALUES (?1, ?2)";
constexpr char kSetPending[] = "INSERT OR IGNORE INTO dedup_pending (article_id) VALUES (?1)";
constexpr char kDeletePending[] = "DELETE FROM dedup_pending WHERE article_id = ?1";
// The pending articles and their signatures (a row whose article is gone
// has no keys to move; the next move clears it).
constexpr char kSelectPending[] =
    "SELECT p.article_id, a.signature FROM dedup_pending p JOIN articles a ON a.id = p.article_id";
constexpr char kClearPending[] = "DELETE FROM dedup_pending";
// A candidate from dedup_pending, in the columns of CandidatesSql.
constexpr char kSelectCandidate[] =
    "SELECT id, signature, duplicate_of, ingested_at FROM articles WHERE id = ?1 AND deleted = 0";
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

// The band keys of a stored signature; nullopt when it does not decode.
std::optional<BandKeyArray> KeysOfSignature(absl::string_view blob) {
  const std::optional<MinHashSignature> signature = DecodeSignature(blob);
  if (!signature) return std::nullopt;
  return BandKeys(*signature);
}

// The most similar live near-duplicate among the candidate rows shown to
// it (columns of CandidatesSql); ties go to the earliest stored.
class BestRoot {
 public:
  BestRoot(absl::string_view id, const MinHashSignature& signature)
      : id_(id), signature_(signature) {}

  void Consider(sqlite3_stmt* row) {
    const std::optional<MinHashSignature> other = DecodeSignature(ColumnBlob(row, 1));
    if (!other) return;
    const double similarity = EstimatedSimilarity(signature_, *other);
    if (similarity < kDuplicateMinSimilarity) return;
    const absl::string_view candidate = ColumnText(row, 0);
    const absl::string_view parent = ColumnText(row, 2);
    const absl::string_view root = parent.empty() ? candidate : parent;
    if (root == id_) return;
    const int64_t ingested = sqlite3_column_int64(row, 3);
    if (similarity > similarity_ || (similarity == similarity_ && ingested < ingested_)) {
      similarity_ = similarity;
      ingested_ = ingested;
      root_ = std::string(root);
    }
  }

  const std::string& root() const { return root_; }

 private:
  const absl::string_view id_;
  const MinHashSignature& signature_;
  double similarity_ = -1;
  int64_t ingested_ = 0;
  std::string root_;
};

// The ids in dedup_pending sharing a band key with `keys`, read from the
// table (a reader has no PendingBands; the table is small).
absl::StatusOr<std::vector<std::string>> PendingCandidatesOn(Connection& conn,
                                                            const BandKeyArray& keys) {
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare(kSelectPending));
  StmtScope scope(stmt);
  std::vector<std::string> found;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const std::optional<BandKeyArray> theirs = KeysOfSignature(ColumnBlob(stmt, 1));
    if (!theirs) continue;
    const bool shares = std::any_of(keys.begin(), keys.end(), [&](int64_t key) {
      return std::find(theirs->begin(), theirs->end(), key) != theirs->end();
    });
    if (shares) found.emplace_back(ColumnText(stmt, 0));
  }
  if (rc != SQLITE_DONE) return SqliteError(conn.db(), rc, "look up pending near-duplicates");
  return found;
}

// Returns the root id of the most similar live near-duplicate of
// `signature` other than `id` (ties: the earliest stored), or "" when none
// reaches kDuplicateMinSimilarity. A candidate whose root is `id` itself is
// ignored, so an article never points at itself. Candidates come from
// dedup_bands and dedup_pending: through `pending` when given (the
// writer's memory of that table), else from the table itself.
absl::StatusOr<std::string> FindRootOn(Connection& conn, absl::string_view id,
                                       const MinHashSignature& signature,
                                       const PendingBands* pending) {
  const BandKeyArray keys = BandKeys(signature);
  BestRoot best(id, signature);
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare(CandidatesSql().c_str()));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    for (int i = 0; i < kBands; ++i) sqlite3_bind_int64(stmt, i + 2, keys[i]);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) best.Consider(stmt);
    if (rc != SQLITE_DONE) return SqliteError(conn.db(), rc, "look up near-duplicates");
  }
  std::vector<std::string> candidates;
  if (pending != nullptr) {
    candidates = pending->Candidates(keys);
  } else {
    NEWSEARCH_ASSIGN_OR_RETURN(candidates, PendingCandidatesOn(conn, keys));
  }
  for (const std::string& candidate : candidates) {
    if (candidate == id) continue;
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare(kSelectCandidate));
    StmtScope scope(stmt);
    BindText(stmt, 1, candidate);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      best.Consider(stmt);
    } else if (rc != SQLITE_DONE) {
      return SqliteError(conn.db(), rc, "read a pending near-duplicate");
    }
  }
  return best.root();
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
      NEWSEARCH_ASSIGN_OR_RETURN(root, FindRootOn(*writer, id, *signature, &pending_bands));
    }
  }
  return root;
}

absl::Status ArticleStore::Impl::SetDedup(absl::string_view id,
                                          const std::optional<MinHashSignature>& signature,
                                          absl::string_view root) {
  // The keys the article has now, from the signature stored with them (a
  // new article has none).
  std::optional<BandKeyArray> old_keys;
  bool old_undecodable = false;
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSelectSignature));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
      old_keys = KeysOfSignature(ColumnBlob(stmt, 0));
      old_undecodable = !old_keys;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return SqliteError(writer->db(), rc, "read stored signature");
    }
  }
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
  if (old_undecodable) {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kDeleteBandsOfArticle));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "drop band keys"));
  } else if (old_keys) {  // no-ops for keys still pending
    for (const int64_t key : *old_keys) {
      NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kDeleteBand));
      StmtScope scope(stmt);
      sqlite3_bind_int64(stmt, 1, key);
      BindText(stmt, 2, id);
      NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "drop band key"));
    }
  }
  if (!signature) {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kDeletePending));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "drop pending band keys"));
    pending_bands.Remove(id);
    return absl::OkStatus();
  }
  const BandKeyArray keys = BandKeys(*signature);
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSetPending));
    StmtScope scope(stmt);
    BindText(stmt, 1, id);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "store band keys"));
  }
  pending_bands.Add(id, keys);
  if (static_cast<int>(pending_bands.size()) >= dedup_pending_articles) {
    NEWSEARCH_RETURN_IF_ERROR(FlushPendingBands());
  }
  return absl::OkStatus();
}

absl::Status ArticleStore::Impl::LoadPendingBands() {
  pending_bands.Clear();
  NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSelectPending));
  StmtScope scope(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const absl::string_view id = ColumnText(stmt, 0);
    const std::optional<BandKeyArray> keys = KeysOfSignature(ColumnBlob(stmt, 1));
    if (!keys) {
      // Damaged: its near-duplicates go unnoticed, nothing else is lost
      // (the next batch move drops the row).
      Log(LogLevel::kWarning, "store", "a pending article's signature does not decode; skipping it",
          {{"path", path}, {"article_id", std::string(id)}});
      continue;
    }
    pending_bands.Add(id, *keys);
  }
  if (rc != SQLITE_DONE) return SqliteError(writer->db(), rc, "read pending band keys");
  return absl::OkStatus();
}

absl::Status ArticleStore::Impl::FlushPendingBands() {
  const absl::Time start = absl::Now();
  // From the table, not from memory: the table is what commits.
  std::vector<std::string> ids;
  std::vector<std::pair<int64_t, uint32_t>> rows;  // key, index in ids
  {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kSelectPending));
    StmtScope scope(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const std::optional<BandKeyArray> keys = KeysOfSignature(ColumnBlob(stmt, 1));
      if (!keys) continue;  // LoadPendingBands warned about it
      ids.emplace_back(ColumnText(stmt, 0));
      for (const int64_t key : *keys) {
        rows.emplace_back(key, static_cast<uint32_t>(ids.size() - 1));
      }
    }
    if (rc != SQLITE_DONE) return SqliteError(writer->db(), rc, "read pending band keys");
  }
  // In the table's order (band_key, article_id): each page of it is
  // written once per batch.
  std::sort(rows.begin(), rows.end(), [&ids](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : ids[a.second] < ids[b.second];
  });
  for (const auto& [key, index] : rows) {
    NEWSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, writer->Prepare(kInsertBand));
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, key);
    BindText(stmt, 2, ids[index]);
    NEWSEARCH_RETURN_IF_ERROR(StepDone(*writer, stmt, "store band key"));
  }
  NEWSEARCH_RETURN_IF_ERROR(writer->Exec(kClearPending, "empty dedup_pending"));
  Log(LogLevel::kInfo, "store", "pending band keys moved to the band index",
      {{"articles", static_cast<long long>(pending_bands.size())},
       {"keys", static_cast<long long>(rows.size())},
       {"ms", static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - start))}});
  pending_bands.Clear();
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
  return FindRootOn(**reader, id, signature, /*pending=*/nullptr);
}

}  // namespace newsearch::ingest
