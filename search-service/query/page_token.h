// Search's page tokens: where the next page starts, which request it belongs
// to (a fingerprint of everything that decides the result list) and the index
// revision (applied_seq, and through a router the partitions missing from a
// partial answer) the page was answered at, so that paging across
// replicas never repeats or skips hits silently (docs/search-api.md, "Paging
// and index revisions"). Opaque to clients (common/base/page_token.h).
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_PAGE_TOKEN_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_PAGE_TOKEN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "newsearch/v1/search.pb.h"

namespace newsearch::search {

struct SearchPageToken {
  int64_t offset = 0;
  uint64_t fingerprint = 0;
  // The applied_seq of the revision that answered the page that handed the
  // token out; -1 for tokens made before tokens carried it (`p1`).
  int64_t applied_seq = -1;
  // Router mode: the partitions (0-based, ascending) missing from the
  // partial answer that handed the token out; empty for a complete answer.
  std::vector<int> missing_partitions;
};

std::string EncodeSearchPageToken(const SearchPageToken& token);

// INVALID_ARGUMENT when `token` is not one of ours or belongs to a request
// with another fingerprint.
absl::StatusOr<SearchPageToken> DecodeSearchPageToken(absl::string_view token,
                                                      uint64_t fingerprint);

// What a page answered at `applied_seq` for `token` may be: OK, or
// UNAVAILABLE when this replica is behind the revision the token was made at
// (its earlier pages saw articles this one has not applied yet; another
// replica, or this one a moment later, can answer). Sets *changed when the
// revisions differ (the index moved on: hits may repeat or be missed across
// the pages).
//
// Through a router the revision also names the partitions that answered
// (`missing_partitions`: those missing now). A token from a partial answer
// is FAILED_PRECONDITION when other partitions are missing now (the list it
// continues lacked articles this answer has, or the other way round); a
// token from a complete answer continued by a partial one sets *changed.
absl::Status CheckTokenRevision(const SearchPageToken& token, int64_t applied_seq,
                                bool* changed,
                                const std::vector<int>& missing_partitions = {});

// Returns the sort order a request asks for (RELEVANCE when unspecified).
v1::SortOrder EffectiveSort(v1::SortOrder sort);

// Returns the fingerprint of everything in `request` that decides the
// result list, except the page window: stable across processes and
// replicas, so a token from one replica works on another.
uint64_t RequestFingerprint(const v1::SearchRequest& request);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_PAGE_TOKEN_H_
