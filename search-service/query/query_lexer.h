// The first step of query parsing (query_parser.h): the query's characters,
// each NFKC-folded, cut into tokens: terms, phrases, parentheses,
// operators, field prefixes and field words. A term that is a date
// expression carries its day range. Internal to newsearch_query.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_LEXER_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_LEXER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "search-service/query/query_dates.h"
#include "search-service/query/query_parser.h"

namespace newsearch::search::query_internal {

// One code point of the query after per-character NFKC: `cp` is the folded
// character when NFKC maps it to exactly one code point (so `（` is `(`),
// else the original; `text` is the full NFKC expansion.
struct QueryChar {
  char32_t cp;
  std::string text;
};

// Returns the code points of valid UTF-8 `query`, each folded by NFKC.
std::vector<QueryChar> NormalizeChars(absl::string_view query);

// One token of the query, at a code point offset.
struct Token {
  enum class Kind { kTerm, kPhrase, kLParen, kRParen, kAnd, kOr, kNot, kMinus, kPlus, kField, kEnd };
  Kind kind;
  int offset;  // code point offset in the query
  std::string text;
  QueryField field = QueryField::kAny;
  bool mixed = false;  // kTerm: mixes Han and other letters/digits
  bool is_date = false;  // kTerm: the text is a date expression
  DateRange date = {};
  bool field_word = false;  // kField: a field word typed as a term (`来源 新华社`)
};

// Cuts the characters into tokens, ending with a kEnd token; marks field
// words (`来源 新华社`). INVALID_ARGUMENT for an unclosed quote or a bad date
// (SyntaxError).
absl::StatusOr<std::vector<Token>> Lex(const std::vector<QueryChar>& chars);

// Returns how an error message names token `t` (`'('`, `AND`, `'网络'`).
std::string TokenName(const Token& t);

// INVALID_ARGUMENT "query syntax error: <what> at character <offset>".
absl::Status SyntaxError(absl::string_view what, int offset);

}  // namespace newsearch::search::query_internal

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_LEXER_H_
