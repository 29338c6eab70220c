// The BackupStore RPC: an online snapshot of the article store streamed to
// the caller. The snapshot is written to a scratch file under the data
// directory (ArticleStore::SnapshotTo), streamed, and removed.
#ifndef NEWSEARCH_INGEST_SERVICE_SERVER_BACKUP_H_
#define NEWSEARCH_INGEST_SERVICE_SERVER_BACKUP_H_

#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "ingest-service/store/article_store.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::ingest {

// Largest `chunk_bytes` a caller may ask for, and the default.
inline constexpr int kMaxBackupChunkBytes = 4 << 20;
inline constexpr int kDefaultBackupChunkBytes = 1 << 20;

// Where snapshots are staged: `data_dir`/backup-scratch. Emptied (created
// when missing) by PrepareBackupScratch at server start, so a backup cut by
// a crash leaves nothing behind for long.
std::string BackupScratchDir(const std::string& data_dir);
absl::Status PrepareBackupScratch(const std::string& data_dir);

// Streams a snapshot of `store`: BackupInfo, the file's bytes in chunks, then
// their SHA-256. INVALID_ARGUMENT for a bad chunk size, RESOURCE_EXHAUSTED
// when the scratch disk is full, CANCELLED when the caller goes away.
grpc::Status StreamBackup(const ArticleStore& store, const std::string& data_dir,
                          const v1::BackupStoreRequest& request, grpc::ServerContext* context,
                          grpc::ServerWriter<v1::BackupStoreResponse>* writer);

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_SERVER_BACKUP_H_
