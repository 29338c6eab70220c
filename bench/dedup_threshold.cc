// Measures the similarities behind kDuplicateMinSimilarity
// (ingest-service/dedup/minhash.h): parses pages with the real parser,
// signs every first article body, and prints
//   * for each near-duplicate pair (files NN_a.* and NN_x.* in --pairs, x
//     any other letter), the estimated Jaccard similarity of the signatures;
//   * over every pair of distinct pages of --corpus (e.g. tools/gen_pages.py
//     output, none of them a copy of another), how many pairs reach each
//     similarity: the false positives a threshold would produce, and how
//     many pairs share a band (the candidates a lookup has to check).
// Usage: newsearch-bench-dedup --pairs tests/testdata/dedup/pairs --corpus DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "ingest-service/dedup/minhash.h"
#include "ingest-service/parser/page_parser.h"

ABSL_FLAG(std::string, pairs, "", "Directory of NN_a / NN_b near-duplicate pages");
ABSL_FLAG(std::string, corpus, "", "Directory of pages that are not copies of each other");

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  if (dir.empty()) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto parser = newsearch::ingest::PageParser::Create();
  auto fp = newsearch::ingest::BodyFingerprinter::Create();
  if (!parser.ok() || !fp.ok()) {
    std::cerr << "cannot load parser or analyzer\n";
    return 1;
  }
  // First article of the page only: the pairs and generated pages carry one.
  auto fingerprint = [&](const std::string& path) -> std::optional<newsearch::ingest::MinHashSignature> {
    const std::string bytes = Slurp(path);
    newsearch::ingest::PageInput input;
    input.content = bytes;
    auto page = (*parser)->Parse(input);
    if (!page.ok() || page->articles.empty()) return std::nullopt;
    return (*fp)->Signature(page->articles[0].body());
  };

  using Signature = std::optional<newsearch::ingest::MinHashSignature>;
  std::map<std::string, Signature> firsts;                    // NN -> NN_a
  std::map<std::string, std::pair<Signature, Signature>> pairs;  // NN_x -> (NN_a, NN_x)
  const std::vector<std::string> pair_files = Files(absl::GetFlag(FLAGS_pairs));
  for (const std::string& path : pair_files) {
    const std::string name = std::filesystem::path(path).stem().string();
    if (name.size() >= 3 && name.substr(name.size() - 2) == "_a") {
      firsts[name.substr(0, name.size() - 2)] = fingerprint(path);
    }
  }
  for (const std::string& path : pair_files) {
    const std::string name = std::filesystem::path(path).stem().string();
    if (name.size() < 3 || name[name.size() - 2] != '_' || name.back() == 'a') continue;
    pairs[name] = {firsts[name.substr(0, name.size() - 2)], fingerprint(path)};
  }
  using newsearch::ingest::EstimatedSimilarity;
  std::vector<double> pair_sims;
  for (const auto& [key, fps] : pairs) {
    if (!fps.first || !fps.second) {
      std::printf("pair %s: no signature (unparsable or too short)\n", key.c_str());
      continue;
    }
    const double sim = EstimatedSimilarity(*fps.first, *fps.second);
    pair_sims.push_back(sim);
    std::printf("pair %s: similarity %.3f\n", key.c_str(), sim);
  }

  std::vector<newsearch::ingest::MinHashSignature> corpus;
  for (const std::string& path : Files(absl::GetFlag(FLAGS_corpus))) {
    if (auto f = fingerprint(path)) corpus.push_back(*f);
  }
  std::vector<int64_t> hist(21, 0);  // similarity in steps of 0.05
  int64_t candidates = 0;
  double max_sim = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const auto keys_i = newsearch::ingest::BandKeys(corpus[i]);
    for (size_t j = i + 1; j < corpus.size(); ++j) {
      const double sim = EstimatedSimilarity(corpus[i], corpus[j]);
      max_sim = std::max(max_sim, sim);
      ++hist[static_cast<int>(sim * 20)];
      const auto keys_j = newsearch::ingest::BandKeys(corpus[j]);
      for (int b = 0; b < newsearch::ingest::kBands; ++b) {
        if (keys_i[b] == keys_j[b]) {
          ++candidates;
          break;
        }
      }
    }
  }
  const int64_t total = static_cast<int64_t>(corpus.size() * (corpus.size() - 1) / 2);
  std::printf("corpus: %zu signatures, %lld pairs, highest similarity %.3f, pairs sharing a "
              "band %lld\n",
              corpus.size(), static_cast<long long>(total), max_sim,
              static_cast<long long>(candidates));
  for (int step = 20; step >= 4; --step) {
    const double t = step / 20.0;
    int64_t fp = 0;
    for (int s = step; s <= 20; ++s) fp += hist[s];
    const auto found = std::count_if(pair_sims.begin(), pair_sims.end(),
                                     [t](double v) { return v >= t - 1e-9; });
    std::printf("similarity >= %.2f: near-duplicate pairs found %ld/%zu, corpus pairs (false "
                "positives) %lld\n",
                t, static_cast<long>(found), pairs.size(), static_cast<long long>(fp));
  }
  return 0;
}
