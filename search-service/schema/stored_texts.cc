#include "search-service/schema/stored_texts.h"

#include <cstdint>

#include <google/protobuf/io/coded_stream.h>

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

StoredTexts TextsOf(const v1::Article& article) {
  StoredTexts texts;
  texts.title = article.title();
  texts.subtitle = article.subtitle();
  texts.body = article.body();
  texts.source = article.source();
  texts.authors.assign(article.authors().begin(), article.authors().end());
  return texts;
}

std::vector<absl::string_view> PhraseTexts(const StoredTexts& texts, absl::string_view prefix) {
  std::vector<absl::string_view> out;
  const bool plain = prefix.empty();
  if (plain || prefix == kTitlePrefix) {
    out.push_back(texts.title);
    out.push_back(texts.subtitle);
  }
  if (plain) {
    const absl::string_view body = texts.body;
    if (kLeadWdf == 1) {
      out.push_back(body);
    } else {
      const absl::string_view lead = LeadParagraph(body);
      out.push_back(lead);
      out.push_back(lead.empty() ? body
                                 : body.substr(static_cast<size_t>(lead.end() - body.data())));
    }
  }
  if (plain || prefix == kSourcePrefix) out.push_back(texts.source);
  if (plain || prefix == kAuthorPrefix) {
    for (const absl::string_view author : texts.authors) out.push_back(author);
  }
  return out;
}

}  // namespace newsearch::search::schema
