#include "search-service/query/snippet.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "common/analysis/analyzer.h"
#include "search-service/query/utf8.h"

namespace newsearch::search {
namespace {

constexpr char32_t kEllipsis = U'\u2026';
// Window choice is quadratic in the number of matches; a long article full of
// one common character does not need more than this to find a good window.
constexpr size_t kMaxMatchesConsidered = 512;

bool IsSpace(char32_t cp) { return u_isUWhiteSpace(static_cast<UChar32>(cp)); }

}  // namespace

SnippetBuilder::SnippetBuilder(const analysis::Analyzer& analyzer,
                               const std::vector<QueryAtom>& atoms, int max_chars)
    : analyzer_(analyzer), max_chars_(std::max(1, max_chars)) {
  for (size_t a = 0; a < atoms.size(); ++a) {
    const QueryAtom& atom = atoms[a];
    if (atom.field == QueryField::kSource || atom.field == QueryField::kAuthor) continue;
    const std::vector<analysis::Token> tokens = analyzer_.Tokenize(analyzer_.Fold(atom.text));
    if (tokens.empty()) continue;
    const int atom_index = static_cast<int>(a);
    if (atom.phrase) {
      Needle needle;
      needle.atom = atom_index;
      for (const analysis::Token& t : tokens) {
        needle.tokens.push_back(t.text);
        needle.must_join.push_back(t.joins_next);
      }
      needles_.push_back(std::move(needle));
      continue;
    }
    // Unquoted: each word and each Han run on its own, as QueryForAtom ANDs
    // them.
    size_t i = 0;
    while (i < tokens.size()) {
      size_t j = i;
      if (tokens[i].kind == analysis::Token::Kind::kHan) {
        while (j + 1 < tokens.size() && tokens[j].joins_next) ++j;
      }
      Needle whole;
      whole.atom = atom_index;
      for (size_t k = i; k <= j; ++k) {
        whole.tokens.push_back(tokens[k].text);
        whole.must_join.push_back(k < j);
      }
      needles_.push_back(std::move(whole));
      if (j - i + 1 > 2) {
        for (size_t k = i; k < j; ++k) {
          Needle bigram;
          bigram.atom = atom_index;
          bigram.whole = false;
          bigram.tokens = {tokens[k].text, tokens[k + 1].text};
          bigram.must_join = {true, false};
          needles_.push_back(std::move(bigram));
        }
      }
      i = j + 1;
    }
  }
  for (const Needle& needle : needles_) {
    const std::vector<char32_t> first = DecodeUtf8(needle.tokens[0]);
    if (!first.empty() &&
        std::find(needle_starts_.begin(), needle_starts_.end(), first[0]) == needle_starts_.end()) {
      needle_starts_.push_back(first[0]);
    }
    int chars = 0;
    for (const std::string& token : needle.tokens) chars += static_cast<int>(DecodeUtf8(token).size());
    longest_needle_chars_ = std::max(longest_needle_chars_, chars);
  }
}

void SnippetBuilder::MatchRange(absl::string_view text, int offset, int original_size,
                                std::vector<Match>* matches) const {
  const analysis::FoldedText folded = analyzer_.FoldWithOffsets(text);
  const std::vector<analysis::Token> tokens = analyzer_.Tokenize(folded.text);
  // Start positions of each needle's first token, in text order. Only the
  // needles' first tokens are keyed: indexing every token of a long body
  // (one string key per distinct token) cost more than the match itself.
  std::unordered_map<std::string, std::vector<size_t>> by_text;
  for (const Needle& needle : needles_) by_text.emplace(needle.tokens[0], std::vector<size_t>());
  for (size_t i = 0; i < tokens.size(); ++i) {
    auto it = by_text.find(tokens[i].text);
    if (it != by_text.end()) it->second.push_back(i);
  }

  const int source_size = static_cast<int>(folded.source.size());
  // Maps a folded code point range to the original one; the clamps only
  // guard against an analyzer bug, the map is total by contract.
  auto to_original = [&](int begin, int end, Match* m) {
    begin = std::clamp(begin, 0, source_size - 1);
    end = std::clamp(end, begin + 1, source_size);
    m->begin = std::clamp(offset + static_cast<int>(folded.source[begin]), 0, original_size);
    m->end = std::clamp(offset + static_cast<int>(folded.source[end - 1]) + 1, m->begin,
                        original_size);
  };

  for (const Needle& needle : needles_) {
    auto it = by_text.find(needle.tokens[0]);
    if (it == by_text.end() || it->second.empty()) continue;
    const size_t length = needle.tokens.size();
    for (size_t start : it->second) {
      if (start + length > tokens.size()) continue;
      bool ok = true;
      for (size_t k = 0; k < length && ok; ++k) {
        const analysis::Token& t = tokens[start + k];
        ok = t.text == needle.tokens[k] &&
             (k + 1 == length || !needle.must_join[k] || t.joins_next);
      }
      if (!ok) continue;
      Match m{0, 0, needle.atom, needle.whole};
      to_original(tokens[start].begin, tokens[start + length - 1].end, &m);
      if (m.begin < m.end) matches->push_back(m);
    }
  }
}

std::vector<std::pair<int, int>> SnippetBuilder::ScreenRanges(
    const std::vector<char32_t>& original) const {
  const int total = static_cast<int>(original.size());
  // Context kept on each side of a candidate: the longest needle plus room
  // for OpenCC's longest phrases, so a match folds as in the whole text. The
  // excerpt window itself is cut from the original, not from these ranges.
  const int margin = longest_needle_chars_ + 16;
  std::vector<std::pair<int, int>> ranges;
  if (total < 256 || needle_starts_.empty()) return ranges;
  auto is_start = [this](char32_t c) {
    return std::find(needle_starts_.begin(), needle_starts_.end(), c) != needle_starts_.end();
  };
  int covered = 0;
  for (int i = 0; i < total; ++i) {
    // The character itself too: phrase-level conversion can keep what the
    // character alone would change (`乾隆` stays, `乾` alone does not).
    if (!is_start(original[i]) && !is_start(analyzer_.FoldCodePoint(original[i]))) continue;
    const int begin = std::max(0, i - margin);
    const int end = std::min(total, i + margin);
    if (!ranges.empty() && begin <= ranges.back().second) {
      covered += end - ranges.back().second;
      ranges.back().second = end;
    } else {
      covered += end - begin;
      ranges.emplace_back(begin, end);
    }
    if (covered > total / 2) return {};
  }
  if (ranges.empty()) ranges.emplace_back(0, 0);  // nothing can match
  return ranges;
}

std::vector<SnippetBuilder::Match> SnippetBuilder::FindMatches(
    absl::string_view text, std::vector<char32_t>* original) const {
  *original = DecodeUtf8(text);
  std::vector<Match> matches;
  if (needles_.empty() || text.empty()) return matches;
  const int original_size = static_cast<int>(original->size());
  // Folding (OpenCC) is most of a query's cost: in a long text fold only the
  // ranges around characters that can start a match.
  const std::vector<std::pair<int, int>> ranges = ScreenRanges(*original);
  if (ranges.empty()) {
    MatchRange(text, 0, original_size, &matches);
  } else {
    for (const auto& [begin, end] : ranges) {
      if (begin >= end) continue;
      MatchRange(EncodeUtf8(*original, begin, end), begin, original_size, &matches);
    }
  }

  // Prefer whole-run matches: an atom's bigrams count only where the whole
  // atom appears nowhere in this text.
  std::vector<bool> has_whole;
  for (const Match& m : matches) {
    if (m.atom >= static_cast<int>(has_whole.size())) has_whole.resize(m.atom + 1, false);
    if (m.whole) has_whole[m.atom] = true;
  }
  matches.erase(std::remove_if(matches.begin(), matches.end(),
                               [&](const Match& m) { return !m.whole && has_whole[m.atom]; }),
                matches.end());
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  return matches;
}

v1::Snippet SnippetBuilder::Excerpt(const std::vector<char32_t>& original,
                                    const std::vector<Match>& all_matches) const {
  const int total = static_cast<int>(original.size());
  const int n = max_chars_;
  const size_t considered = std::min(all_matches.size(), kMaxMatchesConsidered);

  // Window start: a little context before the anchoring match, then as many
  // distinct atoms as fit (whole matches count double), then most matches.
  int best_start = 0;
  int best_anchor = 0;
  if (considered > 0) {
    const int lead = n / 5;
    int best_score = -1;
    int best_count = -1;
    std::vector<int> atom_score;
    for (size_t i = 0; i < considered; ++i) {
      int start = std::max(0, all_matches[i].begin - lead);
      if (start + n > total) start = std::max(0, total - n);
      const int end = start + n;
      atom_score.assign(atom_score.size(), 0);
      int count = 0;
      for (size_t j = 0; j < considered; ++j) {
        const Match& m = all_matches[j];
        if (m.begin < start || m.end > end) continue;
        if (m.atom >= static_cast<int>(atom_score.size())) atom_score.resize(m.atom + 1, 0);
        atom_score[m.atom] = std::max(atom_score[m.atom], m.whole ? 2 : 1);
        ++count;
      }
      int score = 0;
      for (int s : atom_score) score += s;
      if (score > best_score || (score == best_score && count > best_count)) {
        best_score = score;
        best_count = count;
        best_start = start;
        best_anchor = all_matches[i].begin;
      }
    }
  }
  // Start at a paragraph boundary when one lies in the lead-in.
  for (int k = best_anchor - 1; k >= best_start; --k) {
    if (original[k] == U'\n') {
      best_start = k + 1;
      break;
    }
  }
  int start = best_start;
  int end = std::min(total, start + n);
  while (start < end && IsSpace(original[start])) ++start;
  while (end > start && IsSpace(original[end - 1])) --end;
  bool more_after = false;
  for (int k = end; k < total && !more_after; ++k) more_after = !IsSpace(original[k]);
  bool more_before = false;
  for (int k = 0; k < start && !more_before; ++k) more_before = !IsSpace(original[k]);

  // Output code points, with where each original code point begins / ends.
  std::vector<char32_t> out;
  if (more_before) out.push_back(kEllipsis);
  std::vector<int> out_begin(end - start + 1, 0);
  std::vector<int> out_end(end - start + 1, 0);
  for (int k = start; k < end; ++k) {
    const bool space = IsSpace(original[k]);
    if (space && !out.empty() && out.back() == U' ' && k > start && IsSpace(original[k - 1])) {
      out_begin[k - start] = static_cast<int>(out.size()) - 1;
    } else {
      out_begin[k - start] = static_cast<int>(out.size());
      out.push_back(space ? U' ' : original[k]);
    }
    out_end[k - start] = static_cast<int>(out.size());
  }
  if (more_after) out.push_back(kEllipsis);

  v1::Snippet snippet;
  snippet.set_text(EncodeUtf8(out, 0, out.size()));
  std::vector<std::pair<int, int>> spans;
  for (const Match& m : all_matches) {
    const int a = std::max(m.begin, start);
    const int b = std::min(m.end, end);
    if (a >= b) continue;
    spans.emplace_back(out_begin[a - start], out_end[b - 1 - start]);
  }
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<int, int>> merged;
  for (const auto& span : spans) {
    if (!merged.empty() && span.first < merged.back().second) {
      merged.back().second = std::max(merged.back().second, span.second);
    } else {
      merged.push_back(span);
    }
  }
  for (const auto& [a, b] : merged) {
    v1::Highlight* h = snippet.add_highlights();
    h->set_start(a);
    h->set_end(b);
  }
  return snippet;
}

v1::Snippet SnippetBuilder::Build(absl::string_view title, absl::string_view body) const {
  std::vector<char32_t> body_cps;
  const std::vector<Match> body_matches = FindMatches(body, &body_cps);
  if (!body_matches.empty()) return Excerpt(body_cps, body_matches);
  std::vector<char32_t> title_cps;
  const std::vector<Match> title_matches = FindMatches(title, &title_cps);
  const bool body_blank =
      std::all_of(body_cps.begin(), body_cps.end(), [](char32_t c) { return IsSpace(c); });
  if (!title_matches.empty() || body_blank) return Excerpt(title_cps, title_matches);
  return Excerpt(body_cps, {});
}

}  // namespace newsearch::search
