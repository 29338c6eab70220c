// Written forms of a number in a query atom, so that an amount typed one way
// finds the articles that write it another way: `3000万` also looks for
// `3千万` and `0.3亿` is not produced (a form below 1 is not how anyone
// writes it), `3.01亿` for `30100万`, `12000家` for `1.2万家`, `1044万` for
// `1,044万`. Full-width digits are already folded (NFKC) before this runs.
//
// The first number of the atom is rewritten: ASCII digits with optional
// thousands commas and a decimal part, not glued to a Latin letter (`5G`,
// `C919` and `H1N1` are names, not amounts), followed by an optional
// multiplier 千万, 百万, 万/萬, 亿/億, 千 or 百. Its value is then written
// plain (at most 9 integer digits, also with thousands commas from 10,000),
// in 万 and 亿 (1 to 6 integer digits), and in 千万/百万/千 when that gives a
// single digit 1-9 (`3千万`, `5百万`, `5千`); at most 4 decimals, never
// rounded. The text around the number is kept.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_NUMBERS_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_NUMBERS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace newsearch::search {

// Returns the forms of `atom` (the atom itself first), or just the atom when
// it holds no number with another common form.
std::vector<std::string> NumberForms(absl::string_view atom);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_NUMBERS_H_
