// newsearch-bench-parse: PageParser throughput on one core. Loads every page
// under the given directories into memory, parses them once untimed, then
// parses the whole set repeatedly on one thread until --min_seconds have
// passed, and prints MB/s (raw page bytes), pages/s and articles/s, plus how
// many pages were rejected. See README.md (parse_bench.sh).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ingest-service/parser/page_parser.h"

ABSL_FLAG(std::string, dirs, "tests/testdata/pages/seeds",
          "Comma-separated directories of pages (.txt, .html)");
ABSL_FLAG(double, min_seconds, 5, "Keep parsing the set until this much time has passed");

namespace {

struct Page {
  std::string path;
  std::string bytes;
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("PageParser throughput on one core: --dirs=DIR[,DIR...]");
  absl::ParseCommandLine(argc, argv);
  std::vector<Page> pages;
  size_t total_bytes = 0;
  for (absl::string_view dir : absl::StrSplit(absl::GetFlag(FLAGS_dirs), ',', absl::SkipEmpty())) {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(dir))) {
      const std::string path = entry.path().string();
      if (!absl::EndsWith(path, ".txt") && !absl::EndsWith(path, ".html")) continue;
      std::ifstream in(path, std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      pages.push_back({path, buffer.str()});
      total_bytes += pages.back().bytes.size();
    }
  }
  if (pages.empty()) {
    std::cerr << "no pages under " << absl::GetFlag(FLAGS_dirs) << "\n";
    return 1;
  }
  auto parser = newsearch::ingest::PageParser::Create();
  if (!parser.ok()) {
    std::cerr << parser.status() << "\n";
    return 1;
  }
  auto parse = [&](const Page& page) {
    newsearch::ingest::PageInput input;
    input.content = page.bytes;
    if (absl::EndsWith(page.path, ".html")) input.content_type = "text/html";
    return (*parser)->Parse(input);
  };
  size_t rejected = 0, articles = 0;
  for (const Page& page : pages) {  // Warm-up, and the per-set counts.
    auto parsed = parse(page);
    if (parsed.ok()) {
      articles += parsed->articles.size();
    } else {
      ++rejected;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const double min_seconds = absl::GetFlag(FLAGS_min_seconds);
  double seconds = 0;
  int64_t passes = 0;
  size_t sink = 0;
  do {
    for (const Page& page : pages) {
      auto parsed = parse(page);
      sink += parsed.ok() ? parsed->articles.size() : 0;
    }
    ++passes;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (seconds < min_seconds);
  const double mb = static_cast<double>(total_bytes) * passes / 1e6;
  std::cout << absl::StrFormat(
      "pages %d (%.2f MB), rejected %d, articles %d, passes %d, %.2f s\n"
      "throughput %.2f MB/s, %.0f pages/s, %.0f articles/s (one thread)\n",
      pages.size(), total_bytes / 1e6, rejected, articles, passes, seconds, mb / seconds,
      pages.size() * passes / seconds, static_cast<double>(sink) / seconds);
  return 0;
}
