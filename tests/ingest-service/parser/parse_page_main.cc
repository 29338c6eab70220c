// parse_page: prints what PageParser makes of each file named on the command
// line, in the golden format of tests/ingest-service/parser/golden.h, so a
// new fixture's golden can be drafted and then reviewed by eye.
// Usage: parse_page [--body] [--content_type=TYPE] FILE...
#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "ingest-service/parser/page_parser.h"
#include "tests/ingest-service/parser/golden.h"

int main(int argc, char** argv) {
  using newsearch::ingest::PageInput;
  using newsearch::ingest::PageParser;
  absl::StatusOr<std::unique_ptr<PageParser>> parser = PageParser::Create();
  if (!parser.ok()) {
    std::fprintf(stderr, "%s\n", parser.status().ToString().c_str());
    return 1;
  }
  bool body = false;
  std::string content_type;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--body") {
      body = true;
      continue;
    }
    if (absl::ConsumePrefix(&arg, "--content_type=")) {
      content_type = std::string(arg);
      continue;
    }
    const std::string bytes = newsearch::ingest::golden::ReadFile(argv[i]);
    PageInput input;
    input.content = bytes;
    input.content_type =
        absl::EndsWith(arg, ".html") && content_type.empty() ? "text/html" : content_type;
    absl::StatusOr<newsearch::ingest::ParsedPage> page = (*parser)->Parse(input);
    std::printf("# %s\n%s", argv[i], newsearch::ingest::golden::FormatGolden(page).c_str());
    if (body && page.ok()) {
      for (const auto& a : page->articles) {
        std::printf("---- body\n%s\n", a.body().c_str());
        for (const auto& w : a.warnings()) std::printf("---- %s\n", w.c_str());
      }
    }
  }
  return 0;
}
