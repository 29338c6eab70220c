#include "search-service/query/searcher.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include <xapian.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/analysis/analyzer.h"
#include "common/base/status_macros.h"
#include "search-service/query/facets.h"
#include "search-service/query/page_token.h"
#include "search-service/query/query_description.h"
#include "search-service/query/query_parser.h"
#include "search-service/query/snippet.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

constexpr int kMaxSources = 100;
constexpr Xapian::doccount kExtraChecked = 100;
// Terms of the article that make up a SimilarArticles query.
constexpr Xapian::termcount kSimilarTerms = 24;
// Months of recency boost before it is dropped (10 half-lives: < 0.1%).
constexpr int kRecencyHalfLives = 10;
// Timestamp limits of google.protobuf.Timestamp (0001-01-01 .. 9999-12-31).
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

// FNV-1a, 64 bit: stable across processes and replicas (absl::Hash is not),
// so a token from one replica works on another.
uint64_t Fingerprint(absl::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

v1::SortOrder EffectiveSort(v1::SortOrder sort) {
  return sort == v1::SORT_ORDER_UNSPECIFIED ? v1::SORT_ORDER_RELEVANCE : sort;
}

// Everything that decides the result list, except the page window.
uint64_t RequestFingerprint(const v1::SearchRequest& r) {
  std::string canonical;
  absl::StrAppend(&canonical, r.query().size(), ":", r.query(), ";");
  for (const std::string& s : r.sources()) absl::StrAppend(&canonical, s.size(), ":", s, ";");
  absl::StrAppend(&canonical, "a", r.has_published_after(), ",", r.published_after().seconds(),
                  ",", r.published_after().nanos(), ";b", r.has_published_before(), ",",
                  r.published_before().seconds(), ",", r.published_before().nanos(), ";s",
                  static_cast<int>(EffectiveSort(r.sort())));
  // Appended only when used, so tokens of requests without them stay valid.
  for (const std::string& y : r.years()) absl::StrAppend(&canonical, "y", y.size(), ":", y, ";");
  for (const std::string& m : r.months()) absl::StrAppend(&canonical, "m", m.size(), ":", m, ";");
  if (r.expand_duplicates()) absl::StrAppend(&canonical, "e;");
  return Fingerprint(canonical);
}

absl::Status ValidateTimestamp(const google::protobuf::Timestamp& t, absl::string_view field) {
  if (t.seconds() < kMinTimestampSeconds || t.seconds() > kMaxTimestampSeconds ||
      t.nanos() < 0 || t.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not a valid timestamp (seconds=",
                                                   t.seconds(), ", nanos=", t.nanos(), ")"));
  }
  return absl::OkStatus();
}

std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FormatTime(absl::RFC3339_full,
                          absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
                          absl::UTCTimeZone());
}

std::string Truncated(absl::string_view s, size_t max_bytes = 40) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(s.substr(0, end), "…");
}

// Parses "2018" (years) or "2018-04"/"2018-4" (months) into the filter term.
absl::StatusOr<std::string> CalendarFilterTerm(absl::string_view value, bool month,
                                               absl::string_view field) {
  const std::vector<absl::string_view> parts = absl::StrSplit(value, '-');
  int year = 0;
  int m = 0;
  const bool ok = parts.size() == (month ? 2u : 1u) && parts[0].size() == 4 &&
                  absl::SimpleAtoi(parts[0], &year) && year >= 1 &&
                  (!month || (parts[1].size() <= 2 && !parts[1].empty() &&
                              absl::SimpleAtoi(parts[1], &m) && m >= 1 && m <= 12));
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is '", Truncated(value), "'; expected ",
                     month ? "a month like 2018-04" : "a year like 2018"));
  }
  return month ? absl::StrFormat("%s%04d%02d", schema::kMonthPrefix, year, m)
               : absl::StrFormat("%s%04d", schema::kYearPrefix, year);
}

// Builds the filter for sources, years, months and dates; an empty Query when
// there is none. Appends a description of each filter to *descriptions.
absl::StatusOr<Xapian::Query> BuildFilter(const v1::SearchRequest& request,
                                          const analysis::Analyzer& analyzer,
                                          std::vector<std::string>* descriptions) {
  std::vector<Xapian::Query> parts;
  for (const bool month : {false, true}) {
    const auto& values = month ? request.months() : request.years();
    const char* name = month ? "months" : "years";
    if (values.size() > kMaxSources) {
      return absl::InvalidArgumentError(absl::StrCat(name, " has ", values.size(),
                                                     " entries; at most ", kMaxSources,
                                                     " are allowed"));
    }
    if (values.empty()) continue;
    std::vector<Xapian::Query> terms;
    for (int i = 0; i < values.size(); ++i) {
      NEWSEARCH_RETURN_IF_ERROR(ValidateUtf8(values[i], absl::StrCat(name, "[", i, "]")));
      NEWSEARCH_ASSIGN_OR_RETURN(
          std::string term,
          CalendarFilterTerm(values[i], month, absl::StrCat(name, "[", i, "]")));
      terms.emplace_back(term);
    }
    parts.emplace_back(Xapian::Query::OP_OR, terms.begin(), terms.end());
    descriptions->push_back(absl::StrCat(name, " in [", absl::StrJoin(values, ", "), "]"));
  }
  if (request.sources_size() > kMaxSources) {
    return absl::InvalidArgumentError(absl::StrCat("sources has ", request.sources_size(),
                                                   " entries; at most ", kMaxSources,
                                                   " are allowed"));
  }
  if (request.sources_size() > 0) {
    std::vector<Xapian::Query> sources;
    for (int i = 0; i < request.sources_size(); ++i) {
      const std::string& source = request.sources(i);
      const std::string field = absl::StrCat("sources[", i, "]");
      NEWSEARCH_RETURN_IF_ERROR(ValidateUtf8(source, field));
      if (absl::StripAsciiWhitespace(source).empty()) {
        return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
      }
      sources.emplace_back(schema::SourceFilterTerm(analyzer, source));
    }
    parts.emplace_back(Xapian::Query::OP_OR, sources.begin(), sources.end());
    descriptions->push_back(
        absl::StrCat("sources in [", absl::StrJoin(request.sources(), ", "), "]"));
  }

  const bool has_after = request.has_published_after();
  const bool has_before = request.has_published_before();
  if (has_after) NEWSEARCH_RETURN_IF_ERROR(ValidateTimestamp(request.published_after(), "published_after"));
  if (has_before) NEWSEARCH_RETURN_IF_ERROR(ValidateTimestamp(request.published_before(), "published_before"));
  if (has_after && has_before) {
    const auto& a = request.published_after();
    const auto& b = request.published_before();
    if (std::make_pair(a.seconds(), a.nanos()) >= std::make_pair(b.seconds(), b.nanos())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "published_after (", FormatTimestamp(a), ") must be earlier than published_before (",
          FormatTimestamp(b), ")"));
    }
  }
  // The slot holds whole unix seconds: [after, before) becomes the closed
  // range [ceil(after), ceil(before) - 1].
  if (has_after) {
    descriptions->push_back(
        absl::StrCat("published_after ", FormatTimestamp(request.published_after())));
  }
  if (has_before) {
    descriptions->push_back(
        absl::StrCat("published_before ", FormatTimestamp(request.published_before())));
  }
  if (has_after || has_before) {
    const auto& a = request.published_after();
    const auto& b = request.published_before();
    const int64_t lower = a.seconds() + (a.nanos() > 0 ? 1 : 0);
    const int64_t upper = b.seconds() + (b.nanos() > 0 ? 1 : 0) - 1;
    if (has_after && has_before) {
      if (lower > upper) {
        parts.push_back(Xapian::Query::MatchNothing);
      } else {
        parts.emplace_back(Xapian::Query::OP_VALUE_RANGE, schema::kPublishedSlot,
                           Xapian::sortable_serialise(static_cast<double>(lower)),
                           Xapian::sortable_serialise(static_cast<double>(upper)));
      }
    } else if (has_after) {
      parts.emplace_back(Xapian::Query::OP_VALUE_GE, schema::kPublishedSlot,
                         Xapian::sortable_serialise(static_cast<double>(lower)));
    } else {
      parts.emplace_back(Xapian::Query::OP_VALUE_LE, schema::kPublishedSlot,
                         Xapian::sortable_serialise(static_cast<double>(upper)));
    }
  }
  if (parts.empty()) return Xapian::Query();
  if (parts.size() == 1) return parts[0];
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

// The lowest applied_seq over the database's shards (each local shard, and
// each remote replica of a stub, commits its own): everything up to it is
// searchable. Database::get_metadata reads only the first shard, so each
// shard is read through a handle on its own internals (Xapian 1.4 has no
// other per-shard accessor).
int64_t ReadAppliedSeq(const Xapian::Database& db) {
  int64_t lowest = 0;
  for (size_t i = 0; i < db.size(); ++i) {
    int64_t seq = 0;
    const Xapian::Database shard(db.internal[i].get());
    if (!absl::SimpleAtoi(shard.get_metadata(schema::kAppliedSeqKey), &seq)) seq = 0;
    if (i == 0 || seq < lowest) lowest = seq;
  }
  return lowest;
}

// Identifies the index's layout: the stub file (`XAPIANDB` in the index
// directory, or the stub file itself) whose inode changes when compaction
// swaps a shard's directory. Database::reopen() never rereads a stub, so a
// handle opened on another layout must be opened afresh. Empty when there is
// no stub (a plain Xapian directory).
std::string LayoutStamp(const std::string& path) {
  struct stat st;
  const std::string stub = path + "/XAPIANDB";
  if (::stat(stub.c_str(), &st) != 0 && (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))) {
    return "";
  }
  return absl::StrCat(st.st_ino, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ":",
                      st.st_size);
}

// Everything Search() needs after validation.
struct Plan {
  ParsedQuery parsed;
  Xapian::Query query;
  // No positive atom (empty or pure-NOT query): every hit weighs the same,
  // so relevance order falls through to newest first.
  bool unweighted = false;
  v1::SortOrder sort = v1::SORT_ORDER_RELEVANCE;
  int64_t offset = 0;
  int page_size = 0;
  uint64_t fingerprint = 0;
  SearchPageToken token;  // of request.page_token (offset 0, seq -1 without)
  bool expand_duplicates = false;
  bool facets = false;
  bool debug = false;
  // Every filter, from the query text and the request (for debug).
  std::vector<std::string> filters;
};

// A Xapian::Query's unique terms, in term order.
std::vector<std::string> QueryTerms(const Xapian::Query& query) {
  std::vector<std::string> terms;
  for (auto it = query.get_unique_terms_begin(); it != query.get_unique_terms_end(); ++it) {
    terms.push_back(*it);
  }
  return terms;
}

// Keeps free-text terms for more-like-this: unprefixed (schema prefixes are
// upper-case ASCII; indexed text is case folded) and at least two code
// points (single Han characters say little about a topic).
class FreeTextTerms : public Xapian::ExpandDecider {
 public:
  bool operator()(const std::string& term) const override {
    if (term.empty() || (term[0] >= 'A' && term[0] <= 'Z')) return false;
    return CountCodePoints(term) >= 2;
  }
};

}  // namespace

int DefaultConcurrentSearches() {
  return std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
}

struct Searcher::Impl {
  SearcherOptions options;
  const analysis::Analyzer* analyzer = nullptr;

  // Reader handles: at most `max_handles` searches run at once, each on its
  // own handle; later ones wait for a handle to come back. Handles stay open
  // between searches (no Database open per query); a returned handle only
  // reopen()s, which is cheap when nothing was committed since.
  int max_handles = 1;
  mutable std::mutex mu;
  mutable std::condition_variable handle_returned;
  mutable std::vector<std::unique_ptr<Xapian::Database>> idle;  // guarded by mu
  mutable int leased = 0;                                       // guarded by mu
  // LayoutStamp() the idle handles were opened on.
  mutable std::string layout;  // guarded by mu

  // A database handle borrowed from the pool (and a slot of max_handles);
  // returned on destruction unless discarded (after an error its state is
  // unknown) or opened on a layout that has been replaced since.
  class Lease {
   public:
    explicit Lease(const Impl* impl) : impl_(impl) {}
    Lease(Lease&& other) noexcept
        : impl_(other.impl_), db_(std::move(other.db_)), layout_(std::move(other.layout_)) {
      other.impl_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (impl_ == nullptr) return;
      {
        std::lock_guard<std::mutex> lock(impl_->mu);
        --impl_->leased;
        if (db_ != nullptr && layout_ == impl_->layout) impl_->idle.push_back(std::move(db_));
      }
      impl_->handle_returned.notify_one();
    }
    Xapian::Database* get() const { return db_.get(); }
    void Discard() { db_.reset(); }
    void Set(std::unique_ptr<Xapian::Database> db, std::string layout) {
      db_ = std::move(db);
      layout_ = std::move(layout);
    }

   private:
    const Impl* impl_;
    std::unique_ptr<Xapian::Database> db_;
    std::string layout_;
  };

  // Returns a handle on the latest committed revision; a lease holding null
  // when the database does not exist yet.
  absl::StatusOr<Lease> Acquire() const {
    Lease lease(this);
    std::unique_ptr<Xapian::Database> db;
    std::string stamp = LayoutStamp(options.path);
    {
      std::unique_lock<std::mutex> lock(mu);
      handle_returned.wait(lock, [this] { return leased < max_handles; });
      ++leased;
      if (stamp != layout) {
        // A shard was swapped (compaction): handles on the old layout would
        // reopen() into old directories forever.
        idle.clear();
        layout = stamp;
      }
      if (!idle.empty()) {
        db = std::move(idle.back());
        idle.pop_back();
      }
    }
    try {
      if (db != nullptr) {
        db->reopen();  // cheap when nothing was committed since
      } else {
        db = std::make_unique<Xapian::Database>(options.path);
      }
      lease.Set(std::move(db), std::move(stamp));
      return lease;
    } catch (const Xapian::DatabaseNotFoundError&) {
      return lease;
    } catch (const Xapian::DatabaseOpeningError& e) {
      // The index writer creates the directory before the first commit.
      std::error_code ec;
      if (!std::filesystem::exists(options.path, ec) ||
          (std::filesystem::is_directory(options.path, ec) &&
           std::filesystem::is_empty(options.path, ec))) {
        return lease;
      }
      return absl::InternalError(
          absl::StrCat("cannot open index ", options.path, ": ", e.get_description()));
    } catch (const Xapian::Error& e) {
      return absl::InternalError(
          absl::StrCat("cannot open index ", options.path, ": ", e.get_description()));
    }
  }

  absl::StatusOr<Plan> MakePlan(const v1::SearchRequest& request) const;
  v1::SearchResponse Run(Xapian::Database& db, const Plan& plan) const;
  v1::SimilarArticlesResponse RunSimilar(Xapian::Database& db,
                                         const v1::SimilarArticlesRequest& request,
                                         int page_size, absl::Status* status) const;
  Xapian::Query RecencyBoost(const Xapian::Database& db) const;
  void FillHit(const Xapian::MSetIterator& it, const SnippetBuilder& snippets,
               v1::SearchHit* hit) const;

  // Runs `fn(db)` on a fresh handle; retries once when the index changed
  // under it. `empty` is returned when the database does not exist yet.
  template <typename Response, typename Fn>
  absl::StatusOr<Response> WithDatabase(const std::string& context, Fn fn) const {
    for (int attempt = 0;; ++attempt) {
      NEWSEARCH_ASSIGN_OR_RETURN(Lease lease, Acquire());
      if (lease.get() == nullptr) return Response();
      try {
        return fn(*lease.get());
      } catch (const Xapian::DatabaseModifiedError& e) {
        // The writer committed twice while we read: the next Acquire reopens.
        if (attempt == 0) continue;
        lease.Discard();
        return absl::UnavailableError(absl::StrCat(
            context, ": the index changed while reading; retry: ", e.get_description()));
      } catch (const Xapian::Error& e) {
        lease.Discard();
        return absl::InternalError(absl::StrCat(context, ": ", e.get_description()));
      } catch (const std::exception& e) {
        lease.Discard();
        return absl::InternalError(absl::StrCat(context, ": ", e.what()));
      }
    }
  }
};

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
  plan.query = plan.parsed.ToXapianQuery(*analyzer);
  plan.unweighted = plan.parsed.PositiveAtoms().empty();
  if (options.proximity_weight > 0) {
    std::vector<Xapian::Query> near;
    for (const QueryAtom& atom : plan.parsed.PositiveAtoms()) {
      if (atom.field != QueryField::kAny || atom.phrase) continue;
      const std::vector<std::string> terms =
          QueryTerms(analyzer->QueryForAtom(atom.text, "", false));
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
  v1::Article article;
  // A document whose data does not parse still keeps its place in the
  // list (paging stays consistent); it just has no fields to show.
  if (!schema::ArticleFromDocumentData(it.get_document().get_data(), &article)) return;
  hit->set_id(article.id());
  hit->set_title(article.title());
  hit->set_source(article.source());
  if (article.has_published_at()) *hit->mutable_published_at() = article.published_at();
  hit->set_url(article.url());
  *hit->mutable_authors() = article.authors();
  hit->set_duplicate_of(article.duplicate_of());
  if (options.build_snippets) {
    *hit->mutable_snippet() = snippets.Build(article.title(), article.body());
  }
}

v1::SearchResponse Searcher::Impl::Run(Xapian::Database& db, const Plan& plan) const {
  Xapian::Enquire enquire(db);
  Xapian::Query query = plan.query;
  if (plan.sort == v1::SORT_ORDER_RELEVANCE_RECENCY) {
    Xapian::Query boost = RecencyBoost(db);
    if (!boost.empty()) query = Xapian::Query(Xapian::Query::OP_AND_MAYBE, query, boost);
  }
  enquire.set_query(query);
  // MatchAll would otherwise weigh documents by their length.
  if (plan.unweighted) {
    enquire.set_weighting_scheme(Xapian::BoolWeight());
  } else {
    enquire.set_weighting_scheme(
        Xapian::BM25Weight(options.bm25_k1, 0, 1, options.bm25_b, 0.5));
  }
  // Duplicates of one story (schema: duplicate_of or own id) show once.
  if (!plan.expand_duplicates) enquire.set_collapse_key(schema::kCollapseSlot);
  switch (plan.sort) {
    case v1::SORT_ORDER_DATE_DESC:
      enquire.set_sort_by_value_then_relevance(schema::kPublishedSlot, true);
      break;
    case v1::SORT_ORDER_DATE_ASC:
      enquire.set_sort_by_value_then_relevance(schema::kPublishedSlot, false);
      break;
    default:
      enquire.set_sort_by_relevance_then_value(schema::kPublishedSlot, true);
      break;
  }
  const double time_limit = absl::ToDoubleSeconds(options.query_time_limit);
  if (time_limit > 0) enquire.set_time_limit(time_limit);

  // One extra hit tells whether another page exists. Checking a few more
  // documents than needed keeps total_estimate exact for small result sets
  // (collapsing makes the estimate coarse otherwise).
  const Xapian::doccount wanted = static_cast<Xapian::doccount>(plan.page_size) + 1;
  Xapian::doccount check_at_least =
      static_cast<Xapian::doccount>(plan.offset) + wanted + kExtraChecked;
  // Facets: the spies see every document the matcher examines, so examining
  // the whole match set (up to facet_exact_limit) makes their counts exact.
  FacetSpies spies(/*stories=*/!plan.expand_duplicates);
  Xapian::doccount facet_check = 0;
  if (plan.facets) {
    spies.AddTo(&enquire);
    facet_check = std::min<Xapian::doccount>(
        db.get_doccount(), static_cast<Xapian::doccount>(options.facet_exact_limit));
    check_at_least = std::max(check_at_least, facet_check);
  }
  const absl::Time start = absl::Now();
  const Xapian::MSet mset =
      enquire.get_mset(static_cast<Xapian::doccount>(plan.offset), wanted, check_at_least);
  const absl::Duration elapsed = absl::Now() - start;

  v1::SearchResponse response;
  response.set_applied_seq(ReadAppliedSeq(db));
  response.set_total_estimate(mset.get_matches_estimated());
  // Xapian does not say whether the limit fired (it then stops the extra
  // checking for exact counts); a match that ran at least as long may have.
  response.set_partial(time_limit > 0 && elapsed >= options.query_time_limit);
  if (plan.facets) {
    // Every match was examined when the whole database was in reach, or when
    // the matcher ran out of matches before reaching facet_check.
    const bool all_examined =
        !response.partial() &&
        (db.get_doccount() <= static_cast<Xapian::doccount>(options.facet_exact_limit) ||
         spies.examined() < facet_check);
    spies.Fill(&response);
    response.set_facets_exact(all_examined);
    response.set_facet_documents_examined(static_cast<int64_t>(spies.examined()));
  }
  const SnippetBuilder snippets(*analyzer, plan.parsed.PositiveAtoms(), options.snippet_chars);
  int i = 0;
  for (Xapian::MSetIterator it = mset.begin(); it != mset.end() && i < plan.page_size;
       ++it, ++i) {
    v1::SearchHit* hit = response.add_hits();
    hit->set_rank(static_cast<int32_t>(plan.offset + i));
    if (!plan.expand_duplicates) {
      hit->set_duplicate_count(static_cast<int32_t>(it.get_collapse_count()));
    }
    FillHit(it, snippets, hit);
  }
  const int64_t next = plan.offset + plan.page_size;
  if (mset.size() > static_cast<Xapian::doccount>(plan.page_size) &&
      next < options.max_result_depth) {
    response.set_next_page_token(
        EncodeSearchPageToken({next, plan.fingerprint, response.applied_seq()}));
  }
  if (plan.debug) {
    v1::QueryDebug* debug = response.mutable_debug();
    debug->set_parsed_query(plan.parsed.Describe());
    debug->set_xapian_query(ReadableQueryDescription(query));
    for (std::string& term : QueryTerms(plan.query)) debug->add_terms(std::move(term));
    for (const std::string& filter : plan.filters) debug->add_filters(filter);
  }
  return response;
}

absl::StatusOr<v1::SearchResponse> Searcher::Search(const v1::SearchRequest& request) const {
  NEWSEARCH_ASSIGN_OR_RETURN(Plan plan, impl_->MakePlan(request));
  NEWSEARCH_ASSIGN_OR_RETURN(
      v1::SearchResponse response,
      impl_->WithDatabase<v1::SearchResponse>(
          absl::StrCat("search for '", Truncated(request.query()), "'"),
          [&](Xapian::Database& db) { return impl_->Run(db, plan); }));
  bool changed = false;
  NEWSEARCH_RETURN_IF_ERROR(CheckTokenRevision(plan.token, response.applied_seq(), &changed));
  response.set_revision_changed(changed);
  return response;
}

v1::SimilarArticlesResponse Searcher::Impl::RunSimilar(Xapian::Database& db,
                                                       const v1::SimilarArticlesRequest& request,
                                                       int page_size,
                                                       absl::Status* status) const {
  v1::SimilarArticlesResponse response;
  response.set_applied_seq(ReadAppliedSeq(db));
  const std::string id_term = schema::IdTerm(request.id());
  Xapian::PostingIterator posting = db.postlist_begin(id_term);
  if (posting == db.postlist_end(id_term)) {
    *status = absl::NotFoundError(
        absl::StrCat("no article with id '", Truncated(request.id()), "' in the index"));
    return response;
  }
  const Xapian::docid docid = *posting;
  const std::string collapse_key = db.get_document(docid).get_value(schema::kCollapseSlot);

  Xapian::Enquire enquire(db);
  Xapian::RSet rset;
  rset.add_document(docid);
  const FreeTextTerms decider;
  // Exact term frequencies: over shards Xapian otherwise approximates them
  // and picks different terms than one database would.
  const Xapian::ESet eset =
      enquire.get_eset(kSimilarTerms, rset, Xapian::Enquire::USE_EXACT_TERMFREQ, &decider);
  std::vector<std::string> terms;
  for (auto it = eset.begin(); it != eset.end(); ++it) terms.push_back(*it);
  if (request.debug()) {
    for (const std::string& term : terms) response.add_terms(term);
  }
  if (terms.empty()) return response;  // an article without text resembles nothing

  Xapian::Query similar(Xapian::Query::OP_OR, terms.begin(), terms.end());
  // Not the article, nor anything in its duplicate group.
  Xapian::Query same(id_term);
  if (!collapse_key.empty()) {
    same = Xapian::Query(Xapian::Query::OP_OR, same,
                         Xapian::Query(Xapian::Query::OP_VALUE_RANGE, schema::kCollapseSlot,
                                       collapse_key, collapse_key));
  }
  enquire.set_query(Xapian::Query(Xapian::Query::OP_AND_NOT, similar, same));
  enquire.set_collapse_key(schema::kCollapseSlot);
  enquire.set_sort_by_relevance_then_value(schema::kPublishedSlot, true);
  const double time_limit = absl::ToDoubleSeconds(options.query_time_limit);
  if (time_limit > 0) enquire.set_time_limit(time_limit);
  const Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(page_size));
  const SnippetBuilder snippets(*analyzer, {}, options.snippet_chars);
  int rank = 0;
  for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
    v1::SearchHit* hit = response.add_hits();
    hit->set_rank(rank++);
    hit->set_duplicate_count(static_cast<int32_t>(it.get_collapse_count()));
    FillHit(it, snippets, hit);
  }
  return response;
}

absl::StatusOr<v1::SimilarArticlesResponse> Searcher::SimilarArticles(
    const v1::SimilarArticlesRequest& request) const {
  if (request.id().empty()) return absl::InvalidArgumentError("id is empty");
  NEWSEARCH_RETURN_IF_ERROR(ValidateUtf8(request.id(), "id"));
  const SearcherOptions& options = impl_->options;
  if (request.page_size() < 0 || request.page_size() > options.max_page_size) {
    return absl::InvalidArgumentError(absl::StrCat("page_size ", request.page_size(),
                                                   " is out of range; it must be between 0 (",
                                                   options.default_page_size, ") and ",
                                                   options.max_page_size));
  }
  const int page_size =
      request.page_size() == 0 ? options.default_page_size : request.page_size();
  absl::Status status;
  absl::StatusOr<v1::SimilarArticlesResponse> response =
      impl_->WithDatabase<v1::SimilarArticlesResponse>(
          absl::StrCat("similar articles for '", Truncated(request.id()), "'"),
          [&](Xapian::Database& db) { return impl_->RunSimilar(db, request, page_size, &status); });
  if (!response.ok()) return response.status();
  if (!status.ok()) return status;
  // A database that does not exist yet knows no article.
  if (response->hits_size() == 0 && response->applied_seq() == 0 && response->terms_size() == 0) {
    NEWSEARCH_ASSIGN_OR_RETURN(int64_t count, DocumentCount());
    if (count == 0) {
      return absl::NotFoundError(
          absl::StrCat("no article with id '", Truncated(request.id()), "' in the index"));
    }
  }
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
    return ReadAppliedSeq(*lease.get());
  } catch (const Xapian::Error& e) {
    lease.Discard();
    return absl::InternalError(absl::StrCat("reading applied_seq: ", e.get_description()));
  }
}

}  // namespace newsearch::search
