// newsearch-relevance: runs the relevance evaluation and prints one table.
//
//   newsearch-relevance --data_dir=tests/relevance/data
//       --distractors=/tmp/gen.jsonl [--variants=bigrams,words,words+bigrams]
//       [--peer_run=NAME=FILE ...] [--write_runs=DIR] [--by_kind]
//       [--bm25=K1:B[:W[:P[:X]]],...] [--title_wdf=1,3,...] [--lead_wdf=1,2,...]
//       [--recency]
//       [--boundary_evidence=false] [--straddle_weight=0.5] [--drop_straddling]
//       [--floor_variant=words+bigrams --min_margin=0.05]
//
// Rows: every variant of ours (real schema + Searcher), raw Xapian CJK
// n-grams (the baseline), and every --peer_run file (qid<TAB>rank<TAB>id, see
// tests/relevance/peer_runs.py). With --floor_variant, exits 1 when that
// variant's nDCG@10 is below the baseline's plus --min_margin.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "search-service/query/searcher.h"
#include "search-service/schema/schema.h"
#include "tests/relevance/relevance.h"

ABSL_FLAG(std::string, data_dir, "tests/relevance/data",
          "Directory with articles.jsonl, queries.tsv and qrels.tsv");
ABSL_FLAG(std::string, distractors, "",
          "tools/gen_pages.py --jsonl output added as never-relevant articles (ids gen-...)");
ABSL_FLAG(std::string, variants, "bigrams,words,words+bigrams", "Our analyzer variants to run");
ABSL_FLAG(bool, baseline, true, "Also run raw Xapian with FLAG_CJK_NGRAM");
ABSL_FLAG(std::vector<std::string>, peer_run, {},
          "NAME=FILE,...: ranked runs of other engines to score (comma separated)");
ABSL_FLAG(std::string, write_runs, "", "Directory to write every system's run file to");
ABSL_FLAG(std::string, work_dir, "", "Scratch directory for indexes (default: a temp dir)");
ABSL_FLAG(bool, by_kind, false, "Also print nDCG@10 and MRR@10 per query kind and the hits of no_answer queries");
ABSL_FLAG(std::vector<std::string>, bm25, {},
          "K1:B[:W[:P[:X]]] BM25 parameters (and words+bigrams word weight W, phrase evidence weight P, proximity "
          "weight X) to run each "
          "variant with (default: the searcher's and analyzer's defaults); with more than one, rows are named by them");
ABSL_FLAG(std::vector<std::string>, title_wdf, {},
          "Wdfs of the unprefixed title terms to index each variant with (default: schema::kTitleWdf); one index "
          "per value");
ABSL_FLAG(std::vector<std::string>, lead_wdf, {},
          "Wdfs of the body's lead paragraph to index each variant with (default: schema::kLeadWdf); one "
          "index per value (and per --title_wdf)");
ABSL_FLAG(bool, recency, false,
          "Also run every ranking with SORT_ORDER_RELEVANCE_RECENCY (rows marked +recency)");
ABSL_FLAG(std::vector<std::string>, relax_threshold, {},
          "Run every ranking with each of these SearcherOptions::relax_threshold values "
          "(0 = never relax); empty = the searcher's default only");
ABSL_FLAG(bool, positions, false,
          "Index word positions (AnalyzerOptions::positions); without them, as the service "
          "indexes by default, phrases are checked on the stored text (phrase_check.h)");
ABSL_FLAG(bool, boundary_evidence, true,
          "Index straddle markers and check query bigrams against them (analyzer.h)");
ABSL_FLAG(double, straddle_weight, 0.0,
          "Weight factor of an atom whose bigrams only straddle word boundaries in a document");
ABSL_FLAG(bool, drop_straddling, false, "Leave out documents whose matches only straddle");
ABSL_FLAG(bool, skip_cut_bigrams, false,
          "Index no bigram that is cut by a word boundary wherever it occurs and is no "
          "dictionary word (AnalyzerOptions::skip_cut_bigrams)");
ABSL_FLAG(std::string, floor_variant, "", "Variant whose nDCG@10 must beat the baseline");
ABSL_FLAG(double, min_margin, 0.0, "Required nDCG@10 margin of --floor_variant over the baseline");

namespace {

using newsearch::relevance::JudgedQuery;
using newsearch::relevance::Run;
using newsearch::relevance::Scores;

struct Row {
  std::string name;
  Run run;
};

int Fail(const absl::Status& status) {
  std::cerr << "newsearch-relevance: " << status << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Relevance evaluation of newsearch's analyzers against peers.");
  absl::ParseCommandLine(argc, argv);
  namespace rel = newsearch::relevance;
  const std::string data = absl::GetFlag(FLAGS_data_dir);
  auto articles = rel::LoadArticles(data + "/articles.jsonl");
  if (!articles.ok()) return Fail(articles.status());
  const size_t judged_articles = articles->size();
  if (!absl::GetFlag(FLAGS_distractors).empty()) {
    auto distractors = rel::LoadDistractors(absl::GetFlag(FLAGS_distractors));
    if (!distractors.ok()) return Fail(distractors.status());
    for (auto& a : *distractors) articles->push_back(std::move(a));
  }
  auto queries = rel::LoadQueries(data + "/queries.tsv");
  if (!queries.ok()) return Fail(queries.status());
  auto qrels = rel::LoadQrels(data + "/qrels.tsv");
  if (!qrels.ok()) return Fail(qrels.status());

  std::string work = absl::GetFlag(FLAGS_work_dir);
  bool own_work = false;
  if (work.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "newsearch-relevance-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) return Fail(absl::InternalError("mkdtemp failed"));
    work = tmpl;
    own_work = true;
  }

  rel::ShuffleDeterministically(&*articles);
  std::vector<rel::Bm25> rankings;
  {
    const newsearch::search::SearcherOptions defaults;
    rankings.push_back({defaults.bm25_k1, defaults.bm25_b});
  }
  if (!absl::GetFlag(FLAGS_bm25).empty()) rankings.clear();
  for (const std::string& pair : absl::GetFlag(FLAGS_bm25)) {
    std::vector<std::string> kb = absl::StrSplit(pair, ':');
    rel::Bm25 ranking;
    if (kb.size() < 2 || kb.size() > 5 || !absl::SimpleAtod(kb[0], &ranking.k1) ||
        !absl::SimpleAtod(kb[1], &ranking.b) ||
        (kb.size() >= 3 && !absl::SimpleAtod(kb[2], &ranking.word_weight)) ||
        (kb.size() >= 4 && (!absl::SimpleAtod(kb[3], &ranking.phrase_weight) ||
                            ranking.phrase_weight < 0)) ||
        (kb.size() == 5 && (!absl::SimpleAtod(kb[4], &ranking.proximity_weight) ||
                            ranking.proximity_weight < 0))) {
      return Fail(
          absl::InvalidArgumentError(absl::StrCat("--bm25 wants K1:B[:W[:P[:X]]], got ", pair)));
    }
    rankings.push_back(ranking);
  }
  const bool name_rankings = rankings.size() > 1;
  if (absl::GetFlag(FLAGS_recency)) {
    const size_t n = rankings.size();
    for (size_t i = 0; i < n; ++i) {
      rankings.push_back(rankings[i]);
      rankings.back().recency = true;
    }
  }
  if (!absl::GetFlag(FLAGS_relax_threshold).empty()) {
    std::vector<rel::Bm25> relaxed;
    for (const std::string& text : absl::GetFlag(FLAGS_relax_threshold)) {
      int threshold = 0;
      if (!absl::SimpleAtoi(text, &threshold) || threshold < 0) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat("--relax_threshold wants integers >= 0, got ", text)));
      }
      for (rel::Bm25 r : rankings) {
        r.relax_threshold = threshold;
        relaxed.push_back(r);
      }
    }
    rankings = std::move(relaxed);
  }
  // A grid of wdf values from a flag (positive integers); the service's
  // value alone when the flag is empty.
  const auto wdf_grid = [](const std::vector<std::string>& texts, absl::string_view flag,
                           unsigned service_value) -> absl::StatusOr<std::vector<unsigned>> {
    std::vector<unsigned> wdfs;
    for (const std::string& text : texts) {
      unsigned wdf = 0;
      if (!absl::SimpleAtoi(text, &wdf) || wdf == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", flag, " wants positive integers, got ", text));
      }
      wdfs.push_back(wdf);
    }
    if (wdfs.empty()) wdfs.push_back(service_value);
    return wdfs;
  };
  const bool name_title_wdf = !absl::GetFlag(FLAGS_title_wdf).empty();
  absl::StatusOr<std::vector<unsigned>> title_wdfs = wdf_grid(
      absl::GetFlag(FLAGS_title_wdf), "title_wdf", newsearch::search::schema::kTitleWdf);
  if (!title_wdfs.ok()) return Fail(title_wdfs.status());
  const bool name_lead_wdf = !absl::GetFlag(FLAGS_lead_wdf).empty();
  absl::StatusOr<std::vector<unsigned>> lead_wdfs = wdf_grid(
      absl::GetFlag(FLAGS_lead_wdf), "lead_wdf", newsearch::search::schema::kLeadWdf);
  if (!lead_wdfs.ok()) return Fail(lead_wdfs.status());
  std::vector<Row> rows;
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_variants), ',', absl::SkipEmpty())) {
    auto segmentation = newsearch::analysis::ParseSegmentation(name);
    if (!segmentation.ok()) return Fail(segmentation.status());
    newsearch::analysis::AnalyzerOptions options;
    options.segmentation = *segmentation;
    options.boundary_evidence = absl::GetFlag(FLAGS_boundary_evidence);
    options.positions = absl::GetFlag(FLAGS_positions);
    options.straddle_weight = absl::GetFlag(FLAGS_straddle_weight);
    options.drop_straddling = absl::GetFlag(FLAGS_drop_straddling);
    options.skip_cut_bigrams = absl::GetFlag(FLAGS_skip_cut_bigrams);
    std::vector<std::pair<unsigned, unsigned>> field_wdfs;  // (title, lead)
    for (const unsigned title_wdf : *title_wdfs) {
      for (const unsigned lead_wdf : *lead_wdfs) field_wdfs.emplace_back(title_wdf, lead_wdf);
    }
    for (const auto& [title_wdf, lead_wdf] : field_wdfs) {
      auto runs =
          rel::RunNewsearch(*articles, *queries, options, rankings, title_wdf, lead_wdf, work);
      if (!runs.ok()) return Fail(runs.status());
      for (size_t i = 0; i < rankings.size(); ++i) {
        const rel::Bm25& r = rankings[i];
        std::string row = absl::StrCat("newsearch ", name);
        if (name_rankings) {
          absl::StrAppendFormat(&row, " k1=%g b=%g w=%g p=%g x=%g", r.k1, r.b, r.word_weight,
                                r.phrase_weight < 0 ? options.phrase_weight : r.phrase_weight,
                                r.proximity_weight);
        }
        if (name_title_wdf) absl::StrAppend(&row, " title_wdf=", title_wdf);
        if (name_lead_wdf) absl::StrAppend(&row, " lead_wdf=", lead_wdf);
        if (r.recency) absl::StrAppend(&row, " +recency");
        if (r.relax_threshold >= 0) absl::StrAppend(&row, " relax=", r.relax_threshold);
        rows.push_back({std::move(row), std::move((*runs)[i])});
      }
    }
  }
  if (absl::GetFlag(FLAGS_baseline)) {
    auto run = rel::RunXapianNgrams(*articles, *queries, work);
    if (!run.ok()) return Fail(run.status());
    rows.push_back({"xapian FLAG_CJK_NGRAM (baseline)", *std::move(run)});
  }
  for (const std::string& peer : absl::GetFlag(FLAGS_peer_run)) {
    if (peer.empty()) continue;
    std::pair<std::string, std::string> kv = absl::StrSplit(peer, absl::MaxSplits('=', 1));
    if (kv.second.empty()) return Fail(absl::InvalidArgumentError("--peer_run wants NAME=FILE"));
    auto run = rel::LoadRun(kv.second);
    if (!run.ok()) return Fail(run.status());
    rows.push_back({kv.first, *std::move(run)});
  }
  if (own_work) {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  }
  if (const std::string dir = absl::GetFlag(FLAGS_write_runs); !dir.empty()) {
    std::filesystem::create_directories(dir);
    for (const Row& row : rows) {
      std::string file = row.name.substr(0, row.name.find(" ("));
      for (char& c : file) {
        if (c == ' ' || c == '+' || c == '/' || c == '=') c = '_';
      }
      if (auto s = rel::WriteRun(row.run, absl::StrCat(dir, "/", file, ".tsv")); !s.ok()) {
        return Fail(s);
      }
    }
  }

  const rel::Scores any = rel::Evaluate(*qrels, rows.empty() ? Run() : rows[0].run, *queries);
  std::cout << absl::StrFormat(
      "%d judged articles + %d distractors; %d queries, %d with at least one relevant article\n\n",
      judged_articles, articles->size() - judged_articles, queries->size(), any.queries);
  std::cout << "| system | nDCG@10 | MRR@10 | P@5 | Recall@100 |\n|---|---|---|---|---|\n";
  std::vector<Scores> scores;
  for (const Row& row : rows) {
    scores.push_back(rel::Evaluate(*qrels, row.run, *queries));
    const Scores& s = scores.back();
    std::cout << absl::StrFormat("| %s | %.4f | %.4f | %.4f | %.4f |\n", row.name, s.ndcg10,
                                 s.mrr10, s.p5, s.recall100);
  }
  if (absl::GetFlag(FLAGS_by_kind)) {
    std::vector<std::string> kinds;
    for (const JudgedQuery& q : *queries) {
      if (std::find(kinds.begin(), kinds.end(), q.kind) == kinds.end()) kinds.push_back(q.kind);
    }
    std::cout << "\nnDCG@10 by query kind (queries with a relevant article)\n\n| kind | n |";
    for (const Row& row : rows) std::cout << " " << row.name << " |";
    std::cout << "\n|---|---|";
    for (size_t i = 0; i < rows.size(); ++i) std::cout << "---|";
    std::cout << "\n";
    for (const std::string& kind : kinds) {
      const int n = rel::Evaluate(*qrels, rows[0].run, *queries, kind).queries;
      std::cout << "| " << kind << " | " << n << " |";
      for (const Row& row : rows) {
        std::cout << absl::StrFormat(" %.3f |", rel::Evaluate(*qrels, row.run, *queries, kind).ndcg10);
      }
      std::cout << "\n";
    }
    std::cout << "\nMRR@10 by query kind\n\n| kind | n |";
    for (const Row& row : rows) std::cout << " " << row.name << " |";
    std::cout << "\n|---|---|";
    for (size_t i = 0; i < rows.size(); ++i) std::cout << "---|";
    std::cout << "\n";
    for (const std::string& kind : kinds) {
      const int n = rel::Evaluate(*qrels, rows[0].run, *queries, kind).queries;
      if (n == 0) continue;
      std::cout << "| " << kind << " | " << n << " |";
      for (const Row& row : rows) {
        std::cout << absl::StrFormat(" %.3f |", rel::Evaluate(*qrels, row.run, *queries, kind).mrr10);
      }
      std::cout << "\n";
    }
    // Queries without a relevant article have no nDCG or MRR: what counts is
    // how many of them answer with hits at all, and how many hits.
    std::cout << "\nno_answer queries: answered with hits / mean hits (top 100)\n\n";
    for (const Row& row : rows) {
      int total = 0;
      int answered = 0;
      size_t hits = 0;
      for (const JudgedQuery& q : *queries) {
        if (q.kind != "no_answer") continue;
        ++total;
        const auto it = row.run.find(q.qid);
        const size_t n = it == row.run.end() ? 0 : it->second.size();
        if (n > 0) ++answered;
        hits += n;
      }
      if (total == 0) break;
      std::cout << absl::StrFormat("| %s | %d/%d | %.1f |\n", row.name, answered, total,
                                   static_cast<double>(hits) / total);
    }
  }
  if (const std::string floor = absl::GetFlag(FLAGS_floor_variant); !floor.empty()) {
    const std::string want = absl::StrCat("newsearch ", floor);
    int ours = -1;
    int base = -1;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].name == want) ours = static_cast<int>(i);
      if (absl::StartsWith(rows[i].name, "xapian")) base = static_cast<int>(i);
    }
    if (ours < 0 || base < 0) {
      return Fail(absl::InvalidArgumentError("--floor_variant needs that variant and the baseline"));
    }
    const double need = scores[base].ndcg10 + absl::GetFlag(FLAGS_min_margin);
    if (scores[ours].ndcg10 < need) {
      std::cout << absl::StrFormat("\nFAIL: %s nDCG@10 %.4f < baseline %.4f + margin %.4f\n", want,
                                   scores[ours].ndcg10, scores[base].ndcg10,
                                   absl::GetFlag(FLAGS_min_margin));
      return 1;
    }
    std::cout << absl::StrFormat("\nOK: %s nDCG@10 %.4f >= baseline %.4f + margin %.4f\n", want,
                                 scores[ours].ndcg10, scores[base].ndcg10,
                                 absl::GetFlag(FLAGS_min_margin));
  }
  return 0;
}
