// Search's page tokens: where the next page starts, which request it belongs
// to (a fingerprint of everything that decides the result list) and the index
// revision (applied_seq) the page was answered at, so that paging across
// replicas never repeats or skips hits silently (docs/search-api.md, "Paging
// and index revisions"). Opaque to clients (common/base/page_token.h).
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_PAGE_TOKEN_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

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
absl::Status CheckTokenRevision(const SearchPageToken& token, int64_t applied_seq,
                                bool* changed);

// Returns the sort order a request asks for (RELEVANCE when unspecified).
v1::SortOrder EffectiveSort(v1::SortOrder sort);

// Returns the fingerprint of everything in `request` that decides the
// result list, except the page window: stable across processes and
// replicas, so a token from one replica works on another.
uint64_t RequestFingerprint(const v1::SearchRequest& request);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_PAGE_TOKEN_H_
