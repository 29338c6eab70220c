// Applies change-log batches from the ingest service to this replica's Xapian
// database. The only holder of the Xapian::WritableDatabase. Each batch and
// the `applied_seq` metadata go into one Xapian transaction, so after a crash
// the index holds exactly the changes up to its last committed applied_seq:
// nothing missing, nothing twice.
#ifndef NEWSEARCH_SEARCH_SERVICE_INDEX_INDEX_WRITER_H_
#define NEWSEARCH_SEARCH_SERVICE_INDEX_INDEX_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::analysis {
class Analyzer;
}

namespace newsearch::search {

struct IndexWriterOptions {
  // Xapian database directory (created when missing).
  std::string path;
};

// Not thread-safe: one indexer thread owns it. Readers open their own
// Xapian::Database on the same path.
class IndexWriter {
 public:
  // Opens or creates the database. `analyzer` must outlive the writer.
  static absl::StatusOr<std::unique_ptr<IndexWriter>> Open(
      const IndexWriterOptions& options, const analysis::Analyzer* analyzer);
  ~IndexWriter();

  // Applies `changes` (in seq order, all with seq > applied_seq(); older ones
  // are skipped) and sets applied_seq to the last change's seq, in one
  // committed transaction. An upsert replaces the document with the
  // article's id term (or adds it); a delete removes it (no-op when absent).
  // On error nothing of the batch is applied. INTERNAL with Xapian's message.
  absl::Status Apply(const std::vector<v1::Change>& changes);

  // Last committed applied seq (0 for a new index).
  int64_t applied_seq() const;
  // Number of documents as of the last commit.
  int64_t document_count() const;
  // Flushes and closes (also done by the destructor).
  absl::Status Close();

 private:
  IndexWriter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_INDEX_INDEX_WRITER_H_
