#include "search-service/schema/stored_texts.h"

#include <cstdint>

#include <google/protobuf/io/coded_stream.h>

#include "search-service/schema/document_data.h"
#include "search-service/schema/schema.h"

namespace newsearch::search::schema {
namespace {

using google::protobuf::io::CodedInputStream;

// Wire types of the protobuf encoding (encoding.md); groups are not used
// by v1::Article.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

}  // namespace

bool ReadStoredTexts(absl::string_view data, StoredTexts* texts) {
  *texts = StoredTexts();
  CodedInputStream in(reinterpret_cast<const uint8_t*>(data.data()), static_cast<int>(data.size()));
  while (in.CurrentPosition() < static_cast<int>(data.size())) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return false;  // a broken varint, or the invalid field 0
    switch (tag & 7) {
      case kVarint: {
        uint64_t ignored = 0;
        if (!in.ReadVarint64(&ignored)) return false;
        break;
      }
      case kFixed64:
        if (!in.Skip(8)) return false;
        break;
      case kFixed32:
        if (!in.Skip(4)) return false;
        break;
      case kLengthDelimited: {
        uint32_t length = 0;
        if (!in.ReadVarint32(&length)) return false;
        const auto at = static_cast<size_t>(in.CurrentPosition());
        if (length > data.size() - at || !in.Skip(static_cast<int>(length))) return false;
        const absl::string_view value = data.substr(at, length);
        switch (tag >> 3) {
          case v1::Article::kIdFieldNumber:
            texts->id = value;
            break;
          case v1::Article::kUrlFieldNumber:
            texts->url = value;
            break;
          case v1::Article::kDuplicateOfFieldNumber:
            texts->duplicate_of = value;
            break;
          case v1::Article::kPublishedAtFieldNumber:
            texts->has_published_at = true;
            texts->published_at = value;
            break;
          case v1::Article::kTitleFieldNumber:
            texts->title = value;
            break;
          case v1::Article::kSubtitleFieldNumber:
            texts->subtitle = value;
            break;
          case v1::Article::kBodyFieldNumber:
            texts->body = value;
            break;
          case v1::Article::kSourceFieldNumber:
            texts->source = value;
            break;
          case v1::Article::kAuthorsFieldNumber:
            texts->authors.push_back(value);
            break;
          default:
            break;  // another field
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

bool ReadDocumentTexts(const std::string& data, std::string* buffer, StoredTexts* texts) {
  absl::string_view message;
  return DecodeDocumentData(data, buffer, &message) && ReadStoredTexts(message, texts);
}

StoredTexts TextsOf(const v1::Article& article) {
  StoredTexts texts;
  texts.title = article.title();
  texts.subtitle = article.subtitle();
  texts.body = article.body();
  texts.source = article.source();
  texts.authors.assign(article.authors().begin(), article.authors().end());
  return texts;
}

bool AnyPhraseText(const StoredTexts& texts, absl::string_view prefix,
                   absl::FunctionRef<bool(size_t index, absl::string_view text)> fn) {
  const bool plain = prefix.empty();
  size_t index = 0;
  // Each text of PhraseTexts(texts, ""), in order: `fn` sees those of
  // `prefix`.
  const auto text = [&](bool of_prefix, absl::string_view t) {
    const size_t i = index++;
    return of_prefix && fn(i, t);
  };
  const bool title = plain || prefix == kTitlePrefix;
  if (text(title, texts.title) || text(title, texts.subtitle)) return true;
  const absl::string_view body = texts.body;
  if (kLeadWdf == 1) {
    if (text(plain, body)) return true;
  } else {
    const absl::string_view lead = LeadParagraph(body);
    if (text(plain, lead) ||
        text(plain, lead.empty() ? body
                                 : body.substr(static_cast<size_t>(lead.end() - body.data())))) {
      return true;
    }
  }
  if (text(plain || prefix == kSourcePrefix, texts.source)) return true;
  for (const absl::string_view author : texts.authors) {
    if (text(plain || prefix == kAuthorPrefix, author)) return true;
  }
  return false;
}

std::vector<absl::string_view> PhraseTexts(const StoredTexts& texts, absl::string_view prefix) {
  std::vector<absl::string_view> out;
  AnyPhraseText(texts, prefix, [&out](size_t, absl::string_view text) {
    out.push_back(text);
    return false;
  });
  return out;
}

}  // namespace newsearch::search::schema
