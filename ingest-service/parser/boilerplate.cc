#include "ingest-service/parser/boilerplate.h"

#include <cstdint>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "ingest-service/parser/chrome_lines.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

// Promo lines longer than this are article text that mentions WeChat
// (seed 003: `还时刻关注微信公众号上的...`).
constexpr size_t kMaxPromoLineCodePoints = 40;

const absl::flat_hash_set<std::string>& ChromeTokens() {
  static const auto* const kTokens = new absl::flat_hash_set<std::string>{
      "关闭",     "關閉",     "关闭视窗", "關閉視窗", "打印",     "列印",     "关闭窗口", "關閉窗口", "打印本页",
      "打印本文", "返回顶部", "返回頂部", "返回首页", "返回",     "收藏",     "分享",
      "分享到",   "上一篇",   "下一篇",   "字体",     "字體",     "字号",     "字號",
      "大",       "中",       "小",       "默认",     "纠错",     "我要纠错", "复制链接",
      "首页",     "首頁",     "繁体",     "繁體",     "简体",     "簡體",     "正文",
      "设为首页", "加入收藏", "登录",     "注册",     "评论",     "我要评论", "点赞",
      "推荐",     "发表评论", "微博",     "微信",     "QQ空间",   "更多",     "TOP",
      "top",      "顶部",     "放大",     "缩小",     "全文",     "显示图片",
      // End-of-story marks: `（完）`, `【完】`, `(END)`.
      "完",       "END",      "end",      "纠错",     "糾錯",
      // Taiwanese size bars: `【字級：小 中 大】`.
      "字級",     "字级"};
  return *kTokens;
}

constexpr const char* kBreadcrumbStarts[] = {"您当前的位置", "您当前位置", "当前位置",
                                             "您现在的位置", "你现在的位置", "您的位置",
                                             "所在位置",     "您目前的位置", "您當前的位置",
                                             "當前位置",     "您現在的位置"};

constexpr const char* kPromoMarkers[] = {
    "微信号",   "微信號",   "扫一扫",   "掃一掃",   "二维码",   "二維碼",   "长按识别",
    "長按識別", "关注微信", "關注微信", "关注公众号", "關注公眾號", "关注我们", "關注我們",
    "微信公众号", "微信公眾號", "扫码关注", "掃碼關注", "关注有惊喜", "关注有驚喜"};

bool IsBracketOrSeparator(char32_t cp) {
  return cp == 0x3010 || cp == 0x3011 || cp == '[' || cp == ']' || cp == '(' || cp == ')' ||
         cp == 0xFF08 || cp == 0xFF09 || cp == '|' || cp == 0xFF5C || cp == '/' ||
         cp == ':' || cp == 0xFF1A || cp == 0x00B7 || cp == 0x2022 || cp == '>' ||
         cp == 0xFF1E || cp == 0x00BB || cp == '-' || cp == 0x3001;
}

bool IsSentencePunct(char32_t cp) {
  return cp == 0x3002 || cp == 0xFF0C || cp == ',' || cp == 0xFF1B || cp == ';' ||
         cp == 0xFF01 || cp == '!' || cp == 0xFF1F || cp == '?' || cp == 0x201C ||
         cp == 0x201D;
}

// `【字体：大 中 小】`, `【打印】【关闭】`, `分享到：`: every token is chrome.
bool AllChromeTokens(absl::string_view line) {
  std::string spaced;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t start = pos;
    const char32_t cp = text::NextCodePoint(line, &pos);
    if (IsBracketOrSeparator(cp)) {
      spaced += ' ';
    } else {
      spaced.append(line.data() + start, pos - start);
    }
  }
  const std::vector<std::string> tokens = text::SplitOnSpaces(spaced);
  if (tokens.empty()) return true;  // Only brackets and separators.
  for (const std::string& token : tokens) {
    if (!ChromeTokens().contains(token)) return false;
  }
  return true;
}

// `人民网 新华网 七一网 党建网 ...` or `首页 | 新闻 | 体育 | 财经`.
bool IsLinkList(absl::string_view line) {
  std::string spaced;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t start = pos;
    const char32_t cp = text::NextCodePoint(line, &pos);
    if (IsSentencePunct(cp)) return false;
    if (cp == '|' || cp == 0xFF5C || cp == 0x00B7 || cp == 0x2022 || cp == '/') {
      spaced += ' ';
    } else {
      spaced.append(line.data() + start, pos - start);
    }
  }
  const std::vector<std::string> tokens = text::SplitOnSpaces(spaced);
  if (tokens.size() < 4) return false;
  for (const std::string& token : tokens) {
    if (text::CodePointCount(token) > 12) return false;
  }
  return true;
}

// Tag names that scrapers leave in plain-text pages (`<p>`, `<br/>`,
// `<span style=...>`, `<img src=...>`, `</strong>`).
bool IsStrayTagName(absl::string_view name) {
  static const auto* const kNames = new absl::flat_hash_set<std::string>{
      "p",   "br",  "span", "strong", "b",     "i",     "em",     "u",      "font",
      "div", "img", "a",    "section", "table", "tbody", "tr",     "td",     "th",
      "center", "h1", "h2", "h3",     "h4",    "h5",    "h6",     "sup",    "sub",
      "small", "big", "blockquote", "ul", "ol", "li",    "hr",     "article", "figure",
      "figcaption", "label", "o:p"};
  return kNames->contains(absl::AsciiStrToLower(name));
}

// If a stray tag starts at `line[i]` (`<`), returns the offset just past its
// `>`; npos otherwise.
size_t StrayTagEnd(absl::string_view line, size_t i) {
  constexpr size_t kMaxTagBytes = 300;
  size_t j = i + 1;
  if (j < line.size() && line[j] == '/') ++j;
  const size_t name_begin = j;
  while (j < line.size() && (absl::ascii_isalnum(line[j]) || line[j] == ':')) ++j;
  if (j == name_begin || !IsStrayTagName(line.substr(name_begin, j - name_begin))) {
    return absl::string_view::npos;
  }
  const size_t close = line.find('>', j);
  if (close == absl::string_view::npos || close - i > kMaxTagBytes) return absl::string_view::npos;
  if (line.substr(j, close - j).find('<') != absl::string_view::npos) {
    return absl::string_view::npos;
  }
  return close + 1;
}

// True when the tag at `line[i]` separates text (`<br>`, `<p>`, `<div>`, `<td>`).
bool IsBreakingTagAt(absl::string_view line, size_t i) {
  size_t j = i + 1;
  if (j < line.size() && line[j] == '/') ++j;
  size_t k = j;
  while (k < line.size() && absl::ascii_isalnum(line[k])) ++k;
  const std::string name = absl::AsciiStrToLower(line.substr(j, k - j));
  return name == "br" || name == "p" || name == "div" || name == "td" || name == "th" ||
         name == "li" || name == "tr" || name == "hr";
}

}  // namespace

std::string RemoveStrayTags(absl::string_view line) {
  std::string out;
  out.reserve(line.size());
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '<') {
      const size_t end = StrayTagEnd(line, i);
      if (end != absl::string_view::npos) {
        // A block tag stood between words: keep them apart.
        if (!out.empty() && out.back() != ' ' && IsBreakingTagAt(line, i)) out += ' ';
        i = end;
        continue;
      }
    }
    out += line[i++];
  }
  // Seed 002: the `<` of a trailing `</p>` was eaten by a mis-decode.
  if (text::EndsWith(text::Trim(out), "/p>")) {
    const absl::string_view trimmed = text::Trim(out);
    out = std::string(trimmed.substr(0, trimmed.size() - 3));
  }
  return std::string(text::Trim(out));
}

std::string DecodeHtmlEntities(absl::string_view line) {
  if (line.find('&') == absl::string_view::npos) return std::string(line);
  static const auto* const kNamed = new absl::flat_hash_map<std::string, char32_t>{
      {"nbsp", 0xA0},   {"amp", '&'},      {"lt", '<'},       {"gt", '>'},
      {"quot", '"'},    {"apos", '\''},    {"ldquo", 0x201C}, {"rdquo", 0x201D},
      {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"mdash", 0x2014}, {"ndash", 0x2013},
      {"hellip", 0x2026}, {"middot", 0xB7}, {"copy", 0xA9},    {"ensp", 0x2002},
      {"emsp", 0x2003}, {"bull", 0x2022},   {"times", 0xD7},   {"deg", 0xB0}};
  std::string out;
  out.reserve(line.size());
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '&') {
      const size_t semi = line.find(';', i + 1);
      if (semi != absl::string_view::npos && semi - i <= 10) {
        const std::string name(line.substr(i + 1, semi - i - 1));
        char32_t cp = 0;
        if (name.size() > 1 && name[0] == '#') {
          const bool hex = name[1] == 'x' || name[1] == 'X';
          const std::string digits = name.substr(hex ? 2 : 1);
          uint32_t value = 0;
          bool ok = !digits.empty() && digits.size() <= 7;
          for (char c : digits) {
            const int d = absl::ascii_isdigit(c)                ? c - '0'
                          : hex && absl::ascii_isxdigit(c)      ? absl::ascii_tolower(c) - 'a' + 10
                                                                : -1;
            if (d < 0) ok = false;
            value = value * (hex ? 16 : 10) + (d < 0 ? 0 : d);
          }
          if (ok && value > 0 && value <= 0x10FFFF && !(value >= 0xD800 && value <= 0xDFFF)) {
            cp = value;
          }
        } else if (auto it = kNamed->find(name); it != kNamed->end()) {
          cp = it->second;
        }
        if (cp != 0) {
          text::AppendUtf8(cp, &out);
          i = semi + 1;
          continue;
        }
      }
    }
    out += line[i++];
  }
  return out;
}

bool IsChromeLine(absl::string_view line) {
  if (line.empty()) return false;
  for (const char* start : kBreadcrumbStarts) {
    if (text::StartsWith(line, start)) return true;
  }
  const size_t length = text::CodePointCount(line);
  // Breadcrumbs: `首页 > 新闻 > 正文`.
  if (length <= 60) {
    size_t arrows = 0, pos = 0;
    while (pos < line.size()) {
      const char32_t cp = text::NextCodePoint(line, &pos);
      if (cp == '>' || cp == 0xFF1E || cp == 0x00BB || cp == 0x203A) ++arrows;
    }
    if (arrows >= 2) return true;
  }
  if (length <= 40 && AllChromeTokens(line)) return true;
  if (IsFooterChromeLine(line)) return true;
  if (length <= 40 && (absl::StrContains(line, "字体") || absl::StrContains(line, "字體")) &&
      (absl::StrContains(line, "大 中 小") || absl::StrContains(line, "大中小"))) {
    return true;
  }
  return length <= 300 && IsLinkList(line);
}

bool IsTrailerStart(absl::string_view line) {
  return TrailerHeadingKind(line) != TrailerKind::kNone;
}

bool IsPromoLine(absl::string_view line) {
  if (text::CodePointCount(line) > kMaxPromoLineCodePoints) return false;
  for (const char* marker : kPromoMarkers) {
    if (absl::StrContains(line, marker)) return true;
  }
  return false;
}

std::vector<bool> MarkPromoBlocks(const std::vector<std::string>& lines) {
  std::vector<bool> promo(lines.size(), false);
  // A neighbour joins the block when it is short and not a finished sentence.
  auto joins = [&](size_t i) {
    const std::string& l = lines[i];
    return !l.empty() && text::CodePointCount(l) <= kMaxPromoLineCodePoints &&
           !text::EndsWith(l, "。");
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    if (promo[i] || !IsPromoLine(lines[i])) continue;
    promo[i] = true;
    for (size_t j = i; j > 0 && joins(j - 1) && !promo[j - 1]; --j) promo[j - 1] = true;
    for (size_t j = i + 1; j < lines.size() && joins(j); ++j) promo[j] = true;
  }
  return promo;
}

}  // namespace newsearch::ingest
