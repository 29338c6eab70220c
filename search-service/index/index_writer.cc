#include "search-service/index/index_writer.h"

#include <exception>
#include <utility>

#include <xapian.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/analysis/analyzer.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

absl::Status XapianError(absl::string_view context, const Xapian::Error& e) {
  return absl::InternalError(absl::StrCat(context, ": ", e.get_description()));
}

// The article id a change applies to: the upserted article's own id, else
// the change's article_id.
const std::string& ChangeArticleId(const v1::Change& change) {
  if (change.kind() == v1::CHANGE_KIND_UPSERT && !change.article().id().empty()) {
    return change.article().id();
  }
  return change.article_id();
}

}  // namespace

struct IndexWriter::Impl {
  std::string path;
  const analysis::Analyzer* analyzer = nullptr;
  std::unique_ptr<Xapian::WritableDatabase> db;
  int64_t applied_seq = 0;
  int64_t document_count = 0;
};

IndexWriter::IndexWriter() : impl_(std::make_unique<Impl>()) {}

IndexWriter::~IndexWriter() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<IndexWriter>> IndexWriter::Open(
    const IndexWriterOptions& options, const analysis::Analyzer* analyzer) {
  if (options.path.empty()) return absl::InvalidArgumentError("index path is empty");
  if (analyzer == nullptr) return absl::InvalidArgumentError("analyzer is null");
  std::unique_ptr<IndexWriter> writer(new IndexWriter());
  Impl& impl = *writer->impl_;
  impl.path = options.path;
  impl.analyzer = analyzer;
  try {
    impl.db = std::make_unique<Xapian::WritableDatabase>(
        options.path, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
    const std::string applied = impl.db->get_metadata(schema::kAppliedSeqKey);
    if (!applied.empty() && !absl::SimpleAtoi(applied, &impl.applied_seq)) {
      return absl::DataLossError(absl::StrCat("index ", options.path, ": metadata ",
                                              schema::kAppliedSeqKey, " is not a number: '",
                                              applied.substr(0, 40), "'"));
    }
    impl.document_count = impl.db->get_doccount();
  } catch (const Xapian::DatabaseLockError& e) {
    // Another writer (another process, or a second IndexWriter) holds the
    // index; retrying later may succeed, a second writer never should.
    return absl::FailedPreconditionError(
        absl::StrCat("opening index ", options.path, ": ", e.get_description()));
  } catch (const Xapian::Error& e) {
    return XapianError(absl::StrCat("opening index ", options.path), e);
  }
  return writer;
}

absl::Status IndexWriter::Apply(const std::vector<v1::Change>& changes) {
  Impl& impl = *impl_;
  if (impl.db == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("index ", impl.path, " is closed"));
  }
  // Validate the whole batch first so a bad change fails it before any
  // document is touched.
  std::vector<const v1::Change*> pending;
  int64_t last_seq = impl.applied_seq;
  for (const v1::Change& change : changes) {
    if (change.seq() <= impl.applied_seq) continue;  // Already committed earlier.
    if (change.seq() <= last_seq) {
      return absl::InvalidArgumentError(absl::StrCat("change seq ", change.seq(),
                                                     " is not above the previous seq ", last_seq,
                                                     " of the batch"));
    }
    if (change.kind() != v1::CHANGE_KIND_UPSERT && change.kind() != v1::CHANGE_KIND_DELETE) {
      return absl::InvalidArgumentError(
          absl::StrCat("change seq ", change.seq(), " has unknown kind ", change.kind()));
    }
    if (ChangeArticleId(change).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("change seq ", change.seq(), " has no article id"));
    }
    last_seq = change.seq();
    pending.push_back(&change);
  }
  if (pending.empty()) return absl::OkStatus();

  const int64_t first_seq = pending.front()->seq();
  bool in_transaction = false;
  try {
    impl.db->begin_transaction(/*flushed=*/true);
    in_transaction = true;
    for (const v1::Change* change : pending) {
      const std::string id_term = schema::IdTerm(ChangeArticleId(*change));
      if (change->kind() == v1::CHANGE_KIND_UPSERT) {
        if (change->article().id().empty()) {
          // The id term inside the document must match the one it is
          // replaced under, or a later delete would miss it.
          v1::Article article = change->article();
          article.set_id(change->article_id());
          impl.db->replace_document(id_term, schema::BuildDocument(*impl.analyzer, article));
        } else {
          impl.db->replace_document(id_term,
                                    schema::BuildDocument(*impl.analyzer, change->article()));
        }
      } else {
        impl.db->delete_document(id_term);
      }
    }
    // Same transaction as the documents: a reader (or a restart) sees both
    // or neither.
    impl.db->set_metadata(schema::kAppliedSeqKey, absl::StrCat(last_seq));
    impl.db->commit_transaction();
    in_transaction = false;
    impl.applied_seq = last_seq;
    impl.document_count = impl.db->get_doccount();
  } catch (const Xapian::Error& e) {
    if (in_transaction) {
      try {
        impl.db->cancel_transaction();
      } catch (const Xapian::Error&) {
        // The database is unusable (closed, disk gone); the next Apply
        // reports that. The committed state on disk is unchanged.
      }
    }
    return XapianError(absl::StrCat("applying changes seq ", first_seq, "..", last_seq,
                                    " to index ", impl.path),
                       e);
  } catch (const std::exception& e) {
    if (in_transaction) {
      try {
        impl.db->cancel_transaction();
      } catch (const Xapian::Error&) {
      }
    }
    return absl::InternalError(absl::StrCat("applying changes seq ", first_seq, "..", last_seq,
                                            " to index ", impl.path, ": ", e.what()));
  }
  return absl::OkStatus();
}

int64_t IndexWriter::applied_seq() const { return impl_->applied_seq; }

int64_t IndexWriter::document_count() const { return impl_->document_count; }

absl::Status IndexWriter::Close() {
  Impl& impl = *impl_;
  if (impl.db == nullptr) return absl::OkStatus();
  std::unique_ptr<Xapian::WritableDatabase> db = std::move(impl.db);
  try {
    db->close();
  } catch (const Xapian::Error& e) {
    return XapianError(absl::StrCat("closing index ", impl.path), e);
  }
  return absl::OkStatus();
}

}  // namespace newsearch::search
