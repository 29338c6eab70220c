#include "search-service/query/numbers.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace newsearch::search {
namespace {

constexpr int kMaxPlainDigits = 9;
constexpr int kMaxUnitDigits = 6;
constexpr int kMaxDecimals = 4;

struct Multiplier {
  const char* text;  // as typed (UTF-8)
  int exponent;      // power of ten
};

// Longest first, so `千万` wins over `千`.
constexpr Multiplier kMultipliers[] = {
    {"千万", 7}, {"千萬", 7}, {"百万", 6}, {"百萬", 6}, {"万", 4}, {"萬", 4},
    {"亿", 8},   {"億", 8},   {"千", 3},   {"百", 2},
};

// A decimal number as significant digits times a power of ten:
// value = digits * 10^exponent, digits without leading or trailing zeros.
struct Decimal {
  std::string digits;
  int exponent = 0;
};

Decimal Normalize(std::string digits, int exponent) {
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return {"0", 0};
  digits.erase(0, first);
  while (digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  return {digits, exponent};
}

// Writes value / 10^unit_exponent in decimal, or "" when it is below 1, has
// more than max_integer integer digits or more than kMaxDecimals decimals.
std::string Render(const Decimal& value, int unit_exponent, int max_integer) {
  const int e = value.exponent - unit_exponent;
  std::string integer;
  std::string fraction;
  if (e >= 0) {
    integer = value.digits + std::string(static_cast<size_t>(e), '0');
  } else {
    const int decimals = -e;
    if (decimals > kMaxDecimals) return "";
    const int n = static_cast<int>(value.digits.size());
    if (n <= decimals) return "";  // below 1
    integer = value.digits.substr(0, static_cast<size_t>(n - decimals));
    fraction = value.digits.substr(static_cast<size_t>(n - decimals));
  }
  if (static_cast<int>(integer.size()) > max_integer) return "";
  return fraction.empty() ? integer : absl::StrCat(integer, ".", fraction);
}

std::string WithThousands(const std::string& number) {
  const size_t dot = number.find('.');
  const std::string integer = number.substr(0, dot);
  std::string out;
  for (size_t i = 0; i < integer.size(); ++i) {
    if (i > 0 && (integer.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(integer[i]);
  }
  if (dot != std::string::npos) out += number.substr(dot);
  return out;
}

bool IsAsciiLetter(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }

}  // namespace

std::vector<std::string> NumberForms(absl::string_view atom) {
  std::vector<std::string> forms = {std::string(atom)};
  // The first run of digits not glued to a Latin letter.
  size_t begin = 0;
  while (true) {
    while (begin < atom.size() && !IsDigit(atom[begin])) ++begin;
    if (begin == atom.size()) return forms;
    size_t end = begin;
    while (end < atom.size() &&
           (IsDigit(atom[end]) ||
            ((atom[end] == ',' || atom[end] == '.') && end + 1 < atom.size() &&
             IsDigit(atom[end + 1])))) {
      ++end;
    }
    const bool glued = (begin > 0 && (IsAsciiLetter(atom[begin - 1]) || atom[begin - 1] == '.')) ||
                       (end < atom.size() && IsAsciiLetter(atom[end]));
    if (!glued) {
      // Parse: commas only as thousands separators, at most one dot.
      const absl::string_view number = atom.substr(begin, end - begin);
      std::string digits;
      int decimals = -1;
      bool valid = true;
      for (size_t i = 0; i < number.size(); ++i) {
        const char c = number[i];
        if (c == '.') {
          if (decimals >= 0) valid = false;
          decimals = 0;
        } else if (c == ',') {
          // A thousands comma is followed by exactly three digits.
          if (decimals >= 0 || i + 3 >= number.size() || !IsDigit(number[i + 1]) ||
              !IsDigit(number[i + 2]) || !IsDigit(number[i + 3]) ||
              (i + 4 < number.size() && IsDigit(number[i + 4]))) {
            valid = false;
          }
        } else {
          digits.push_back(c);
          if (decimals >= 0) ++decimals;
        }
      }
      if (valid) {
        int multiplier = 0;
        size_t after = end;
        for (const Multiplier& m : kMultipliers) {
          if (absl::StartsWith(atom.substr(end), m.text)) {
            multiplier = m.exponent;
            after = end + std::char_traits<char>::length(m.text);
            break;
          }
        }
        // `2亿5000万`: a compound amount is left as typed.
        if (after < atom.size() && IsDigit(atom[after])) return forms;
        const Decimal value =
            Normalize(digits, multiplier - std::max(decimals, 0));
        if (value.digits == "0") return forms;
        const std::string head(atom.substr(0, begin));
        const std::string tail(atom.substr(after));
        const auto add = [&](const std::string& number_text, absl::string_view unit) {
          if (number_text.empty()) return;
          std::string form = absl::StrCat(head, number_text, unit, tail);
          if (std::find(forms.begin(), forms.end(), form) == forms.end()) {
            forms.push_back(std::move(form));
          }
        };
        const std::string plain = Render(value, 0, kMaxPlainDigits);
        add(plain, "");
        if (plain.size() >= 5 && plain.find('.') == std::string::npos) {
          add(WithThousands(plain), "");
        }
        for (const auto& [unit, exponent] :
             {std::pair<const char*, int>{"万", 4}, std::pair<const char*, int>{"亿", 8}}) {
          const std::string n = Render(value, exponent, kMaxUnitDigits);
          add(n, unit);
          if (n.size() >= 4 && n.find('.') == std::string::npos) add(WithThousands(n), unit);
        }
        for (const auto& [unit, exponent] :
             {std::pair<const char*, int>{"千万", 7}, std::pair<const char*, int>{"百万", 6},
              std::pair<const char*, int>{"千", 3}}) {
          const std::string n = Render(value, exponent, 1);
          if (n.size() == 1) add(n, unit);
        }
        return forms;
      }
    }
    begin = end;
  }
}

}  // namespace newsearch::search
