// Small helpers shared by the benchmark programs: the query file format and
// the percentile every latency table uses.
#ifndef NEWSEARCH_BENCH_BENCH_UTIL_H_
#define NEWSEARCH_BENCH_BENCH_UTIL_H_

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace newsearch::bench {

// Reads one query per line, skipping blank lines and `#` comments. A line
// with tabs is the peers' format (../shared/peers/queries.txt: id, kind,
// query, then notes) and gives its third field; a line with fewer fields is
// skipped. Returns false when the file cannot be opened.
inline bool ReadQueries(const std::string& path, std::vector<std::string>* queries) {
  std::ifstream in(path);
  if (!in) return false;
  for (std::string line; std::getline(in, line);) {
    absl::string_view q = absl::StripAsciiWhitespace(line);
    if (q.empty() || q[0] == '#') continue;
    if (q.find('\t') != absl::string_view::npos) {
      const std::vector<absl::string_view> fields = absl::StrSplit(q, '\t');
      if (fields.size() < 3) continue;
      q = absl::StripAsciiWhitespace(fields[2]);
      if (q.empty()) continue;
    }
    queries->emplace_back(q);
  }
  return true;
}

// Nearest-rank percentile (p in 0..100) of sorted values; 0 when empty.
inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace newsearch::bench

#endif  // NEWSEARCH_BENCH_BENCH_UTIL_H_
