#include "tests/relevance/relevance.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>
#include <xapian.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "search-service/query/searcher.h"
#include "search-service/schema/schema.h"

namespace newsearch::relevance {
namespace {

constexpr int kDepth = 100;

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string StringField(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// Fills published_at from RFC 3339 text or a bare YYYY-MM-DD (China
// Standard Time midnight); leaves it unset when empty or unparseable.
void SetPublished(const std::string& text, v1::Article* article) {
  if (text.empty()) return;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err) &&
      !absl::ParseTime("%Y-%m-%d", text, absl::FixedTimeZone(8 * 3600), &t, &err)) {
    return;
  }
  article->mutable_published_at()->set_seconds(absl::ToUnixSeconds(t));
}

absl::StatusOr<std::vector<v1::Article>> LoadJsonl(const std::string& path, bool distractors) {
  auto lines = ReadLines(path);
  if (!lines.ok()) return lines.status();
  std::vector<v1::Article> articles;
  int number = 0;
  for (const std::string& line : *lines) {
    ++number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(path, " line ", number, ": not a JSON object"));
    }
    v1::Article a;
    a.set_id(StringField(j, "id"));
    if (a.id().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, " line ", number, ": no id"));
    }
    if (distractors) a.set_id(absl::StrCat("gen-", a.id()));
    a.set_title(StringField(j, "title"));
    a.set_source(StringField(j, "source"));
    a.set_body(StringField(j, "body"));
    a.set_script(StringField(j, "script"));
    a.set_duplicate_of(StringField(j, "duplicate_of"));
    SetPublished(StringField(j, "published_at"), &a);
    if (auto it = j.find("authors"); it != j.end() && it->is_array()) {
      for (const auto& author : *it) {
        if (author.is_string()) a.add_authors(author.get<std::string>());
      }
    }
    if (const std::string author = StringField(j, "author"); !author.empty()) a.add_authors(author);
    articles.push_back(std::move(a));
  }
  return articles;
}

double Dcg(const std::vector<int>& grades) {
  double dcg = 0;
  for (size_t i = 0; i < grades.size(); ++i) {
    dcg += (std::pow(2.0, grades[i]) - 1) / std::log2(static_cast<double>(i) + 2);
  }
  return dcg;
}

}  // namespace

absl::StatusOr<std::vector<v1::Article>> LoadArticles(const std::string& path) {
  return LoadJsonl(path, /*distractors=*/false);
}

absl::StatusOr<std::vector<v1::Article>> LoadDistractors(const std::string& path) {
  return LoadJsonl(path, /*distractors=*/true);
}

absl::StatusOr<std::vector<JudgedQuery>> LoadQueries(const std::string& path) {
  auto lines = ReadLines(path);
  if (!lines.ok()) return lines.status();
  std::vector<JudgedQuery> queries;
  int number = 0;
  for (const std::string& line : *lines) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (cols.size() < 3 || cols[0].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", number, ": expected qid<TAB>kind<TAB>query[<TAB>note]"));
    }
    if (cols[0] == "qid") continue;  // header
    queries.push_back({cols[0], cols[1], cols[2], cols.size() > 3 ? cols[3] : ""});
  }
  return queries;
}

absl::StatusOr<Qrels> LoadQrels(const std::string& path) {
  auto lines = ReadLines(path);
  if (!lines.ok()) return lines.status();
  Qrels qrels;
  int number = 0;
  for (const std::string& line : *lines) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    int grade = 0;
    if (cols.size() < 3 || !absl::SimpleAtoi(cols[2], &grade) || grade < 0 || grade > 3) {
      if (number == 1) continue;  // header
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", number, ": expected qid<TAB>article_id<TAB>grade 0-3"));
    }
    qrels[cols[0]][cols[1]] = grade;
  }
  return qrels;
}

absl::StatusOr<Run> LoadRun(const std::string& path) {
  auto lines = ReadLines(path);
  if (!lines.ok()) return lines.status();
  std::map<std::string, std::vector<std::pair<int, std::string>>> ranked;
  int number = 0;
  for (const std::string& line : *lines) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    int rank = 0;
    if (cols.size() < 3 || !absl::SimpleAtoi(cols[1], &rank)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", number, ": expected qid<TAB>rank<TAB>article_id"));
    }
    ranked[cols[0]].emplace_back(rank, cols[2]);
  }
  Run run;
  for (auto& [qid, list] : ranked) {
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [rank, id] : list) run[qid].push_back(std::move(id));
  }
  return run;
}

absl::Status WriteRun(const Run& run, const std::string& path) {
  std::ofstream out(path);
  for (const auto& [qid, ids] : run) {
    for (size_t i = 0; i < ids.size(); ++i) out << qid << '\t' << i + 1 << '\t' << ids[i] << '\n';
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

Scores ScoreQuery(const std::map<std::string, int>& judgments,
                  const std::vector<std::string>& ranked) {
  Scores s;
  int relevant = 0;
  std::vector<int> ideal;
  for (const auto& [id, grade] : judgments) {
    if (grade > 0) {
      ++relevant;
      ideal.push_back(grade);
    }
  }
  if (relevant == 0) return s;
  s.queries = 1;
  std::sort(ideal.rbegin(), ideal.rend());
  if (ideal.size() > 10) ideal.resize(10);
  std::set<std::string> seen;
  std::vector<int> gains;
  int found5 = 0;
  int found100 = 0;
  for (const std::string& id : ranked) {
    if (!seen.insert(id).second) continue;
    const int rank = static_cast<int>(seen.size());
    if (rank > kDepth) break;
    auto it = judgments.find(id);
    const int grade = it == judgments.end() ? 0 : it->second;
    if (rank <= 10) gains.push_back(grade);
    if (grade > 0) {
      if (rank <= 10 && s.mrr10 == 0) s.mrr10 = 1.0 / rank;
      if (rank <= 5) ++found5;
      ++found100;
    }
  }
  s.ndcg10 = Dcg(gains) / Dcg(ideal);
  s.p5 = found5 / 5.0;
  s.recall100 = static_cast<double>(found100) / relevant;
  return s;
}

Scores Evaluate(const Qrels& qrels, const Run& run, const std::vector<JudgedQuery>& queries,
                absl::string_view kind) {
  Scores total;
  static const std::map<std::string, int> kNone;
  static const std::vector<std::string> kEmpty;
  for (const JudgedQuery& q : queries) {
    if (!kind.empty() && q.kind != kind) continue;
    auto judged = qrels.find(q.qid);
    auto ranked = run.find(q.qid);
    const Scores s = ScoreQuery(judged == qrels.end() ? kNone : judged->second,
                                ranked == run.end() ? kEmpty : ranked->second);
    if (s.queries == 0) continue;
    total.ndcg10 += s.ndcg10;
    total.mrr10 += s.mrr10;
    total.p5 += s.p5;
    total.recall100 += s.recall100;
    total.queries += 1;
  }
  if (total.queries > 0) {
    total.ndcg10 /= total.queries;
    total.mrr10 /= total.queries;
    total.p5 /= total.queries;
    total.recall100 /= total.queries;
  }
  return total;
}

void ShuffleDeterministically(std::vector<v1::Article>* articles) {
  auto key = [](const v1::Article& a) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a, as in peer_runs.py
    for (unsigned char c : a.id()) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    return std::make_pair(h, a.id());
  };
  std::stable_sort(articles->begin(), articles->end(),
                   [&](const v1::Article& x, const v1::Article& y) { return key(x) < key(y); });
}

absl::StatusOr<std::vector<Run>> RunNewsearch(const std::vector<v1::Article>& articles,
                                              const std::vector<JudgedQuery>& queries,
                                              const analysis::AnalyzerOptions& analyzer_options,
                                              const std::vector<Bm25>& rankings,
                                              unsigned title_wdf, unsigned lead_wdf,
                                              const std::string& work_dir) {
  const absl::Time start = absl::Now();
  auto analyzer = analysis::Analyzer::Create(analyzer_options);
  if (!analyzer.ok()) return analyzer.status();
  const std::string name(analysis::SegmentationName(analyzer_options.segmentation));
  const std::string path = absl::StrCat(work_dir, "/newsearch-", name);
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  try {
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
    for (const v1::Article& article : articles) {
      db.replace_document(search::schema::IdTerm(article.id()),
                          search::schema::BuildDocument(**analyzer, article, title_wdf, lead_wdf));
    }
    db.commit();
  } catch (const Xapian::Error& e) {
    return absl::InternalError(absl::StrCat("indexing ", path, ": ", e.get_description()));
  }
  const absl::Time indexed = absl::Now();
  std::vector<Run> runs;
  for (const Bm25& ranking : rankings) {
    search::SearcherOptions searcher_options;
    searcher_options.path = path;
    searcher_options.bm25_k1 = ranking.k1;
    searcher_options.bm25_b = ranking.b;
    searcher_options.proximity_weight = ranking.proximity_weight;
    if (ranking.relax_threshold >= 0) searcher_options.relax_threshold = ranking.relax_threshold;
    searcher_options.build_snippets = false;
    // The word and phrase weights act on queries only: same terms, another
    // analyzer.
    std::unique_ptr<analysis::Analyzer> query_analyzer;
    const double phrase_weight =
        ranking.phrase_weight < 0 ? analyzer_options.phrase_weight : ranking.phrase_weight;
    if (ranking.word_weight != analyzer_options.word_weight ||
        phrase_weight != analyzer_options.phrase_weight) {
      analysis::AnalyzerOptions query_options = analyzer_options;
      query_options.word_weight = ranking.word_weight;
      query_options.phrase_weight = phrase_weight;
      auto created = analysis::Analyzer::Create(query_options);
      if (!created.ok()) return created.status();
      query_analyzer = *std::move(created);
    }
    auto searcher = search::Searcher::Create(
        searcher_options, query_analyzer != nullptr ? query_analyzer.get() : analyzer->get());
    if (!searcher.ok()) return searcher.status();
    Run& run = runs.emplace_back();
    for (const JudgedQuery& q : queries) {
      v1::SearchRequest request;
      request.set_query(q.text);
      request.set_page_size(kDepth);
      if (ranking.recency) request.set_sort(v1::SORT_ORDER_RELEVANCE_RECENCY);
      auto response = (*searcher)->Search(request);
      std::vector<std::string>& ids = run[q.qid];
      if (!response.ok()) continue;
      for (const v1::SearchHit& hit : response->hits()) ids.push_back(hit.id());
    }
  }
  std::filesystem::remove_all(path, ec);
  std::cerr << "newsearch " << name << ": indexed " << articles.size() << " articles in "
            << absl::FormatDuration(indexed - start) << ", " << rankings.size() << " x "
            << queries.size() << " queries in " << absl::FormatDuration(absl::Now() - indexed)
            << "\n";
  return runs;
}

absl::StatusOr<Run> RunXapianNgrams(const std::vector<v1::Article>& articles,
                                    const std::vector<JudgedQuery>& queries,
                                    const std::string& work_dir) {
  const std::string path = absl::StrCat(work_dir, "/xapian-ngrams");
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  Run run;
  try {
    {
      Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
      Xapian::TermGenerator generator;
      generator.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
      for (const v1::Article& article : articles) {
        Xapian::Document doc;
        generator.set_document(doc);
        generator.index_text(article.title(), 1, "S");
        generator.index_text(article.title());
        generator.increase_termpos();
        generator.index_text(article.body());
        doc.set_data(article.id());
        const std::string id_term = "Q" + article.id();
        doc.add_boolean_term(id_term);
        db.replace_document(id_term, doc);
      }
      db.commit();
    }
    Xapian::Database db(path);
    Xapian::QueryParser parser;
    parser.set_database(db);
    parser.set_default_op(Xapian::Query::OP_AND);
    parser.add_prefix("title", "S");
    const unsigned flags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM;
    for (const JudgedQuery& q : queries) {
      std::vector<std::string>& ids = run[q.qid];
      try {
        Xapian::Enquire enquire(db);
        enquire.set_query(parser.parse_query(q.text, flags));
        const Xapian::MSet mset = enquire.get_mset(0, kDepth);
        for (auto it = mset.begin(); it != mset.end(); ++it) {
          ids.push_back(it.get_document().get_data());
        }
      } catch (const Xapian::Error&) {
        // QueryParser rejects or chokes on the query: no results, as a
        // caller of raw Xapian would see.
      }
    }
  } catch (const Xapian::Error& e) {
    return absl::InternalError(absl::StrCat("xapian baseline in ", path, ": ", e.get_description()));
  }
  std::filesystem::remove_all(path, ec);
  return run;
}

}  // namespace newsearch::relevance
