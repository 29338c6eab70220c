// Reading the peers' corpus (../shared/peers/gen_corpus.py's corpus_N.jsonl,
// or tools/gen_pages.py --jsonl): one JSON object per line with id, title,
// body, source and author, as the Article ingest would store.
#ifndef NEWSEARCH_BENCH_CORPUS_JSONL_H_
#define NEWSEARCH_BENCH_CORPUS_JSONL_H_

#include <string>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "newsearch/v1/article.pb.h"

namespace newsearch::bench {

// Fills `article` from one line; false when the line is not a JSON object.
inline bool ArticleFromJsonLine(const std::string& line, v1::Article* article) {
  google::protobuf::Struct s;
  if (!google::protobuf::util::JsonStringToMessage(line, &s).ok()) return false;
  const auto field = [&s](const char* name) {
    const auto it = s.fields().find(name);
    return it == s.fields().end() ? std::string() : it->second.string_value();
  };
  article->set_id(field("id"));
  article->set_title(field("title"));
  article->set_body(field("body"));
  article->set_source(field("source"));
  if (const std::string author = field("author"); !author.empty()) article->add_authors(author);
  return true;
}

}  // namespace newsearch::bench

#endif  // NEWSEARCH_BENCH_CORPUS_JSONL_H_
