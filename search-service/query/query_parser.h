// The search query grammar of newsearch: user text -> a small syntax tree ->
// Xapian::Query. We never hand raw user text to Xapian::QueryParser: Debian
// 12's Xapian 1.4.22 with FLAG_CJK_NGRAM throws on ordinary mixed queries
// such as `COO 网络 5G` or `iPhone 手机壳 case`.
//
// Grammar (each full-width character is NFKC-folded first, so `（网络）`,
// `ＯＲ` and `ｔｉｔｌｅ：` work like their ASCII forms):
//
//   query    := or_expr?
//   or_expr  := and_expr (("OR" | "|") and_expr)*
//   and_expr := unary ("AND"? unary)*          -- juxtaposition means AND
//   unary    := ("NOT" | "-" | "+") unary | primary
//   primary  := field? (TERM | PHRASE | "(" or_expr ")")
//   field    := a field name and ":" (names below), or a field word
//
// A term that is a date expression, standing alone and without a field
// prefix, is a filter on the published date (China Standard Time calendar
// days), not text:
//   2018年   2018年4月   2018年4月23日 (or 号)   2018-04-23   2018/04/23
//   FROM..TO   FROM..   ..TO   where FROM and TO are any of the above or
//                               2018, 2018-04, 2018/4 (range ends inclusive)
// `2018年4月..2018年6月` is April to June. A date node weighs nothing: it
// only keeps or drops articles, and it can be ORed and negated like a term
// (`2017年 OR 2018年`, `NOT 2018年`). Articles without a date never match
// one. With a field prefix (`title:2018年`) the text is searched instead.
// An impossible date (`2018年13月`, `2018-02-30`) or a reversed range is
// INVALID_ARGUMENT; a bare `2018` is a number, searched as text.
//
// A positive date matches articles published in it OR whose text names it
// (`2018年`, `2018年4月`, `2018年4月23日`, or as typed; not for ranges); a
// negated one is the published-date filter only.
//
// Precedence: NOT > AND > OR. `OR`, `AND`, `NOT` are operators only in upper
// case and unquoted; `-`/`+` only at the start of a term (`covid-19` is one
// term). Every term is required; `+word`, quoted phrases and the operands
// of a written `AND` are also `strict`: a relaxed search (searcher.h) never
// drops them. A field prefix applies to the next term, phrase or
// parenthesised group (an inner prefix wins); an unknown prefix is plain
// text (`foo:bar`). Field names: title/标题/標題, source/来源/來源/出处/出處,
// author/作者/editor/编辑/編輯/reporter/记者/記者 (bylines). A field name typed as
// a word before a term or phrase (`来源 新华社`, `author 胡喆`) is a field
// word: that value restricted to the field, or else both words as text;
// not when it stands alone, before an operator, `-` or `(`, or right after
// a Latin word (`open source 软件`). PHRASE is text in "…", “…”, 「…」 or
// 『…』. A term is a run of anything else up to whitespace, a parenthesis, a
// quote or `|`. An unquoted atom with a number also matches the number's
// other written forms (numbers.h).
//
// Atoms (the leaves) go to Analyzer::QueryForAtom:
//   * a quoted phrase: phrase=true (the words in this order, adjacent);
//   * a term mixing Han and non-Han letters/digits (`5G基站`, `QQ群`): also
//     phrase=true, the parts must be adjacent;
//   * any other term (`网络`, `iPhone`): phrase=false.
// Terms and phrases without any letter, digit or Han character (`-`, `…`)
// are dropped.
//
// A top-level or standalone NOT matches every document except the negated
// ones (`NOT 网络` is MatchAll AND_NOT 网络); inside an AND it is AND_NOT.
// The empty query is MatchAll.
//
// Examples (query -> Describe()):
//   COO 网络 5G               -> (AND COO 网络 5G)
//   "互联网 党建"             -> "互联网 党建"
//   title:乌镇 OR source:光明网 -> (OR title:乌镇 source:光明网)
//   网络 -腾讯                -> (AND 网络 (NOT 腾讯))
//   (a OR b) c               -> (AND (OR a b) c)
//   5G基站                   -> "5G基站"
//   title:(乌镇 OR 嘉兴)       -> (OR title:乌镇 title:嘉兴)
//   2017年 销售              -> (AND date:[2017-01-01..2017-12-31] 销售)
//   来源 新华社 +卫星        -> (AND source:新华社 +卫星)
//   2018-01-01..2018-06-30   -> date:[2018-01-01..2018-06-30]
//
// Errors are INVALID_ARGUMENT and name the problem and the character (code
// point, zero-based) offset in the query: unbalanced parentheses or quotes,
// an operator without an operand (`网络 AND`, `OR 网络`), empty parentheses,
// a field prefix with nothing after it.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_PARSER_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_PARSER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace Xapian {
class Query;
}

namespace newsearch::analysis {
class Analyzer;
}

namespace newsearch::search {

// Which indexed field an atom searches.
enum class QueryField { kAny, kTitle, kSource, kAuthor };

// One node of the parsed query.
struct QueryNode {
  enum class Kind { kAtom, kAnd, kOr, kNot, kDate };
  Kind kind = Kind::kAtom;
  // kAtom: the user's text (NFKC-folded per character, not case folded).
  std::string text;
  // kAtom: true when the atom's words must be adjacent and in order.
  bool phrase = false;
  // kAtom: the field prefix in effect.
  QueryField field = QueryField::kAny;
  // kAtom: the field word the user typed before the value (`来源` in
  // `来源 新华社`), empty for a `name:` prefix or no field. Such an atom
  // matches the field, or the word and the value as text.
  std::string field_word;
  // kAtom: `+word` or an operand of a written `AND`: never relaxed.
  bool strict = false;
  // kAtom, kDate: code point offset in the query (for messages).
  int offset = 0;
  // kDate: the first and last calendar day (China Standard Time) kept,
  // inclusive; an open end has_first/has_last false.
  bool has_first = false;
  bool has_last = false;
  absl::CivilDay first;
  absl::CivilDay last;
  // kAnd, kOr: two or more children; kNot: exactly one.
  std::vector<std::unique_ptr<QueryNode>> children;
};

// A positive (not negated) atom, for snippets and highlighting.
struct QueryAtom {
  std::string text;
  bool phrase = false;
  QueryField field = QueryField::kAny;
};

// One operand of the query's top-level AND (the whole query when it is not
// an AND), for relaxed searches and debug.
struct Conjunct {
  enum class Role {
    kOptional,  // an unquoted atom without field: a relaxed search may drop it
    kStrict,    // quoted, `+word`, written `AND`, or a group: always required
    kField,     // a field restriction (always required)
    kDate,      // a date (always required)
    kNegated,   // NOT/-: excluded
  };
  Role role = Role::kStrict;
  // The operand as Describe() writes it (without the `+` of strict atoms).
  std::string text;
  // kField: the field word typed (`来源`), empty for a `name:` prefix.
  std::string field_word;
  QueryField field = QueryField::kAny;
  // The operand (kNegated: the negated node), owned by the ParsedQuery.
  const QueryNode* node = nullptr;
};

class ParsedQuery {
 public:
  ParsedQuery() = default;
  explicit ParsedQuery(std::unique_ptr<QueryNode> root) : root_(std::move(root)) {}

  // Null for the empty query (which matches every document).
  const QueryNode* root() const { return root_.get(); }
  bool empty() const { return root_ == nullptr; }

  // Returns a one-line, human-readable form of the tree (see the examples
  // in the file comment); `(match all)` for the empty query.
  std::string Describe() const;

  // Returns the atoms that are not under an odd number of NOTs, in query
  // order. Date filters are not atoms.
  std::vector<QueryAtom> PositiveAtoms() const;

  // Returns the date filters of the query as `date:[2018-01-01..2018-06-30]`
  // (`NOT date:[…]` when negated), in query order.
  std::vector<std::string> DateFilters() const;

  // Builds the Xapian query: atoms through analyzer.QueryForAtom with the
  // field's prefix from search-service/schema. Atoms without any indexable
  // term are left out; a query left with nothing but negations (or with
  // nothing at all) matches all documents minus the negations.
  Xapian::Query ToXapianQuery(const analysis::Analyzer& analyzer) const;

  // The phrase atoms every match must hold: the query itself or operands
  // of its top-level AND, without a field word or other written forms of a
  // number (those are ORs). On an index without positions the searcher
  // checks these on the stored text (phrase_check.h); other phrases (in an
  // OR or a NOT, a number's other forms, a date as text) match there when
  // all their terms occur.
  std::vector<QueryAtom> RequiredPhrases() const;

  // The operands of the top-level AND, in query order (none for the empty
  // query).
  std::vector<Conjunct> Conjuncts() const;

  // The Xapian query of one conjunct's node as ToXapianQuery builds it (for
  // kNegated: the query of what it excludes); empty when it has no
  // indexable term.
  static Xapian::Query ConjunctQuery(const Conjunct& conjunct,
                                     const analysis::Analyzer& analyzer);

 private:
  std::unique_ptr<QueryNode> root_;
};

// Parses `query` (valid UTF-8; see ValidateUtf8). INVALID_ARGUMENT with the
// problem and its character offset for malformed queries. Thread-safe.
absl::StatusOr<ParsedQuery> ParseQuery(absl::string_view query);

// Returns OK when `text` is well-formed UTF-8 (no surrogates, no overlong
// forms), else INVALID_ARGUMENT "<what> is not valid UTF-8 at byte N".
absl::Status ValidateUtf8(absl::string_view text, absl::string_view what);

// Returns the number of code points of valid UTF-8 `text`.
int CountCodePoints(absl::string_view text);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_PARSER_H_
