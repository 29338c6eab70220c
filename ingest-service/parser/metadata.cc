#include "ingest-service/parser/metadata.h"

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

// Reads a run of ASCII digits at `*pos` whose length is within
// [min_len, max_len]; the run must end there.
bool ReadNumber(absl::string_view s, size_t* pos, int min_len, int max_len, int* value) {
  size_t p = *pos;
  int v = 0, len = 0;
  while (p < s.size() && absl::ascii_isdigit(s[p])) {
    if (++len > max_len) return false;
    v = v * 10 + (s[p] - '0');
    ++p;
  }
  if (len < min_len) return false;
  *pos = p;
  *value = v;
  return true;
}

bool Consume(absl::string_view s, size_t* pos, absl::string_view token) {
  if (s.substr(*pos).substr(0, token.size()) != token) return false;
  *pos += token.size();
  return true;
}

void SkipSpaces(absl::string_view s, size_t* pos) {
  while (*pos < s.size()) {
    size_t next = *pos;
    if (!text::IsSpace(text::NextCodePoint(s, &next))) return;
    *pos = next;
  }
}

// Parses an optional time of day at `*pos`; advances only on success.
// `*zone_minutes` gets an explicit ISO 8601 zone (`+08:00`, `Z`) when given.
bool ReadTime(absl::string_view s, size_t* pos, int* h, int* m, int* sec,
              std::optional<int>* zone_minutes) {
  size_t p = *pos;
  SkipSpaces(s, &p);
  if (!ReadNumber(s, &p, 1, 2, h) || *h > 23) return false;
  const bool chinese = !Consume(s, &p, ":");
  if (chinese && !Consume(s, &p, "时") && !Consume(s, &p, "點") && !Consume(s, &p, "点") &&
      !Consume(s, &p, "時")) {
    return false;
  }
  if (!ReadNumber(s, &p, 2, 2, m) || *m > 59) return false;
  *sec = 0;
  if (chinese) {
    Consume(s, &p, "分");
  } else {
    size_t q = p;
    int v = 0;
    if (Consume(s, &q, ":") && ReadNumber(s, &q, 2, 2, &v) && v <= 60) {
      *sec = v > 59 ? 59 : v;
      p = q;
    }
    // ISO 8601 zone (`+08:00`, `+0800`, `Z`), converted to China time by
    // the caller so that `2019-03-04T20:00:00Z` is the 5th in China.
    q = p;
    int zh = 0, zm = 0;
    const bool minus = q < s.size() && s[q] == '-';
    if ((Consume(s, &q, "+") || Consume(s, &q, "-")) && ReadNumber(s, &q, 2, 2, &zh)) {
      Consume(s, &q, ":");
      if (zh <= 14 && ReadNumber(s, &q, 2, 2, &zm) && zm <= 59) {
        p = q;
        *zone_minutes = (minus ? -1 : 1) * (zh * 60 + zm);
      }
    } else {
      q = p;
      if (Consume(s, &q, "Z")) {
        p = q;
        *zone_minutes = 0;
      }
    }
  }
  *pos = p;
  return true;
}

// Skips a weekday printed between date and time (`星期一`, `(周五)`).
void SkipWeekday(absl::string_view s, size_t* pos) {
  size_t p = *pos;
  SkipSpaces(s, &p);
  const bool bracket = Consume(s, &p, "(");
  if (!Consume(s, &p, "星期") && !Consume(s, &p, "礼拜") && !Consume(s, &p, "禮拜") &&
      !Consume(s, &p, "周") && !Consume(s, &p, "週")) {
    return;
  }
  bool day = false;
  for (const char* d : {"一", "二", "三", "四", "五", "六", "日", "天"}) {
    if (Consume(s, &p, d)) {
      day = true;
      break;
    }
  }
  if (!day || (bracket && !Consume(s, &p, ")"))) return;
  *pos = p;
}

// Value of a Chinese digit (`〇`, `零`, `一`..`九`), or -1.
int ChineseDigit(char32_t cp) {
  static constexpr char32_t kDigits[] = {U'〇', U'一', U'二', U'三', U'四',
                                         U'五', U'六', U'七', U'八', U'九'};
  if (cp == U'零' || cp == U'○' || cp == U'Ｏ' || cp == U'O') return 0;
  for (int d = 0; d < 10; ++d) {
    if (kDigits[d] == cp) return d;
  }
  return -1;
}

// Reads a Chinese number from 1 to 31 (`五`, `十`, `十二`, `二十三`).
bool ReadChineseNumber(absl::string_view s, size_t* pos, int* value) {
  size_t p = *pos;
  int v = 0;
  size_t q = p;
  const char32_t first = p < s.size() ? text::NextCodePoint(s, &q) : 0;
  if (first == U'十') {
    v = 10;
    p = q;
  } else {
    const int d = ChineseDigit(first);
    if (d <= 0) return false;
    v = d;
    p = q;
    q = p;
    if (p < s.size() && text::NextCodePoint(s, &q) == U'十') {
      v *= 10;
      p = q;
    } else {
      *pos = p;
      *value = v;
      return true;
    }
  }
  q = p;
  if (p < s.size()) {
    const int d = ChineseDigit(text::NextCodePoint(s, &q));
    if (d > 0) {
      v += d;
      p = q;
    }
  }
  *pos = p;
  *value = v;
  return true;
}

// Reads what may follow a day at `p` (a weekday, a time of day, a zone) into
// `*match`, whose civil day is set, and sets its end.
void FinishDate(absl::string_view s, size_t p, DateMatch* match) {
  SkipWeekday(s, &p);
  size_t t = p;
  if (t < s.size() && s[t] == 'T') ++t;  // ISO 8601.
  int h = 0, mi = 0, sec = 0;
  std::optional<int> zone;
  match->has_time = ReadTime(s, &t, &h, &mi, &sec, &zone);
  if (match->has_time) {
    p = t;
    const absl::CivilSecond at(match->civil.year(), match->civil.month(), match->civil.day(), h, mi,
                               sec);
    // A time given in another zone is moved to China time (the day may change).
    match->civil = zone ? at + (8 * 60 - *zone) * 60 : at;
  }
  SkipWeekday(s, &p);  // `2019年3月5日 10:20 星期二`.
  match->end = p;
}

// `二〇一八年四月二十三日`: four digit characters, then month and day in
// Chinese numbers.
std::optional<DateMatch> ChineseDateAt(absl::string_view s, size_t begin) {
  size_t p = begin;
  int y = 0;
  for (int i = 0; i < 4; ++i) {
    if (p >= s.size()) return std::nullopt;
    const int d = ChineseDigit(text::NextCodePoint(s, &p));
    if (d < 0) return std::nullopt;
    y = y * 10 + d;
  }
  int mo = 0, d = 0;
  if (!Consume(s, &p, "年") || !ReadChineseNumber(s, &p, &mo) || !Consume(s, &p, "月") ||
      !ReadChineseNumber(s, &p, &d) ||
      (!Consume(s, &p, "日") && !Consume(s, &p, "号") && !Consume(s, &p, "號"))) {
    return std::nullopt;
  }
  if (y < 1900 || y > 2100 || mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  const absl::CivilDay day(y, mo, d);
  if (day.month() != mo || day.day() != d) return std::nullopt;
  DateMatch match;
  match.civil = absl::CivilSecond(y, mo, d, 0, 0, 0);
  match.begin = begin;
  FinishDate(s, p, &match);
  return match;
}

// `12月20日` or `十二月二十日` (no year) at `begin`; the year is left 0.
std::optional<DateMatch> MonthDayAt(absl::string_view s, size_t begin) {
  size_t p = begin;
  int mo = 0, d = 0;
  const bool arabic = p < s.size() && absl::ascii_isdigit(s[p]);
  if (arabic ? !ReadNumber(s, &p, 1, 2, &mo) : !ReadChineseNumber(s, &p, &mo)) {
    return std::nullopt;
  }
  if (!Consume(s, &p, "月")) return std::nullopt;
  if (arabic ? !ReadNumber(s, &p, 1, 2, &d) : !ReadChineseNumber(s, &p, &d)) {
    return std::nullopt;
  }
  if (!Consume(s, &p, "日") && !Consume(s, &p, "号") && !Consume(s, &p, "號")) {
    return std::nullopt;
  }
  // 2000 is a leap year: 2月29日 stays possible until the year is known.
  const absl::CivilDay day(2000, mo, d);
  if (mo < 1 || mo > 12 || d < 1 || day.month() != mo || day.day() != d) return std::nullopt;
  DateMatch match;
  match.civil = absl::CivilSecond(2000, mo, d, 0, 0, 0);
  match.has_year = false;
  match.begin = begin;
  FinishDate(s, p, &match);
  return match;
}

std::optional<DateMatch> DateAt(absl::string_view s, size_t begin) {
  size_t p = begin;
  int y = 0, mo = 0, d = 0;
  if (!ReadNumber(s, &p, 4, 4, &y)) return std::nullopt;
  char sep = 0;
  if (p < s.size() && (s[p] == '-' || s[p] == '/' || s[p] == '.')) {
    sep = s[p++];
  } else if (!Consume(s, &p, "年")) {
    return std::nullopt;
  }
  if (!ReadNumber(s, &p, 1, 2, &mo)) return std::nullopt;
  if (sep != 0) {
    if (p >= s.size() || s[p] != sep) return std::nullopt;
    ++p;
  } else if (!Consume(s, &p, "月")) {
    return std::nullopt;
  }
  if (!ReadNumber(s, &p, 1, 2, &d)) return std::nullopt;
  if (sep == 0 && !Consume(s, &p, "日") && !Consume(s, &p, "号") && !Consume(s, &p, "號")) {
    return std::nullopt;
  }
  if (y < 1900 || y > 2100 || mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  const absl::CivilDay day(y, mo, d);
  if (day.month() != mo || day.day() != d) return std::nullopt;  // 2018-02-30.
  DateMatch match;
  match.civil = absl::CivilSecond(y, mo, d, 0, 0, 0);
  match.begin = begin;
  FinishDate(s, p, &match);
  return match;
}

// Field labels, longest first so `责任编辑` wins over `编辑`.
enum class Field { kSource, kAuthor, kEditor, kDate, kIgnored };
struct Label {
  const char* text;
  Field field;
};
constexpr Label kLabels[] = {
    // Editors by role (`本版编辑`, `实习编辑`, `美编`, #13).
    {"本版编辑", Field::kEditor}, {"本版編輯", Field::kEditor}, {"实习编辑", Field::kEditor},
    {"實習編輯", Field::kEditor}, {"美术编辑", Field::kEditor}, {"美術編輯", Field::kEditor},
    {"网络编辑", Field::kEditor}, {"網絡編輯", Field::kEditor}, {"網路編輯", Field::kEditor},
    {"值班编辑", Field::kEditor}, {"值班編輯", Field::kEditor}, {"执行编辑", Field::kEditor},
    {"執行編輯", Field::kEditor}, {"文字编辑", Field::kEditor}, {"文字編輯", Field::kEditor},
    {"图片编辑", Field::kEditor}, {"圖片編輯", Field::kEditor}, {"视频编辑", Field::kEditor},
    {"視頻編輯", Field::kEditor}, {"美编", Field::kEditor},     {"美編", Field::kEditor},
    {"责任编辑", Field::kEditor}, {"責任編輯", Field::kEditor}, {"稿件来源", Field::kSource},
    {"信息来源", Field::kSource}, {"文章来源", Field::kSource}, {"新闻来源", Field::kSource},
    {"发布时间", Field::kDate},   {"發布時間", Field::kDate},   {"發佈時間", Field::kDate},
    {"发布日期", Field::kDate},   {"发表时间", Field::kDate},   {"更新时间", Field::kDate},
    {"浏览次数", Field::kIgnored}, {"点击次数", Field::kIgnored}, {"阅读次数", Field::kIgnored},
    {"来源", Field::kSource},     {"來源", Field::kSource},     {"出处", Field::kSource},
    {"作者", Field::kAuthor},     {"记者", Field::kAuthor},     {"記者", Field::kAuthor},
    {"通讯员", Field::kAuthor},   {"通訊員", Field::kAuthor},   {"撰文", Field::kAuthor},
    {"编辑", Field::kEditor},     {"編輯", Field::kEditor},     {"责编", Field::kEditor},
    {"責編", Field::kEditor},     {"时间", Field::kDate},       {"時間", Field::kDate},
    {"日期", Field::kDate},       {"浏览", Field::kIgnored},    {"点击", Field::kIgnored},
    {"阅读", Field::kIgnored},    {"字号", Field::kIgnored},
    // Other credits that end an editor's value (`编辑：张三 校对：李四`).
    {"校对", Field::kIgnored},    {"校對", Field::kIgnored},    {"审核", Field::kIgnored},
    {"審核", Field::kIgnored},    {"审校", Field::kIgnored},    {"審校", Field::kIgnored},
    {"终审", Field::kIgnored},    {"終審", Field::kIgnored},    {"监制", Field::kIgnored},
    {"監製", Field::kIgnored},    {"统筹", Field::kIgnored},    {"統籌", Field::kIgnored},
    {"策划", Field::kIgnored},    {"策劃", Field::kIgnored},    {"主编", Field::kIgnored},
    {"主編", Field::kIgnored},
};

// Reporter titles dropped before names (`本报记者 宋爽` -> `宋爽`).
constexpr const char* kReporterTitles[] = {
    "本报特约记者", "本報特約記者", "本报见习记者", "本報見習記者", "本报通讯员", "本報通訊員",
    "本网记者",     "本網記者",     "本站记者",     "本報記者",     "本报记者",     "本刊记者",     "本刊記者",     "本台记者",   "本台記者",
    "特约记者",     "特約記者",     "见习记者",     "見習記者",     "实习记者",   "實習記者",
    "首席记者",     "首席記者",     "通讯员",       "通訊員",       "记者",       "記者",
    "特约撰稿",     "撰稿",         "文/",          "文／",         "文|",          "文丨",
};

// Byline markers printed before the reporter (`□本报记者 宋爽`).
constexpr const char* kBylineMarkers[] = {"□", "■", "◎", "●", "○", "◇", "◆", "☆", "★"};

bool StartsWithReporterTitle(absl::string_view s) {
  for (const char* title : kReporterTitles) {
    if (text::StartsWith(s, title)) return true;
  }
  return false;
}

struct LabelHit {
  size_t pos;        // Start of the label.
  size_t value_pos;  // Start of the value (after the colon).
  Field field;
  // An editor label without a colon (`编辑 李卓然`, `编辑丨刘思琪`,
  // `責任編輯／林佩君`): metadata only when names follow.
  bool soft = false;
};

// Finds `label:` occurrences. A label counts only at the start of the line or
// after a space, a digit or punctuation: `他告诉记者:` is speech, not a byline.
// Editor labels also take `丨`, `|`, `/` or a space instead of the colon.
// First code points of the labels: most positions start none, and every
// line of every page is searched.
const std::vector<bool>& LabelStarts() {
  static const std::vector<bool>* const kStarts = [] {
    auto* starts = new std::vector<bool>(0x10000, false);
    for (const Label& label : kLabels) {
      size_t p = 0;
      const char32_t cp = text::NextCodePoint(label.text, &p);
      if (cp < starts->size()) (*starts)[cp] = true;
    }
    return starts;
  }();
  return *kStarts;
}

std::vector<LabelHit> FindLabels(absl::string_view f) {
  std::vector<LabelHit> hits;
  const std::vector<bool>& starts = LabelStarts();
  size_t pos = 0;
  char32_t prev = ' ';
  while (pos < f.size()) {
    bool matched = false;
    size_t peek = pos;
    const char32_t here = text::NextCodePoint(f, &peek);
    if (!text::IsHan(prev) && here < starts.size() && starts[here]) {
      for (const Label& label : kLabels) {
        size_t p = pos;
        if (!Consume(f, &p, label.text)) continue;
        const size_t after_label = p;
        SkipSpaces(f, &p);
        bool soft = false;
        if (!Consume(f, &p, ":")) {
          if (label.field != Field::kEditor) continue;
          const bool separator =
              Consume(f, &p, "丨") || Consume(f, &p, "|") || Consume(f, &p, "/");
          if (!separator && p == after_label) continue;
          SkipSpaces(f, &p);
          if (p >= f.size()) continue;
          soft = true;
        }
        hits.push_back({pos, p, label.field, soft});
        pos = p;
        prev = ':';
        matched = true;
        break;
      }
    }
    if (!matched) {
      prev = here;
      pos = peek;
    }
  }
  return hits;
}

// Splits `s` into text chunks separated by two or more spaces (pages pad
// fields with runs of `&nbsp;`).
std::vector<std::string> SplitOnWideGaps(absl::string_view s) {
  std::vector<std::string> chunks;
  std::string current, gap;
  size_t pos = 0;
  int spaces = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const char32_t cp = text::NextCodePoint(s, &pos);
    if (text::IsSpace(cp)) {
      ++spaces;
      gap.append(s.data() + start, pos - start);
      continue;
    }
    if (spaces >= 2) {
      const std::string chunk(text::Trim(current));
      if (!chunk.empty()) chunks.push_back(chunk);
      current.clear();
    } else {
      current += gap;
    }
    gap.clear();
    spaces = 0;
    current.append(s.data() + start, pos - start);
  }
  const std::string chunk(text::Trim(current));
  if (!chunk.empty()) chunks.push_back(chunk);
  return chunks;
}

bool IsNameCodePoint(char32_t cp) {
  return text::IsHan(cp) || cp == 0xB7 || cp == 0x30FB ||
         (cp < 0x80 && absl::ascii_isalpha(static_cast<unsigned char>(cp)));
}

// Returns the names in `s` (`朱诗意`, `宋爽 李四`, `张三、李四`) after dropping
// reporter titles; empty when anything but names is left.
std::vector<std::string> ParseNames(absl::string_view s) {
  for (const char* prefix : {"文/", "文|", "文/ ", "文丨"}) {
    if (text::StartsWith(s, prefix)) s.remove_prefix(std::strlen(prefix));
  }
  std::string cleaned;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const char32_t cp = text::NextCodePoint(s, &pos);
    if (cp == 0x3001 || cp == ',' || cp == 0xFF0C || cp == ';' || cp == '/' || cp == '|') {
      cleaned += ' ';
    } else {
      cleaned.append(s.data() + start, pos - start);
    }
  }
  std::vector<std::string> names;
  for (std::string piece : text::SplitOnSpaces(cleaned)) {
    bool stripped = true;
    while (stripped) {
      stripped = false;
      for (const char* title : kReporterTitles) {
        if (text::StartsWith(piece, title)) {
          piece.erase(0, std::strlen(title));
          stripped = true;
        }
      }
    }
    if (piece.empty()) continue;
    const std::u32string cps = text::ToCodePoints(piece);
    if (cps.size() < 2 || cps.size() > 12) return {};
    for (char32_t cp : cps) {
      if (!IsNameCodePoint(cp)) return {};
    }
    if (text::HanCount(piece) > 5) return {};
    names.push_back(piece);
  }
  return names;
}

// Parses a line with no labels as a byline: `□本报记者 宋爽`, `本刊記者
// 王楓林`, `□宋爽`, `文/张三`.
std::optional<LineMetadata> ParseByline(absl::string_view f) {
  if (text::CodePointCount(f) > 40) return std::nullopt;
  absl::string_view rest = f;
  bool marker = false;
  for (const char* m : kBylineMarkers) {
    if (text::StartsWith(rest, m)) {
      rest.remove_prefix(std::strlen(m));
      marker = true;
      break;
    }
  }
  rest = text::Trim(rest);
  const bool titled = StartsWithReporterTitle(rest);
  if (!marker && !titled) return std::nullopt;
  std::vector<std::string> names = ParseNames(rest);
  if (names.empty()) return std::nullopt;
  if (!titled) {
    // `□宋爽`: a marker and one short name only.
    if (names.size() != 1 || text::HanCount(names[0]) < 2 || text::HanCount(names[0]) > 4) {
      return std::nullopt;
    }
  }
  LineMetadata meta;
  meta.authors = std::move(names);
  return meta;
}

// Separators between the fields of a source line (`人民网 | 2019-03-05`).
bool IsSeparator(char32_t cp) {
  return cp == '|' || cp == 0xFF5C || cp == 0x4E28 || cp == '/' || cp == 0xB7 || cp == 0x2022 ||
         cp == 0x2014;
}

absl::string_view TrimSeparators(absl::string_view s) {
  for (bool trimmed = true; trimmed;) {
    trimmed = false;
    s = text::Trim(s);
    size_t pos = 0;
    if (!s.empty() && IsSeparator(text::NextCodePoint(s, &pos))) {
      s.remove_prefix(pos);
      trimmed = true;
    }
    size_t at = s.size();
    while (at > 0 && (static_cast<unsigned char>(s[at - 1]) & 0xC0) == 0x80) --at;
    if (at > 0) --at;
    pos = at;
    if (!s.empty() && IsSeparator(text::NextCodePoint(s, &pos))) {
      s.remove_suffix(s.size() - at);
      trimmed = true;
    }
  }
  return s;
}

// Drops bracketed link labels after a field (`人民网 【打印】【纠错】`,
// `2019-03-05 【字号 大 中 小】`) and stray brackets left around it.
absl::string_view StripTrailingTags(absl::string_view s) {
  constexpr size_t kMaxTagCodePoints = 12;
  for (;;) {
    s = TrimSeparators(s);
    size_t open = absl::string_view::npos;
    if (text::EndsWith(s, "】")) {
      open = s.rfind("【");
    } else if (text::EndsWith(s, "]")) {
      open = s.rfind('[');
    }
    if (open == absl::string_view::npos) {
      // `人民网]  [` from `[来源:人民网]  [作者:张三]`.
      bool trimmed = false;
      for (const char* bracket : {"[", "]", "【", "】"}) {
        if (text::EndsWith(s, bracket)) {
          s.remove_suffix(std::strlen(bracket));
          trimmed = true;
        }
      }
      if (!trimmed) return s;
      continue;
    }
    if (text::CodePointCount(s.substr(open)) > kMaxTagCodePoints + 2) return s;
    s = s.substr(0, open);
  }
}

// True when `s` holds nothing but a date and brackets or spaces around it.
bool IsOnlyDate(absl::string_view f, const DateMatch& date) {
  const std::string rest =
      std::string(f.substr(0, date.begin)) + " " + std::string(f.substr(date.end));
  size_t pos = 0;
  while (pos < rest.size()) {
    const char32_t cp = text::NextCodePoint(rest, &pos);
    if (!text::IsSpace(cp) && cp != '(' && cp != ')' && cp != '[' && cp != ']' && cp != 0x3010 &&
        cp != 0x3011 && !IsSeparator(cp)) {
      return false;
    }
  }
  return true;
}

// An outlet name printed without a label: one short chunk ending in a word
// such as 报, 网, 台, 频道.
bool LooksLikeOutlet(absl::string_view s) {
  const size_t length = text::CodePointCount(s);
  if (length < 3 || length > 20 || text::HanCount(s) < 2) return false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = text::NextCodePoint(s, &pos);
    // `21世纪经济报道`, `CCTV新闻`: digits and Latin letters too.
    if (!text::IsHan(cp) && cp != '-' && cp != 0xB7 &&
        !(cp < 0x80 && absl::ascii_isalnum(static_cast<unsigned char>(cp)))) {
      return false;
    }
  }
  for (const char* end :
       {"报道", "報道", "财经", "財經", "报",   "報",   "网",   "網",   "台",   "社",
        "刊",   "新闻", "新聞", "频道", "頻道", "在线", "在線", "中心", "杂志", "雜誌"}) {
    if (text::EndsWith(s, end)) return true;
  }
  return false;
}

// Removes a date from a field's value and keeps it in `meta` (unless it has
// one). Returns the value without the date, or "" when it held none.
std::string TakeDate(absl::string_view value, LineMetadata* meta);

// A line with no `label:`: a date line, a date and an outlet, a masthead, a
// byline, or a byline and a date.
std::optional<LineMetadata> ParseUnlabelledLine(absl::string_view f) {
  constexpr size_t kMaxDateLineCodePoints = 40;
  std::optional<DateMatch> date = FindDate(f);
  if (!date) {
    // A yearless date counts only alone on its line (`十二月二十日`).
    if (text::CodePointCount(f) <= kMaxDateLineCodePoints) date = FindMonthDay(f);
    if (date && IsOnlyDate(f, *date)) {
      LineMetadata meta;
      meta.date = date;
      return meta;
    }
    return ParseByline(f);
  }
  LineMetadata meta;
  meta.date = date;
  if (text::CodePointCount(f) <= kMaxDateLineCodePoints && IsOnlyDate(f, *date)) return meta;
  const absl::string_view head = TrimSeparators(f.substr(0, date->begin));
  const absl::string_view rest = StripTrailingTags(f.substr(date->end));
  // `2022/8/30 10:00  西江新闻网`, `2019-03-05 10:20 | 人民网`: a date, then
  // an unlabelled outlet.
  if (head.empty() && LooksLikeOutlet(rest)) {
    meta.source = std::string(rest);
    return meta;
  }
  // `2021-10-28  《非公有制企业党建》`: a date, then a journal's name.
  if (head.empty() && text::StartsWith(rest, "《") && text::EndsWith(rest, "》") &&
      rest.find("《", 3) == absl::string_view::npos) {
    const absl::string_view name = rest.substr(3, rest.size() - 6);
    if (text::HanCount(name) >= 2 && text::CodePointCount(name) <= 20) {
      meta.source = std::string(name);
      return meta;
    }
  }
  // A newspaper masthead: `滨江日报 2019年3月5日 星期二 第05版：基层`, or
  // an outlet before the date: `人民网 2019年03月05日10:20`.
  if (LooksLikeOutlet(head) && (rest.empty() || text::StartsWith(rest, "第"))) {
    meta.source = std::string(head);
    return meta;
  }
  // A byline and a date: `本报记者 张三 2019年3月5日`, `2019-03-05 □李四`.
  if (head.empty() != rest.empty()) {
    if (std::optional<LineMetadata> byline = ParseByline(head.empty() ? rest : head)) {
      byline->date = date;
      return byline;
    }
  }
  return std::nullopt;
}

std::string TakeDate(absl::string_view value, LineMetadata* meta) {
  std::optional<DateMatch> date = FindDate(value);
  if (!date) return "";
  if (!meta->date) meta->date = date;
  const std::string undated = absl::StrCat(TrimSeparators(value.substr(0, date->begin)), "  ",
                                           TrimSeparators(value.substr(date->end)));
  return std::string(text::Trim(undated));
}

}  // namespace

std::optional<DateMatch> FindDate(absl::string_view s) {
  const std::string f = text::FoldFullWidth(s);
  for (size_t i = 0; i < f.size(); ++i) {
    if (!absl::ascii_isdigit(f[i]) || (i > 0 && absl::ascii_isdigit(f[i - 1]))) continue;
    if (std::optional<DateMatch> match = DateAt(f, i)) return match;
  }
  for (size_t i = 0; i < f.size();) {
    const size_t start = i;
    if (ChineseDigit(text::NextCodePoint(f, &i)) >= 0) {
      if (std::optional<DateMatch> match = ChineseDateAt(f, start)) return match;
    }
  }
  return std::nullopt;
}

std::optional<DateMatch> FindMonthDay(absl::string_view s) {
  const std::string f = text::FoldFullWidth(s);
  for (size_t i = 0; i < f.size();) {
    const size_t start = i;
    const char32_t cp = text::NextCodePoint(f, &i);
    const bool digit = cp < 0x80 && absl::ascii_isdigit(static_cast<unsigned char>(cp));
    if (digit && start > 0 && absl::ascii_isdigit(f[start - 1])) continue;
    if (!digit && ChineseDigit(cp) <= 0 && cp != U'十') continue;
    if (std::optional<DateMatch> match = MonthDayAt(f, start)) return match;
  }
  return std::nullopt;
}

bool SetYear(int year, DateMatch* date) {
  if (date->has_year) return true;
  const absl::CivilSecond& c = date->civil;
  const absl::CivilDay day(year, c.month(), c.day());
  if (year < 1900 || year > 2100 || day.month() != c.month()) return false;
  date->civil = absl::CivilSecond(year, c.month(), c.day(), c.hour(), c.minute(), c.second());
  date->has_year = true;
  return true;
}

absl::Time ChinaTimeToInstant(absl::CivilSecond civil) {
  static const absl::TimeZone* const kChina =
      new absl::TimeZone(absl::FixedTimeZone(8 * 60 * 60));
  return absl::FromCivil(civil, *kChina);
}

std::string StripPinyinGlosses(absl::string_view s, int* removed) {
  // Fast path: no bracket, nothing to strip.
  if (s.find('(') == absl::string_view::npos && s.find("\xEF\xBC\x88") == absl::string_view::npos) {
    return std::string(s);
  }
  const std::u32string cps = text::ToCodePoints(s);
  std::u32string out;
  out.reserve(cps.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    if ((cps[i] == '(' || cps[i] == 0xFF08) && !out.empty() && text::IsHan(out.back())) {
      size_t j = i + 1;
      bool toned = false;
      while (j < cps.size() && j - i <= 7 &&
             ((cps[j] >= 'a' && cps[j] <= 'z') || (cps[j] >= 0xC0 && cps[j] <= 0x24F))) {
        toned = toned || cps[j] >= 0xC0;
        ++j;
      }
      if (toned && j > i + 1 && j < cps.size() && (cps[j] == ')' || cps[j] == 0xFF09)) {
        i = j;
        if (removed != nullptr) ++*removed;
        continue;
      }
    }
    out.push_back(cps[i]);
  }
  return text::FromCodePoints(out);
}

std::optional<LineMetadata> ParseMetadataLine(absl::string_view line) {
  std::string f = text::FoldFullWidth(StripPinyinGlosses(text::Trim(line)));
  // `（编辑：徐静）`, `【来源：新华社】`: the whole line in brackets.
  for (const auto& [open, close] : {std::pair<absl::string_view, absl::string_view>{"(", ")"},
                                    {"【", "】"}, {"[", "]"}}) {
    if (text::StartsWith(f, open) && text::EndsWith(f, close) &&
        f.size() > open.size() + close.size()) {
      f = std::string(
          text::Trim(absl::string_view(f).substr(open.size(), f.size() - open.size() - close.size())));
      break;
    }
  }
  if (f.empty() || text::CodePointCount(f) > 150) return std::nullopt;

  const std::vector<LabelHit> hits = FindLabels(f);
  if (hits.empty()) return ParseUnlabelledLine(f);

  LineMetadata meta;
  // Whatever precedes the first label must be a date (seed 000, 001), or an
  // outlet and a date (`人民网 | 2019年03月05日 10:20 | 作者：张三`).
  const absl::string_view prefix = text::Trim(absl::string_view(f).substr(0, hits[0].pos));
  if (!prefix.empty()) {
    std::optional<DateMatch> date = FindDate(prefix);
    if (!date.has_value()) date = FindMonthDay(prefix);  // `十二月二十日 来源：…`.
    if (!date.has_value()) return std::nullopt;
    if (!IsOnlyDate(prefix, *date)) {
      const absl::string_view head = TrimSeparators(prefix.substr(0, date->begin));
      if (!LooksLikeOutlet(head) || !TrimSeparators(prefix.substr(date->end)).empty()) {
        return std::nullopt;
      }
      meta.source = std::string(head);
    }
    meta.date = date;
  }
  for (size_t i = 0; i < hits.size(); ++i) {
    const size_t end = i + 1 < hits.size() ? hits[i + 1].pos : f.size();
    absl::string_view value =
        text::Trim(absl::string_view(f).substr(hits[i].value_pos, end - hits[i].value_pos));
    // A date printed inside another field (`作者：张三 2019-03-05 10:20`).
    const std::string undated = hits[i].field == Field::kDate ? "" : TakeDate(value, &meta);
    if (!undated.empty()) value = undated;
    switch (hits[i].field) {
      case Field::kSource: {
        if (!meta.source.empty()) break;
        std::vector<std::string> chunks = SplitOnWideGaps(value);
        if (chunks.empty()) break;
        // `来源：金门日报 记者 许志明`: a byline after a single space.
        std::vector<std::string> words = text::SplitOnSpaces(chunks[0]);
        for (size_t w = 1; w < words.size(); ++w) {
          if (!StartsWithReporterTitle(words[w])) continue;
          std::vector<std::string> rest(words.begin() + w, words.end());
          chunks.insert(chunks.begin() + 1, absl::StrJoin(rest, " "));
          words.resize(w);
          chunks[0] = absl::StrJoin(words, " ");
          break;
        }
        std::string source = text::CollapseSpaces(StripTrailingTags(chunks[0]));
        // `来源：古城时报 | 作者：...`: separators before the next label.
        for (bool trimmed = true; trimmed;) {
          trimmed = false;
          for (const char* sep : {"|", "｜", "/", "·", " "}) {
            if (text::EndsWith(source, sep)) {
              source.resize(source.size() - std::strlen(sep));
              trimmed = true;
            }
          }
        }
        // `来源: 《非公有制企业党建》` names the magazine.
        if (text::StartsWith(source, "《") && text::EndsWith(source, "》") &&
            source.size() > 6) {
          source = source.substr(3, source.size() - 6);
        }
        meta.source = std::move(source);
        // `来源:中国台州网-台州日报   葛星星`: a name after a wide gap.
        for (size_t c = 1; c < chunks.size(); ++c) {
          for (std::string& name : ParseNames(chunks[c])) meta.authors.push_back(std::move(name));
        }
        break;
      }
      case Field::kAuthor:
        for (std::string& name : ParseNames(value)) meta.authors.push_back(std::move(name));
        break;
      case Field::kEditor: {
        std::vector<std::string> names = ParseNames(value);
        if (names.empty() && hits[i].soft) return std::nullopt;
        for (std::string& name : names) meta.editors.push_back(std::move(name));
        break;
      }
      case Field::kDate:
        if (!meta.date.has_value()) meta.date = FindDate(value);
        if (!meta.date.has_value()) meta.date = FindMonthDay(value);
        break;
      case Field::kIgnored:
        break;
    }
  }
  return meta;
}

}  // namespace newsearch::ingest
