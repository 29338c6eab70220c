#include "search-service/query/page_token.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/page_token.h"

namespace newsearch::search {
namespace {

// p2.<offset>.<fingerprint hex>.<applied_seq>[.<missing partitions>]; p1 had
// no applied_seq. The missing partitions ("1,3") follow only on a router's
// partial answer, so complete answers hand out the same tokens as a replica.
constexpr char kVersion[] = "p2";
constexpr char kOldVersion[] = "p1";

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

absl::Status Malformed() {
  return absl::InvalidArgumentError(
      "page_token is malformed; pass next_page_token from a previous response unchanged");
}

}  // namespace

std::string EncodeSearchPageToken(const SearchPageToken& token) {
  std::string plain = absl::StrCat(kVersion, ".", token.offset, ".", absl::Hex(token.fingerprint),
                                   ".", token.applied_seq);
  if (!token.missing_partitions.empty()) {
    absl::StrAppend(&plain, ".", absl::StrJoin(token.missing_partitions, ","));
  }
  return EncodePageToken(plain);
}

absl::StatusOr<SearchPageToken> DecodeSearchPageToken(absl::string_view token,
                                                      uint64_t fingerprint) {
  absl::StatusOr<std::string> plain = DecodePageToken(token, "Search");
  if (!plain.ok()) return Malformed();
  const std::vector<absl::string_view> parts = absl::StrSplit(*plain, '.');
  SearchPageToken decoded;
  bool current = (parts.size() == 4 || parts.size() == 5) && parts[0] == kVersion &&
                 absl::SimpleAtoi(parts[3], &decoded.applied_seq) && decoded.applied_seq >= 0;
  if (current && parts.size() == 5) {
    for (absl::string_view item : absl::StrSplit(parts[4], ',')) {
      int partition = -1;
      if (!absl::SimpleAtoi(item, &partition) || partition < 0 ||
          (!decoded.missing_partitions.empty() && partition <= decoded.missing_partitions.back())) {
        current = false;
        break;
      }
      decoded.missing_partitions.push_back(partition);
    }
  }
  const bool old = parts.size() == 3 && parts[0] == kOldVersion;
  if ((!current && !old) || !absl::SimpleAtoi(parts[1], &decoded.offset) || decoded.offset < 0 ||
      !absl::SimpleHexAtoi(parts[2], &decoded.fingerprint)) {
    return Malformed();
  }
  if (decoded.fingerprint != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token does not belong to this query (query, filters, sort and expand_duplicates "
        "must match the request that returned it)");
  }
  return decoded;
}

absl::Status CheckTokenRevision(const SearchPageToken& token, int64_t applied_seq,
                                bool* changed, const std::vector<int>& missing_partitions) {
  *changed = false;
  if (!token.missing_partitions.empty() && token.missing_partitions != missing_partitions) {
    return absl::FailedPreconditionError(absl::StrCat(
        "page_token comes from a partial answer without partition(s) ",
        absl::StrJoin(token.missing_partitions, ", "), ", and ",
        missing_partitions.empty()
            ? std::string("every partition answers now")
            : absl::StrCat("partition(s) ", absl::StrJoin(missing_partitions, ", "),
                           " are missing now"),
        ": the next page would not continue the same list of hits; search again without "
        "page_token"));
  }
  if (token.applied_seq < 0) return absl::OkStatus();  // p1: revision unknown
  if (applied_seq < token.applied_seq) {
    return absl::UnavailableError(absl::StrCat(
        "this replica's index (applied_seq ", applied_seq,
        ") is behind the revision the page_token was made at (applied_seq ", token.applied_seq,
        "); retry on another replica or later"));
  }
  // A complete list continued without some partitions: their hits are gone.
  *changed = applied_seq != token.applied_seq || token.missing_partitions != missing_partitions;
  return absl::OkStatus();
}

v1::SortOrder EffectiveSort(v1::SortOrder sort) {
  return sort == v1::SORT_ORDER_UNSPECIFIED ? v1::SORT_ORDER_RELEVANCE : sort;
}

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

}  // namespace newsearch::search
