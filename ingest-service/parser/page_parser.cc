#include "ingest-service/parser/page_parser.h"

#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/base/status_macros.h"
#include "ingest-service/parser/boilerplate.h"
#include "ingest-service/parser/charset.h"
#include "ingest-service/parser/html_text.h"
#include "ingest-service/parser/metadata.h"
#include "ingest-service/parser/script.h"
#include "ingest-service/parser/text_util.h"

#ifndef NEWSEARCH_OPENCC_DATA_DIR
#define NEWSEARCH_OPENCC_DATA_DIR "/usr/share/opencc"
#endif

namespace newsearch::ingest {

struct PageParser::Impl {
  std::unique_ptr<ScriptDetector> script;
};

namespace {

// A page needs this much Han text in its body to count as an article.
constexpr size_t kMinBodyHan = 20;
// Title anchors (date, source, byline lines) are looked for this far down.
constexpr size_t kHeaderScanLines = 15;
constexpr size_t kMinTitleCodePoints = 4;
constexpr size_t kNoLine = static_cast<size_t>(-1);
constexpr size_t kMaxTitleCodePoints = 80;
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

bool IsPlausibleHeadline(const Line& line) {
  if (line.kind != LineKind::kText) return false;
  // Seed 004: pinyin glosses must not make a headline look too long.
  const std::string bare = StripPinyinGlosses(line.text);
  const size_t length = text::CodePointCount(bare);
  if (length < kMinTitleCodePoints || length > kMaxTitleCodePoints) return false;
  if (text::HanCount(bare) < 2) return false;
  if (text::StartsWith(line.text, "——") || text::StartsWith(line.text, "—")) return false;
  for (const char* end : {"。", ":", "：", ",", "，", "、"}) {
    if (text::EndsWith(line.text, end)) return false;
  }
  return true;
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
    *subtitle = tail;
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

}  // namespace

PageParser::PageParser() : impl_(std::make_unique<Impl>()) {}
PageParser::~PageParser() = default;

absl::StatusOr<std::unique_ptr<PageParser>> PageParser::Create() {
  std::unique_ptr<PageParser> parser(new PageParser());
  NEWSEARCH_ASSIGN_OR_RETURN(parser->impl_->script,
                             ScriptDetector::Create(NEWSEARCH_OPENCC_DATA_DIR));
  return parser;
}

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

  // Lines, trimmed, with the trailer cut off.
  std::vector<Line> lines;
  size_t non_blank = 0;
  for (absl::string_view raw : absl::StrSplit(page_text, '\n')) {
    Line line;
    line.text = RemoveStrayTags(raw);
    // A `相关阅读` in the first lines is a menu entry, not the trailer.
    if (non_blank >= 2 && IsTrailerStart(line.text)) break;
    if (!line.text.empty()) ++non_blank;
    lines.push_back(std::move(line));
  }

  std::vector<std::string> texts;
  texts.reserve(lines.size());
  for (const Line& l : lines) texts.push_back(l.text);
  const std::vector<bool> promo = MarkPromoBlocks(texts);
  size_t text_line_count = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    Line& line = lines[i];
    if (line.text.empty()) continue;
    if (promo[i]) {
      line.kind = LineKind::kPromo;
    } else if ((line.meta = ParseMetadataLine(line.text))) {
      line.kind = LineKind::kMeta;
    } else if (IsChromeLine(line.text)) {
      line.kind = LineKind::kChrome;
    } else {
      line.kind = LineKind::kText;
      ++text_line_count;
    }
  }
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
  for (size_t k = 1; k < header.size() && title_index == kNoLine; ++k) {
    if (lines[header[k]].kind != LineKind::kMeta) continue;
    const Line& prev = lines[header[k - 1]];
    if (prev.kind == LineKind::kText && text::StartsWith(prev.text, "—") && k >= 2 &&
        IsPlausibleHeadline(lines[header[k - 2]])) {
      title_index = header[k - 2];
      subtitle_index = header[k - 1];
    } else if (IsPlausibleHeadline(prev)) {
      title_index = header[k - 1];
    }
  }
  if (html && !html_text.h1.empty()) {
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
  } else if (html && !html_text.title.empty()) {
    title = CleanHtmlTitle(html_text.title);
    warnings.push_back("title_guessed: title taken from the HTML <title>");
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].text == title) {
        title_index = i;
        break;
      }
    }
  } else {
    for (size_t i : header) {
      if (IsPlausibleHeadline(lines[i])) {
        title_index = i;
        title = lines[i].text;
        warnings.push_back("title_guessed: title taken from the first line");
        break;
      }
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
  if (subtitle_index != kNoLine) subtitle = StripDashes(lines[subtitle_index].text);
  SplitInlineSubtitle(&title, &subtitle);
  title = text::CollapseSpaces(title);
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
  for (const Line& line : lines) {
    if (line.kind != LineKind::kMeta) continue;
    if (!date && line.meta->date) date = line.meta->date;
    if (source.empty()) source = line.meta->source;
    AppendUnique(line.meta->authors, &authors, &seen_authors);
    AppendUnique(line.meta->editors, &editors, &seen_editors);
  }

  // Body: text lines after the title, one paragraph each.
  std::vector<std::string> paragraphs;
  const size_t body_begin = title_index != kNoLine ? title_index + 1 : 0;
  for (size_t i = body_begin; i < lines.size(); ++i) {
    if (lines[i].kind != LineKind::kText || i == subtitle_index) continue;
    if (text::CollapseSpaces(lines[i].text) == title) continue;
    paragraphs.push_back(lines[i].text);
  }
  if (!html) {
    int joined = 0;
    paragraphs = JoinBrokenParagraphs(std::move(paragraphs), &joined);
    if (joined > 0) {
      warnings.push_back(absl::StrCat("paragraphs_joined: joined ", joined, " paragraphs broken mid-sentence"));
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

  if (date) {
    const absl::Time instant = ChinaTimeToInstant(date->civil);
    article.mutable_published_at()->set_seconds(absl::ToUnixSeconds(instant));
  } else {
    warnings.push_back("no_date: no publication date found");
  }
  if (source.empty()) {
    source = std::string(text::Trim(input.source_hint));
    warnings.push_back(source.empty() ? "no_source: no source found"
                                      : "source_hint_used: no source on the page, used source_hint");
  }

  article.set_title(title);
  article.set_subtitle(subtitle);
  article.set_source(source);
  for (const std::string& a : authors) article.add_authors(a);
  for (const std::string& e : editors) article.add_editors(e);
  article.set_script(impl_->script->Detect(absl::StrCat(title, "\n", body)));
  article.set_body(std::move(body));
  article.set_url(input.url);
  article.set_detected_encoding(decoded.encoding);
  for (const std::string& w : warnings) article.add_warnings(w);

  ParsedPage page;
  page.detected_encoding = decoded.encoding;
  page.warnings = std::move(warnings);
  page.articles.push_back(std::move(article));
  return page;
}

}  // namespace newsearch::ingest
