// Building the Xapian query of a parsed query (query_parser.h,
// ParsedQuery::ToXapianQuery and ConjunctQuery): atoms through the
// analyzer with their field's prefix and the other written forms of their
// numbers, dates as the published-date filter or the date as text, NOT as
// AND_NOT, and nothing-but-negations as "everything except".
#include <string>
#include <utility>
#include <vector>

#include <xapian.h>

#include "common/analysis/analyzer.h"
#include "search-service/query/numbers.h"
#include "search-service/query/query_dates.h"
#include "search-service/query/query_fields.h"
#include "search-service/query/query_parser.h"

namespace newsearch::search {
namespace {

using query_internal::DateQuery;
using query_internal::DateText;
using query_internal::FieldPrefix;

bool IsEmpty(const Xapian::Query& q) { return q.empty(); }

Xapian::Query Build(const QueryNode& node, const analysis::Analyzer& analyzer, bool negated);

// The written forms an atom is searched as: as typed, then the other forms
// of its numbers (not for quoted phrases, which mean exactly what they say).
std::vector<std::string> AtomForms(const QueryNode& node) {
  return node.phrase && node.strict ? std::vector<std::string>{node.text} : NumberForms(node.text);
}

// Whether `node` is a phrase atom that is one query (no field word, no
// other forms), so a decider can check it for the whole match.
bool IsWholePhrase(const QueryNode& node) {
  return node.kind == QueryNode::Kind::kAtom && node.phrase && node.field_word.empty() &&
         AtomForms(node).size() == 1;
}


// Every document except those matching `negated` (all when `negated` is
// empty).
Xapian::Query AllExcept(const Xapian::Query& negated) {
  if (IsEmpty(negated)) return Xapian::Query::MatchAll;
  return Xapian::Query(Xapian::Query::OP_AND_NOT, Xapian::Query::MatchAll, negated);
}

// A positive date: articles published then, or whose text names the date
// (`2018年 出国留学` finds the 2019 report on 2018's figures). The filter
// weighs nothing; the text match weighs as a phrase.
Xapian::Query DateOrText(const QueryNode& node, const analysis::Analyzer& analyzer) {
  std::vector<Xapian::Query> parts = {DateQuery(node)};
  std::vector<std::string> texts = {DateText(node)};
  // As typed too (`2018-04-23`), unless that is a range.
  if (node.text != texts[0] && node.text.find("..") == std::string::npos) {
    texts.push_back(node.text);
  }
  for (const std::string& text : texts) {
    if (text.empty()) continue;
    Xapian::Query q = analyzer.QueryForAtom(text, "", true);
    if (!q.empty()) parts.push_back(std::move(q));
  }
  if (parts.size() == 1) return parts[0];
  return Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
}

// An atom: its terms (through the analyzer, with the field's prefix), OR
// the other written forms of a number in it (numbers.h; not for quoted
// phrases, which mean exactly what they say). An atom typed after a field
// word (`来源 新华社`) matches the field, or the field word and the value as
// text (`编辑 视频` about video editing still finds its articles).
Xapian::Query AtomQuery(const QueryNode& node, const analysis::Analyzer& analyzer) {
  const char* prefix = FieldPrefix(node.field);
  std::vector<Xapian::Query> parts;
  const std::vector<std::string> forms = AtomForms(node);
  for (size_t i = 0; i < forms.size(); ++i) {
    // Another form is matched as the sequence it is (`3千万`, `1.2万家`).
    Xapian::Query q = analyzer.QueryForAtom(forms[i], prefix, i == 0 ? node.phrase : true);
    if (!q.empty()) parts.push_back(std::move(q));
  }
  if (!node.field_word.empty() && !parts.empty()) {
    Xapian::Query word = analyzer.QueryForAtom(node.field_word, "", false);
    Xapian::Query value = analyzer.QueryForAtom(node.text, "", node.phrase);
    if (!word.empty() && !value.empty()) {
      parts.emplace_back(Xapian::Query::OP_AND, word, value);
    }
  }
  if (parts.empty()) return Xapian::Query();
  if (parts.size() == 1) return parts[0];
  return Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
}

Xapian::Query Build(const QueryNode& node, const analysis::Analyzer& analyzer, bool negated) {
  switch (node.kind) {
    case QueryNode::Kind::kDate:
      return negated ? DateQuery(node) : DateOrText(node, analyzer);
    case QueryNode::Kind::kAtom:
      return AtomQuery(node, analyzer);
    case QueryNode::Kind::kNot:
      return AllExcept(Build(*node.children[0], analyzer, !negated));
    case QueryNode::Kind::kOr: {
      std::vector<Xapian::Query> parts;
      for (const auto& child : node.children) {
        Xapian::Query q = Build(*child, analyzer, negated);
        if (!IsEmpty(q)) parts.push_back(std::move(q));
      }
      if (parts.empty()) return Xapian::Query();
      if (parts.size() == 1) return parts[0];
      return Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
    }
    case QueryNode::Kind::kAnd: {
      std::vector<Xapian::Query> positives;
      std::vector<Xapian::Query> negatives;
      for (const auto& child : node.children) {
        if (child->kind == QueryNode::Kind::kNot) {
          Xapian::Query q = Build(*child->children[0], analyzer, !negated);
          if (!IsEmpty(q)) negatives.push_back(std::move(q));
        } else {
          Xapian::Query q = Build(*child, analyzer, negated);
          if (!IsEmpty(q)) positives.push_back(std::move(q));
        }
      }
      Xapian::Query negated;
      if (negatives.size() == 1) {
        negated = negatives[0];
      } else if (!negatives.empty()) {
        negated = Xapian::Query(Xapian::Query::OP_OR, negatives.begin(), negatives.end());
      }
      if (positives.empty()) return negatives.empty() ? Xapian::Query() : AllExcept(negated);
      Xapian::Query positive = positives.size() == 1
                                   ? positives[0]
                                   : Xapian::Query(Xapian::Query::OP_AND, positives.begin(),
                                                   positives.end());
      if (IsEmpty(negated)) return positive;
      return Xapian::Query(Xapian::Query::OP_AND_NOT, positive, negated);
    }
  }
  return Xapian::Query();
}

}  // namespace

Xapian::Query ParsedQuery::ConjunctQuery(const Conjunct& conjunct,
                                         const analysis::Analyzer& analyzer) {
  return Build(*conjunct.node, analyzer, conjunct.role == Conjunct::Role::kNegated);
}

std::vector<QueryAtom> ParsedQuery::RequiredPhrases() const {
  std::vector<QueryAtom> atoms;
  if (root_ == nullptr) return atoms;
  const auto add = [&atoms](const QueryNode& node) {
    if (IsWholePhrase(node)) atoms.push_back({node.text, node.phrase, node.field});
  };
  add(*root_);
  if (root_->kind == QueryNode::Kind::kAnd) {
    for (const auto& child : root_->children) add(*child);
  }
  return atoms;
}

Xapian::Query ParsedQuery::ToXapianQuery(const analysis::Analyzer& analyzer) const {
  if (root_ == nullptr) return Xapian::Query::MatchAll;
  Xapian::Query q = Build(*root_, analyzer, false);
  // Only atoms without indexable terms: nothing constrains the match.
  if (q.empty()) return Xapian::Query::MatchAll;
  return q;
}

}  // namespace newsearch::search
