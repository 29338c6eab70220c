#include "ingest-service/parser/page_parser.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "ingest-service/parser/boilerplate.h"
#include "ingest-service/parser/charset.h"
#include "ingest-service/parser/chrome_lines.h"
#include "ingest-service/parser/html_text.h"
#include "ingest-service/parser/metadata.h"
#include "ingest-service/parser/mojibake.h"
#include "ingest-service/parser/page_dates.h"
#include "ingest-service/parser/script.h"
#include "ingest-service/parser/text_util.h"

#ifndef NEWSEARCH_OPENCC_DATA_DIR
#define NEWSEARCH_OPENCC_DATA_DIR "/usr/share/opencc"
#endif

namespace newsearch::ingest {

struct PageParser::Impl {
  std::unique_ptr<ScriptDetector> script;
  std::unique_ptr<MojibakeRepairer> mojibake;
};

namespace {

// A page with this many lost characters (U+FFFD, 锟斤拷), one in four of its
// non-ASCII characters or more, is mojibake beyond repair.
constexpr size_t kMinLostCharacters = 10;
constexpr size_t kLostShareDenominator = 4;
// A page needs this much Han text in its body to count as an article.
constexpr size_t kMinBodyHan = 20;
// Title anchors (date, source, byline lines) are looked for this far down.
constexpr size_t kHeaderScanLines = 15;
constexpr size_t kMinTitleCodePoints = 4;
constexpr size_t kNoLine = static_cast<size_t>(-1);
constexpr size_t kMaxTitleCodePoints = 80;
// A longer line is still the title when it stands right above the date line.
constexpr size_t kMaxLongTitleCodePoints = 120;
// Only paragraphs at least this long are joined to the next one when they
// stop mid-sentence; shorter ones are headings.
constexpr size_t kMinBrokenParagraphCodePoints = 30;

enum class LineKind { kBlank, kText, kChrome, kPromo, kMeta };

struct Line {
  std::string text;
  LineKind kind = LineKind::kBlank;
  std::optional<LineMetadata> meta;
};

// Drops control characters (keeping newlines), turns tabs into spaces and
// CR/CRLF into LF.
std::string NormalizeControls(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (c == '\t') {
      out.push_back(' ');
    } else if (c == '\n' || c >= 0x20) {
      if (c != 0x7F) out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// A line wholly in brackets (`（杜明）`, `(资料图片)`) is a credit or a
// caption note, never a headline.
bool IsBracketed(absl::string_view s) {
  return (text::StartsWith(s, "（") && text::EndsWith(s, "）")) ||
         (text::StartsWith(s, "(") && text::EndsWith(s, ")"));
}

// A site's or outlet's name alone (`清河新闻网`, `南湖资讯网`, `金沙日報`): a
// masthead or a logo, never a headline.
bool IsSiteName(absl::string_view s) {
  constexpr size_t kMaxSiteNameCodePoints = 10;
  if (text::CodePointCount(s) > kMaxSiteNameCodePoints || text::HanCount(s) < 3) return false;
  size_t pos = 0;
  while (pos < s.size()) {
    if (!text::IsHan(text::NextCodePoint(s, &pos))) return false;
  }
  for (const char* end :
       {"网", "網", "日报", "日報", "晚报", "晚報", "时报", "時報", "商报", "商報", "在线", "在線",
        "新闻", "新聞", "频道", "頻道", "电视台", "電視台"}) {
    if (text::EndsWith(s, end)) return true;
  }
  return false;
}

// `首页 | 通知公告 | 办事指南`: a menu, however short.
bool IsChromeLike(absl::string_view s) {
  size_t bars = 0;
  for (const char* bar : {"|", "｜"}) {
    for (size_t at = s.find(bar); at != absl::string_view::npos; at = s.find(bar, at + 1)) {
      ++bars;
    }
  }
  return bars >= 2;
}

// Could be a headline whatever its last character: 4 to 80 characters, some
// hanzi, no sentence break inside (`…五月。來源: 光明網` is a paragraph).
bool IsHeadlineCandidate(const Line& line, size_t max_length = kMaxTitleCodePoints) {
  if (line.kind != LineKind::kText) return false;
  // Seed 004: pinyin glosses must not make a headline look too long.
  const std::string bare = StripPinyinGlosses(line.text);
  const size_t length = text::CodePointCount(bare);
  if (length < kMinTitleCodePoints || length > max_length) return false;
  if (text::HanCount(bare) < 2) return false;
  if (text::StartsWith(line.text, "——") || text::StartsWith(line.text, "—")) return false;
  if (IsBracketed(line.text)) return false;
  return !IsChromeLike(line.text) && !absl::StrContains(line.text, "。");
}

bool IsPlausibleHeadline(const Line& line) {
  if (!IsHeadlineCandidate(line)) return false;
  for (const char* end : {"。", ":", "：", ",", "，", "、", ";", "；"}) {
    if (text::EndsWith(line.text, end)) return false;
  }
  return true;
}

// A paragraph of body text rather than a menu entry or a section name: a
// whole sentence of some length.
bool IsBodyParagraph(absl::string_view p) {
  constexpr size_t kMinParagraphHan = 12;
  if (text::HanCount(p) < kMinParagraphHan) return false;
  for (const char* end : {"。", "！", "？", "”", "」", "…", "!", "?"}) {
    if (text::EndsWith(p, end)) return true;
  }
  return false;
}

// A line that reads as a paragraph: a whole sentence, or a long line of
// clauses. Never a headline guessed without a date line below it.
bool LooksLikeParagraph(absl::string_view p) {
  constexpr size_t kMaxClauseHeadlineCodePoints = 30;
  return IsBodyParagraph(p) || (text::CodePointCount(p) > kMaxClauseHeadlineCodePoints &&
                                (absl::StrContains(p, "，") || absl::StrContains(p, ",")));
}

// The second line that is a paragraph of body text (kNoLine when none): a
// headline is never found below it. (One sentence above a headline may be a
// site's slogan; two are the body.)
size_t BodyStart(const std::vector<Line>& lines) {
  bool seen = false;
  for (size_t k = 0; k < lines.size(); ++k) {
    if (lines[k].kind != LineKind::kText || !IsBodyParagraph(lines[k].text)) continue;
    if (seen) return k;
    seen = true;
  }
  return kNoLine;
}

std::string LastCodePoint(absl::string_view s) {
  size_t at = s.size();
  while (at > 0 && (static_cast<unsigned char>(s[at - 1]) & 0xC0) == 0x80) --at;
  if (at > 0) --at;
  return std::string(s.substr(at));
}

bool HasDateOrSource(const std::vector<Line>& lines) {
  for (const Line& line : lines) {
    if (line.kind == LineKind::kMeta && (line.meta->date || !line.meta->source.empty())) {
      return true;
    }
  }
  return false;
}

// The start of a paragraph up to its first comma or stop, at most 30
// characters: a stand-in headline for a page that prints none.
std::string LeadingClause(absl::string_view p) {
  constexpr size_t kMaxClauseCodePoints = 30;
  std::string out;
  size_t pos = 0, count = 0;
  while (pos < p.size() && count < kMaxClauseCodePoints) {
    const size_t start = pos;
    const char32_t cp = text::NextCodePoint(p, &pos);
    if (cp == 0x3002 || cp == 0xFF0C || cp == ',' || cp == 0xFF1B || cp == 0xFF01 || cp == 0xFF1F ||
        cp == 0xFF1A) {
      break;
    }
    out.append(p.data() + start, pos - start);
    ++count;
  }
  out = std::string(text::Trim(out));
  return text::CodePointCount(out) >= kMinTitleCodePoints ? out : "";
}

std::string StripDashes(absl::string_view s) {
  while (text::StartsWith(s, "—")) s.remove_prefix(3);
  while (text::StartsWith(s, "-")) s.remove_prefix(1);
  return std::string(text::Trim(s));
}

// Splits `标题——副标题` (seed 004) when both halves are long enough.
void SplitInlineSubtitle(std::string* title, std::string* subtitle) {
  if (!subtitle->empty()) return;
  const size_t at = title->find("——");
  if (at == std::string::npos) return;
  const std::string head(text::Trim(absl::string_view(*title).substr(0, at)));
  const std::string tail = StripDashes(absl::string_view(*title).substr(at));
  if (text::CodePointCount(head) >= kMinTitleCodePoints &&
      text::CodePointCount(tail) >= kMinTitleCodePoints) {
    *title = head;
    *subtitle = absl::StrCat("——", tail);
  }
}

// Strips a site name from `<title>` (`标题_频道_网站`, `标题 - 网站`).
std::string CleanHtmlTitle(absl::string_view title) {
  std::string best(text::Trim(title));
  for (const char* sep : {"_", " - ", " | ", "|", " – "}) {
    const size_t at = best.find(sep);
    if (at != std::string::npos) {
      const std::string head(text::Trim(absl::string_view(best).substr(0, at)));
      if (text::CodePointCount(head) >= kMinTitleCodePoints) best = head;
    }
  }
  return best;
}

// The ends of a paragraph that finish a sentence (or a caption).
bool EndsSentence(absl::string_view p) {
  for (const char* end : {"。", "！", "？", "!", "?", "…", "”", "」", "』", "）", ")", "》",
                          "\"", "；", ";", ":", "：", " 摄", ".", "】"}) {
    if (text::EndsWith(p, end)) return true;
  }
  return false;
}

bool StartsLikeContinuation(absl::string_view p) {
  size_t pos = 0;
  if (p.empty()) return false;
  const char32_t cp = text::NextCodePoint(p, &pos);
  return text::IsHan(cp) || (cp >= '0' && cp <= '9');
}

// Seed 003: long paragraphs broken mid-sentence by the scraper
// (`...有形有` / `效覆盖。`) are joined back together.
std::vector<std::string> JoinBrokenParagraphs(std::vector<std::string> paragraphs,
                                              int* joined) {
  std::vector<std::string> out;
  size_t last_length = 0;  // Code points in out.back(), kept to stay linear.
  for (std::string& p : paragraphs) {
    const size_t length = text::CodePointCount(p);
    if (!out.empty() && last_length >= kMinBrokenParagraphCodePoints &&
        !EndsSentence(out.back()) && StartsLikeContinuation(p)) {
      out.back() += p;
      last_length += length;
      ++*joined;
    } else {
      out.push_back(std::move(p));
      last_length = length;
    }
  }
  return out;
}

void AppendUnique(const std::vector<std::string>& names, std::vector<std::string>* out,
                  absl::flat_hash_set<std::string>* seen) {
  for (const std::string& name : names) {
    if (seen->insert(name).second) out->push_back(name);
  }
}

// A promo block (`扫一扫…`, `關注我們的微信公眾號`) takes the short lines next
// to it, but never the article's own: it stops at a date/source/byline line
// and at the headline right above one, so pages that print no blank lines
// keep their headline, date line and body (whatever stands above them).
std::vector<bool> KeepArticleLinesOutOfPromo(const std::vector<std::string>& texts,
                                             std::vector<bool> promo) {
  const size_t n = texts.size();
  std::vector<char> barrier(n, 0), trigger(n, 0);
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    if (!promo[i]) continue;
    any = true;
    trigger[i] = MarkPromoBlocks({texts[i]})[0];
    if (!trigger[i] && ParseMetadataLine(texts[i])) barrier[i] = 1;
  }
  if (!any) return promo;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (promo[i] && !trigger[i] && !texts[i + 1].empty() && !promo[i + 1] &&
        ParseMetadataLine(texts[i + 1])) {
      barrier[i] = 1;  // The headline above an unmarked date line.
    }
    if (promo[i] && !trigger[i] && promo[i + 1] && barrier[i + 1]) barrier[i] = 1;
  }
  std::vector<bool> kept(n, false);
  for (size_t t = 0; t < n; ++t) {
    if (!trigger[t]) continue;
    kept[t] = true;
    for (size_t j = t; j > 0 && promo[j - 1] && !trigger[j - 1] && !barrier[j - 1]; --j) {
      kept[j - 1] = true;
    }
    for (size_t j = t + 1; j < n && promo[j] && !trigger[j] && !barrier[j]; ++j) kept[j] = true;
  }
  return kept;
}

}  // namespace

PageParser::PageParser() : impl_(std::make_unique<Impl>()) {}
PageParser::~PageParser() = default;

absl::StatusOr<std::unique_ptr<PageParser>> PageParser::Create() {
  std::unique_ptr<PageParser> parser(new PageParser());
  NEWSEARCH_ASSIGN_OR_RETURN(parser->impl_->script,
                             ScriptDetector::Create(NEWSEARCH_OPENCC_DATA_DIR));
  NEWSEARCH_ASSIGN_OR_RETURN(parser->impl_->mojibake, MojibakeRepairer::Create());
  return parser;
}


namespace {

// Section kickers above the headlines of a newspaper page (seed 003: 视点,
// 观潮, 阵地, 知行合一, 红船初心; also `■ 本地`, `[产业]`, `【教育】`): 2 to 6
// Han characters, with nothing else but a marker or brackets around them.
constexpr size_t kMaxKickerCodePoints = 6;
constexpr size_t kMaxSplitHeadlineCodePoints = 40;
// A paragraph this long after a kicker and headline starts an article body.
constexpr size_t kMinLeadCodePoints = 20;
// A topic tag `【民生】` names a section in at most this many characters.
constexpr size_t kMaxTopicTagCodePoints = 8;

bool IsKickerDecoration(char32_t cp) {
  static constexpr std::u32string_view kMarks = U"■□●○◆◇▲▼★☆◎※·•[]【】〔〕「」|｜ \u3000";
  return kMarks.find(cp) != std::u32string_view::npos;
}

// A kicker line. Seed 003's `□宋爽` byline has the same shape as `■ 本地`,
// so a marked line may have been read as a byline; the caller decides by
// what follows it.
bool IsKicker(const Line& line) {
  if (line.kind == LineKind::kMeta) {
    const LineMetadata& m = *line.meta;
    if (m.date || !m.source.empty() || !m.editors.empty() || m.authors.size() != 1) return false;
  } else if (line.kind != LineKind::kText) {
    return false;
  }
  // Six hanzi and a few marks: longer lines are never kickers.
  constexpr size_t kMaxKickerBytes = 40;
  if (line.text.size() > kMaxKickerBytes) return false;
  const std::u32string cps = text::ToCodePoints(line.text);
  size_t han = 0;
  bool decorated = false;
  for (char32_t cp : cps) {
    if (text::IsHan(cp)) {
      ++han;
    } else if (IsKickerDecoration(cp)) {
      decorated = true;
    } else {
      return false;
    }
  }
  if (line.kind == LineKind::kMeta && !decorated) return false;
  return han >= 2 && han <= kMaxKickerCodePoints;
}

size_t NextNonBlank(const std::vector<Line>& lines, size_t i) {
  while (i < lines.size() && lines[i].kind == LineKind::kBlank) ++i;
  return i;
}

// Tags that open a part of one article, not an item of a news digest.
bool IsArticlePartTag(absl::string_view tag) {
  for (const char* w : {"编者按",   "編者按",   "编者的话", "編者的話", "记者手记", "記者手記",
                        "链接",     "鏈接",     "相关链接", "相關鏈接", "新闻链接", "新聞鏈接",
                        "延伸阅读", "延伸閱讀", "背景",     "小贴士",   "小貼士",   "提示",
                        "评论",     "評論",     "短评",     "短評",     "图片新闻", "圖片新聞",
                        "纠错",     "糾錯",     "打印",     "关闭",     "關閉"}) {
    if (tag == w) return true;
  }
  // `【案例一】`, `【第二部分】`: numbered parts.
  for (const char* w : {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "第"}) {
    if (absl::StrContains(tag, w)) return true;
  }
  return false;
}

// Splits `【民生】城南菜市场…` into the tag (`民生`) and the rest; false when
// the line does not open with a topic tag of Han characters.
bool SplitTopicTag(absl::string_view line, std::string* tag, std::string* rest) {
  for (const auto& [open, close_mark] :
       {std::pair<absl::string_view, absl::string_view>{"【", "】"}, {"〔", "〕"}, {"［", "］"},
        {"[", "]"}}) {
    if (!text::StartsWith(line, open)) continue;
    const size_t close = line.find(close_mark);
    if (close == absl::string_view::npos) return false;
    const absl::string_view inner = line.substr(open.size(), close - open.size());
    const size_t length = text::CodePointCount(inner);
    if (length < 2 || length > kMaxTopicTagCodePoints || text::HanCount(inner) != length ||
        IsArticlePartTag(inner)) {
      return false;
    }
    *tag = std::string(inner);
    *rest = std::string(text::Trim(line.substr(close + close_mark.size())));
    return true;
  }
  return false;
}

// The first sentence of a digest item (`沙美老街夜市開張　首週湧入兩萬人次。…`)
// when it is short enough to be its headline: its length in bytes, or 0.
size_t HeadlineSentence(absl::string_view p) {
  for (const char* stop : {"。", "！", "？"}) {
    const size_t at = p.find(stop);
    if (at == absl::string_view::npos) continue;
    const size_t length = text::CodePointCount(p.substr(0, at));
    if (length >= kMinTitleCodePoints && length <= kMaxSplitHeadlineCodePoints &&
        at + 3 < p.size()) {
      return at;
    }
  }
  return 0;
}

// Where one article of a multi-article page starts.
struct ArticleStart {
  enum class Shape {
    kKicker,       // A section kicker above the headline (not part of the article).
    kTagHeadline,  // `【交通】headline` on one line, the body below.
    kTagItem,      // `【財經】first sentence。rest of the item…` in one paragraph.
  };
  size_t line = 0;  // The headline (kKicker) or the tag line.
  Shape shape = Shape::kKicker;
  std::string rest;  // The tag line without its tag.
};

// True when line `n` can follow an article's headline: a metadata line
// (byline, date, source) or a lead paragraph.
bool OpensBody(const std::vector<Line>& lines, size_t n) {
  if (n >= lines.size()) return false;
  return lines[n].kind == LineKind::kMeta ||
         (lines[n].kind == LineKind::kText &&
          text::CodePointCount(lines[n].text) >= kMinLeadCodePoints);
}

// Returns where the articles of a multi-article page start, or {} when the
// page holds one article. An article starts at a kicker, then a short
// headline, then a byline or a paragraph; or at a topic tag `【民生】`
// opening a headline or a digest item. A page needs two starts to be split.
std::vector<ArticleStart> FindArticleStarts(const std::vector<Line>& lines, bool html) {
  std::vector<ArticleStart> starts;
  std::string tag, rest;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0 && lines[i - 1].kind == LineKind::kText) continue;
    if (lines[i].kind == LineKind::kText && SplitTopicTag(lines[i].text, &tag, &rest) &&
        !rest.empty()) {
      Line headline;
      headline.kind = LineKind::kText;
      headline.text = rest;
      if (IsPlausibleHeadline(headline) && !LooksLikeParagraph(rest) &&
          text::CodePointCount(rest) <= kMaxSplitHeadlineCodePoints &&
          OpensBody(lines, NextNonBlank(lines, i + 1))) {
        starts.push_back({i, ArticleStart::Shape::kTagHeadline, rest});
      } else if (HeadlineSentence(rest) > 0) {
        starts.push_back({i, ArticleStart::Shape::kTagItem, rest});
      }
      continue;
    }
    // HTML pages mark their sections in markup; only their topic tags count.
    if (html || !IsKicker(lines[i])) continue;
    const size_t h = NextNonBlank(lines, i + 1);
    if (h >= lines.size() || !IsPlausibleHeadline(lines[h]) ||
        text::CodePointCount(lines[h].text) > kMaxSplitHeadlineCodePoints ||
        FindDate(lines[h].text)) {
      continue;
    }
    if (OpensBody(lines, NextNonBlank(lines, h + 1))) {
      starts.push_back({h, ArticleStart::Shape::kKicker, ""});
    }
  }
  if (starts.size() < 2) return {};
  return starts;
}

// The lines of the article that starts at `starts[k]`, its tag removed: a
// digest item's first sentence becomes a headline line of its own.
std::vector<Line> ArticleLines(const std::vector<Line>& lines,
                               const std::vector<ArticleStart>& starts, size_t k) {
  const size_t begin = starts[k].line;
  size_t end = lines.size();
  if (k + 1 < starts.size()) {
    end = starts[k + 1].line;
    if (starts[k + 1].shape == ArticleStart::Shape::kKicker) {
      // The kicker line just above the next headline belongs to the next article.
      while (end > begin && lines[end - 1].kind == LineKind::kBlank) --end;
      if (end > begin) --end;
    }
  }
  std::vector<Line> out(lines.begin() + begin, lines.begin() + end);
  const ArticleStart& start = starts[k];
  if (start.shape == ArticleStart::Shape::kTagHeadline) {
    out[0].text = start.rest;
  } else if (start.shape == ArticleStart::Shape::kTagItem) {
    const size_t at = HeadlineSentence(start.rest);
    Line headline;
    headline.kind = LineKind::kText;
    headline.text = start.rest.substr(0, at);
    out[0].text = std::string(text::Trim(absl::string_view(start.rest).substr(at + 3)));
    out.insert(out.begin(), std::move(headline));
  }
  return out;
}

bool IsNameRun(absl::string_view s, size_t min_han, size_t max_han) {
  size_t han = 0, pos = 0;
  while (pos < s.size()) {
    const char32_t cp = text::NextCodePoint(s, &pos);
    if (text::IsHan(cp)) {
      ++han;
    } else if (!text::IsSpace(cp) && cp != 0xB7 && cp != 0x3001) {
      return false;
    }
  }
  return han >= min_han && han <= max_han;
}

// Drops a photo credit from the end of a caption paragraph (`...。本报记者
// 陈春艳 摄`, `格日勒朝克图 摄`, `（张三 摄）`). Returns true when one was
// removed; `*p` may become empty.
bool StripPhotoCredit(std::string* p) {
  absl::string_view s = text::Trim(*p);
  bool bracketed = false;
  for (const auto& [open, close] : {std::pair<absl::string_view, absl::string_view>{"(", ")"},
                                    {"（", "）"}}) {
    if (text::EndsWith(s, close)) {
      const size_t at = s.rfind(open);
      if (at == absl::string_view::npos) return false;
      absl::string_view inner = text::Trim(s.substr(at + open.size(),
                                                    s.size() - at - open.size() - close.size()));
      if (!text::EndsWith(inner, "摄") && !text::EndsWith(inner, "攝")) return false;
      s = s.substr(0, at);
      bracketed = true;
      inner.remove_suffix(3);
      absl::string_view names = text::Trim(inner);
      for (const char* t : {"本报记者", "本報記者", "记者", "記者", "通讯员", "通訊員", "图/",
                            "圖/", "新华社记者", "新華社記者"}) {
        if (text::StartsWith(names, t)) names = text::Trim(names.substr(std::strlen(t)));
      }
      if (!IsNameRun(names, 2, 16)) return false;
      *p = std::string(text::Trim(s));
      return true;
    }
  }
  if (bracketed || !(text::EndsWith(s, "摄") || text::EndsWith(s, "攝"))) return false;
  // The credit starts after the caption's last sentence.
  size_t begin = 0;
  for (const char* end : {"。", "！", "？", "”", "）", ")", "!", "?"}) {
    const size_t at = s.rfind(end);
    if (at != absl::string_view::npos) begin = std::max(begin, at + std::strlen(end));
  }
  absl::string_view credit = text::Trim(s.substr(begin));
  credit.remove_suffix(3);
  absl::string_view names = text::Trim(credit);
  for (const char* t : {"本报记者", "本報記者", "新华社记者", "新華社記者", "记者", "記者",
                        "通讯员", "通訊員"}) {
    if (text::StartsWith(names, t)) names = text::Trim(names.substr(std::strlen(t)));
  }
  // A credit separates the name from `摄` with a space, or is the whole line.
  if (begin == 0 && !absl::StrContains(credit, " ") && text::HanCount(names) > 7) return false;
  if (!IsNameRun(names, 2, 16)) return false;
  *p = std::string(text::Trim(s.substr(0, begin)));
  return true;
}

// Words that sit in trailing brackets but are not reporters' names.
bool IsNotAName(absl::string_view s) {
  for (const char* w : {"资料图片", "資料圖片", "资料图", "資料圖", "完", "待续", "待續", "图片",
                        "圖片", "本报讯", "本報訊", "供图", "供圖", "摄影", "攝影", "原标题",
                        "原標題", "全文完", "未完待续", "上接", "下转", "下轉"}) {
    if (s == w) return true;
  }
  return false;
}

// Takes a reporter's name printed in brackets at the very end of the body
// (`...努力的方向。(李志海)`). Returns the name, or "" when there is none.
std::string TakeTrailingAuthor(std::string* p) {
  for (const auto& [open, close] : {std::pair<absl::string_view, absl::string_view>{"(", ")"},
                                    {"（", "）"}}) {
    absl::string_view s = text::Trim(*p);
    if (!text::EndsWith(s, close)) continue;
    const size_t at = s.rfind(open);
    if (at == absl::string_view::npos) continue;
    const absl::string_view inner =
        text::Trim(s.substr(at + open.size(), s.size() - at - open.size() - close.size()));
    if (!IsNameRun(inner, 2, 4) || absl::StrContains(inner, " ") || IsNotAName(inner)) continue;
    // The name follows a finished sentence or stands alone.
    const absl::string_view before = text::Trim(s.substr(0, at));
    if (!before.empty() && !EndsSentence(before)) continue;
    std::string name(inner);
    *p = std::string(before);
    return name;
  }
  return "";
}

// Reporters named in brackets in a wire dateline at the start of the first
// paragraph (`新华社西宁6月1日电（记者 卓玛 李振华）...`).
std::vector<std::string> DatelineAuthors(absl::string_view p) {
  constexpr size_t kMaxDatelineBytes = 120;
  const absl::string_view head = p.substr(0, kMaxDatelineBytes);
  for (const auto& [open, close] : {std::pair<absl::string_view, absl::string_view>{"（", "）"},
                                    {"(", ")"}}) {
    const size_t at = head.find(open);
    if (at == absl::string_view::npos) continue;
    const absl::string_view before = head.substr(0, at);
    if (!absl::StrContains(before, "电") && !absl::StrContains(before, "電") &&
        !absl::StrContains(before, "讯") && !absl::StrContains(before, "訊")) {
      continue;
    }
    const size_t end = p.find(close, at);
    if (end == absl::string_view::npos) continue;
    const absl::string_view inner = p.substr(at + open.size(), end - at - open.size());
    std::optional<LineMetadata> meta = ParseMetadataLine(inner);
    if (meta && !meta->authors.empty()) return meta->authors;
  }
  return {};
}

// Short headline lines after the story's last paragraph (a list of related
// stories printed without a heading, chrome04) are chrome: two at least,
// below a paragraph of running text.
void MarkTrailingHeadlineList(std::vector<Line>* lines, size_t* text_line_count) {
  std::vector<size_t> run;
  for (size_t i = lines->size(); i > 0; --i) {
    const Line& line = (*lines)[i - 1];
    if (line.kind != LineKind::kText) continue;
    if (IsHeadlineListItem(line.text)) {
      run.push_back(i - 1);
      continue;
    }
    if (run.size() >= 2 && IsProseParagraph(line.text)) {
      for (size_t k : run) (*lines)[k].kind = LineKind::kChrome;
      *text_line_count -= run.size();
    }
    return;
  }
}

// Han characters in the paragraphs of running text: those with a full stop,
// question or exclamation mark, or long ones with a comma. Headline and
// link lines have none; a page that has fewer than kMinBodyHan is
// navigation.
size_t RunningTextHan(const std::vector<std::string>& paragraphs) {
  constexpr size_t kMinCommaParagraphCodePoints = 30;
  size_t han = 0;
  for (const std::string& p : paragraphs) {
    bool running = false;
    for (const char* mark : {"。", "！", "？", "!", "?"}) {
      running = running || absl::StrContains(p, mark);
    }
    running = running || ((absl::StrContains(p, "，") || absl::StrContains(p, ",")) &&
                          text::CodePointCount(p) >= kMinCommaParagraphCodePoints);
    if (running) han += text::HanCount(p);
  }
  return han;
}

// Metadata read from the lines above a multi-article page's first article.
struct PageMetadata {
  std::optional<DateMatch> date;
  std::string source;
};

// Parses lines [begin, end) of the page as one article.
// Parses `lines` (the page's, or one article's of a multi-article page,
// whose lines are `all`) as one article.
absl::StatusOr<v1::Article> ParseArticle(const std::vector<Line>& all,
                                         const std::vector<Line>& lines, bool html,
                                         const HtmlText& html_text, const PageMetadata& page_meta,
                                         const PageInput& input, const ScriptDetector& script,
                                         std::vector<std::string>* warnings) {
  size_t text_line_count = 0;
  for (const Line& l : lines) text_line_count += l.kind == LineKind::kText ? 1 : 0;
  if (text_line_count == 0) {
    return absl::InvalidArgumentError(
        "page holds no article: only navigation, chrome and metadata lines");
  }

  // Title: the headline just above the first metadata line (date, source,
  // byline) near the top, else the first plausible line.
  std::vector<size_t> header;  // Indices of non-blank, non-chrome lines.
  for (size_t i = 0; i < lines.size() && header.size() < kHeaderScanLines; ++i) {
    if (lines[i].kind == LineKind::kText || lines[i].kind == LineKind::kMeta) header.push_back(i);
  }
  std::string title, subtitle;
  // kNoLine when absent.
  size_t title_index = kNoLine, subtitle_index = kNoLine;
  // The text line just above the first metadata line that has one (over
  // other metadata lines: `□记者 张三` between headline and date line).
  size_t anchored = kNoLine;
  const size_t body_start = BodyStart(lines);
  for (size_t k = 1; k < header.size() && title_index == kNoLine; ++k) {
    if (lines[header[k]].kind != LineKind::kMeta) continue;
    const Line& prev = lines[header[k - 1]];
    // A headline never stands below the body's start: a trailing `来源:`
    // line does not make the paragraph above it a title.
    if (body_start < header[k - 1]) break;
    if (anchored == kNoLine && prev.kind == LineKind::kText) anchored = header[k - 1];
    if (prev.kind == LineKind::kText && text::StartsWith(prev.text, "—") && k >= 2 &&
        IsPlausibleHeadline(lines[header[k - 2]])) {
      title_index = header[k - 2];
      subtitle_index = header[k - 1];
    } else if (IsPlausibleHeadline(prev)) {
      title_index = header[k - 1];
      // `清河新闻网` above the date line is the site's name when a headline
      // follows the date line: that one is the title.
      size_t m = k;
      while (m < header.size() && lines[header[m]].kind == LineKind::kMeta) ++m;
      if (IsSiteName(prev.text) && m < header.size() && IsPlausibleHeadline(lines[header[m]]) &&
          !LooksLikeParagraph(lines[header[m]].text) && !IsSiteName(lines[header[m]].text) &&
          !FindDate(lines[header[m]].text)) {
        title_index = header[m];
      }
    }
  }
  // An <h1> that holds the site's name (a logo; the <title> ends with it)
  // is not the headline.
  const bool h1_is_logo = html && !html_text.h1.empty() &&
                          html_text.h1 != CleanHtmlTitle(html_text.title) &&
                          text::EndsWith(text::Trim(html_text.title), html_text.h1);
  if (html && !html_text.h1.empty() && !h1_is_logo) {
    // An <h1> beats the text heuristics.
    title = html_text.h1;
    title_index = kNoLine;
    subtitle_index = kNoLine;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].text == title) {
        title_index = i;
        break;
      }
    }
  } else if (title_index != kNoLine) {
    title = lines[title_index].text;
  } else if (anchored != kNoLine && IsHeadlineCandidate(lines[anchored], kMaxLongTitleCodePoints) &&
             !(body_start < anchored)) {
    // The generated pages' headlines end with a comma (`与传统企业相比,`):
    // the line above the date line is still the best candidate.
    title_index = anchored;
    title = lines[anchored].text;
    warnings->push_back(
        text::CodePointCount(title) > kMaxTitleCodePoints
            ? std::string("title_guessed: the line above the date/source line is longer than a "
                          "headline; taken as the title anyway")
            : absl::StrCat(
                  "title_guessed: the line above the date/source line ends like a sentence (\"",
                  LastCodePoint(title), "\"); taken as the title anyway"));
  } else if (html && !html_text.title.empty()) {
    title = CleanHtmlTitle(html_text.title);
    warnings->push_back("title_guessed: title taken from the HTML <title>");
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].text == title) {
        title_index = i;
        break;
      }
    }
  } else {
    for (size_t n = 0; n < header.size(); ++n) {
      const size_t i = header[n];
      if (body_start < i) break;  // Below the body's start: a footer, a caption.
      if (IsPlausibleHeadline(lines[i]) && !LooksLikeParagraph(lines[i].text) &&
          !IsSiteName(lines[i].text)) {
        title_index = i;
        title = lines[i].text;
        warnings->push_back(
            absl::StrCat("title_guessed: no headline above a date or source line; took the ",
                         n == 0 ? "first line" : "first line that looks like a headline",
                         n == 0 ? "" : absl::StrCat(" (line ", n + 1, " of the text)")));
        break;
      }
    }
  }
  size_t clause_line = kNoLine;  // The paragraph a stand-in title was made from.
  if (title.empty() && HasDateOrSource(lines)) {
    // A page with a date line and a body holds an article even when no
    // line looks like a headline: the start of its first paragraph names it.
    for (size_t i : header) {
      if (lines[i].kind != LineKind::kText || text::HanCount(lines[i].text) < kMinLeadCodePoints ||
          IsChromeLike(lines[i].text)) {
        continue;
      }
      title = LeadingClause(lines[i].text);
      if (title.empty()) continue;
      clause_line = i;
      warnings->push_back(
          "title_guessed: no line looks like a headline; title made from the start of the "
          "first paragraph, which stays in the body");
      break;
    }
  }
  if (title_index != kNoLine && subtitle_index == kNoLine) {
    for (size_t i = title_index + 1; i < lines.size(); ++i) {
      if (lines[i].kind == LineKind::kBlank || lines[i].kind == LineKind::kChrome) continue;
      if (lines[i].kind == LineKind::kText && text::StartsWith(lines[i].text, "——")) {
        subtitle_index = i;
      }
      break;
    }
  }
  if (subtitle_index != kNoLine) {
    subtitle = absl::StrCat("——", StripDashes(lines[subtitle_index].text));
  }
  SplitInlineSubtitle(&title, &subtitle);
  title = text::CollapseSpaces(title);
  // `原标题：...` names the headline the story first ran under.
  for (const char* label : {"原标题：", "原标题:", "原標題：", "原標題:"}) {
    if (text::StartsWith(title, label)) {
      title = std::string(text::Trim(absl::string_view(title).substr(std::strlen(label))));
    }
  }
  if (title.empty()) {
    return absl::InvalidArgumentError(
        "page holds no article: no line looks like a headline (4 to 80 characters, not a "
        "sentence, not chrome)");
  }

  // Metadata from every metadata line, in page order.
  v1::Article article;
  std::optional<DateMatch> date;
  std::string source;
  std::vector<std::string> authors, editors;
  absl::flat_hash_set<std::string> seen_authors, seen_editors;
  std::optional<DateMatch> yearless;  // `十二月二十日`: waits for a year.
  // The lines below the title first: a site header above it may print
  // today's date and the site's name.
  std::vector<const Line*> meta_order;
  const size_t below = title_index != kNoLine ? title_index + 1 : 0;
  for (size_t i = below; i < lines.size(); ++i) meta_order.push_back(&lines[i]);
  for (size_t i = 0; i < below; ++i) meta_order.push_back(&lines[i]);
  for (const Line* line_ptr : meta_order) {
    const Line& line = *line_ptr;
    if (line.kind != LineKind::kMeta) continue;
    if (line.meta->date && !date && !yearless) {
      (line.meta->date->has_year ? date : yearless) = line.meta->date;
    }
    if (source.empty()) source = line.meta->source;
    AppendUnique(line.meta->authors, &authors, &seen_authors);
    AppendUnique(line.meta->editors, &editors, &seen_editors);
  }
  if (!date) date = page_meta.date;
  if (source.empty()) source = page_meta.source;

  // Body: text lines after the title, one paragraph each.
  std::vector<std::string> paragraphs;
  const size_t body_begin = title_index != kNoLine   ? title_index + 1
                            : clause_line != kNoLine ? clause_line
                                                     : 0;
  for (size_t i = body_begin; i < lines.size(); ++i) {
    if (lines[i].kind != LineKind::kText || i == subtitle_index) continue;
    if (text::CollapseSpaces(lines[i].text) == title) continue;
    paragraphs.push_back(lines[i].text);
  }
  if (!html) {
    int joined = 0;
    paragraphs = JoinBrokenParagraphs(std::move(paragraphs), &joined);
    if (joined > 0) {
      warnings->push_back(absl::StrCat("paragraphs_joined: joined ", joined,
                                       " paragraphs broken mid-sentence"));
    }
  }
  std::vector<std::string> kept;
  for (std::string& p : paragraphs) {
    StripPhotoCredit(&p);
    if (!p.empty()) kept.push_back(std::move(p));
  }
  paragraphs = std::move(kept);
  if (!paragraphs.empty()) {
    // A wire dateline names the reporters: `新华社西宁6月1日电（记者 卓玛 李振华）`.
    AppendUnique(DatelineAuthors(paragraphs.front()), &authors, &seen_authors);
    std::string name = TakeTrailingAuthor(&paragraphs.back());
    if (!name.empty()) {
      std::vector<std::string> trailing = {name};
      AppendUnique(trailing, &authors, &seen_authors);
      if (paragraphs.back().empty()) paragraphs.pop_back();
    }
  }
  if (!date && !paragraphs.empty()) {
    // A wire dateline: `新华社北京12月20日电`.
    std::optional<DateMatch> dateline = DatelineDate(paragraphs.front());
    if (dateline && dateline->has_year) date = dateline;
    if (dateline && !dateline->has_year && !yearless) yearless = dateline;
  }
  if (!date && yearless) {
    // The year comes from a full date elsewhere on the page, else the URL.
    int year = page_meta.date ? page_meta.date->civil.year() : 0;
    for (const Line& line : all) {
      if (year != 0) break;
      if (line.kind == LineKind::kMeta && line.meta->date && line.meta->date->has_year) {
        year = line.meta->date->civil.year();
      }
    }
    const char* from = "a full date elsewhere on the page";
    if (year == 0) {
      year = YearFromUrl(input.url);
      from = "the URL";
    }
    if (year != 0 && SetYear(year, &*yearless)) {
      date = yearless;
      warnings->push_back(absl::StrCat("year_inferred: the page prints the date without a year; ",
                                       year, " taken from ", from));
    }
  }
  if (html && !html_text.published.empty()) {
    // The markup's publication time: used when the text prints no date, or
    // gives the time of day to a date line that prints only the day.
    std::optional<DateMatch> marked = FindDate(html_text.published);
    if (marked && !date) {
      date = marked;
    } else if (marked && marked->has_time && !date->has_time &&
               absl::CivilDay(marked->civil) == absl::CivilDay(date->civil)) {
      date = marked;
    }
  }
  std::string body = absl::StrJoin(paragraphs, "\n\n");
  const size_t body_han = text::HanCount(body);
  if (body_han < kMinBodyHan) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page holds no article: the body has ", body_han,
        " Chinese characters after removing navigation and chrome (at least ", kMinBodyHan,
        " needed)"));
  }
  if (const size_t running = RunningTextHan(paragraphs); running < kMinBodyHan) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page holds no article: only navigation (", paragraphs.size(),
        " headline or link lines below the title, ", running,
        " Chinese characters of running text; at least ", kMinBodyHan, " needed)"));
  }

  if (date) {
    const absl::Time instant = ChinaTimeToInstant(date->civil);
    article.mutable_published_at()->set_seconds(absl::ToUnixSeconds(instant));
    if (!date->has_time) {
      warnings->push_back(absl::StrCat(
          "time_unknown: the page gives only the day, ",
          absl::FormatCivilTime(absl::CivilDay(date->civil)),
          "; published_at is that day at 00:00 China time, the time itself is unknown"));
    }
  } else {
    warnings->push_back("no_date: no publication date found");
  }
  if (source.empty()) {
    source = std::string(text::Trim(input.source_hint));
    warnings->push_back(source.empty()
                            ? "no_source: no source found"
                            : "source_hint_used: no source on the page, used source_hint");
  }

  article.set_title(title);
  article.set_subtitle(subtitle);
  article.set_source(source);
  for (const std::string& a : authors) article.add_authors(a);
  for (const std::string& e : editors) article.add_editors(e);
  article.set_script(script.Detect(absl::StrCat(title, "\n", body)));
  article.set_body(std::move(body));
  article.set_url(input.url);
  return article;
}

}  // namespace

absl::StatusOr<ParsedPage> PageParser::Parse(const PageInput& input) const {
  if (input.content.empty()) return absl::InvalidArgumentError("page is empty (0 bytes)");

  std::string hint = CharsetFromContentType(input.content_type);
  if (hint.empty()) hint = SniffMetaCharset(input.content);
  NEWSEARCH_ASSIGN_OR_RETURN(DecodedText decoded, DecodePage(input.content, hint));
  std::vector<std::string> warnings = std::move(decoded.warnings);

  std::string page_text = NormalizeControls(decoded.text);
  if (text::Trim(page_text).empty()) {
    return absl::InvalidArgumentError("page holds only whitespace");
  }

  const bool html = LooksLikeHtml(input.content_type, page_text);
  HtmlText html_text;
  if (html) {
    html_text = ExtractHtmlText(page_text);
    page_text = std::move(html_text.text);
    for (std::string& w : html_text.warnings) warnings.push_back(std::move(w));
  }

  // A page whose bytes a wrong decoding destroyed from end to end (U+FFFD,
  // `锟斤拷`) has nothing left to repair.
  size_t non_ascii = 0;
  const size_t lost = CountLostCharacters(page_text, &non_ascii);
  if (lost >= kMinLostCharacters && lost * kLostShareDenominator >= non_ascii) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page holds no article: it is mojibake from end to end (", lost, " of its ", non_ascii,
        " non-ASCII characters are U+FFFD or 锟斤拷, bytes lost to a wrong charset)"));
  }

  // Mojibake first (a repaired span may end in a pinyin gloss), then glosses.
  MojibakeResult repaired = impl_->mojibake->Repair(page_text);
  page_text = std::move(repaired.text);
  for (std::string& w : repaired.warnings) warnings.push_back(std::move(w));
  int glosses = 0;
  page_text = StripPinyinGlosses(page_text, &glosses);
  if (html) {
    html_text.title = StripPinyinGlosses(html_text.title);
    html_text.h1 = StripPinyinGlosses(html_text.h1);
  }
  if (glosses > 0) {
    warnings.push_back(
        absl::StrCat("pinyin_removed: removed ", glosses, " pinyin glosses such as 鎮(zhèn)"));
  }

  // Lines, trimmed, without bracketed chrome at their ends (`【纠错】`).
  std::vector<std::string> texts;
  for (absl::string_view raw : absl::StrSplit(page_text, '\n')) {
    texts.push_back(
        StripChromeBrackets(RemoveStrayTags(html ? std::string(raw) : DecodeHtmlEntities(raw))));
  }
  // The trailer is cut off; a reading list inside the story is chrome.
  std::vector<bool> in_body_list;
  const size_t trailer = FindTrailer(texts, &in_body_list);
  // Editors printed after the trailer (the last line of many pages) are kept.
  std::vector<std::string> late_editors;
  for (size_t i = trailer; i < texts.size(); ++i) {
    // Every editor label has 编 or 編 (美编, 责任编辑).
    if (!absl::StrContains(texts[i], "编") && !absl::StrContains(texts[i], "編")) continue;
    std::optional<LineMetadata> meta = ParseMetadataLine(texts[i]);
    if (meta && !meta->editors.empty() && !meta->date && meta->source.empty() &&
        meta->authors.empty()) {
      late_editors.push_back(texts[i]);
    }
  }
  texts.resize(trailer);
  for (std::string& t : late_editors) texts.push_back(std::move(t));
  MarkHeadlessLists(texts, &in_body_list);
  std::vector<Line> lines(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) lines[i].text = texts[i];

  const std::vector<bool> promo = KeepArticleLinesOutOfPromo(texts, MarkPromoBlocks(texts));
  size_t text_line_count = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    Line& line = lines[i];
    if (line.text.empty()) continue;
    if (promo[i]) {
      line.kind = LineKind::kPromo;
    } else if (i < in_body_list.size() && in_body_list[i]) {
      line.kind = LineKind::kChrome;
    } else if ((line.meta = ParseMetadataLine(line.text))) {
      line.kind = LineKind::kMeta;
    } else if (IsChromeLine(line.text)) {
      line.kind = LineKind::kChrome;
    } else {
      line.kind = LineKind::kText;
      ++text_line_count;
    }
  }
  MarkTrailingHeadlineList(&lines, &text_line_count);
  if (text_line_count == 0) {
    return absl::InvalidArgumentError(
        "page holds no article: only navigation, chrome and metadata lines");
  }

  ParsedPage page;
  page.detected_encoding = decoded.encoding;
  const std::vector<ArticleStart> starts = FindArticleStarts(lines, html);
  if (starts.empty()) {
    std::vector<std::string> article_warnings = warnings;
    NEWSEARCH_ASSIGN_OR_RETURN(
        v1::Article article,
        ParseArticle(lines, lines, html, html_text, {}, input, *impl_->script, &article_warnings));
    page.articles.push_back(std::move(article));
    warnings = std::move(article_warnings);
  } else {
    // A newspaper page: each article gets the page's own date and source.
    PageMetadata page_meta;
    for (size_t i = 0; i < starts[0].line; ++i) {
      if (lines[i].kind != LineKind::kMeta) continue;
      if (!page_meta.date) page_meta.date = lines[i].meta->date;
      if (page_meta.source.empty()) page_meta.source = lines[i].meta->source;
    }
    // The markup's publication time (HTML news briefs) dates the page.
    if (html && !page_meta.date && !html_text.published.empty()) {
      page_meta.date = FindDate(html_text.published);
    }
    // A date line closing the page (`发布日期：2023-11-06`) dates it too.
    for (size_t i = lines.size(); i > starts.back().line && !page_meta.date; --i) {
      const Line& line = lines[i - 1];
      if (line.kind == LineKind::kText) break;
      if (line.kind == LineKind::kMeta && line.meta->date) page_meta.date = line.meta->date;
    }
    absl::Status first_error;
    std::vector<std::string> page_warnings = warnings;
    for (size_t k = 0; k < starts.size(); ++k) {
      std::vector<std::string> article_warnings = warnings;
      absl::StatusOr<v1::Article> article =
          ParseArticle(lines, ArticleLines(lines, starts, k), /*html=*/false, html_text, page_meta,
                       input, *impl_->script, &article_warnings);
      if (!article.ok()) {
        if (first_error.ok()) first_error = article.status();
        page_warnings.push_back(absl::StrCat("article_skipped: article ", k + 1, " of ",
                                             starts.size(), " skipped: ",
                                             article.status().message()));
        continue;
      }
      for (const std::string& w : article_warnings) article->add_warnings(w);
      page.articles.push_back(*std::move(article));
    }
    if (page.articles.empty()) return first_error;
    const std::string split = absl::StrCat("page_split: page holds ", page.articles.size(),
                                           " articles, split at their section words or topic tags");
    page_warnings.push_back(split);
    for (v1::Article& article : page.articles) article.add_warnings(split);
    warnings = std::move(page_warnings);
  }
  for (v1::Article& article : page.articles) {
    article.set_detected_encoding(decoded.encoding);
    if (starts.empty()) {
      for (const std::string& w : warnings) article.add_warnings(w);
    }
  }
  page.warnings = std::move(warnings);
  return page;
}

}  // namespace newsearch::ingest
