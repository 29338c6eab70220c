#include "ingest-service/store/article_rows.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ingest-service/store/sqlite_connection.h"

namespace newsearch::ingest::store_internal {
namespace {

void SetTimestamp(int64_t micros, google::protobuf::Timestamp* ts) {
  int64_t seconds = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(rem * 1000));
}

}  // namespace

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

std::string CanonicalBytes(const v1::Article& article) {
  v1::Article canonical = article;
  canonical.clear_seq();
  canonical.clear_ingested_at();
  canonical.clear_updated_at();
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    canonical.SerializeToCodedStream(&coded);
  }
  return out;
}

absl::StatusOr<v1::Article> ReadArticle(sqlite3_stmt* stmt, int first,
                                        absl::string_view id) {
  v1::Article article;
  const absl::string_view blob = ColumnBlob(stmt, first + 1);
  if (!article.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return absl::InternalError(
        absl::StrCat("article store: stored article '", id, "' does not parse"));
  }
  article.set_seq(sqlite3_column_int64(stmt, first));
  SetTimestamp(sqlite3_column_int64(stmt, first + 2), article.mutable_ingested_at());
  SetTimestamp(sqlite3_column_int64(stmt, first + 3), article.mutable_updated_at());
  article.set_page_id(std::string(ColumnText(stmt, first + 4)));
  return article;
}

absl::Status CheckId(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("article store: article id is empty");
  return absl::OkStatus();
}

}  // namespace newsearch::ingest::store_internal
