// libFuzzer target for PageParser::Parse: any bytes, any content type. The
// parser must not crash, hang or leak (ASan/UBSan), must fail only with
// INVALID_ARGUMENT, and every string it returns must be valid UTF-8 with
// warnings in the `kind: message` form.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ingest-service/parser/charset.h"
#include "ingest-service/parser/page_parser.h"

namespace {

using newsearch::ingest::FirstInvalidUtf8Offset;

void CheckUtf8(const std::string& s, const char* what) {
  if (FirstInvalidUtf8Offset(s) != absl::string_view::npos) {
    std::fprintf(stderr, "invalid UTF-8 in %s\n", what);
    std::abort();
  }
}

void CheckWarning(const std::string& w) {
  CheckUtf8(w, "warning");
  size_t i = 0;
  while (i < w.size() && ((w[i] >= 'a' && w[i] <= 'z') || w[i] == '_')) ++i;
  if (i == 0 || w.compare(i, 2, ": ") != 0) {
    std::fprintf(stderr, "warning not `kind: message`: %s\n", w.c_str());
    std::abort();
  }
}

const newsearch::ingest::PageParser& Parser() {
  static const newsearch::ingest::PageParser* const kParser = [] {
    auto parser = newsearch::ingest::PageParser::Create();
    if (!parser.ok()) {
      std::fprintf(stderr, "%s\n", parser.status().ToString().c_str());
      std::abort();
    }
    return parser->release();
  }();
  return *kParser;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the content type the caller claims.
  static const char* const kTypes[] = {"", "text/html", "text/plain; charset=gbk",
                                       "text/html; charset=big5", "text/plain; charset=utf-16le"};
  newsearch::ingest::PageInput input;
  if (size > 0) {
    input.content_type = kTypes[data[0] % 5];
    ++data;
    --size;
  }
  input.content = absl::string_view(reinterpret_cast<const char*>(data), size);
  input.source_hint = "来源";
  const absl::StatusOr<newsearch::ingest::ParsedPage> page = Parser().Parse(input);
  if (!page.ok()) {
    if (page.status().code() != absl::StatusCode::kInvalidArgument) {
      std::fprintf(stderr, "unexpected status %s\n", page.status().ToString().c_str());
      std::abort();
    }
    CheckUtf8(std::string(page.status().message()), "error message");
    return 0;
  }
  if (page->articles.empty()) std::abort();
  for (const std::string& w : page->warnings) CheckWarning(w);
  for (const auto& a : page->articles) {
    if (a.title().empty()) std::abort();
    CheckUtf8(a.title(), "title");
    CheckUtf8(a.subtitle(), "subtitle");
    CheckUtf8(a.body(), "body");
    CheckUtf8(a.source(), "source");
    for (const std::string& s : a.authors()) CheckUtf8(s, "author");
    for (const std::string& s : a.editors()) CheckUtf8(s, "editor");
    for (const std::string& w : a.warnings()) CheckWarning(w);
  }
  return 0;
}
