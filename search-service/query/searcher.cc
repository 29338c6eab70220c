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
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/analysis/analyzer.h"
#include "common/base/status_macros.h"
#include "common/base/logging.h"
#include "common/base/utf8_truncate.h"
#include "search-service/query/facets.h"
#include "search-service/query/page_token.h"
#include "search-service/query/query_description.h"
#include "search-service/query/query_parser.h"
#include "search-service/query/relax.h"
#include "search-service/query/remote_shards.h"
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
  if (r.strict()) absl::StrAppend(&canonical, "x;");
  if (r.relax_threshold() != 0) absl::StrAppend(&canonical, "r", r.relax_threshold(), ";");
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
  return absl::StrCat(TruncateUtf8(s, max_bytes), "…");
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
  // The request's filters alone (empty when none), for relaxed queries.
  Xapian::Query filter;
  // Relax when the strict query matches fewer than this; 0 = never.
  int relax_threshold = 0;
  // The operands of the query's top-level AND and their queries.
  std::vector<Conjunct> conjuncts;
  std::vector<Xapian::Query> conjunct_queries;
};

// The relaxed part of a result list: the articles after the strict matches.
struct Relaxation {
  Xapian::Query query;      // empty: the search was not relaxed
  int64_t strict_count = 0;  // strict matches (exact: fewer than the threshold)
  int min_words = 0;        // optional words every relaxed hit matches
  std::vector<size_t> optional;  // indexes into Plan::conjuncts
  // The relaxed matches from the first one, when the level search already
  // fetched the page's (saves running the chosen level twice).
  bool have_first_page = false;
  Xapian::MSet first_page;
};


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
  RemoteShards* shards = nullptr;  // options.remote_shards, or null for a local index

  // Reader handles: at most `max_handles` searches run at once, each on its
  // own handle; later ones wait for a handle to come back. Handles stay open
  // between searches (no Database open per query); a returned handle only
  // reopen()s, which is cheap when nothing was committed since.
  int max_handles = 1;
  mutable std::mutex mu;
  mutable std::condition_variable handle_returned;
  mutable std::vector<ShardedDatabase> idle;  // guarded by mu
  mutable int leased = 0;                     // guarded by mu
  // Stamp() the idle handles were opened on.
  mutable std::string layout;  // guarded by mu

  // Identifies what handles are opened on: the local index's LayoutStamp,
  // or the remote shards' generation (replicas up/down, indexes replaced).
  std::string Stamp() const {
    return shards != nullptr ? absl::StrCat("g", shards->generation()) : LayoutStamp(options.path);
  }

  // A database handle borrowed from the pool (and a slot of max_handles);
  // returned on destruction unless discarded (after an error its state is
  // unknown), opened on a layout that has been replaced since, or missing
  // partitions.
  class Lease {
   public:
    explicit Lease(const Impl* impl) : impl_(impl) {}
    Lease(Lease&& other) noexcept
        : impl_(other.impl_), handle_(std::move(other.handle_)), layout_(std::move(other.layout_)) {
      other.impl_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (impl_ == nullptr) return;
      {
        std::lock_guard<std::mutex> lock(impl_->mu);
        --impl_->leased;
        if (handle_.db != nullptr && handle_.missing.empty() && layout_ == impl_->layout) {
          impl_->idle.push_back(std::move(handle_));
        }
      }
      impl_->handle_returned.notify_one();
    }
    Xapian::Database* get() const { return handle_.db.get(); }
    const ShardedDatabase& handle() const { return handle_; }
    void Discard() { handle_.db.reset(); }
    void Set(ShardedDatabase handle, std::string layout) {
      handle_ = std::move(handle);
      layout_ = std::move(layout);
    }

   private:
    const Impl* impl_;
    ShardedDatabase handle_;
    std::string layout_;
  };

  // Returns a handle on the latest committed revision; a lease holding null
  // when the (local) database does not exist yet. Over remote shards: a
  // pooled handle whose reopen() fails is reported and replaced by a fresh
  // one; UNAVAILABLE / DEADLINE_EXCEEDED from RemoteShards::Open.
  absl::StatusOr<Lease> Acquire(bool allow_partial = false,
                                absl::Time deadline = absl::InfiniteFuture()) const {
    Lease lease(this);
    ShardedDatabase handle;
    std::string stamp = Stamp();
    {
      std::unique_lock<std::mutex> lock(mu);
      handle_returned.wait(lock, [this] { return leased < max_handles; });
      ++leased;
      if (stamp != layout) {
        // A shard was swapped (compaction) or a replica came or went:
        // handles on the old layout would reopen() into old directories
        // forever, or keep using replicas that were marked down.
        idle.clear();
        layout = stamp;
      }
      if (!idle.empty()) {
        handle = std::move(idle.back());
        idle.pop_back();
      }
    }
    if (shards != nullptr) {
      if (handle.db != nullptr) {
        try {
          handle.db->reopen();  // one round trip per partition
          lease.Set(std::move(handle), std::move(stamp));
          return lease;
        } catch (const Xapian::Error& e) {
          // Idle too long (xapian-tcpsrv's idle timeout), or the replica is
          // gone: check its replicas and open afresh.
          Log(LogLevel::kDebug, "router", "pooled shard handle failed",
              {{"error", e.get_description()}});
          shards->ReportFailure(handle);
          stamp = Stamp();
        }
      }
      NEWSEARCH_ASSIGN_OR_RETURN(ShardedDatabase opened, shards->Open(allow_partial, deadline));
      lease.Set(std::move(opened), std::move(stamp));
      return lease;
    }
    try {
      if (handle.db != nullptr) {
        handle.db->reopen();  // cheap when nothing was committed since
      } else {
        handle.db = std::make_unique<Xapian::Database>(options.path);
      }
      lease.Set(std::move(handle), std::move(stamp));
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
  // `missing_partitions`: router mode, the partitions left out of `db`
  // (allow_partial); they travel in the next page token.
  v1::SearchResponse Run(Xapian::Database& db, const Plan& plan,
                         const std::vector<int>& missing_partitions) const;
  void Configure(const Plan& plan, Xapian::Enquire* enquire) const;
  Relaxation Relax(Xapian::Database& db, const Plan& plan, const Xapian::MSet& strict,
                   Xapian::Enquire* strict_enquire) const;
  v1::SimilarArticlesResponse RunSimilar(Xapian::Database& db,
                                         const v1::SimilarArticlesRequest& request,
                                         int page_size, absl::Status* status) const;
  Xapian::Query RecencyBoost(const Xapian::Database& db) const;
  void FillHit(const Xapian::MSetIterator& it, const SnippetBuilder& snippets,
               v1::SearchHit* hit) const;

  // Runs `fn(db, handle)` on a fresh handle (handle.missing: partitions left
  // out, router mode with allow_partial); retries once when the index
  // changed under it. `empty` is returned when the database does not exist
  // yet. Over remote shards, a call that fails is reported
  // (RemoteShards::ReportFailure) and retried on a new handle, which avoids
  // the replicas that no longer answer, until `deadline`.
  template <typename Response, typename Fn>
  absl::StatusOr<Response> WithDatabase(const std::string& context, Fn fn,
                                        bool allow_partial = false,
                                        absl::Time deadline = absl::InfiniteFuture()) const {
    int changed = 0;
    int failed = 0;
    for (;;) {
      NEWSEARCH_ASSIGN_OR_RETURN(Lease lease, Acquire(allow_partial, deadline));
      if (lease.get() == nullptr) return Response();
      try {
        return fn(*lease.get(), lease.handle());
      } catch (const Xapian::DatabaseModifiedError& e) {
        // The writer committed twice while we read: the next Acquire reopens.
        if (changed++ == 0) continue;
        lease.Discard();
        return absl::UnavailableError(absl::StrCat(
            context, ": the index changed while reading; retry: ", e.get_description()));
      } catch (const Xapian::Error& e) {
        lease.Discard();
        if (shards != nullptr) {
          // A replica died or timed out mid-call (or its generation was
          // removed): retry while replicas remain and time is left. A second
          // failure with every replica answering probes is a real error.
          const bool marked_down = shards->ReportFailure(lease.handle());
          ++failed;
          if ((marked_down || failed < 2) && failed <= 8 && absl::Now() < deadline) continue;
          if (absl::string_view(e.get_type()).rfind("Network", 0) == 0) {  // NetworkError, NetworkTimeoutError
            return absl::UnavailableError(absl::StrCat(context, ": ", e.get_description()));
          }
        }
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
                                 const Xapian::MSet& strict, Xapian::Enquire* strict_enquire) const {
  Relaxation r;
  const int64_t strict_count = strict.get_matches_estimated();
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
            : strict_enquire->get_mset(0, static_cast<Xapian::doccount>(strict_count));
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
    Xapian::MSet found = enquire.get_mset(0, fetch, fetch + kExtraChecked);
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
      static_cast<Xapian::doccount>(plan.offset) + wanted + kExtraChecked,
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
  const Xapian::MSet mset =
      enquire.get_mset(static_cast<Xapian::doccount>(plan.offset), wanted, check_at_least);

  // Too few strict matches: the relaxed matches follow them.
  const Relaxation relaxation = Relax(db, plan, mset, &enquire);
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
                       : relaxed_enquire.get_mset(static_cast<Xapian::doccount>(first), want,
                                                  static_cast<Xapian::doccount>(first) + want +
                                                      kExtraChecked);
    if (plan.facets) {
      // Count the facets over strict and relaxed matches together.
      Xapian::Enquire counter(db);
      counter.set_query(Xapian::Query(Xapian::Query::OP_OR, plan.query, relaxation.query));
      Configure(plan, &counter);
      all_spies.AddTo(&counter);
      counter.get_mset(0, 1, facet_check);
    }
  }
  const absl::Duration elapsed = absl::Now() - start;

  v1::SearchResponse response;
  response.set_applied_seq(ReadAppliedSeq(db));
  response.set_total_estimate(relaxed ? relaxation.strict_count +
                                            static_cast<int64_t>(
                                                relaxed_mset.get_matches_estimated())
                                      : static_cast<int64_t>(mset.get_matches_estimated()));
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
  const auto add_hit = [&](const Xapian::MSetIterator& it) {
    v1::SearchHit* hit = response.add_hits();
    hit->set_rank(static_cast<int32_t>(plan.offset + i));
    if (!plan.expand_duplicates) {
      hit->set_duplicate_count(static_cast<int32_t>(it.get_collapse_count()));
    }
    FillHit(it, snippets, hit);
    ++i;
  };
  for (Xapian::MSetIterator it = mset.begin(); it != mset.end() && i < strict_on_page; ++it) {
    add_hit(it);
  }
  const int strict_hits = i;
  std::vector<Xapian::docid> relaxed_docids;
  if (relaxed) {
    for (Xapian::MSetIterator it = relaxed_mset.begin();
         it != relaxed_mset.end() && i < plan.page_size; ++it) {
      relaxed_docids.push_back(*it);
      add_hit(it);
    }
  }
  const int64_t next = plan.offset + plan.page_size;
  const bool more =
      relaxed ? relaxation.strict_count > next ||
                    relaxed_mset.size() > static_cast<Xapian::doccount>(i - strict_hits)
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
    debug->set_strict_matches(relaxed ? relaxation.strict_count
                                      : static_cast<int64_t>(mset.get_matches_estimated()));
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
    const v1::SimilarArticlesRequest& request, absl::Time deadline) const {
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
          [&](Xapian::Database& db, const ShardedDatabase&) {
            return impl_->RunSimilar(db, request, page_size, &status);
          },
          /*allow_partial=*/false, deadline);
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
