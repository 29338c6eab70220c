// The document data of an article (Xapian::Document::set_data, written by
// BuildDocument): the serialized v1::Article of the fields a hit shows and a
// phrase check reads (schema::DocumentData), compressed with zstd behind a
// zero byte. No serialized message starts with a zero byte (field 0 is
// invalid), so data without it is a plain message: an index written before
// this format, or an article too small to gain from compression.
//
// Why not leave compression to Xapian: glass compresses the docdata table
// with zlib, and inflating a stored article was a third to a half of a
// phrase-checked query (every candidate is read) and a quarter of a plain
// one (every hit is read for its snippet). zstd reads the same text about four
// times faster (8 against 30 us for a 5.4 KB article) for 5% more bytes;
// Xapian's zlib then finds nothing to gain in zstd's output and stores it
// as it is (it still tries, once per document written).
#ifndef NEWSEARCH_SEARCH_SERVICE_SCHEMA_DOCUMENT_DATA_H_
#define NEWSEARCH_SEARCH_SERVICE_SCHEMA_DOCUMENT_DATA_H_

#include <string>

#include "absl/strings/string_view.h"

namespace newsearch::search::schema {

// The document data for the serialized article `message`.
std::string EncodeDocumentData(std::string message);

// The serialized article inside the document data `data`: a view of `data`
// itself when it is stored plain, else of `*buffer`, into which it is
// decompressed. Returns false when the compressed form is damaged or would
// decompress beyond kMaxDocumentDataBytes.
bool DecodeDocumentData(const std::string& data, std::string* buffer, absl::string_view* message);
// The view may be of `data`: a temporary would leave it dangling.
bool DecodeDocumentData(std::string&& data, std::string* buffer,
                        absl::string_view* message) = delete;

// The largest article DecodeDocumentData decompresses (ingest refuses far
// smaller pages).
inline constexpr size_t kMaxDocumentDataBytes = size_t{256} << 20;

}  // namespace newsearch::search::schema

#endif  // NEWSEARCH_SEARCH_SERVICE_SCHEMA_DOCUMENT_DATA_H_
