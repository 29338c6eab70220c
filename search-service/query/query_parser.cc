#include "search-service/query/query_parser.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unistr.h>

#include <utility>
#include <xapian.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/analysis/analyzer.h"
#include "common/base/status_macros.h"
#include "search-service/query/utf8.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

// Deeper nesting (parentheses or NOT chains) is rejected rather than risking
// the stack on hostile input.
constexpr int kMaxDepth = 64;

// One code point of the query after per-character NFKC: `cp` is the folded
// character when NFKC maps it to exactly one code point (so `（` is `(`),
// else the original; `text` is the full NFKC expansion.
struct QueryChar {
  char32_t cp;
  std::string text;
};

bool IsSpace(char32_t cp) { return u_isUWhiteSpace(static_cast<UChar32>(cp)); }

bool IsHan(char32_t cp) {
  UErrorCode error = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(static_cast<UChar32>(cp), &error);
  if (U_FAILURE(error)) return false;
  return script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA ||
         script == USCRIPT_HANGUL;
}

bool IsAlnum(char32_t cp) { return u_isalnum(static_cast<UChar32>(cp)); }

// Returns the closing quote for an opening one, or 0.
char32_t ClosingQuote(char32_t cp) {
  switch (cp) {
    case U'"':
      return U'"';
    case U'\u201C':  // “
      return U'\u201D';
    case U'\u300C':  // 「
      return U'\u300D';
    case U'\u300E':  // 『
      return U'\u300F';
    default:
      return 0;
  }
}

bool EndsTerm(char32_t cp) {
  return IsSpace(cp) || cp == U'(' || cp == U')' || cp == U'|' || ClosingQuote(cp) != 0;
}

std::vector<QueryChar> NormalizeChars(absl::string_view query) {
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(error);
  std::vector<QueryChar> chars;
  for (char32_t cp : DecodeUtf8(query)) {
    QueryChar c{cp, ""};
    if (nfkc != nullptr && U_SUCCESS(error)) {
      UErrorCode e = U_ZERO_ERROR;
      icu::UnicodeString folded = nfkc->normalize(icu::UnicodeString(static_cast<UChar32>(cp)), e);
      if (U_SUCCESS(e)) {
        folded.toUTF8String(c.text);
        if (folded.countChar32() == 1) c.cp = static_cast<char32_t>(folded.char32At(0));
      }
    }
    if (c.text.empty()) AppendUtf8(cp, &c.text);
    chars.push_back(std::move(c));
  }
  return chars;
}

struct Token {
  enum class Kind { kTerm, kPhrase, kLParen, kRParen, kAnd, kOr, kNot, kMinus, kPlus, kField, kEnd };
  Kind kind;
  int offset;  // code point offset in the query
  std::string text;
  QueryField field = QueryField::kAny;
  bool mixed = false;  // kTerm: mixes Han and other letters/digits
};

std::string Quote(const std::string& s) { return absl::StrCat("'", s, "'"); }

std::string TokenName(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kAnd:
      return "AND";
    case Token::Kind::kOr:
      return t.text == "|" ? "'|'" : "OR";
    case Token::Kind::kNot:
      return "NOT";
    case Token::Kind::kMinus:
      return "'-'";
    case Token::Kind::kPlus:
      return "'+'";
    case Token::Kind::kField:
      return absl::StrCat("field prefix ", Quote(t.text));
    case Token::Kind::kLParen:
      return "'('";
    case Token::Kind::kRParen:
      return "')'";
    case Token::Kind::kEnd:
      return "end of query";
    default:
      return Quote(t.text);
  }
}

absl::Status SyntaxError(absl::string_view what, int offset) {
  return absl::InvalidArgumentError(
      absl::StrCat("query syntax error: ", what, " at character ", offset));
}

bool ParseField(const std::string& name, QueryField* field) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "title" || name == "标题") {
    *field = QueryField::kTitle;
  } else if (lower == "source" || name == "来源") {
    *field = QueryField::kSource;
  } else if (lower == "author" || name == "作者") {
    *field = QueryField::kAuthor;
  } else {
    return false;
  }
  return true;
}

// Returns whether [begin, end) has a letter, digit or Han character, and
// sets *mixed when it has both Han and non-Han letters/digits.
bool HasSearchableText(const std::vector<QueryChar>& chars, size_t begin, size_t end,
                       bool* mixed) {
  bool han = false;
  bool other = false;
  for (size_t i = begin; i < end; ++i) {
    for (char32_t cp : DecodeUtf8(chars[i].text)) {
      if (IsHan(cp)) {
        han = true;
      } else if (IsAlnum(cp)) {
        other = true;
      }
    }
  }
  *mixed = han && other;
  return han || other;
}

std::string Concat(const std::vector<QueryChar>& chars, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) out += chars[i].text;
  return out;
}

absl::StatusOr<std::vector<Token>> Lex(const std::vector<QueryChar>& chars) {
  std::vector<Token> tokens;
  const size_t n = chars.size();
  size_t i = 0;
  while (i < n) {
    const char32_t cp = chars[i].cp;
    const int offset = static_cast<int>(i);
    if (IsSpace(cp)) {
      ++i;
      continue;
    }
    if (cp == U'(') {
      tokens.push_back({Token::Kind::kLParen, offset, "("});
      ++i;
      continue;
    }
    if (cp == U')') {
      tokens.push_back({Token::Kind::kRParen, offset, ")"});
      ++i;
      continue;
    }
    if (cp == U'|') {
      tokens.push_back({Token::Kind::kOr, offset, "|"});
      ++i;
      continue;
    }
    if (const char32_t close = ClosingQuote(cp); close != 0) {
      size_t j = i + 1;
      while (j < n && chars[j].cp != close) ++j;
      if (j == n) {
        return SyntaxError(absl::StrCat("unclosed quote ", Quote(chars[i].text)), offset);
      }
      bool mixed = false;
      if (HasSearchableText(chars, i + 1, j, &mixed)) {
        tokens.push_back({Token::Kind::kPhrase, offset, Concat(chars, i + 1, j)});
      }
      i = j + 1;
      continue;
    }
    // `-`/`+` negate/require only at the start of a term that follows.
    if ((cp == U'-' || cp == U'+') && i + 1 < n && !IsSpace(chars[i + 1].cp) &&
        chars[i + 1].cp != U')' && chars[i + 1].cp != U'|') {
      tokens.push_back({cp == U'-' ? Token::Kind::kMinus : Token::Kind::kPlus, offset,
                        cp == U'-' ? "-" : "+"});
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && !EndsTerm(chars[j].cp)) ++j;
    // A known field prefix ends at its colon; the rest is lexed on its own.
    size_t colon = i;
    while (colon < j && chars[colon].cp != U':') ++colon;
    QueryField field;
    if (colon < j && colon > i && ParseField(Concat(chars, i, colon), &field)) {
      Token t{Token::Kind::kField, offset, Concat(chars, i, colon + 1)};
      t.field = field;
      tokens.push_back(std::move(t));
      i = colon + 1;
      continue;
    }
    std::string text = Concat(chars, i, j);
    if (text == "AND") {
      tokens.push_back({Token::Kind::kAnd, offset, text});
    } else if (text == "OR") {
      tokens.push_back({Token::Kind::kOr, offset, text});
    } else if (text == "NOT") {
      tokens.push_back({Token::Kind::kNot, offset, text});
    } else {
      bool mixed = false;
      if (HasSearchableText(chars, i, j, &mixed)) {
        Token t{Token::Kind::kTerm, offset, std::move(text)};
        t.mixed = mixed;
        tokens.push_back(std::move(t));
      }
    }
    i = j;
  }
  tokens.push_back({Token::Kind::kEnd, static_cast<int>(n), ""});
  return tokens;
}

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
      if (Peek().kind == Token::Kind::kAnd) {
        const Token& op = Next();
        NEWSEARCH_RETURN_IF_ERROR(ExpectOperand(op, "has nothing on its right"));
      } else if (!StartsUnary(Peek())) {
        break;
      }
      NEWSEARCH_ASSIGN_OR_RETURN(auto next, ParseUnary(field, depth));
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
        return ParseUnary(field, depth + 1);
      }
      case Token::Kind::kField: {
        const Token& op = Next();
        NEWSEARCH_RETURN_IF_ERROR(ExpectOperand(op, "has nothing to apply to"));
        return ParseUnary(op.field, depth + 1);
      }
      case Token::Kind::kTerm:
      case Token::Kind::kPhrase: {
        Next();
        auto atom = std::make_unique<QueryNode>();
        atom->kind = QueryNode::Kind::kAtom;
        atom->text = t.text;
        atom->phrase = t.kind == Token::Kind::kPhrase || t.mixed;
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

const char* FieldName(QueryField field) {
  switch (field) {
    case QueryField::kTitle:
      return "title:";
    case QueryField::kSource:
      return "source:";
    case QueryField::kAuthor:
      return "author:";
    case QueryField::kAny:
      break;
  }
  return "";
}

const char* FieldPrefix(QueryField field) {
  switch (field) {
    case QueryField::kTitle:
      return schema::kTitlePrefix;
    case QueryField::kSource:
      return schema::kSourcePrefix;
    case QueryField::kAuthor:
      return schema::kAuthorPrefix;
    case QueryField::kAny:
      break;
  }
  return "";
}

void Describe(const QueryNode& node, std::string* out) {
  switch (node.kind) {
    case QueryNode::Kind::kAtom:
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

void CollectAtoms(const QueryNode& node, bool negated, std::vector<QueryAtom>* out) {
  if (node.kind == QueryNode::Kind::kAtom) {
    if (!negated) out->push_back({node.text, node.phrase, node.field});
    return;
  }
  const bool child_negated = node.kind == QueryNode::Kind::kNot ? !negated : negated;
  for (const auto& child : node.children) CollectAtoms(*child, child_negated, out);
}

bool IsEmpty(const Xapian::Query& q) { return q.empty(); }

Xapian::Query Build(const QueryNode& node, const analysis::Analyzer& analyzer);

// Every document except those matching `negated` (all when `negated` is
// empty).
Xapian::Query AllExcept(const Xapian::Query& negated) {
  if (IsEmpty(negated)) return Xapian::Query::MatchAll;
  return Xapian::Query(Xapian::Query::OP_AND_NOT, Xapian::Query::MatchAll, negated);
}

Xapian::Query Build(const QueryNode& node, const analysis::Analyzer& analyzer) {
  switch (node.kind) {
    case QueryNode::Kind::kAtom:
      return analyzer.QueryForAtom(node.text, FieldPrefix(node.field), node.phrase);
    case QueryNode::Kind::kNot:
      return AllExcept(Build(*node.children[0], analyzer));
    case QueryNode::Kind::kOr: {
      std::vector<Xapian::Query> parts;
      for (const auto& child : node.children) {
        Xapian::Query q = Build(*child, analyzer);
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
          Xapian::Query q = Build(*child->children[0], analyzer);
          if (!IsEmpty(q)) negatives.push_back(std::move(q));
        } else {
          Xapian::Query q = Build(*child, analyzer);
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

std::string ParsedQuery::Describe() const {
  if (root_ == nullptr) return "(match all)";
  std::string out;
  search::Describe(*root_, &out);
  return out;
}

std::vector<QueryAtom> ParsedQuery::PositiveAtoms() const {
  std::vector<QueryAtom> atoms;
  if (root_ != nullptr) CollectAtoms(*root_, false, &atoms);
  return atoms;
}

Xapian::Query ParsedQuery::ToXapianQuery(const analysis::Analyzer& analyzer) const {
  if (root_ == nullptr) return Xapian::Query::MatchAll;
  Xapian::Query q = Build(*root_, analyzer);
  // Only atoms without indexable terms: nothing constrains the match.
  if (q.empty()) return Xapian::Query::MatchAll;
  return q;
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
