#include "search-service/query/query_description.h"

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

// Undoes Xapian's description escaping (bytes outside printable ASCII, and
// the backslash, as \xHH). nullopt when `text` is not such a rendering.
std::optional<std::string> Unescape(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    int byte = 0;
    if (i + 3 >= text.size()) return std::nullopt;
    if (text[i + 1] != 'x' || !absl::SimpleHexAtoi(text.substr(i + 2, 2), &byte)) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(byte));
    i += 3;
  }
  return out;
}

// The date a published-slot bound encodes, or nullopt when `escaped` is not
// the rendering of a whole number of seconds.
std::optional<std::string> BoundAsDate(absl::string_view escaped) {
  const std::optional<std::string> bytes = Unescape(escaped);
  if (!bytes.has_value()) return std::nullopt;
  const double seconds = Xapian::sortable_unserialise(*bytes);
  if (Xapian::sortable_serialise(seconds) != *bytes || seconds != std::floor(seconds) ||
      std::fabs(seconds) > 1e12) {
    return std::nullopt;
  }
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez",
                          absl::FromUnixSeconds(static_cast<int64_t>(seconds)),
                          absl::FixedTimeZone(8 * 60 * 60));
}

// The readable form of one value-range leaf's description (without
// "Query(...)"), or nullopt to keep it as it is.
std::optional<std::string> ReadableLeaf(absl::string_view leaf) {
  for (const absl::string_view op : {"VALUE_GE", "VALUE_LE"}) {
    const std::string head = absl::StrCat(op, " ", schema::kPublishedSlot, " ");
    if (!absl::ConsumePrefix(&leaf, head)) continue;
    std::optional<std::string> date = BoundAsDate(leaf);
    if (!date.has_value()) return std::nullopt;
    return absl::StrCat(head, *date);
  }
  const std::string head = absl::StrCat("VALUE_RANGE ", schema::kPublishedSlot, " ");
  if (!absl::ConsumePrefix(&leaf, head)) return std::nullopt;
  // A serialised bound may itself hold a space: try every split.
  for (size_t space = leaf.find(' '); space != absl::string_view::npos;
       space = leaf.find(' ', space + 1)) {
    std::optional<std::string> begin = BoundAsDate(leaf.substr(0, space));
    std::optional<std::string> end = BoundAsDate(leaf.substr(space + 1));
    if (begin.has_value() && end.has_value()) return absl::StrCat(head, *begin, " ", *end);
  }
  return std::nullopt;
}

void CollectValueRanges(const Xapian::Query& query,
                        std::vector<std::pair<std::string, std::string>>* replacements) {
  const Xapian::Query::op type = query.get_type();
  if (type == Xapian::Query::OP_VALUE_RANGE || type == Xapian::Query::OP_VALUE_GE ||
      type == Xapian::Query::OP_VALUE_LE) {
    std::string leaf = query.get_description();  // "Query(<leaf>)"
    absl::string_view inner(leaf);
    if (!absl::ConsumePrefix(&inner, "Query(") || !absl::ConsumeSuffix(&inner, ")")) return;
    if (std::optional<std::string> readable = ReadableLeaf(inner)) {
      replacements->emplace_back(std::string(inner), std::move(*readable));
    }
    return;
  }
  for (size_t i = 0; i < query.get_num_subqueries(); ++i) {
    CollectValueRanges(query.get_subquery(i), replacements);
  }
}

}  // namespace

std::string ReadableQueryDescription(const Xapian::Query& query) {
  std::vector<std::pair<std::string, std::string>> replacements;
  CollectValueRanges(query, &replacements);
  return absl::StrReplaceAll(query.get_description(), replacements);
}

}  // namespace newsearch::search
