// Parsing proper: tokens (query_lexer.h) into the syntax tree by the
// grammar in query_parser.h, and what ParsedQuery tells about the tree
// (Describe, PositiveAtoms, DateFilters, Conjuncts). Building the Xapian
// query is in query_xapian.cc.
#include "search-service/query/query_parser.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "search-service/query/query_dates.h"
#include "search-service/query/query_fields.h"
#include "search-service/query/query_lexer.h"
#include "search-service/query/utf8.h"

namespace newsearch::search {
namespace {

using query_internal::DescribeDate;
using query_internal::FieldName;
using query_internal::Lex;
using query_internal::NormalizeChars;
using query_internal::SyntaxError;
using query_internal::Token;
using query_internal::TokenName;

// Deeper nesting (parentheses or NOT chains) is rejected rather than risking
// the stack on hostile input.
constexpr int kMaxDepth = 64;

std::unique_ptr<QueryNode> MakeNode(QueryNode::Kind kind,
                                    std::vector<std::unique_ptr<QueryNode>> children) {
  if (children.size() == 1 && kind != QueryNode::Kind::kNot) return std::move(children[0]);
  auto node = std::make_unique<QueryNode>();
  node->kind = kind;
  for (auto& child : children) {
    // (a AND b) AND c is a AND b AND c: keep the tree flat.
    if (child->kind == kind && kind != QueryNode::Kind::kNot) {
      for (auto& grandchild : child->children) node->children.push_back(std::move(grandchild));
    } else {
      node->children.push_back(std::move(child));
    }
  }
  return node;
}

// `+word` and operands of a written `AND` must match even when a search is
// relaxed. Groups and phrases are never relaxed anyway.
void MarkStrict(QueryNode* node) {
  if (node->kind == QueryNode::Kind::kAtom) node->strict = true;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  absl::StatusOr<std::unique_ptr<QueryNode>> ParseAll() {
    if (Peek().kind == Token::Kind::kEnd) return nullptr;
    NEWSEARCH_ASSIGN_OR_RETURN(auto root, ParseOr(QueryField::kAny, 0));
    const Token& t = Peek();
    if (t.kind == Token::Kind::kRParen) return SyntaxError("unmatched ')'", t.offset);
    if (t.kind != Token::Kind::kEnd) {
      return SyntaxError(absl::StrCat("unexpected ", TokenName(t)), t.offset);
    }
    return root;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_++]; }

  static bool StartsUnary(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kTerm:
      case Token::Kind::kPhrase:
      case Token::Kind::kLParen:
      case Token::Kind::kNot:
      case Token::Kind::kMinus:
      case Token::Kind::kPlus:
      case Token::Kind::kField:
        return true;
      default:
        return false;
    }
  }

  absl::Status ExpectOperand(const Token& op, absl::string_view what) const {
    if (StartsUnary(Peek())) return absl::OkStatus();
    return SyntaxError(absl::StrCat(TokenName(op), " ", what, " (found ", TokenName(Peek()), ")"),
                       op.offset);
  }

  absl::StatusOr<std::unique_ptr<QueryNode>> ParseOr(QueryField field, int depth) {
    std::vector<std::unique_ptr<QueryNode>> children;
    NEWSEARCH_ASSIGN_OR_RETURN(auto first, ParseAnd(field, depth));
    children.push_back(std::move(first));
    while (Peek().kind == Token::Kind::kOr) {
      const Token& op = Next();
      NEWSEARCH_RETURN_IF_ERROR(ExpectOperand(op, "has nothing on its right"));
      NEWSEARCH_ASSIGN_OR_RETURN(auto next, ParseAnd(field, depth));
      children.push_back(std::move(next));
    }
    return MakeNode(QueryNode::Kind::kOr, std::move(children));
  }

  absl::StatusOr<std::unique_ptr<QueryNode>> ParseAnd(QueryField field, int depth) {
    std::vector<std::unique_ptr<QueryNode>> children;
    NEWSEARCH_ASSIGN_OR_RETURN(auto first, ParseUnary(field, depth));
    children.push_back(std::move(first));
    while (true) {
      bool written_and = false;
      if (Peek().kind == Token::Kind::kAnd) {
        const Token& op = Next();
        NEWSEARCH_RETURN_IF_ERROR(ExpectOperand(op, "has nothing on its right"));
        written_and = true;
      } else if (!StartsUnary(Peek())) {
        break;
      }
      NEWSEARCH_ASSIGN_OR_RETURN(auto next, ParseUnary(field, depth));
      // `AND` written out keeps both sides strict (never relaxed).
      if (written_and) {
        MarkStrict(children.back().get());
        MarkStrict(next.get());
      }
      children.push_back(std::move(next));
    }
    return MakeNode(QueryNode::Kind::kAnd, std::move(children));
  }

  absl::StatusOr<std::unique_ptr<QueryNode>> ParseUnary(QueryField field, int depth) {
    if (depth > kMaxDepth) {
      return SyntaxError(absl::StrCat("query nested deeper than ", kMaxDepth, " levels"),
                         Peek().offset);
    }
    const Token& t = Peek();
    switch (t.kind) {
      case Token::Kind::kNot:
      case Token::Kind::kMinus: {
        const Token& op = Next();
        NEWSEARCH_RETURN_IF_ERROR(ExpectOperand(op, "has nothing to negate"));
        NEWSEARCH_ASSIGN_OR_RETURN(auto child, ParseUnary(field, depth + 1));
        std::vector<std::unique_ptr<QueryNode>> children;
        children.push_back(std::move(child));
        return MakeNode(QueryNode::Kind::kNot, std::move(children));
      }
      case Token::Kind::kPlus: {
        const Token& op = Next();
        NEWSEARCH_RETURN_IF_ERROR(ExpectOperand(op, "has no term after it"));
        NEWSEARCH_ASSIGN_OR_RETURN(auto child, ParseUnary(field, depth + 1));
        MarkStrict(child.get());
        return child;
      }
      case Token::Kind::kField: {
        const Token& op = Next();
        NEWSEARCH_RETURN_IF_ERROR(ExpectOperand(op, "has nothing to apply to"));
        NEWSEARCH_ASSIGN_OR_RETURN(auto child, ParseUnary(op.field, depth + 1));
        if (op.field_word && child->kind == QueryNode::Kind::kAtom) child->field_word = op.text;
        return child;
      }
      case Token::Kind::kTerm:
      case Token::Kind::kPhrase: {
        Next();
        auto atom = std::make_unique<QueryNode>();
        atom->kind = QueryNode::Kind::kAtom;
        atom->text = t.text;
        if (t.is_date && field == QueryField::kAny) {
          atom->kind = QueryNode::Kind::kDate;
          atom->has_first = t.date.has_first;
          atom->has_last = t.date.has_last;
          atom->first = t.date.first;
          atom->last = t.date.last;
          atom->offset = t.offset;
          return atom;
        }
        atom->phrase = t.kind == Token::Kind::kPhrase || t.mixed;
        atom->strict = t.kind == Token::Kind::kPhrase;
        atom->field = field;
        atom->offset = t.offset;
        return atom;
      }
      case Token::Kind::kLParen: {
        const Token& open = Next();
        if (Peek().kind == Token::Kind::kRParen) {
          return SyntaxError("empty parentheses", open.offset);
        }
        if (Peek().kind == Token::Kind::kEnd) return SyntaxError("unclosed '('", open.offset);
        NEWSEARCH_ASSIGN_OR_RETURN(auto inner, ParseOr(field, depth + 1));
        if (Peek().kind != Token::Kind::kRParen) {
          if (Peek().kind == Token::Kind::kEnd) return SyntaxError("unclosed '('", open.offset);
          return SyntaxError(absl::StrCat("unexpected ", TokenName(Peek())), Peek().offset);
        }
        Next();
        return inner;
      }
      case Token::Kind::kRParen:
        return SyntaxError("unmatched ')'", t.offset);
      case Token::Kind::kAnd:
      case Token::Kind::kOr:
        return SyntaxError(absl::StrCat(TokenName(t), " has nothing on its left"), t.offset);
      case Token::Kind::kEnd:
        break;
    }
    return SyntaxError("unexpected end of query", t.offset);
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

void Describe(const QueryNode& node, std::string* out) {
  switch (node.kind) {
    case QueryNode::Kind::kDate:
      absl::StrAppend(out, DescribeDate(node));
      return;
    case QueryNode::Kind::kAtom:
      if (node.strict && !node.phrase) out->push_back('+');
      absl::StrAppend(out, FieldName(node.field));
      if (node.phrase) {
        absl::StrAppend(out, "\"", node.text, "\"");
      } else {
        absl::StrAppend(out, node.text);
      }
      return;
    case QueryNode::Kind::kAnd:
      absl::StrAppend(out, "(AND");
      break;
    case QueryNode::Kind::kOr:
      absl::StrAppend(out, "(OR");
      break;
    case QueryNode::Kind::kNot:
      absl::StrAppend(out, "(NOT");
      break;
  }
  for (const auto& child : node.children) {
    out->push_back(' ');
    Describe(*child, out);
  }
  out->push_back(')');
}

void CollectDates(const QueryNode& node, bool negated, std::vector<std::string>* out) {
  if (node.kind == QueryNode::Kind::kDate) {
    out->push_back(absl::StrCat(negated ? "NOT " : "", DescribeDate(node)));
    return;
  }
  const bool child_negated = node.kind == QueryNode::Kind::kNot ? !negated : negated;
  for (const auto& child : node.children) CollectDates(*child, child_negated, out);
}

void CollectAtoms(const QueryNode& node, bool negated, std::vector<QueryAtom>* out) {
  if (node.kind == QueryNode::Kind::kDate) return;
  if (node.kind == QueryNode::Kind::kAtom) {
    if (!negated) out->push_back({node.text, node.phrase, node.field});
    return;
  }
  const bool child_negated = node.kind == QueryNode::Kind::kNot ? !negated : negated;
  for (const auto& child : node.children) CollectAtoms(*child, child_negated, out);
}

}  // namespace

std::string ParsedQuery::Describe() const {
  if (root_ == nullptr) return "(match all)";
  std::string out;
  search::Describe(*root_, &out);
  return out;
}

std::vector<std::string> ParsedQuery::DateFilters() const {
  std::vector<std::string> dates;
  if (root_ != nullptr) CollectDates(*root_, false, &dates);
  return dates;
}

std::vector<QueryAtom> ParsedQuery::PositiveAtoms() const {
  std::vector<QueryAtom> atoms;
  if (root_ != nullptr) CollectAtoms(*root_, false, &atoms);
  return atoms;
}

std::vector<Conjunct> ParsedQuery::Conjuncts() const {
  std::vector<Conjunct> out;
  if (root_ == nullptr) return out;
  std::vector<const QueryNode*> operands;
  if (root_->kind == QueryNode::Kind::kAnd) {
    for (const auto& child : root_->children) operands.push_back(child.get());
  } else {
    operands.push_back(root_.get());
  }
  for (const QueryNode* node : operands) {
    Conjunct c;
    c.node = node;
    if (node->kind == QueryNode::Kind::kNot) {
      c.role = Conjunct::Role::kNegated;
      c.node = node->children[0].get();
    } else if (node->kind == QueryNode::Kind::kDate) {
      c.role = Conjunct::Role::kDate;
    } else if (node->kind == QueryNode::Kind::kAtom && node->field != QueryField::kAny) {
      c.role = Conjunct::Role::kField;
      c.field = node->field;
      c.field_word = node->field_word;
    } else if (node->kind == QueryNode::Kind::kAtom && !node->strict) {
      c.role = Conjunct::Role::kOptional;
    }
    // A word as typed; anything else (field, date, group, phrase) as
    // Describe() writes it.
    if (c.node->kind == QueryNode::Kind::kAtom && c.node->field == QueryField::kAny &&
        !c.node->strict) {
      c.text = c.node->text;
    } else {
      search::Describe(*c.node, &c.text);
      if (absl::StartsWith(c.text, "+")) c.text.erase(0, 1);
    }
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<ParsedQuery> ParseQuery(absl::string_view query) {
  NEWSEARCH_RETURN_IF_ERROR(ValidateUtf8(query, "query"));
  auto tokens = Lex(NormalizeChars(query));
  if (!tokens.ok()) return tokens.status();
  Parser parser(std::move(tokens).value());
  auto root = parser.ParseAll();
  if (!root.ok()) return root.status();
  return ParsedQuery(std::move(root).value());
}

absl::Status ValidateUtf8(absl::string_view text, absl::string_view what) {
  const int64_t bad = FindInvalidUtf8(text);
  if (bad < 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " is not valid UTF-8 at byte ", bad));
}

int CountCodePoints(absl::string_view text) {
  int n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace newsearch::search
