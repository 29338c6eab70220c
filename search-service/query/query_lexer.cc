#include "search-service/query/query_lexer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unistr.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "search-service/query/query_fields.h"
#include "search-service/query/utf8.h"

namespace newsearch::search::query_internal {
namespace {

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

std::string Quote(const std::string& s) { return absl::StrCat("'", s, "'"); }

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

}  // namespace

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

}  // namespace newsearch::search::query_internal
