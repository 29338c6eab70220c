// Small helpers for absl::Status propagation. Abseil 20220623 (Debian 12)
// ships no status macros of its own.
#ifndef NEWSEARCH_COMMON_BASE_STATUS_MACROS_H_
#define NEWSEARCH_COMMON_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define NEWSEARCH_CONCAT_INNER_(a, b) a##b
#define NEWSEARCH_CONCAT_(a, b) NEWSEARCH_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` is not OK.
#define NEWSEARCH_RETURN_IF_ERROR(expr)              \
  do {                                               \
    ::absl::Status _newsearch_status = (expr);       \
    if (!_newsearch_status.ok()) return _newsearch_status; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status when not OK,
// otherwise moves the value into `lhs` (which may be a declaration).
#define NEWSEARCH_ASSIGN_OR_RETURN(lhs, rexpr) \
  NEWSEARCH_ASSIGN_OR_RETURN_IMPL_(NEWSEARCH_CONCAT_(_newsearch_or_, __LINE__), lhs, rexpr)

#define NEWSEARCH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                     \
  if (!tmp.ok()) return tmp.status();                     \
  lhs = std::move(tmp).value()

#endif  // NEWSEARCH_COMMON_BASE_STATUS_MACROS_H_
