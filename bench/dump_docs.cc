// newsearch-dump-docs: a canonical text form of the Xapian documents that
// schema::BuildDocument makes, for proving that a change to the analyzer or
// the schema leaves the index byte for byte as it was: run the tool built
// from two commits over the same articles and `cmp` the outputs.
//
// Articles come from JSONL (--corpus: id, title, body, source, author, as
// newsearch-bench-index reads them) and from raw pages (--pages: directories
// of .html/.txt pages, parsed with PageParser; each article gets the id
// `page:<file>#<n>`). For each document it prints its id term, then one line
// per term (term, wdf, positions), one per value slot, and the size and
// FNV-1a hash of its data. Terms are printed with C escapes so the dump is
// plain ASCII. A check, not a benchmark.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <xapian.h>

#include "absl/flags/flag.h"
#include "bench/corpus_jsonl.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/analysis/analyzer.h"
#include "ingest-service/parser/page_parser.h"
#include "newsearch/v1/article.pb.h"
#include "search-service/schema/schema.h"

ABSL_FLAG(std::string, corpus, "", "JSONL articles (id, title, body, source, author)");
ABSL_FLAG(int, limit, 0, "Read at most this many articles of --corpus (0 = all)");
ABSL_FLAG(std::string, pages, "", "Comma-separated directories of raw pages (.html, .txt)");
ABSL_FLAG(std::string, analyzer, "bigrams", "Segmentation: bigrams, words, words+bigrams");
ABSL_FLAG(bool, boundary_evidence, true, "Index straddle markers (analyzer.h)");
ABSL_FLAG(bool, positions, true, "Index word positions (AnalyzerOptions::positions)");

namespace {


uint64_t Fnv1a(const std::string& bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

void Dump(const newsearch::analysis::Analyzer& analyzer, const newsearch::v1::Article& article,
          std::ostream& out) {
  const Xapian::Document doc = newsearch::search::schema::BuildDocument(analyzer, article);
  out << "doc " << absl::CEscape(article.id()) << "\n";
  for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
    out << "  term " << absl::CEscape(*t) << " wdf=" << t.get_wdf() << " pos=";
    for (auto p = t.positionlist_begin(); p != t.positionlist_end(); ++p) out << *p << ",";
    out << "\n";
  }
  for (auto v = doc.values_begin(); v != doc.values_end(); ++v) {
    out << "  value " << v.get_valueno() << " " << absl::CEscape(*v) << "\n";
  }
  const std::string data = doc.get_data();
  out << "  data bytes=" << data.size() << " fnv1a=" << Fnv1a(data) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Prints the documents BuildDocument makes: --corpus=FILE.jsonl and/or --pages=DIR[,DIR]");
  absl::ParseCommandLine(argc, argv);
  newsearch::analysis::AnalyzerOptions options;
  auto segmentation = newsearch::analysis::ParseSegmentation(absl::GetFlag(FLAGS_analyzer));
  if (!segmentation.ok()) {
    std::cerr << "newsearch-dump-docs: " << segmentation.status() << "\n";
    return 2;
  }
  options.segmentation = *segmentation;
  options.boundary_evidence = absl::GetFlag(FLAGS_boundary_evidence);
  options.positions = absl::GetFlag(FLAGS_positions);
  auto analyzer = newsearch::analysis::Analyzer::Create(options);
  if (!analyzer.ok()) {
    std::cerr << "newsearch-dump-docs: " << analyzer.status() << "\n";
    return 2;
  }
  std::cout << "signature " << (*analyzer)->Signature() << "\n";
  if (const std::string corpus = absl::GetFlag(FLAGS_corpus); !corpus.empty()) {
    std::ifstream in(corpus);
    if (!in) {
      std::cerr << "newsearch-dump-docs: cannot read --corpus " << corpus << "\n";
      return 2;
    }
    const int limit = absl::GetFlag(FLAGS_limit);
    int articles = 0;
    for (std::string line; std::getline(in, line) && (limit == 0 || articles < limit);) {
      newsearch::v1::Article article;
      if (!newsearch::bench::ArticleFromJsonLine(line, &article)) continue;
      Dump(**analyzer, article, std::cout);
      ++articles;
    }
  }
  if (const std::string dirs = absl::GetFlag(FLAGS_pages); !dirs.empty()) {
    auto parser = newsearch::ingest::PageParser::Create();
    if (!parser.ok()) {
      std::cerr << "newsearch-dump-docs: " << parser.status() << "\n";
      return 2;
    }
    std::vector<std::string> paths;
    for (absl::string_view dir : absl::StrSplit(dirs, ',', absl::SkipEmpty())) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(dir))) {
        const std::string path = entry.path().string();
        if (absl::EndsWith(path, ".txt") || absl::EndsWith(path, ".html")) paths.push_back(path);
      }
    }
    // Directory order is the file system's; sort so two builds agree.
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      const std::string content = bytes.str();
      newsearch::ingest::PageInput input;
      input.content = content;
      if (absl::EndsWith(path, ".html")) input.content_type = "text/html";
      auto parsed = (*parser)->Parse(input);
      if (!parsed.ok()) {
        std::cout << "page " << absl::CEscape(path) << " rejected\n";
        continue;
      }
      for (size_t n = 0; n < parsed->articles.size(); ++n) {
        newsearch::v1::Article article = parsed->articles[n];
        article.set_id(absl::StrCat("page:", path, "#", n));
        Dump(**analyzer, article, std::cout);
      }
    }
  }
  return 0;
}
