// newsearch-bench-index: what building the index costs, in process (no
// gRPC, no change log). Reads clean articles from JSONL (one object per line
// with id, title, body, source, author: the peers' corpus_N.jsonl or
// tools/gen_pages.py --jsonl), builds each document with schema::BuildDocument
// under the default analyzer (or --boundary_evidence=false, --positions) and writes them
// to a fresh Xapian index in --out, committing every --batch documents.
// Prints one RESULT line: articles, CPU seconds of the calling thread for
// BuildDocument alone and for the whole run (robust on a shared machine),
// articles per CPU second, index bytes on disk after commit, and the number
// of terms (and straddle markers) per article, and what the phrase checks'
// folding slot (schema::kFoldedTextsSlot) holds: how many documents have a
// value there, how many of those keep whole folded texts rather than a patch,
// the spans the patches hold, and the values' bytes in all. With
// --segment_docs=N it writes the layout a replica with segments would have:
// a fresh database every N documents (commits stay as cheap as on a small
// index), four segments of one tier merged into one by Xapian's compaction,
// whose CPU it reports as merge_cpu_s (included in total_cpu_s). A
// benchmark, not a test.
#include <time.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <xapian.h>

#include "absl/flags/flag.h"
#include "bench/corpus_jsonl.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/analysis/analyzer.h"
#include "newsearch/v1/article.pb.h"
#include "search-service/schema/folding_patch.h"
#include "search-service/schema/schema.h"

ABSL_FLAG(std::string, corpus, "", "JSONL articles (id, title, body, source, author)");
ABSL_FLAG(std::string, out, "", "Directory for the index (replaced)");
ABSL_FLAG(int, limit, 0, "Index at most this many articles (0 = all)");
ABSL_FLAG(int, batch, 2000, "Documents per commit");
ABSL_FLAG(int, progress, 0, "Print the CPU spent so far every this many articles (0 = never)");
ABSL_FLAG(bool, boundary_evidence, true, "Index straddle markers (analyzer.h)");
ABSL_FLAG(bool, skip_cut_bigrams, false,
          "Index no bigram that is cut by a word boundary wherever it occurs and is no "
          "dictionary word (AnalyzerOptions::skip_cut_bigrams)");
ABSL_FLAG(int, segment_docs, 0,
          "Write a fresh segment database (--out/seg-N) every this many documents, merging "
          "four segments of one tier into one (Xapian compact, timed as merge_cpu_s); "
          "0 = one database in --out");
ABSL_FLAG(bool, positions, false,
          "Index word positions (the service's --index_positions; default: none)");

namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Times schema::BuildDocument and index writes over a JSONL corpus.");
  absl::ParseCommandLine(argc, argv);
  const std::string out = absl::GetFlag(FLAGS_out);
  std::ifstream in(absl::GetFlag(FLAGS_corpus));
  if (out.empty() || !in) {
    std::cerr << "newsearch-bench-index: --corpus must be readable and --out set\n";
    return 2;
  }
  newsearch::analysis::AnalyzerOptions options;
  options.boundary_evidence = absl::GetFlag(FLAGS_boundary_evidence);
  options.positions = absl::GetFlag(FLAGS_positions);
  options.skip_cut_bigrams = absl::GetFlag(FLAGS_skip_cut_bigrams);
  auto analyzer = newsearch::analysis::Analyzer::Create(options);
  if (!analyzer.ok()) {
    std::cerr << "newsearch-bench-index: " << analyzer.status() << "\n";
    return 2;
  }
  std::filesystem::remove_all(out);
  const double start = ThreadCpuSeconds();
  double build_cpu = 0;
  long articles = 0;
  long terms = 0;
  long markers = 0;
  long folded_docs = 0;
  long folded_whole_docs = 0;
  long patched_spans = 0;
  uintmax_t folded_bytes = 0;
  double merge_cpu = 0;
  try {
    const int segment_docs = absl::GetFlag(FLAGS_segment_docs);
    if (segment_docs > 0) std::filesystem::create_directories(out);
    int next_segment = 0;
    std::vector<std::pair<std::string, int>> sealed;  // directory, tier
    auto open_segment = [&] {
      const std::string dir =
          segment_docs > 0 ? absl::StrFormat("%s/seg-%d", out, next_segment++) : out;
      Xapian::WritableDatabase db(dir, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
      // Recorded as a replica records it, so newsearch-bench-search opens the
      // index with the same analyzer.
      db.set_metadata(newsearch::search::schema::kAnalyzerKey, (*analyzer)->Signature());
      return std::make_pair(dir, db);
    };
    // Merges the sealed segments from `first` on into `into` (docids
    // renumbered: the segments' ranges overlap).
    auto merge = [&](size_t first, const std::string& into) {
      const double before = ThreadCpuSeconds();
      Xapian::Database all;
      for (size_t i = first; i < sealed.size(); ++i) {
        all.add_database(Xapian::Database(sealed[i].first));
      }
      all.compact(into, Xapian::DBCOMPACT_MULTIPASS);
      for (size_t i = first; i < sealed.size(); ++i) std::filesystem::remove_all(sealed[i].first);
      merge_cpu += ThreadCpuSeconds() - before;
    };
    auto [dir, db] = open_segment();
    const int limit = absl::GetFlag(FLAGS_limit);
    const int progress = absl::GetFlag(FLAGS_progress);
    for (std::string line; std::getline(in, line) && (limit == 0 || articles < limit);) {
      newsearch::v1::Article article;
      if (!newsearch::bench::ArticleFromJsonLine(line, &article)) continue;
      const double before = ThreadCpuSeconds();
      Xapian::Document doc = newsearch::search::schema::BuildDocument(**analyzer, article);
      build_cpu += ThreadCpuSeconds() - before;
      for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
        ++terms;
        // Straddle markers follow a field prefix of upper-case letters.
        const std::string& term = *t;
        size_t p = 0;
        while (p < term.size() && term[p] >= 'A' && term[p] <= 'Z' && term[p] != 'B') ++p;
        if (p < term.size() && term[p] == 'B' && p + 1 < term.size() &&
            static_cast<unsigned char>(term[p + 1]) >= 0x80) {
          ++markers;
        }
      }
      const std::string folded = doc.get_value(newsearch::search::schema::kFoldedTextsSlot);
      if (!folded.empty()) {
        ++folded_docs;
        folded_bytes += folded.size();
        newsearch::search::schema::FoldingPatch patch;
        if (!newsearch::search::schema::FoldingPatch::IsPatch(folded) || !patch.Parse(folded)) {
          ++folded_whole_docs;
        } else {
          for (const auto& text : patch.Spans()) patched_spans += text.size();
        }
      }
      db.replace_document(newsearch::search::schema::IdTerm(article.id()), doc);
      if (++articles % absl::GetFlag(FLAGS_batch) == 0) db.commit();
      if (segment_docs > 0 && articles % segment_docs == 0) {
        db.commit();
        db.close();
        sealed.emplace_back(dir, 0);
        // Tiered: four segments of one tier become one of the next.
        while (sealed.size() >= 4) {
          const size_t first = sealed.size() - 4;
          const int tier = sealed.back().second;
          if (sealed[first].second != tier) break;
          const std::string into = absl::StrFormat("%s/seg-%d", out, next_segment++);
          merge(first, into);
          sealed.resize(first);
          sealed.emplace_back(into, tier + 1);
        }
        std::tie(dir, db) = open_segment();
      }
      if (progress > 0 && articles % progress == 0) {
        // How the cost of an article moves as the index grows.
        const double now = ThreadCpuSeconds();
        std::cout << absl::StrFormat("PROGRESS articles=%d cpu_s=%.2f build_cpu_s=%.2f\n",
                                     articles, now - start, build_cpu);
        std::cout.flush();
      }
    }
    db.commit();
  } catch (const Xapian::Error& e) {
    std::cerr << "newsearch-bench-index: " << e.get_description() << "\n";
    return 1;
  }
  const double total_cpu = ThreadCpuSeconds() - start;
  uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  std::cout << absl::StrFormat(
      "RESULT boundary_evidence=%d articles=%d build_cpu_s=%.2f total_cpu_s=%.2f "
      "build_articles_per_cpu_s=%.0f index_mib=%.1f terms_per_article=%.1f "
      "merge_cpu_s=%.2f markers_per_article=%.1f folded_slot_docs=%d folded_slot_whole_docs=%d "
      "patched_spans=%d folded_slot_mib=%.2f signature=\"%s\"\n",
      options.boundary_evidence ? 1 : 0, articles, build_cpu, total_cpu,
      build_cpu > 0 ? articles / build_cpu : 0.0, bytes / 1048576.0,
      articles ? static_cast<double>(terms) / articles : 0.0, merge_cpu,
      articles ? static_cast<double>(markers) / articles : 0.0, folded_docs,
      folded_whole_docs, patched_spans, folded_bytes / 1048576.0, (*analyzer)->Signature());
  return 0;
}
