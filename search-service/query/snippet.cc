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
// Characters skipped between two tokens of a phrase that need not join
// (spaces, punctuation) when looking for candidates.
constexpr int kMaxGapChars = 16;

bool IsSpace(char32_t cp) { return u_isUWhiteSpace(static_cast<UChar32>(cp)); }

// Letters and digits below the CJK blocks: the tokenizer's word characters
// (analyzer.cc IsWordChar), close enough for candidates.
bool IsWordChar(char32_t cp) { return cp < 0x2E80 && u_isalnum(static_cast<UChar32>(cp)); }
bool IsMark(char32_t cp) { return (U_GET_GC_MASK(static_cast<UChar32>(cp)) & U_GC_M_MASK) != 0; }
bool IsConnector(char32_t cp) { return cp == '.' || cp == '_' || cp == '-'; }

// Whether the tokenizer would glue text[at] (and, for a connector, the
// character beyond it in direction `step`) to a word ending / starting next
// to it: then a word candidate there is only part of a longer word.
bool GluesToWord(const std::vector<char32_t>& text, int at, int step) {
  const int n = static_cast<int>(text.size());
  if (at < 0 || at >= n) return false;
  const char32_t c = text[at];
  if (IsWordChar(c) || IsMark(c)) return true;
  const int beyond = at + step;
  return IsConnector(c) && beyond >= 0 && beyond < n && IsWordChar(text[beyond]);
}

bool IsTokenChar(char32_t cp) { return u_isalnum(static_cast<UChar32>(cp)); }

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
  for (Needle& needle : needles_) {
    for (size_t k = 0; k < needle.tokens.size(); ++k) {
      needle.token_cps.push_back(DecodeUtf8(needle.tokens[k]));
    }
    const std::vector<char32_t>& first = needle.token_cps[0];
    if (!first.empty() &&
        std::find(needle_starts_.begin(), needle_starts_.end(), first[0]) == needle_starts_.end()) {
      needle_starts_.push_back(first[0]);
    }
    int chars = 0;
    for (const auto& token : needle.token_cps) chars += static_cast<int>(token.size());
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

std::vector<bool> SnippetBuilder::AtomsWithWholeMatch(const std::vector<Match>& matches) {
  std::vector<bool> has_whole;
  for (const Match& m : matches) {
    if (m.atom >= static_cast<int>(has_whole.size())) has_whole.resize(m.atom + 1, false);
    if (m.whole) has_whole[m.atom] = true;
  }
  return has_whole;
}

void SnippetBuilder::PreferWhole(const std::vector<bool>& has_whole, std::vector<Match>* matches) {
  // An atom's bigrams count only where the whole atom appears nowhere in
  // the text.
  auto whole_elsewhere = [&](const Match& m) {
    return !m.whole && m.atom < static_cast<int>(has_whole.size()) && has_whole[m.atom];
  };
  matches->erase(std::remove_if(matches->begin(), matches->end(), whole_elsewhere),
                 matches->end());
  std::sort(matches->begin(), matches->end(), [](const Match& a, const Match& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
}

std::vector<SnippetBuilder::Match> SnippetBuilder::FindMatches(
    absl::string_view text, const std::vector<char32_t>& original) const {
  std::vector<Match> matches;
  if (needles_.empty() || text.empty()) return matches;
  const int original_size = static_cast<int>(original.size());
  // Folding (OpenCC) is most of a query's cost: in a long text fold only the
  // ranges around characters that can start a match.
  const std::vector<std::pair<int, int>> ranges = ScreenRanges(original);
  if (ranges.empty()) {
    MatchRange(text, 0, original_size, &matches);
  } else {
    for (const auto& [begin, end] : ranges) {
      if (begin >= end) continue;
      MatchRange(EncodeUtf8(original, begin, end), begin, original_size, &matches);
    }
  }
  PreferWhole(AtomsWithWholeMatch(matches), &matches);
  return matches;
}

std::vector<SnippetBuilder::Match> SnippetBuilder::Candidates(
    const std::vector<char32_t>& original) const {
  std::vector<Match> matches;
  const int total = static_cast<int>(original.size());
  if (needles_.empty() || total == 0) return matches;
  // Each code point folded on its own (a memo lookup): the same character
  // as the folded text except where OpenCC converts a whole phrase.
  std::vector<char32_t> folded(original.size());
  for (int i = 0; i < total; ++i) folded[i] = analyzer_.FoldCodePoint(original[i]);
  bool needs_fold = false;
  auto same = [&](int i, char32_t want) {
    if (original[i] == want) return true;
    needs_fold = true;
    return folded[i] == want;
  };
  for (int i = 0; i < total; ++i) {
    for (const Needle& needle : needles_) {
      const std::vector<char32_t>& first = needle.token_cps[0];
      if (first.empty() || (original[i] != first[0] && folded[i] != first[0])) continue;
      needs_fold = false;
      int p = i;
      bool ok = true;
      for (size_t k = 0; k < needle.token_cps.size() && ok; ++k) {
        if (k > 0 && !needle.must_join[k - 1]) {
          // Tokens that need not join may have spaces or punctuation between.
          int gap = 0;
          while (p < total && gap < kMaxGapChars && !IsTokenChar(folded[p])) ++p, ++gap;
        }
        const std::vector<char32_t>& token = needle.token_cps[k];
        const bool word = !token.empty() && IsWordChar(token[0]);
        if (word && GluesToWord(folded, p - 1, -1)) ok = false;
        for (size_t c = 0; c < token.size() && ok; ++c, ++p) ok = p < total && same(p, token[c]);
        if (ok && word && GluesToWord(folded, p, 1)) ok = false;
      }
      if (ok) matches.push_back(Match{i, p, needle.atom, needle.whole, needs_fold});
    }
  }
  PreferWhole(AtomsWithWholeMatch(matches), &matches);
  return matches;
}

SnippetBuilder::Window SnippetBuilder::ChooseWindow(int total,
                                                   const std::vector<Match>& matches) const {
  // Window start: a little context before the anchoring match, then as many
  // distinct atoms as fit (whole matches count double), then most matches.
  // Matches are sorted by begin, so the ones inside the window of match i
  // are a run starting near i: linear in matches times matches per window.
  Window best;
  const int n = max_chars_;
  const int lead = n / 5;
  int best_score = -1;
  int best_count = -1;
  std::vector<int> atom_score;
  size_t first = 0;
  for (size_t i = 0; i < matches.size(); ++i) {
    int start = std::max(0, matches[i].begin - lead);
    if (start + n > total) start = std::max(0, total - n);
    const int end = start + n;
    while (first < matches.size() && matches[first].begin < start) ++first;
    atom_score.assign(atom_score.size(), 0);
    int count = 0;
    for (size_t j = first; j < matches.size() && matches[j].begin < end; ++j) {
      const Match& m = matches[j];
      if (m.end > end) continue;
      if (m.atom >= static_cast<int>(atom_score.size())) atom_score.resize(m.atom + 1, 0);
      atom_score[m.atom] = std::max(atom_score[m.atom], m.whole ? 2 : 1);
      ++count;
    }
    int score = 0;
    for (int s : atom_score) score += s;
    if (score > best_score || (score == best_score && count > best_count)) {
      best_score = score;
      best_count = count;
      best.start = start;
      best.anchor = matches[i].begin;
    }
  }
  return best;
}

v1::Snippet SnippetBuilder::Excerpt(const std::vector<char32_t>& original,
                                    const std::vector<Match>& all_matches,
                                    const Window& window) const {
  const int total = static_cast<int>(original.size());
  const int n = max_chars_;
  int best_start = window.start;
  const int best_anchor = window.anchor;
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
  const std::vector<char32_t> body_cps = DecodeUtf8(body);
  const int total = static_cast<int>(body_cps.size());
  // Bounded work: candidates from per-character folds place the window.
  // When every candidate in it is the needle's own characters, those are
  // the highlights and nothing is folded with OpenCC (most of a query's cost
  // before); otherwise only the window (plus context for OpenCC's phrases)
  // is folded and tokenised to find the exact ones. When the candidates
  // miss (a match only OpenCC's phrase conversion makes) and the title has
  // none either, the whole text is folded.
  const std::vector<Match> candidates = Candidates(body_cps);
  if (!candidates.empty()) {
    const Window window = ChooseWindow(total, candidates);
    const int window_end = window.start + max_chars_;
    bool confirm = false;
    std::vector<Match> in_window;
    for (const Match& m : candidates) {
      if (m.end <= window.start || m.begin >= window_end) continue;
      confirm = confirm || m.needs_fold;
      in_window.push_back(m);
    }
    if (!confirm) return Excerpt(body_cps, in_window, window);
    const int margin = longest_needle_chars_ + 16;
    const int begin = std::max(0, window.start - margin);
    const int end = std::min(total, window.start + max_chars_ + margin);
    std::vector<Match> exact;
    MatchRange(EncodeUtf8(body_cps, begin, end), begin, total, &exact);
    PreferWhole(AtomsWithWholeMatch(candidates), &exact);
    const bool found = std::any_of(exact.begin(), exact.end(), [&](const Match& m) {
      return m.begin >= window.start && m.end <= window_end;
    });
    if (found) return Excerpt(body_cps, exact, window);
  }
  // No candidate in the body: most likely only the title matched; it is
  // short, so it is checked before the body is folded as a whole.
  const std::vector<char32_t> title_cps = DecodeUtf8(title);
  const std::vector<Match> title_matches = FindMatches(title, title_cps);
  if (candidates.empty() && !title_matches.empty()) {
    return Excerpt(title_cps, title_matches,
                   ChooseWindow(static_cast<int>(title_cps.size()), title_matches));
  }
  const std::vector<Match> body_matches = FindMatches(body, body_cps);
  if (!body_matches.empty()) {
    return Excerpt(body_cps, body_matches, ChooseWindow(total, body_matches));
  }
  const bool body_blank =
      std::all_of(body_cps.begin(), body_cps.end(), [](char32_t c) { return IsSpace(c); });
  if (!title_matches.empty() || body_blank) {
    return Excerpt(title_cps, title_matches,
                   ChooseWindow(static_cast<int>(title_cps.size()), title_matches));
  }
  return Excerpt(body_cps, {}, Window());
}

}  // namespace newsearch::search
