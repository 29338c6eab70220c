// The texts of an article as a document stores them, read for the phrase
// check of an index without positions (search-service/query/phrase_check.h)
// on every candidate document, and for each hit shown: views into the
// serialized v1::Article of the document data (schema::DocumentData) or of
// the folded texts (kFoldedTextsSlot), found by walking the wire format,
// with no copy and no UTF-8 validation (the texts were valid when stored;
// readers decode with ICU's U8_NEXT, which takes ill-formed bytes as no
// character). Parsing the whole message instead spent a quarter of a
// phrase query's time validating and copying bodies that are read once.
#ifndef NEWSEARCH_SEARCH_SERVICE_SCHEMA_STORED_TEXTS_H_
#define NEWSEARCH_SEARCH_SERVICE_SCHEMA_STORED_TEXTS_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "newsearch/v1/article.pb.h"

namespace newsearch::search::schema {

struct StoredTexts {
  absl::string_view id;
  absl::string_view url;
  absl::string_view duplicate_of;
  // The serialized google.protobuf.Timestamp (empty also for the epoch
  // itself), when the article has a date.
  bool has_published_at = false;
  absl::string_view published_at;
  absl::string_view title;
  absl::string_view subtitle;
  absl::string_view body;
  absl::string_view source;
  std::vector<absl::string_view> authors;
};

// Reads the texts of the serialized v1::Article `data` into `texts` (views
// into `data`; fields it lacks are empty). Returns false when `data` is not
// a well-formed message (a truncated field, an unknown wire type).
bool ReadStoredTexts(absl::string_view data, StoredTexts* texts);

// Reads the texts of a document's data (schema::DocumentData, compressed
// or plain: document_data.h) into `texts`: views into `data`, or into
// `*buffer` when it was decompressed there. Returns false when the data is
// damaged.
bool ReadDocumentTexts(const std::string& data, std::string* buffer, StoredTexts* texts);
// The views may be of `data`: a temporary would leave them dangling.
bool ReadDocumentTexts(std::string&& data, std::string* buffer, StoredTexts* texts) = delete;

// Views into `article`.
StoredTexts TextsOf(const v1::Article& article);

// The texts BuildDocument indexes under `prefix` ("" for the unprefixed
// terms, kTitlePrefix, kSourcePrefix, kAuthorPrefix; none for another), one
// per IndexText call, so a phrase matches within one of them and never
// across two. Views into what `texts` views.
std::vector<absl::string_view> PhraseTexts(const StoredTexts& texts, absl::string_view prefix);
// Calls `fn` on the texts PhraseTexts(texts, prefix) returns, in order,
// each with its index among those of PhraseTexts(texts, "") (a folding
// patch's text, folding_patch.h), until `fn` returns true; returns whether
// it did. Allocates nothing.
bool AnyPhraseText(const StoredTexts& texts, absl::string_view prefix,
                   absl::FunctionRef<bool(size_t index, absl::string_view text)> fn);

}  // namespace newsearch::search::schema

#endif  // NEWSEARCH_SEARCH_SERVICE_SCHEMA_STORED_TEXTS_H_
