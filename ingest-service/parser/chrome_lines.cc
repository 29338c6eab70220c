#include "ingest-service/parser/chrome_lines.h"

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

// Footer lines are short; a longer line that mentions copyright is a story.
constexpr size_t kMaxFooterCodePoints = 120;
constexpr size_t kMaxListItemCodePoints = 40;
constexpr size_t kMinProseCodePoints = 30;

// Words that only a page frame uses, wherever they stand in a short line.
constexpr const char* kFooterWords[] = {
    "版权所有", "版權所有", "版权归", "版權歸", "All Rights Reserved", "all rights reserved",
    "Copyright", "COPYRIGHT", "copyright", "©", "禁止转载", "禁止轉載", "不得转载", "不得轉載",
    "转载请注明", "轉載請註明", "免责声明", "免責聲明", "不代表本网", "不代表本站",
    "不代表本報", "不代表本报", "不代表本網", "仅代表作者", "僅代表作者", "如有侵权",
    "如有侵權", "ICP备", "ICP證", "ICP证", "ICP備", "公网安备", "公網安備",
    "新闻信息服务许可证", "新聞信息服務許可證", "网络文化经营许可证", "增值电信业务经营许可证",
    "违法和不良信息", "違法和不良信息", "隐私权政策", "隱私權政策", "特别声明", "特別聲明",
    "郑重声明", "鄭重聲明", "凡注明", "凡本网注明", "凡本網註明", "转载目的在于",
    "轉載目的在於", "版权归原作者", "版權歸原作者", "网站备案号", "網站備案號"};

// Words of a frame that body text may also use (`举报电话`): chrome only in a
// short line that is not a sentence.
constexpr const char* kShortFooterWords[] = {
    "人参与", "人參與", "条评论", "條評論", "我来说两句", "我來說兩句", "查看全部评论",
    "查看全部評論", "联系我们", "聯絡我們", "聯繫我們", "关于我们", "關於我們", "打开APP",
    "打開APP", "下载APP", "下載APP", "下载客户端", "下載客戶端", "手机看新闻", "手機看新聞",
    "点击关注", "點擊關注", "举报电话", "舉報電話", "举报邮箱", "舉報郵箱", "阅读原文",
    "閱讀原文", "跟帖", "查看评论", "查看評論", "投稿邮箱", "投稿郵箱", "网友评论",
    "網友評論", "欢迎关注", "歡迎關注"};

// Group and account invitations: one of these with a group number, or with
// an inviting verb (s07's body mentions a QQ group without either).
constexpr const char* kGroupWords[] = {"QQ群", "QQ羣", "qq群", "微信群", "读者群", "讀者群",
                                       "粉丝群", "粉絲群", "添加微信", "加微信"};
constexpr const char* kInviteWords[] = {"欢迎加入", "歡迎加入", "扫码", "掃碼", "长按", "長按",
                                        "爆料", "请加", "請加"};

constexpr size_t kMaxShortFooterCodePoints = 40;
constexpr size_t kMinGroupNumberDigits = 5;

// Starts of previous/next-article links and comment counters (after an
// opening bracket or arrow, `【上一篇】`, `« 上一篇`).
constexpr const char* kFooterStarts[] = {
    "上篇:", "下篇:", "上篇：", "下篇：",
    "上一篇", "下一篇", "上一條", "下一條", "上一条", "下一条", "上一則", "下一則",
    "上一页", "下一页", "上一頁", "下一頁", "网友评论", "網友評論", "评论（", "評論（",
    "评论(", "評論(", "—END—", "本文已被阅读", "本文已被閱讀"};

// Chrome inside brackets, kept apart or at the ends of another line.
constexpr const char* kBracketTokens[] = {
    "纠错", "糾錯", "我要纠错", "我要糾錯", "打印", "列印", "关闭", "關閉", "关闭窗口",
    "關閉窗口", "关闭视窗", "關閉視窗", "收藏", "分享", "评论", "評論", "返回顶部", "返回頂部"};

struct Heading {
  const char* text;
  TrailerKind kind;
};
constexpr Heading kHeadings[] = {
    {"相关阅读", TrailerKind::kReadingList}, {"相關閱讀", TrailerKind::kReadingList},
    {"相关稿件", TrailerKind::kReadingList}, {"相關稿件", TrailerKind::kReadingList},
    {"相关新闻", TrailerKind::kReadingList}, {"相關新聞", TrailerKind::kReadingList},
    {"相关文章", TrailerKind::kReadingList}, {"相關文章", TrailerKind::kReadingList},
    {"相关报道", TrailerKind::kReadingList}, {"相關報導", TrailerKind::kReadingList},
    {"相关链接", TrailerKind::kReadingList}, {"相關鏈接", TrailerKind::kReadingList},
    {"延伸阅读", TrailerKind::kReadingList}, {"延伸閱讀", TrailerKind::kReadingList},
    {"推荐阅读", TrailerKind::kReadingList}, {"推薦閱讀", TrailerKind::kReadingList},
    {"更多阅读", TrailerKind::kReadingList}, {"更多閱讀", TrailerKind::kReadingList},
    {"热点推荐", TrailerKind::kReadingList}, {"熱點推薦", TrailerKind::kReadingList},
    {"热门推荐", TrailerKind::kReadingList}, {"熱門推薦", TrailerKind::kReadingList},
    {"精彩推荐", TrailerKind::kReadingList}, {"精彩推薦", TrailerKind::kReadingList},
    {"编辑推荐", TrailerKind::kReadingList}, {"編輯推薦", TrailerKind::kReadingList},
    {"热门排行", TrailerKind::kReadingList}, {"熱門排行", TrailerKind::kReadingList},
    {"点击排行", TrailerKind::kReadingList}, {"點擊排行", TrailerKind::kReadingList},
    {"大家都在看", TrailerKind::kReadingList}, {"猜你喜欢", TrailerKind::kReadingList},
    {"猜你喜歡", TrailerKind::kReadingList}, {"为你推荐", TrailerKind::kReadingList},
    {"為你推薦", TrailerKind::kReadingList}, {"为您推荐", TrailerKind::kReadingList},
    {"热门文章", TrailerKind::kReadingList}, {"熱門文章", TrailerKind::kReadingList},
    {"热点新闻", TrailerKind::kReadingList}, {"熱點新聞", TrailerKind::kReadingList},
    {"更多精彩", TrailerKind::kReadingList}, {"相关专题", TrailerKind::kReadingList},
    {"相關專題", TrailerKind::kReadingList}, {"相关推荐", TrailerKind::kReadingList},
    {"相關推薦", TrailerKind::kReadingList}, {"相关资讯", TrailerKind::kReadingList},
    {"相關資訊", TrailerKind::kReadingList}, {"新闻推荐", TrailerKind::kReadingList},
    {"新聞推薦", TrailerKind::kReadingList}, {"今日推荐", TrailerKind::kReadingList},
    {"今日推薦", TrailerKind::kReadingList}, {"今日热点", TrailerKind::kReadingList},
    {"今日熱點", TrailerKind::kReadingList}, {"热门新闻", TrailerKind::kReadingList},
    {"熱門新聞", TrailerKind::kReadingList}, {"最新新闻", TrailerKind::kReadingList},
    {"最新新聞", TrailerKind::kReadingList}, {"最新资讯", TrailerKind::kReadingList},
    {"最新資訊", TrailerKind::kReadingList}, {"更多新闻", TrailerKind::kReadingList},
    {"更多新聞", TrailerKind::kReadingList}, {"热门阅读", TrailerKind::kReadingList},
    {"熱門閱讀", TrailerKind::kReadingList}, {"阅读排行", TrailerKind::kReadingList},
    {"閱讀排行", TrailerKind::kReadingList}, {"本周热点", TrailerKind::kReadingList},
    {"本週熱點", TrailerKind::kReadingList}, {"看了本文的人还看了", TrailerKind::kReadingList},
    {"专题推荐", TrailerKind::kReadingList}, {"專題推薦", TrailerKind::kReadingList},
    {"往期回顾", TrailerKind::kFinal},
    {"往期回顧", TrailerKind::kFinal},       {"网友评论", TrailerKind::kFinal},
    {"網友評論", TrailerKind::kFinal},       {"最新评论", TrailerKind::kFinal},
    {"最新評論", TrailerKind::kFinal},       {"全部评论", TrailerKind::kFinal},
    {"全部評論", TrailerKind::kFinal},       {"精彩评论", TrailerKind::kFinal},
    {"精彩評論", TrailerKind::kFinal},       {"网友跟帖", TrailerKind::kFinal},
    {"網友跟帖", TrailerKind::kFinal},       {"热门评论", TrailerKind::kFinal},
    {"熱門評論", TrailerKind::kFinal},       {"友情链接", TrailerKind::kFinal},
    {"友情鏈接", TrailerKind::kFinal},       {"友情連結", TrailerKind::kFinal}};

constexpr size_t kMaxHeadingCodePoints = 30;

// The word lists above, found in one pass over a line: every line of every
// page is tested, so scanning it once per word would be the parser's
// hottest loop.
enum WordList : uint8_t {
  kFooterList = 1,
  kShortFooterList = 2,
  kGroupList = 4,
  kInviteList = 8,
  kAppList = 16,      // 客户端
  kAppVerbList = 32,  // 下载, 打开
};

class WordIndex {
 public:
  WordIndex() : heads_(1 << 16, false) {
    static constexpr const char* kApp[] = {"客户端", "客戶端"};
    static constexpr const char* kAppVerbs[] = {"下载", "下載", "打开", "打開"};
    Add(kFooterWords, kFooterList);
    Add(kShortFooterWords, kShortFooterList);
    Add(kGroupWords, kGroupList);
    Add(kInviteWords, kInviteList);
    Add(kApp, kAppList);
    Add(kAppVerbs, kAppVerbList);
  }

  // The lists that have a word in `line`, OR-ed.
  uint8_t Match(absl::string_view line) const {
    uint8_t found = 0;
    for (size_t i = 0; i + 1 < line.size(); ++i) {
      const uint16_t head = Head(line, i);
      if (!heads_[head]) continue;
      for (const Entry& e : buckets_.at(head)) {
        if ((found & e.list) == 0 && line.substr(i, e.word.size()) == e.word) found |= e.list;
      }
    }
    return found;
  }

 private:
  struct Entry {
    absl::string_view word;
    uint8_t list;
  };
  template <size_t N>
  void Add(const char* const (&words)[N], uint8_t list) {
    for (const char* word : words) {
      const uint16_t head = Head(word, 0);
      heads_[head] = true;
      buckets_[head].push_back({word, list});
    }
  }
  // Every word is at least two bytes (`©`).
  static uint16_t Head(absl::string_view s, size_t i) {
    return static_cast<uint16_t>(static_cast<unsigned char>(s[i]) << 8 |
                                 static_cast<unsigned char>(s[i + 1]));
  }
  std::vector<bool> heads_;
  absl::flat_hash_map<uint16_t, std::vector<Entry>> buckets_;
};

const WordIndex& Words() {
  static const auto* const kIndex = new WordIndex();
  return *kIndex;
}

bool IsBracketToken(absl::string_view s) {
  for (const char* t : kBracketTokens) {
    if (s == t) return true;
  }
  return false;
}

// Strips one bracketed chrome token at the start (`at_end` false) or end.
bool StripOne(absl::string_view* s, bool at_end) {
  for (const auto& [open, close] : {std::pair<const char*, const char*>{"【", "】"},
                                    {"[", "]"}, {"〔", "〕"}}) {
    if (!at_end && text::StartsWith(*s, open)) {
      const size_t c = s->find(close);
      if (c == absl::string_view::npos) continue;
      const absl::string_view inner =
          text::Trim(s->substr(std::strlen(open), c - std::strlen(open)));
      if (!IsBracketToken(inner)) continue;
      s->remove_prefix(c + std::strlen(close));
      *s = text::Trim(*s);
      return true;
    }
    if (at_end && text::EndsWith(*s, close)) {
      const size_t o = s->rfind(open);
      if (o == absl::string_view::npos) continue;
      const absl::string_view inner = text::Trim(
          s->substr(o + std::strlen(open), s->size() - o - std::strlen(open) - std::strlen(close)));
      if (!IsBracketToken(inner)) continue;
      *s = text::Trim(s->substr(0, o));
      return true;
    }
  }
  return false;
}

bool IsBullet(char32_t cp) {
  return cp == 0xB7 || cp == 0x2022 || cp == 0x25AA || cp == 0x25CF || cp == 0x25A0 ||
         cp == 0x25B6 || cp == 0x25BA || cp == 0x30FB || cp == '*' || cp == '-' ||
         cp == 0x2014 || cp == 0x25C6 || cp == 0x25C7 || cp == 0x2605 || cp == 0x2606;
}

bool EndsWithSentencePunct(absl::string_view s) {
  for (const char* end : {"。", "！", "？", "!", "?", "…", "；", "。”", "！”", "？”", "。」"}) {
    if (text::EndsWith(s, end)) return true;
  }
  return false;
}

}  // namespace

bool IsFooterChromeLine(absl::string_view line) {
  // (A code point is at most 4 bytes: the byte test spares most counting.)
  if (line.empty() || line.size() > 4 * kMaxFooterCodePoints ||
      text::CodePointCount(line) > kMaxFooterCodePoints) {
    return false;
  }
  absl::string_view head = line;
  for (const char* open : {"【", "[", "<<", "«", "←", "<", "〔"}) {
    if (text::StartsWith(head, open)) {
      head = text::Trim(head.substr(std::strlen(open)));
      break;
    }
  }
  size_t first_end = 0;
  const char32_t first = head.empty() ? 0 : text::NextCodePoint(head, &first_end);
  const bool may_start = first == U'上' || first == U'下' || first == U'网' || first == U'網' ||
                         first == U'评' || first == U'評' || first == U'—' || first == U'本';
  for (const char* start : kFooterStarts) {
    if (!may_start) break;
    if (!text::StartsWith(head, start)) continue;
    // `上一篇：标题` or a bare `上一篇`; not a sentence that begins so.
    absl::string_view rest = text::Trim(head.substr(std::strlen(start)));
    for (const char* close : {"】", "]", "〕"}) {
      if (text::StartsWith(rest, close)) {
        rest = text::Trim(rest.substr(std::strlen(close)));
        if (rest.empty() || !EndsWithSentencePunct(rest)) return true;
      }
    }
    if (rest.empty() || text::StartsWith(rest, ":") || text::StartsWith(rest, "：") ||
        text::StartsWith(rest, "（") || text::StartsWith(rest, "(") ||
        text::StartsWith(rest, "-") || text::StartsWith(rest, "—") ||
        (text::CodePointCount(line) <= kMaxListItemCodePoints &&
         !EndsWithSentencePunct(line))) {
      return true;
    }
  }
  const uint8_t found = Words().Match(line);
  if (found == 0) return false;
  if (found & kFooterList) return true;
  if (text::CodePointCount(line) <= kMaxShortFooterCodePoints && !EndsWithSentencePunct(line)) {
    if (found & kShortFooterList) return true;
    // `下载南岭新闻客户端`, `打开XX客户端，阅读全文`.
    if ((found & kAppList) && (found & kAppVerbList)) return true;
  }
  if (found & kGroupList) {
    if (found & kInviteList) return true;
    size_t run = 0;
    for (char c : line) {
      run = absl::ascii_isdigit(c) ? run + 1 : 0;
      if (run >= kMinGroupNumberDigits) return true;
    }
  }
  return false;
}

std::string StripChromeBrackets(std::string line) {
  absl::string_view s = line;
  bool stripped = false;
  while (StripOne(&s, /*at_end=*/false)) stripped = true;
  while (StripOne(&s, /*at_end=*/true)) stripped = true;
  if (!stripped || s.empty()) return line;
  return std::string(s);
}

TrailerKind TrailerHeadingKind(absl::string_view line) {
  if (line.empty() || line.size() > 4 * kMaxHeadingCodePoints ||
      text::CodePointCount(line) > kMaxHeadingCodePoints) {
    return TrailerKind::kNone;
  }
  absl::string_view rest = line;
  for (const char* open : {"【", "[", "■", "□", "▶", "●", ">>", "》", "〔"}) {
    if (text::StartsWith(rest, open)) {
      rest.remove_prefix(std::strlen(open));
      break;
    }
  }
  rest = text::Trim(rest);
  static const std::vector<bool>* const kStarts = [] {
    auto* starts = new std::vector<bool>(0x10000, false);
    for (const Heading& h : kHeadings) {
      size_t p = 0;
      const char32_t cp = text::NextCodePoint(h.text, &p);
      if (cp < starts->size()) (*starts)[cp] = true;
    }
    return starts;
  }();
  size_t p = 0;
  const char32_t first = rest.empty() ? 0 : text::NextCodePoint(rest, &p);
  if (first >= kStarts->size() || !(*kStarts)[first]) return TrailerKind::kNone;
  for (const Heading& h : kHeadings) {
    if (text::StartsWith(rest, h.text)) return h.kind;
  }
  return TrailerKind::kNone;
}

bool IsHeadlineListItem(absl::string_view line) {
  if (line.empty()) return false;
  size_t pos = 0;
  const char32_t first = text::NextCodePoint(line, &pos);
  const size_t length = text::CodePointCount(line);
  // `· 标题`, `1 标题`, `• 以深度新闻…。` (an item may carry a summary).
  const bool bulleted = IsBullet(first) || (first >= '0' && first <= '9' && pos < line.size() &&
                                            (line[pos] == ' ' || line[pos] == '.' ||
                                             line[pos] == ')'));
  if (bulleted) return length <= 3 * kMaxListItemCodePoints;
  if (length > kMaxListItemCodePoints || text::HanCount(line) < 2) return false;
  // A quotation standing alone is a subhead or a quote, not a link.
  if ((text::StartsWith(line, "“") && text::EndsWith(line, "”")) ||
      (text::StartsWith(line, "「") && text::EndsWith(line, "」"))) {
    return false;
  }
  return !EndsWithSentencePunct(line);
}

bool IsProseParagraph(absl::string_view line) {
  if (text::CodePointCount(line) < kMinProseCodePoints) return false;
  for (const char* mark : {"。", "！", "？", "!", "?"}) {
    if (absl::StrContains(line, mark)) return true;
  }
  return false;
}

size_t FindTrailer(const std::vector<std::string>& texts, std::vector<bool>* in_body_list) {
  in_body_list->assign(texts.size(), false);
  constexpr int kMinResumedParagraphs = 2;
  size_t non_blank = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].empty()) continue;
    // A `相关阅读` in the first lines is a menu entry, not the trailer.
    const TrailerKind kind = non_blank >= 2 ? TrailerHeadingKind(texts[i]) : TrailerKind::kNone;
    ++non_blank;
    if (kind == TrailerKind::kNone) continue;
    if (kind == TrailerKind::kFinal) return i;
    // The list: items, chrome and blank lines after the heading.
    // (HTML pages may have lost the link items already.)
    size_t j = i + 1;
    while (j < texts.size() &&
           (texts[j].empty() || IsFooterChromeLine(texts[j]) ||
            (IsHeadlineListItem(texts[j]) &&
             TrailerHeadingKind(texts[j]) == TrailerKind::kNone))) {
      ++j;
    }
    int prose = 0;
    for (size_t k = j; k < texts.size() && prose < kMinResumedParagraphs; ++k) {
      if (TrailerHeadingKind(texts[k]) != TrailerKind::kNone) break;
      size_t pos = 0;
      const char32_t first = texts[k].empty() ? 0 : text::NextCodePoint(texts[k], &pos);
      if (IsProseParagraph(texts[k]) && !IsBullet(first) && !IsFooterChromeLine(texts[k])) {
        ++prose;
      }
    }
    if (prose < kMinResumedParagraphs) return i;
    for (size_t k = i; k < j; ++k) (*in_body_list)[k] = true;
    i = j - 1;
  }
  return texts.size();
}

namespace {

// `标题 2023-03-10`, `标题（03-10）`, `标题 [2023/3/10]`.
bool EndsWithDate(absl::string_view line) {
  while (!line.empty()) {
    bool trimmed = false;
    for (const char* close : {")", "）", "]", "】", " "}) {
      if (text::EndsWith(line, close)) {
        line.remove_suffix(std::strlen(close));
        trimmed = true;
      }
    }
    if (!trimmed) break;
  }
  size_t digits = 0, separators = 0, i = line.size();
  while (i > 0) {
    const char c = line[i - 1];
    if (absl::ascii_isdigit(c)) {
      ++digits;
    } else if (c == '-' || c == '/' || c == '.') {
      ++separators;
    } else {
      break;
    }
    --i;
  }
  return separators >= 1 && separators <= 2 && digits >= 3 && digits <= 8 && i > 0 &&
         i < line.size() && absl::ascii_isdigit(line[i]);
}

bool IsMarkedListItem(absl::string_view line) {
  if (!IsHeadlineListItem(line)) return false;
  size_t pos = 0;
  const char32_t first = text::NextCodePoint(line, &pos);
  const bool numbered = first >= '0' && first <= '9' && pos < line.size() &&
                        (line[pos] == ' ' || line[pos] == '.' || line[pos] == ')');
  return IsBullet(first) || numbered || EndsWithDate(line);
}

}  // namespace

void MarkHeadlessLists(const std::vector<std::string>& texts, std::vector<bool>* in_body_list) {
  constexpr size_t kMinItems = 3;
  if (in_body_list->size() < texts.size()) in_body_list->resize(texts.size(), false);
  size_t i = 0;
  while (i < texts.size()) {
    size_t j = i;
    while (j < texts.size() && !texts[j].empty() && IsMarkedListItem(texts[j])) ++j;
    if (j - i >= kMinItems) {
      for (size_t k = i; k < j; ++k) (*in_body_list)[k] = true;
    }
    i = j > i ? j : i + 1;
  }
}

}  // namespace newsearch::ingest
