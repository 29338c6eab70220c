// Searcher: checking its options, planning a Search (validation, the parsed
// query, filters, proximity, relaxation threshold), running it (sorting,
// collapsing, paging, facets, relaxed matches after the strict ones, debug)
// and filling the hits. The rest of Searcher, one job a file:
//   reader_handles.cc     the pool of reader handles (local index or shards)
//   similar_articles.cc   SimilarArticles (more like this)
//   search_filters.*      the request's structured filters
//   page_token.*          page tokens and the request fingerprint they carry
//   searcher_impl.h       the state they share
#include "search-service/query/searcher.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <xapian.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/analysis/analyzer.h"
#include "common/base/status_macros.h"
#include "search-service/query/facets.h"
#include "search-service/query/page_token.h"
#include "search-service/query/query_fields.h"
#include "search-service/query/query_description.h"
#include "search-service/query/query_parser.h"
#include "search-service/query/relax.h"
#include "search-service/query/search_filters.h"
#include "search-service/query/searcher_impl.h"
#include "search-service/query/snippet.h"
#include "search-service/query/utf8.h"
#include "search-service/schema/schema.h"
#include "search-service/schema/stored_texts.h"

namespace newsearch::search {
namespace {

using query_internal::BuildFilter;
using query_internal::Plan;
using query_internal::PhraseFrontier;
using query_internal::QueryTerms;
using query_internal::ReadAppliedSeq;
using query_internal::Relaxation;

// A first pass examines this many documents beyond the page. Each examined
// document that could make the list has its collapse key read, so at 100k
// articles examining 100 cost 0.17 ms of a 1.55 ms median search
// (bench/results/2026-12-04-query-100k.md).
constexpr Xapian::doccount kExtraChecked = 20;
// A total the first pass leaves uncertain, of a search that cannot match
// more than this many beyond the page (Xapian's upper bound: a word's
// article count, the rarest word's for words that must all match), is made
// exact by a second pass examining that many; such a search is cheap.
constexpr Xapian::doccount kExactTotalUpTo = 100;
// The same with a phrase check on the stored text (Plan::phrase_decider):
// each document examined is read and scanned (tens of microseconds), so
// fewer are; the total of such a search is an estimate sooner.
constexpr Xapian::doccount kExtraCheckedWithPhrases = 10;
// CheckPhrasesByWeight looks at most this many times the documents a page
// needs for stories that pass the phrase check, best first.
constexpr Xapian::doccount kPhraseCandidatesPerNeeded = 8;

// The documents a search examines beyond those it returns, so that its
// total is exact for small results and estimated soon after.
Xapian::doccount ExtraChecked(const Plan& plan) {
  return plan.phrase_decider != nullptr ? kExtraCheckedWithPhrases : kExtraChecked;
}

// `want` hits of `enquire` from `first`, examining at least `check_at_least`
// documents. A total that leaves uncertain, of a search that cannot match
// more than kExactTotalUpTo beyond the page, is made exact by a second pass
// examining that many. Not with a phrase check (every examined document is
// read: such totals stay estimates) nor with facets (the spies would see
// documents twice; facet counting examines every match anyway).
Xapian::MSet MatchPage(const Xapian::Enquire& enquire, const Plan& plan, Xapian::doccount first,
                       Xapian::doccount want, Xapian::doccount check_at_least) {
  Xapian::MSet mset = enquire.get_mset(first, want, check_at_least, nullptr,
                                       plan.phrase_decider.get());
  const Xapian::doccount exact_up_to = first + want + kExactTotalUpTo;
  if (plan.facets || plan.phrase_decider != nullptr || check_at_least >= exact_up_to ||
      mset.get_matches_lower_bound() == mset.get_matches_upper_bound() ||
      mset.get_matches_upper_bound() > exact_up_to) {
    return mset;
  }
  return enquire.get_mset(first, want, exact_up_to, nullptr, plan.phrase_decider.get());
}

// Months of recency boost before it is dropped (10 half-lives: < 0.1%).
constexpr int kRecencyHalfLives = 10;

// Explains in debug what became of one operand of the query.
void DescribeWord(const Conjunct& c, bool relaxed, bool dropped, int min_words,
                  v1::QueryWord* word) {
  word->set_text(c.text);
  switch (c.role) {
    case Conjunct::Role::kOptional:
      if (!relaxed) {
        word->set_status(v1::TERM_STATUS_STRICT);
      } else {
        word->set_status(dropped ? v1::TERM_STATUS_DROPPED : v1::TERM_STATUS_RELAXED);
        word->set_detail(absl::StrCat("optional: relaxed hits match at least ", min_words,
                                      " of the optional words"));
      }
      break;
    case Conjunct::Role::kStrict:
      word->set_status(v1::TERM_STATUS_STRICT);
      if (relaxed) word->set_detail("required (quoted, +word, written AND, or a group)");
      break;
    case Conjunct::Role::kField: {
      word->set_status(v1::TERM_STATUS_FIELD_RESTRICTED);
      const char* field = c.field == QueryField::kTitle    ? "title"
                          : c.field == QueryField::kSource ? "source"
                                                           : "author";
      word->set_detail(c.field_word.empty()
                           ? absl::StrCat("field prefix ", field, ":")
                           : absl::StrCat("field word ", c.field_word, " -> ", field,
                                          " (or both words as text)"));
      break;
    }
    case Conjunct::Role::kDate:
      word->set_status(v1::TERM_STATUS_DATE_FILTERED);
      word->set_detail("published in that period, or the date written in the text");
      break;
    case Conjunct::Role::kNegated:
      word->set_status(v1::TERM_STATUS_EXCLUDED);
      break;
  }
}

}  // namespace

namespace query_internal {

int64_t ReadAppliedSeq(const Xapian::Database& db, bool local) {
  std::vector<int64_t> seqs(db.size(), 0);
  bool all_equal = true;
  for (size_t i = 0; i < db.size(); ++i) {
    const Xapian::Database shard(db.internal[i].get());
    if (!absl::SimpleAtoi(shard.get_metadata(schema::kAppliedSeqKey), &seqs[i])) seqs[i] = 0;
    all_equal = all_equal && seqs[i] == seqs[0];
  }
  if (seqs.empty()) return 0;
  if (all_equal) return seqs[0];
  // A local shard's directories (its segments) record which shard of which
  // partition they are: the shard is at the highest seq among them (its
  // live segment's), the index at the lowest shard's. A directory recording
  // no shard, and a remote replica, is one of its own.
  absl::flat_hash_map<std::string, int64_t> shards;
  for (size_t i = 0; i < db.size(); ++i) {
    std::string key;
    if (local) {
      const Xapian::Database shard(db.internal[i].get());
      key = shard.get_metadata(schema::kShardKey);
      if (!key.empty()) key = absl::StrCat(shard.get_metadata(schema::kPartitionKey), "|", key);
    }
    if (key.empty()) key = absl::StrCat("#", i);
    const auto [it, inserted] = shards.try_emplace(std::move(key), seqs[i]);
    if (!inserted) it->second = std::max(it->second, seqs[i]);
  }
  int64_t lowest = seqs[0];
  bool first = true;
  for (const auto& [key, seq] : shards) {
    if (first || seq < lowest) lowest = seq;
    first = false;
  }
  return lowest;
}

std::vector<std::string> QueryTerms(const Xapian::Query& query) {
  std::vector<std::string> terms;
  for (auto it = query.get_unique_terms_begin(); it != query.get_unique_terms_end(); ++it) {
    terms.push_back(*it);
  }
  return terms;
}

}  // namespace query_internal

Searcher::Searcher() : impl_(std::make_unique<Impl>()) {}
Searcher::~Searcher() = default;

absl::StatusOr<std::unique_ptr<Searcher>> Searcher::Create(const SearcherOptions& options,
                                                           const analysis::Analyzer* analyzer) {
  std::vector<std::string> problems;
  if (analyzer == nullptr) problems.push_back("analyzer is null");
  if (options.path.empty()) problems.push_back("path is empty");
  if (options.max_query_chars <= 0) {
    problems.push_back(absl::StrCat("max_query_chars must be positive, got ", options.max_query_chars));
  }
  if (options.max_page_size <= 0) {
    problems.push_back(absl::StrCat("max_page_size must be positive, got ", options.max_page_size));
  }
  if (options.default_page_size <= 0 || options.default_page_size > options.max_page_size) {
    problems.push_back(absl::StrCat("default_page_size must be in [1, max_page_size=",
                                    options.max_page_size, "], got ", options.default_page_size));
  }
  if (options.max_result_depth <= 0) {
    problems.push_back(
        absl::StrCat("max_result_depth must be positive, got ", options.max_result_depth));
  }
  if (!(options.bm25_k1 >= 0) || !(options.bm25_b >= 0 && options.bm25_b <= 1)) {
    problems.push_back(absl::StrCat("bm25_k1 must be >= 0 and bm25_b in [0, 1], got ",
                                    options.bm25_k1, " and ", options.bm25_b));
  }
  if (options.query_time_limit < absl::ZeroDuration()) {
    problems.push_back("query_time_limit must not be negative");
  }
  if (options.facet_exact_limit <= 0) {
    problems.push_back(
        absl::StrCat("facet_exact_limit must be positive, got ", options.facet_exact_limit));
  }
  if (options.recency_boost < 0 || options.recency_half_life_months <= 0) {
    problems.push_back("recency_boost must be >= 0 and recency_half_life_months positive");
  }
  if (options.proximity_weight < 0 || options.proximity_window < 2) {
    problems.push_back("proximity_weight must be >= 0 and proximity_window at least 2");
  }
  if (options.max_concurrent_searches < 0) {
    problems.push_back(absl::StrCat("max_concurrent_searches must be >= 0, got ",
                                    options.max_concurrent_searches));
  }
  if (options.relax_threshold < 0) {
    problems.push_back(
        absl::StrCat("relax_threshold must be >= 0, got ", options.relax_threshold));
  }
  if (options.snippet_chars <= 0) {
    problems.push_back(absl::StrCat("snippet_chars must be positive, got ", options.snippet_chars));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid searcher options: ", absl::StrJoin(problems, "; ")));
  }
  std::unique_ptr<Searcher> searcher(new Searcher());
  searcher->impl_->options = options;
  searcher->impl_->analyzer = analyzer;
  searcher->impl_->shards = options.remote_shards.get();
  searcher->impl_->max_handles = options.max_concurrent_searches > 0
                                     ? options.max_concurrent_searches
                                     : DefaultConcurrentSearches();
  return searcher;
}

absl::StatusOr<Plan> Searcher::Impl::MakePlan(const v1::SearchRequest& request) const {
  Plan plan;
  NEWSEARCH_RETURN_IF_ERROR(ValidateUtf8(request.query(), "query"));
  const int chars = CountCodePoints(request.query());
  if (chars > options.max_query_chars) {
    return absl::InvalidArgumentError(absl::StrCat("query is ", chars,
                                                   " characters long; the limit is ",
                                                   options.max_query_chars));
  }
  if (request.page_size() < 0 || request.page_size() > options.max_page_size) {
    return absl::InvalidArgumentError(absl::StrCat("page_size ", request.page_size(),
                                                   " is out of range; it must be between 0 (",
                                                   options.default_page_size, ") and ",
                                                   options.max_page_size));
  }
  plan.page_size = request.page_size() == 0 ? options.default_page_size : request.page_size();
  switch (request.sort()) {
    case v1::SORT_ORDER_UNSPECIFIED:
    case v1::SORT_ORDER_RELEVANCE:
    case v1::SORT_ORDER_DATE_DESC:
    case v1::SORT_ORDER_DATE_ASC:
    case v1::SORT_ORDER_RELEVANCE_RECENCY:
      plan.sort = EffectiveSort(request.sort());
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("sort has unknown value ", static_cast<int>(request.sort())));
  }
  plan.fingerprint = RequestFingerprint(request);
  if (!request.page_token().empty()) {
    NEWSEARCH_ASSIGN_OR_RETURN(plan.token,
                               DecodeSearchPageToken(request.page_token(), plan.fingerprint));
    plan.offset = plan.token.offset;
    if (plan.offset >= options.max_result_depth) {
      return absl::InvalidArgumentError(
          absl::StrCat("page_token starts at result ", plan.offset,
                       ", beyond the result depth limit of ", options.max_result_depth));
    }
  }
  // The last page before the depth limit is cut short rather than rejected,
  // so that every token this service hands out stays usable.
  plan.page_size = static_cast<int>(
      std::min<int64_t>(plan.page_size, options.max_result_depth - plan.offset));

  NEWSEARCH_ASSIGN_OR_RETURN(plan.parsed, ParseQuery(request.query()));
  plan.filters = plan.parsed.DateFilters();
  NEWSEARCH_ASSIGN_OR_RETURN(Xapian::Query filter,
                             BuildFilter(request, *analyzer, &plan.filters));
  plan.expand_duplicates = request.expand_duplicates();
  plan.facets = request.include_facets();
  plan.debug = request.debug();
  // Without positions, a phrase every match holds is checked by a decider,
  // on the few documents that would make the results, rather than in the
  // query, on every document holding its terms.
  if (!analyzer->positions()) {
    std::vector<PhraseMatcher> phrases;
    for (const QueryAtom& atom : plan.parsed.RequiredPhrases()) {
      PhraseMatcher matcher(*analyzer, atom.text, query_internal::FieldPrefix(atom.field));
      if (!matcher.trivial()) phrases.push_back(std::move(matcher));
    }
    if (!phrases.empty()) plan.phrase_decider = std::make_shared<PhraseDecider>(std::move(phrases));
  }
  plan.query = plan.parsed.ToXapianQuery(*analyzer);
  plan.unweighted = plan.parsed.PositiveAtoms().empty();
  if (options.proximity_weight > 0) {
    std::vector<Xapian::Query> near;
    for (const QueryAtom& atom : plan.parsed.PositiveAtoms()) {
      if (atom.field != QueryField::kAny || atom.phrase) continue;
      std::vector<std::string> terms = QueryTerms(analyzer->QueryForAtom(atom.text, "", false));
      // Straddle markers are filters on the atom's bigrams, not terms of it.
      terms.erase(std::remove_if(terms.begin(), terms.end(),
                                 [](const std::string& term) {
                                   return absl::StartsWith(term, analysis::kStraddleMarker);
                                 }),
                  terms.end());
      // The atom's one term may be a bigram, which has no positions: its
      // first character (a unigram or word, posted with positions) stands
      // for it.
      if (terms.size() == 1) {
        near.emplace_back(analyzer->Tokenize(analyzer->Fold(atom.text)).front().text);
      }
    }
    if (near.size() > 1) {
      plan.query = Xapian::Query(
          Xapian::Query::OP_AND_MAYBE, plan.query,
          Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                        Xapian::Query(Xapian::Query::OP_NEAR, near.begin(), near.end(),
                                      static_cast<Xapian::termcount>(options.proximity_window)),
                        options.proximity_weight));
    }
  }
  if (!filter.empty()) plan.query = Xapian::Query(Xapian::Query::OP_FILTER, plan.query, filter);
  plan.filter = filter;
  if (request.relax_threshold() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "relax_threshold is ", request.relax_threshold(), "; it must be >= 0 (0 = the default)"));
  }
  plan.relax_threshold = request.strict()                      ? 0
                         : request.relax_threshold() > 0 ? request.relax_threshold()
                                                         : options.relax_threshold;
  plan.relax_threshold = std::min(plan.relax_threshold, options.max_result_depth);
  plan.conjuncts = plan.parsed.Conjuncts();
  for (const Conjunct& c : plan.conjuncts) {
    plan.conjunct_queries.push_back(ParsedQuery::ConjunctQuery(c, *analyzer));
  }
  return plan;
}

Xapian::Query Searcher::Impl::RecencyBoost(const Xapian::Database& db) const {
  // Anchored at the newest month in the index rather than the clock, so an
  // archive ranks the same whenever it is searched; a live index's newest
  // month is the current one.
  const std::string newest = db.get_value_upper_bound(schema::kMonthSlot);
  int year = 0;
  int month = 0;
  const std::vector<absl::string_view> parts = absl::StrSplit(newest, '-');
  if (options.recency_boost <= 0 || parts.size() != 2 || !absl::SimpleAtoi(parts[0], &year) ||
      !absl::SimpleAtoi(parts[1], &month)) {
    return Xapian::Query();
  }
  // ValueMapPostingSource is serialisable, so remote shards apply it too.
  auto* source = new Xapian::ValueMapPostingSource(schema::kMonthSlot);
  absl::CivilMonth m(year, month);
  const int months = kRecencyHalfLives * options.recency_half_life_months;
  for (int age = 0; age <= months; ++age, --m) {
    source->add_mapping(
        absl::StrFormat("%04d-%02d", m.year(), m.month()),
        options.recency_boost *
            std::pow(0.5, static_cast<double>(age) / options.recency_half_life_months));
  }
  source->set_default_weight(0.0);
  return Xapian::Query(source->release());
}

void Searcher::Impl::FillHit(const Xapian::MSetIterator& it, const SnippetBuilder& snippets,
                             v1::SearchHit* hit) const {
  hit->set_score(it.get_weight());
  const std::string data = it.get_document().get_data();
  std::string buffer;
  schema::StoredTexts article;
  // A document whose data does not parse still keeps its place in the
  // list (paging stays consistent); it just has no fields to show.
  if (!schema::ReadDocumentTexts(data, &buffer, &article)) return;
  hit->set_id(std::string(article.id));
  hit->set_title(std::string(article.title));
  hit->set_source(std::string(article.source));
  if (article.has_published_at &&
      !hit->mutable_published_at()->ParseFromArray(article.published_at.data(),
                                                   static_cast<int>(article.published_at.size()))) {
    hit->clear_published_at();
  }
  hit->set_url(std::string(article.url));
  for (const absl::string_view author : article.authors) hit->add_authors(std::string(author));
  hit->set_duplicate_of(std::string(article.duplicate_of));
  if (options.build_snippets) {
    *hit->mutable_snippet() = snippets.Build(article.title, article.body);
  }
}

void Searcher::Impl::Configure(const Plan& plan, Xapian::Enquire* enquire) const {
  // MatchAll would otherwise weigh documents by their length.
  if (plan.unweighted) {
    enquire->set_weighting_scheme(Xapian::BoolWeight());
  } else {
    enquire->set_weighting_scheme(
        Xapian::BM25Weight(options.bm25_k1, 0, 1, options.bm25_b, 0.5));
  }
  // Duplicates of one story (schema: duplicate_of or own id) show once.
  if (!plan.expand_duplicates) enquire->set_collapse_key(schema::kCollapseSlot);
  switch (plan.sort) {
    case v1::SORT_ORDER_DATE_DESC:
      enquire->set_sort_by_value_then_relevance(schema::kPublishedSlot, true);
      break;
    case v1::SORT_ORDER_DATE_ASC:
      enquire->set_sort_by_value_then_relevance(schema::kPublishedSlot, false);
      break;
    default:
      enquire->set_sort_by_relevance_then_value(schema::kPublishedSlot, true);
      break;
  }
  const double time_limit = absl::ToDoubleSeconds(options.query_time_limit);
  if (time_limit > 0) enquire->set_time_limit(time_limit);
}

Relaxation Searcher::Impl::Relax(Xapian::Database& db, const Plan& plan,
                                 const Xapian::MSet& strict, int64_t strict_count,
                                 Xapian::Enquire* strict_enquire) const {
  Relaxation r;
  if (plan.relax_threshold <= 0 || plan.unweighted || strict_count >= plan.relax_threshold) {
    return r;
  }
  std::vector<Xapian::Query> required;
  std::vector<Xapian::Query> optional;
  std::vector<Xapian::Query> negated;
  for (size_t i = 0; i < plan.conjuncts.size(); ++i) {
    const Xapian::Query& q = plan.conjunct_queries[i];
    if (q.empty()) continue;
    switch (plan.conjuncts[i].role) {
      case Conjunct::Role::kOptional:
        optional.push_back(q);
        r.optional.push_back(i);
        break;
      case Conjunct::Role::kNegated:
        negated.push_back(q);
        break;
      default:
        required.push_back(q);
        break;
    }
  }
  // Nothing to drop, or dropping the only word would match everything.
  const int n = static_cast<int>(optional.size());
  if (n == 0 || n > kMaxRelaxedWords || (n == 1 && required.empty())) return Relaxation();
  // Articles already listed as strict matches, and their copies, are left
  // out: every strict match comes first, once.
  Xapian::Query exclude = plan.query;
  if (!negated.empty()) {
    exclude = Xapian::Query(Xapian::Query::OP_OR, exclude,
                            Xapian::Query(Xapian::Query::OP_OR, negated.begin(), negated.end()));
  }
  if (!plan.expand_duplicates && strict_count > 0) {
    const Xapian::MSet all =
        static_cast<int64_t>(strict.size()) == strict_count && strict.get_firstitem() == 0
            ? strict
            : strict_enquire->get_mset(0, static_cast<Xapian::doccount>(strict_count), 0,
                                       nullptr, plan.phrase_decider.get());
    std::vector<Xapian::Query> keys;
    for (auto it = all.begin(); it != all.end(); ++it) {
      const std::string key = it.get_collapse_key();
      if (!key.empty()) {
        keys.emplace_back(Xapian::Query::OP_VALUE_RANGE, schema::kCollapseSlot, key, key);
      }
    }
    if (!keys.empty()) {
      exclude = Xapian::Query(Xapian::Query::OP_OR, exclude,
                              Xapian::Query(Xapian::Query::OP_OR, keys.begin(), keys.end()));
    }
  }
  Xapian::Enquire enquire(db);
  Configure(plan, &enquire);
  const auto need = static_cast<Xapian::doccount>(plan.relax_threshold - strict_count);
  // When the page starts within the strict matches or right after them, the
  // level search fetches the page's relaxed hits too (one match, not two).
  const int64_t strict_on_page =
      std::clamp<int64_t>(strict_count - plan.offset, 0, plan.page_size);
  const bool from_first = plan.offset <= strict_count &&
                          plan.sort != v1::SORT_ORDER_RELEVANCE_RECENCY;
  const Xapian::doccount fetch = std::max<Xapian::doccount>(
      need, from_first ? static_cast<Xapian::doccount>(plan.page_size - strict_on_page + 1) : 0);
  // Drop one word more at a time until enough articles match.
  for (int k = n - 1; k >= (required.empty() ? 1 : 0); --k) {
    Xapian::Query q(Xapian::Query::OP_AND_NOT, AtLeastQuery(required, optional, k), exclude);
    if (!plan.filter.empty()) q = Xapian::Query(Xapian::Query::OP_FILTER, q, plan.filter);
    enquire.set_query(q);
    Xapian::MSet found = MatchPage(enquire, plan, 0, fetch, fetch + ExtraChecked(plan));
    if (found.empty()) continue;
    r.query = q;
    r.min_words = k;
    r.have_first_page = from_first;
    r.first_page = found;
    if (found.size() >= need) break;
  }
  if (r.query.empty()) return Relaxation();
  r.strict_count = strict_count;
  return r;
}

// Xapian asks a match decider about every candidate, in docid order, that
// would enter the best hits found so far, and a better one pushes most of
// those out later: a common phrase's search read and scanned ~85 stored
// articles for a page of 10. Here the candidates are ranked without the
// check (no document is read), then checked best first until `need`
// stories pass, collapsing copies as Xapian does (the best passing copy
// stands for its story): the page is those stories. The estimate is the
// candidates' scaled by the share of checked ones that were new stories,
// as Xapian scales its own by the rates of passing and of unique keys. Not
// found (Xapian's match with the decider runs as before): few candidates,
// which Xapian checks all of and counts exactly; too few passing among the
// best; date order; facets, whose counts need every match examined; remote
// shards.
PhraseFrontier Searcher::Impl::CheckPhrasesByWeight(Xapian::Database& db, const Plan& plan,
                                                    const Xapian::Query& query,
                                                    Xapian::doccount need) const {
  PhraseFrontier frontier;
  if (plan.phrase_decider == nullptr || plan.facets || plan.unweighted || shards != nullptr ||
      plan.sort == v1::SORT_ORDER_DATE_DESC || plan.sort == v1::SORT_ORDER_DATE_ASC) {
    return frontier;
  }
  Xapian::Enquire probe(db);
  probe.set_query(query);
  Configure(plan, &probe);
  // Collapsing comes after the check: a copy that fails it hides nothing.
  probe.set_collapse_key(Xapian::BAD_VALUENO);
  const Xapian::doccount limit = need * kPhraseCandidatesPerNeeded;
  frontier.candidates = probe.get_mset(0, limit, limit);
  const Xapian::MSet& candidates = frontier.candidates;
  if (candidates.size() < limit || candidates.get_matches_estimated() <= candidates.size()) {
    return frontier;
  }
  absl::flat_hash_map<std::string, size_t> story_of;  // collapse key -> index in stories
  Xapian::doccount checked = 0;
  for (Xapian::doccount i = 0; i < candidates.size(); ++i) {
    const Xapian::Document doc = candidates[i].get_document();
    ++checked;
    if (!(*plan.phrase_decider)(doc)) continue;
    // Xapian never collapses documents without a key.
    const std::string key = plan.expand_duplicates ? std::string()
                                                   : doc.get_value(schema::kCollapseSlot);
    if (!key.empty()) {
      const auto [it, added] = story_of.try_emplace(key, frontier.stories.size());
      if (!added) {
        ++frontier.stories[it->second].copies;
        continue;
      }
    }
    frontier.stories.push_back({i, 0});
    if (frontier.stories.size() < need) continue;
    frontier.found = true;
    const double estimate = static_cast<double>(candidates.get_matches_estimated()) *
                            static_cast<double>(frontier.stories.size()) /
                            static_cast<double>(checked);
    frontier.estimate = std::max(static_cast<int64_t>(frontier.stories.size()),
                                 static_cast<int64_t>(std::llround(estimate)));
    return frontier;
  }
  return frontier;
}

v1::SearchResponse Searcher::Impl::Run(Xapian::Database& db, const Plan& plan,
                                       const std::vector<int>& missing_partitions) const {
  Xapian::Enquire enquire(db);
  Xapian::Query boost;
  if (plan.sort == v1::SORT_ORDER_RELEVANCE_RECENCY) boost = RecencyBoost(db);
  const auto boosted = [&boost](const Xapian::Query& q) {
    return boost.empty() ? q : Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, boost);
  };
  Xapian::Query query = boosted(plan.query);
  enquire.set_query(query);
  Configure(plan, &enquire);
  const double time_limit = absl::ToDoubleSeconds(options.query_time_limit);

  // One extra hit tells whether another page exists. Checking a few more
  // documents than needed keeps total_estimate exact for small result sets
  // (collapsing makes the estimate coarse otherwise), and at least the
  // relax threshold makes the count that decides relaxation exact.
  const Xapian::doccount wanted = static_cast<Xapian::doccount>(plan.page_size) + 1;
  Xapian::doccount check_at_least = std::max<Xapian::doccount>(
      static_cast<Xapian::doccount>(plan.offset) + wanted +
          ExtraChecked(plan),
      static_cast<Xapian::doccount>(plan.relax_threshold));
  // Facets: the spies see every document the matcher examines, so examining
  // the whole match set (up to facet_exact_limit) makes their counts exact.
  // The second set counts strict and relaxed matches together.
  FacetSpies strict_spies(/*stories=*/!plan.expand_duplicates);
  FacetSpies all_spies(/*stories=*/!plan.expand_duplicates);
  Xapian::doccount facet_check = 0;
  if (plan.facets) {
    facet_check = std::min<Xapian::doccount>(
        db.get_doccount(), static_cast<Xapian::doccount>(options.facet_exact_limit));
  }
  if (plan.facets) {
    strict_spies.AddTo(&enquire);
    check_at_least = std::max(check_at_least, facet_check);
  }
  const absl::Time start = absl::Now();
  const PhraseFrontier frontier = CheckPhrasesByWeight(db, plan, query, check_at_least);
  Xapian::MSet mset;
  if (!frontier.found) {
    mset = MatchPage(enquire, plan, static_cast<Xapian::doccount>(plan.offset), wanted,
                     check_at_least);
  }
  const int64_t strict_estimate = frontier.found
                                      ? frontier.estimate
                                      : static_cast<int64_t>(mset.get_matches_estimated());

  // Too few strict matches: the relaxed matches follow them (the frontier
  // holds at least relax_threshold).
  const Relaxation relaxation =
      frontier.found ? Relaxation() : Relax(db, plan, mset, strict_estimate, &enquire);
  const bool relaxed = !relaxation.query.empty();
  const int64_t strict_on_page =
      relaxed ? std::clamp<int64_t>(relaxation.strict_count - plan.offset, 0, plan.page_size)
              : plan.page_size;
  Xapian::MSet relaxed_mset;
  Xapian::Enquire relaxed_enquire(db);
  if (relaxed) {
    relaxed_enquire.set_query(boosted(relaxation.query));
    Configure(plan, &relaxed_enquire);
    const int64_t first = std::max<int64_t>(0, plan.offset - relaxation.strict_count);
    const auto want = static_cast<Xapian::doccount>(plan.page_size - strict_on_page + 1);
    relaxed_mset = relaxation.have_first_page
                       ? relaxation.first_page
                       : MatchPage(relaxed_enquire, plan, static_cast<Xapian::doccount>(first),
                                   want,
                                   static_cast<Xapian::doccount>(first) + want + ExtraChecked(plan));
    if (plan.facets) {
      // Count the facets over strict and relaxed matches together.
      Xapian::Enquire counter(db);
      counter.set_query(Xapian::Query(Xapian::Query::OP_OR, plan.query, relaxation.query));
      Configure(plan, &counter);
      all_spies.AddTo(&counter);
      counter.get_mset(0, 1, facet_check, nullptr, plan.phrase_decider.get());
    }
  }
  const absl::Duration elapsed = absl::Now() - start;

  v1::SearchResponse response;
  response.set_applied_seq(ReadAppliedSeq(db, shards == nullptr));
  response.set_total_estimate(relaxed ? relaxation.strict_count +
                                            static_cast<int64_t>(
                                                relaxed_mset.get_matches_estimated())
                                      : strict_estimate);
  response.set_relaxed(relaxed);
  // Xapian does not say whether the limit fired (it then stops the extra
  // checking for exact counts); a match that ran at least as long may have.
  response.set_partial(time_limit > 0 && elapsed >= options.query_time_limit);
  if (plan.facets) {
    const FacetSpies& spies = relaxed ? all_spies : strict_spies;
    // Every match was examined when the whole database was in reach, or when
    // the matcher ran out of matches before reaching facet_check.
    const bool all_examined =
        !response.partial() &&
        (db.get_doccount() <= static_cast<Xapian::doccount>(options.facet_exact_limit) ||
         spies.examined() < facet_check);
    spies.Fill(&response);
    // Without some partitions nothing is exact.
    response.set_facets_exact(all_examined && missing_partitions.empty());
    // Through a router each partition sends only its best hits, so copies
    // of a story held by other partitions are not all counted.
    response.set_duplicate_counts_exact(response.facets_exact() && !plan.expand_duplicates &&
                                        shards == nullptr);
    response.set_facet_documents_examined(static_cast<int64_t>(spies.examined()));
  }
  const SnippetBuilder snippets(*analyzer, plan.parsed.PositiveAtoms(), options.snippet_chars);
  int i = 0;
  const auto add_hit = [&](const Xapian::MSetIterator& it, Xapian::doccount copies) {
    v1::SearchHit* hit = response.add_hits();
    hit->set_rank(static_cast<int32_t>(plan.offset + i));
    if (!plan.expand_duplicates) hit->set_duplicate_count(static_cast<int32_t>(copies));
    FillHit(it, snippets, hit);
    ++i;
  };
  if (frontier.found) {
    for (size_t s = static_cast<size_t>(plan.offset);
         s < frontier.stories.size() && i < strict_on_page; ++s) {
      const PhraseFrontier::Story& story = frontier.stories[s];
      add_hit(frontier.candidates[story.candidate], story.copies);
    }
  }
  for (Xapian::MSetIterator it = mset.begin(); it != mset.end() && i < strict_on_page; ++it) {
    add_hit(it, it.get_collapse_count());
  }
  const int strict_hits = i;
  std::vector<Xapian::docid> relaxed_docids;
  if (relaxed) {
    for (Xapian::MSetIterator it = relaxed_mset.begin();
         it != relaxed_mset.end() && i < plan.page_size; ++it) {
      relaxed_docids.push_back(*it);
      add_hit(it, it.get_collapse_count());
    }
  }
  const int64_t next = plan.offset + plan.page_size;
  const bool more =
      relaxed ? relaxation.strict_count > next ||
                    relaxed_mset.size() > static_cast<Xapian::doccount>(i - strict_hits)
          : frontier.found
              ? frontier.stories.size() > static_cast<size_t>(plan.offset + plan.page_size)
              : mset.size() > static_cast<Xapian::doccount>(plan.page_size);
  if (more && next < options.max_result_depth) {
    response.set_next_page_token(
        EncodeSearchPageToken(
            {next, plan.fingerprint, response.applied_seq(), missing_partitions}));
  }
  // Which optional words each relaxed hit of the page lacks.
  std::vector<bool> dropped(plan.conjuncts.size(), false);
  if (!relaxed_docids.empty()) {
    std::vector<Xapian::Query> ids;
    for (int h = strict_hits; h < i; ++h) ids.emplace_back(schema::IdTerm(response.hits(h).id()));
    const Xapian::Query page(Xapian::Query::OP_OR, ids.begin(), ids.end());
    std::vector<std::vector<std::string>> missing(relaxed_docids.size());
    Xapian::Enquire probe(db);
    probe.set_weighting_scheme(Xapian::BoolWeight());
    for (size_t c : relaxation.optional) {
      probe.set_query(Xapian::Query(Xapian::Query::OP_FILTER, plan.conjunct_queries[c], page));
      const Xapian::MSet has =
          probe.get_mset(0, static_cast<Xapian::doccount>(relaxed_docids.size()));
      std::vector<Xapian::docid> with(has.begin(), has.end());
      std::sort(with.begin(), with.end());
      for (size_t h = 0; h < relaxed_docids.size(); ++h) {
        if (!std::binary_search(with.begin(), with.end(), relaxed_docids[h])) {
          missing[h].push_back(plan.conjuncts[c].text);
          dropped[c] = true;
        }
      }
    }
    for (size_t h = 0; h < relaxed_docids.size(); ++h) {
      for (std::string& word : missing[h]) {
        response.mutable_hits(strict_hits + static_cast<int>(h))->add_missing_terms(std::move(word));
      }
    }
    for (size_t c = 0; c < plan.conjuncts.size(); ++c) {
      if (dropped[c]) response.add_dropped_terms(plan.conjuncts[c].text);
    }
  }
  if (plan.debug) {
    v1::QueryDebug* debug = response.mutable_debug();
    debug->set_parsed_query(plan.parsed.Describe());
    debug->set_xapian_query(
        relaxed ? absl::StrCat(ReadableQueryDescription(query), " THEN ",
                               ReadableQueryDescription(relaxation.query))
                : ReadableQueryDescription(query));
    for (std::string& term : QueryTerms(plan.query)) debug->add_terms(std::move(term));
    for (const std::string& filter : plan.filters) debug->add_filters(filter);
    debug->set_strict_matches(relaxed ? relaxation.strict_count : strict_estimate);
    for (size_t c = 0; c < plan.conjuncts.size(); ++c) {
      DescribeWord(plan.conjuncts[c], relaxed, dropped[c], relaxation.min_words,
                   debug->add_words());
    }
  }
  return response;
}

absl::StatusOr<v1::SearchResponse> Searcher::Search(const v1::SearchRequest& request,
                                                   absl::Time deadline) const {
  NEWSEARCH_ASSIGN_OR_RETURN(Plan plan, impl_->MakePlan(request));
  std::vector<int> missing_partitions;  // of the handle that answered
  NEWSEARCH_ASSIGN_OR_RETURN(
      v1::SearchResponse response,
      impl_->WithDatabase<v1::SearchResponse>(
          absl::StrCat("search for '", Truncated(request.query()), "'"),
          [&](Xapian::Database& db, const ShardedDatabase& handle) {
            missing_partitions.clear();
            for (size_t p = 0; p < handle.replicas.size(); ++p) {
              if (handle.replicas[p] < 0) missing_partitions.push_back(static_cast<int>(p));
            }
            v1::SearchResponse response = impl_->Run(db, plan, missing_partitions);
            for (const std::string& shard : handle.missing) response.add_missing_shards(shard);
            if (!handle.missing.empty()) response.set_partial(true);
            return response;
          },
          request.allow_partial(), deadline));
  bool changed = false;
  NEWSEARCH_RETURN_IF_ERROR(
      CheckTokenRevision(plan.token, response.applied_seq(), &changed, missing_partitions));
  response.set_revision_changed(changed);
  return response;
}

absl::StatusOr<std::string> Searcher::DescribeQuery(absl::string_view query) const {
  NEWSEARCH_ASSIGN_OR_RETURN(ParsedQuery parsed, ParseQuery(query));
  try {
    return absl::StrCat(parsed.Describe(), "\n",
                        ReadableQueryDescription(parsed.ToXapianQuery(*impl_->analyzer)));
  } catch (const Xapian::Error& e) {
    return absl::InternalError(absl::StrCat("describing query: ", e.get_description()));
  }
}

absl::StatusOr<int64_t> Searcher::DocumentCount() const {
  NEWSEARCH_ASSIGN_OR_RETURN(Impl::Lease lease, impl_->Acquire());
  if (lease.get() == nullptr) return 0;
  try {
    return static_cast<int64_t>(lease.get()->get_doccount());
  } catch (const Xapian::Error& e) {
    lease.Discard();
    return absl::InternalError(absl::StrCat("reading document count: ", e.get_description()));
  }
}

absl::StatusOr<int64_t> Searcher::AppliedSeq() const {
  NEWSEARCH_ASSIGN_OR_RETURN(Impl::Lease lease, impl_->Acquire());
  if (lease.get() == nullptr) return 0;
  try {
    return ReadAppliedSeq(*lease.get(), impl_->shards == nullptr);
  } catch (const Xapian::Error& e) {
    lease.Discard();
    return absl::InternalError(absl::StrCat("reading applied_seq: ", e.get_description()));
  }
}

}  // namespace newsearch::search
