#include "search-service/query/query_parser.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unistr.h>

#include <utility>
#include <xapian.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/analysis/analyzer.h"
#include "common/base/status_macros.h"
#include "search-service/query/numbers.h"
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

// A parsed date expression: the inclusive day range it covers.
struct DateRange {
  bool has_first = false;
  bool has_last = false;
  absl::CivilDay first;
  absl::CivilDay last;
};

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

// Reads 1..max_digits ASCII digits at *pos.
bool ReadNumber(absl::string_view s, size_t* pos, size_t max_digits, int* out) {
  size_t n = 0;
  int value = 0;
  while (*pos + n < s.size() && n < max_digits && absl::ascii_isdigit(s[*pos + n])) {
    value = value * 10 + (s[*pos + n] - '0');
    ++n;
  }
  if (n == 0 || (*pos + n < s.size() && absl::ascii_isdigit(s[*pos + n]))) return false;
  *pos += n;
  *out = value;
  return true;
}

bool Consume(absl::string_view s, size_t* pos, absl::string_view what) {
  if (s.substr(*pos, what.size()) != what) return false;
  *pos += what.size();
  return true;
}

enum class DateParse { kNotDate, kDate, kBadDate };

// Parses one date point: `2018年[4月[23日]]` or `2018-04-23`/`2018/4/23`;
// as the end of a range also `2018` and `2018-04`/`2018/4`. `[first, last]` is the day range it
// names. kBadDate (with *error) when it has a date's shape but no such day.
DateParse ParseDatePoint(absl::string_view s, bool range_end, absl::CivilDay* first,
                         absl::CivilDay* last, std::string* error) {
  size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  if (s.size() < 4 || !ReadNumber(s, &pos, 4, &year) || pos != 4) return DateParse::kNotDate;
  int parts = 1;
  if (Consume(s, &pos, "年")) {
    if (ReadNumber(s, &pos, 2, &month)) {
      if (!Consume(s, &pos, "月")) return DateParse::kNotDate;
      parts = 2;
      if (ReadNumber(s, &pos, 2, &day)) {
        if (!Consume(s, &pos, "日") && !Consume(s, &pos, "号")) return DateParse::kNotDate;
        parts = 3;
      }
    }
  } else if (pos < s.size() && (s[pos] == '-' || s[pos] == '/')) {
    const char sep = s[pos++];
    if (!ReadNumber(s, &pos, 2, &month)) return DateParse::kNotDate;
    parts = 2;
    if (pos < s.size() && s[pos] == sep) {
      ++pos;
      if (!ReadNumber(s, &pos, 2, &day)) return DateParse::kNotDate;
      parts = 3;
    }
    // `2018-04` alone is too often something else (a model or a season).
    if (parts == 2 && !range_end) return DateParse::kNotDate;
  } else if (!range_end) {
    return DateParse::kNotDate;  // a bare number is text
  }
  if (pos != s.size()) return DateParse::kNotDate;
  if (year < 1 || (parts >= 2 && (month < 1 || month > 12))) {
    *error = absl::StrCat("'", s, "' is not a valid date (month must be 1 to 12)");
    return DateParse::kBadDate;
  }
  if (parts == 1) {
    *first = absl::CivilDay(year, 1, 1);
    *last = absl::CivilDay(year, 12, 31);
  } else if (parts == 2) {
    *first = absl::CivilDay(year, month, 1);
    *last = absl::CivilDay(absl::CivilMonth(year, month) + 1) - 1;
  } else {
    *first = absl::CivilDay(year, month, day);
    if (day < 1 || first->day() != day) {
      *error = absl::StrCat("'", s, "' is not a valid date (", year, "-", month, " has no day ",
                            day, ")");
      return DateParse::kBadDate;
    }
    *last = *first;
  }
  return DateParse::kDate;
}

// Parses a whole term as a date expression: a point or FROM..TO with either
// end open.
DateParse ParseDateExpression(absl::string_view text, DateRange* range, std::string* error) {
  const size_t dots = text.find("..");
  if (dots == absl::string_view::npos) {
    const DateParse p = ParseDatePoint(text, false, &range->first, &range->last, error);
    range->has_first = range->has_last = p == DateParse::kDate;
    return p;
  }
  const absl::string_view from = text.substr(0, dots);
  const absl::string_view to = text.substr(dots + 2);
  if (from.empty() && to.empty()) return DateParse::kNotDate;
  absl::CivilDay unused;
  DateParse from_parse = DateParse::kDate;
  DateParse to_parse = DateParse::kDate;
  if (!from.empty()) from_parse = ParseDatePoint(from, true, &range->first, &unused, error);
  if (from_parse == DateParse::kBadDate) return from_parse;
  if (!to.empty()) to_parse = ParseDatePoint(to, true, &unused, &range->last, error);
  if (to_parse == DateParse::kBadDate) return to_parse;
  if (from_parse == DateParse::kNotDate && to_parse == DateParse::kNotDate) {
    return DateParse::kNotDate;  // `a..b` is text
  }
  if (from_parse == DateParse::kNotDate || to_parse == DateParse::kNotDate) {
    *error = absl::StrCat("date range '", text, "' has an end that is not a date (use forms like ",
                          "2018-01-01, 2018-04, 2018, 2018年4月)");
    return DateParse::kBadDate;
  }
  range->has_first = !from.empty();
  range->has_last = !to.empty();
  if (range->has_first && range->has_last && range->first > range->last) {
    *error = absl::StrCat("date range '", text, "' ends before it starts");
    return DateParse::kBadDate;
  }
  return DateParse::kDate;
}

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string DescribeDate(const QueryNode& node) {
  return absl::StrCat("date:[", node.has_first ? FormatDay(node.first) : "", "..",
                      node.has_last ? FormatDay(node.last) : "", "]");
}

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

// Field names, for the `name:` prefix and for field words typed before a
// value (`来源 新华社`): both scripts and English; an editor's or reporter's
// byline is stored among the authors.
bool ParseField(const std::string& name, QueryField* field) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "title" || name == "标题" || name == "標題") {
    *field = QueryField::kTitle;
  } else if (lower == "source" || name == "来源" || name == "來源" || name == "出处" ||
             name == "出處") {
    *field = QueryField::kSource;
  } else if (lower == "author" || lower == "editor" || lower == "reporter" || name == "作者" ||
             name == "编辑" || name == "編輯" || name == "记者" || name == "記者") {
    *field = QueryField::kAuthor;
  } else {
    return false;
  }
  return true;
}

bool IsLatinWord(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A term that is a field name (`来源`, `作者`, `source`, …) followed by a
// term or phrase becomes a field word: a kField token applying to that
// value. Not when it stands alone, before an operator or a parenthesis, or
// right after a Latin word (`open source 软件` keeps `source` as text).
void MarkFieldWords(std::vector<Token>* tokens) {
  for (size_t i = 0; i + 1 < tokens->size(); ++i) {
    Token& t = (*tokens)[i];
    const Token& next = (*tokens)[i + 1];
    if (t.kind != Token::Kind::kTerm || t.mixed) continue;
    if (next.kind != Token::Kind::kTerm && next.kind != Token::Kind::kPhrase) continue;
    if (i > 0 && (*tokens)[i - 1].kind == Token::Kind::kTerm &&
        IsLatinWord((*tokens)[i - 1].text)) {
      continue;
    }
    QueryField field;
    if (!ParseField(t.text, &field)) continue;
    t.kind = Token::Kind::kField;
    t.field = field;
    t.field_word = true;
  }
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
      DateRange date;
      std::string date_error;
      const DateParse date_parse = ParseDateExpression(text, &date, &date_error);
      if (date_parse == DateParse::kBadDate) return SyntaxError(date_error, offset);
      bool mixed = false;
      const bool searchable = HasSearchableText(chars, i, j, &mixed);
      if (date_parse == DateParse::kDate || searchable) {
        Token t{Token::Kind::kTerm, offset, std::move(text)};
        t.mixed = mixed;
        t.is_date = date_parse == DateParse::kDate;
        t.date = date;
        tokens.push_back(std::move(t));
      }
    }
    i = j;
  }
  tokens.push_back({Token::Kind::kEnd, static_cast<int>(n), ""});
  MarkFieldWords(&tokens);
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

bool IsEmpty(const Xapian::Query& q) { return q.empty(); }

Xapian::Query Build(const QueryNode& node, const analysis::Analyzer& analyzer, bool negated);

// Every document except those matching `negated` (all when `negated` is
// empty).
Xapian::Query AllExcept(const Xapian::Query& negated) {
  if (IsEmpty(negated)) return Xapian::Query::MatchAll;
  return Xapian::Query(Xapian::Query::OP_AND_NOT, Xapian::Query::MatchAll, negated);
}

// The published-date filter of a date node: [first day 00:00, day after last
// 00:00) in China Standard Time, as whole seconds in the value slot.
Xapian::Query DateQuery(const QueryNode& node) {
  const auto bound = [](int64_t seconds) {
    return Xapian::sortable_serialise(static_cast<double>(seconds));
  };
  const int64_t lower = node.has_first ? schema::DayStartSeconds(node.first) : 0;
  const int64_t upper = node.has_last ? schema::DayStartSeconds(node.last + 1) - 1 : 0;
  if (node.has_first && node.has_last) {
    return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, schema::kPublishedSlot, bound(lower),
                         bound(upper));
  }
  if (node.has_first) {
    return Xapian::Query(Xapian::Query::OP_VALUE_GE, schema::kPublishedSlot, bound(lower));
  }
  return Xapian::Query(Xapian::Query::OP_VALUE_LE, schema::kPublishedSlot, bound(upper));
}

// The ways a date point is written in Chinese text: `2018年`, `2018年4月`,
// `2018年4月23日`; none for a range or an open end.
std::string DateText(const QueryNode& node) {
  if (!node.has_first || !node.has_last) return "";
  const absl::CivilDay f = node.first;
  const absl::CivilDay l = node.last;
  if (f == l) return absl::StrFormat("%d年%d月%d日", f.year(), f.month(), f.day());
  if (f.day() == 1 && absl::CivilMonth(f) == absl::CivilMonth(l) && l + 1 == absl::CivilDay(absl::CivilMonth(f) + 1)) {
    return absl::StrFormat("%d年%d月", f.year(), f.month());
  }
  if (f == absl::CivilDay(f.year(), 1, 1) && l == absl::CivilDay(f.year(), 12, 31)) {
    return absl::StrFormat("%d年", f.year());
  }
  return "";
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
  const std::vector<std::string> forms =
      node.phrase && node.strict ? std::vector<std::string>{node.text} : NumberForms(node.text);
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

Xapian::Query ParsedQuery::ConjunctQuery(const Conjunct& conjunct,
                                         const analysis::Analyzer& analyzer) {
  return Build(*conjunct.node, analyzer, conjunct.role == Conjunct::Role::kNegated);
}

Xapian::Query ParsedQuery::ToXapianQuery(const analysis::Analyzer& analyzer) const {
  if (root_ == nullptr) return Xapian::Query::MatchAll;
  Xapian::Query q = Build(*root_, analyzer, false);
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
