#include "ingest-service/parser/html_text.h"

#include <gumbo.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

// Deeper element nesting than this is not handed to gumbo, whose tree
// destruction recurses once per level.
constexpr int kMaxNestingForGumbo = 2000;
// Pages where open formatting elements times tags exceed this would make
// gumbo build a tree quadratic in the page size.
constexpr double kMaxFormattingWork = 4e6;

bool IsSkippedTag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_HEAD:
      return true;
    default:
      return false;
  }
}

bool IsBlockTag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_BODY:
      return true;
    default:
      return false;
  }
}

// Class or id words that mark site chrome on Chinese news sites.
bool HasChromeClass(const GumboElement& el) {
  static constexpr const char* kWords[] = {"nav",    "menu",      "footer", "breadcrumb",
                                           "sidebar", "copyright", "share",  "toolbar",
                                           "crumb",  "topbar",    "login"};
  for (const char* attr_name : {"class", "id"}) {
    const GumboAttribute* attr = gumbo_get_attribute(&el.attributes, attr_name);
    if (attr == nullptr || attr->value == nullptr) continue;
    const std::string value = absl::AsciiStrToLower(attr->value);
    for (const char* word : kWords) {
      if (value.find(word) != std::string::npos) return true;
    }
  }
  return false;
}

// Collects the text below `root` (iteratively: trees can be deep).
std::string SubtreeText(const GumboNode* root) {
  std::string out;
  std::vector<const GumboNode*> stack = {root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
        node->type == GUMBO_NODE_CDATA) {
      out += node->v.text.text;
    } else if (node->type == GUMBO_NODE_ELEMENT) {
      const GumboVector& children = node->v.element.children;
      for (unsigned i = children.length; i > 0; --i) {
        stack.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
      }
      if (node->v.element.tag == GUMBO_TAG_BR) out += ' ';
    }
  }
  return text::CollapseSpaces(out);
}

class BlockWriter {
 public:
  void AddText(absl::string_view s, bool in_link) {
    current_.append(s.data(), s.size());
    if (in_link) link_bytes_ += s.size();
  }

  // Ends the current block, keeping it unless it is mostly link text.
  void Flush() {
    const std::string block = text::CollapseSpaces(current_);
    const std::string stripped = std::string(text::Trim(current_));
    if (!block.empty()) {
      const bool link_list = link_bytes_ * 2 > stripped.size();
      if (!link_list) {
        if (!out_.empty()) out_ += "\n\n";
        out_ += block;
      }
    }
    current_.clear();
    link_bytes_ = 0;
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string current_;
  size_t link_bytes_ = 0;
  std::string out_;
};

struct NestingEstimate {
  int max_depth = 0;
  // Formatting elements (b, font, ...) open at once; gumbo re-creates all
  // of them inside every new block, so their product with the tag count
  // bounds its work.
  int max_open_formatting = 0;
  size_t start_tags = 0;
};

// The `content` of a `<meta>` that states the publication time, or "".
std::string MetaPublished(const GumboElement& el) {
  static constexpr const char* kNames[] = {"article:published_time",
                                           "og:article:published_time",
                                           "pubdate",
                                           "publishdate",
                                           "publish_date",
                                           "publish-date",
                                           "publishtime",
                                           "publish_time",
                                           "ptime",
                                           "datepublished",
                                           "publication_date",
                                           "firstpublishedtime",
                                           "dc.date",
                                           "dc.date.issued",
                                           "dcterms.issued",
                                           "dcterms.created",
                                           "og:release_date",
                                           "weibo:article:create_at",
                                           "sailthru.date",
                                           "release_date"};
  const GumboAttribute* content = gumbo_get_attribute(&el.attributes, "content");
  if (content == nullptr) return "";
  for (const char* attr : {"name", "property", "itemprop"}) {
    const GumboAttribute* key = gumbo_get_attribute(&el.attributes, attr);
    if (key == nullptr) continue;
    const std::string name = absl::AsciiStrToLower(key->value);
    for (const char* want : kNames) {
      if (name == want) return content->value;
    }
  }
  return "";
}

bool IsFormattingTag(absl::string_view name) {
  return name == "a" || name == "b" || name == "big" || name == "code" || name == "em" ||
         name == "font" || name == "i" || name == "nobr" || name == "s" || name == "small" ||
         name == "strike" || name == "strong" || name == "tt" || name == "u";
}

// Rough element nesting depth, counting only tags that cannot be closed
// implicitly by a sibling. Overestimates on sloppy pages, which only moves
// them to the tag stripper. Linear: the next '>' is searched for once per
// '>'.
NestingEstimate EstimateNesting(absl::string_view html) {
  NestingEstimate estimate;
  int depth = 0, formatting = 0;
  size_t next_close = 0;  // Next '>' at or after the current tag name.
  for (size_t i = 0; i + 1 < html.size(); ++i) {
    if (html[i] != '<') continue;
    const bool closing = html[i + 1] == '/';
    const size_t name_begin = i + (closing ? 2 : 1);
    if (name_begin >= html.size() || !absl::ascii_isalpha(html[name_begin])) continue;
    size_t name_end = name_begin;
    while (name_end < html.size() && absl::ascii_isalnum(html[name_end])) ++name_end;
    const std::string name =
        absl::AsciiStrToLower(html.substr(name_begin, name_end - name_begin));
    if (!closing) ++estimate.start_tags;
    if (IsFormattingTag(name)) {
      formatting += closing ? -1 : 1;
      if (formatting < 0) formatting = 0;
      if (formatting > estimate.max_open_formatting) estimate.max_open_formatting = formatting;
    }
    if (name == "p" || name == "li" || name == "td" || name == "tr" || name == "th" ||
        name == "dt" || name == "dd" || name == "option" || name == "br" || name == "img" ||
        name == "meta" || name == "link" || name == "input" || name == "hr" ||
        name == "col" || name == "area" || name == "base" || name == "wbr" ||
        name == "source") {
      continue;
    }
    if (next_close != absl::string_view::npos && next_close < name_end) {
      next_close = html.find('>', name_end);
    }
    const size_t close = next_close;
    if (close != absl::string_view::npos && close > 0 && html[close - 1] == '/') continue;
    depth += closing ? -1 : 1;
    if (depth < 0) depth = 0;
    if (depth > estimate.max_depth) estimate.max_depth = depth;
  }
  return estimate;
}

bool TooHardForGumbo(absl::string_view html) {
  const NestingEstimate estimate = EstimateNesting(html);
  return estimate.max_depth > kMaxNestingForGumbo ||
         static_cast<double>(estimate.max_open_formatting) * estimate.start_tags >
             kMaxFormattingWork;
}

// Decodes the few entities that matter for text when gumbo is not used.
std::string DecodeBasicEntities(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    const size_t semi = s.find(';', i);
    if (semi == absl::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    const absl::string_view name = s.substr(i + 1, semi - i - 1);
    if (name == "nbsp") {
      out += ' ';
    } else if (name == "amp") {
      out += '&';
    } else if (name == "lt") {
      out += '<';
    } else if (name == "gt") {
      out += '>';
    } else if (name == "quot") {
      out += '"';
    } else if (!name.empty() && name[0] == '#') {
      char32_t cp = 0;
      const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      bool ok = name.size() > (hex ? 2u : 1u);
      for (size_t k = hex ? 2 : 1; k < name.size() && ok; ++k) {
        const char c = name[k];
        if (hex && absl::ascii_isxdigit(c)) {
          cp = cp * 16 + (absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10);
        } else if (!hex && absl::ascii_isdigit(c)) {
          cp = cp * 10 + (c - '0');
        } else {
          ok = false;
        }
        if (cp > 0x10FFFF) ok = false;
      }
      if (!ok || cp == 0) {
        out.push_back('&');
        continue;
      }
      text::AppendUtf8(cp, &out);
    } else {
      out.push_back('&');
      continue;
    }
    i = semi;
  }
  return out;
}

// Tag stripper for pages gumbo cannot take: block-ish tags become paragraph
// breaks, script and style contents are dropped.
HtmlText StripTags(absl::string_view html) {
  HtmlText result;
  const std::string lower = absl::AsciiStrToLower(html);
  std::string raw;
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      raw.push_back(html[i++]);
      continue;
    }
    const size_t close = html.find('>', i);
    if (close == absl::string_view::npos) break;
    const absl::string_view tag = absl::string_view(lower).substr(i, close - i + 1);
    if (absl::StartsWith(tag, "<script") || absl::StartsWith(tag, "<style")) {
      const size_t end =
          lower.find(absl::StartsWith(tag, "<script") ? "</script" : "</style", close);
      const size_t end_close = end == std::string::npos ? end : lower.find('>', end);
      i = end_close == std::string::npos ? html.size() : end_close + 1;
      continue;
    }
    if (absl::StartsWith(tag, "<title") && result.title.empty()) {
      const size_t end = lower.find("</title", close);
      if (end != std::string::npos) {
        result.title =
            text::CollapseSpaces(DecodeBasicEntities(html.substr(close + 1, end - close - 1)));
      }
    }
    for (const char* brk : {"</p", "<p", "<br", "</div", "<div", "</h", "</li", "</tr", "</td"}) {
      if (absl::StartsWith(tag, brk)) {
        raw += "\n\n";
        break;
      }
    }
    i = close + 1;
  }
  std::string decoded = DecodeBasicEntities(raw);
  std::string out;
  size_t start = 0;
  while (start <= decoded.size()) {
    size_t end = decoded.find('\n', start);
    if (end == std::string::npos) end = decoded.size();
    const std::string line = text::CollapseSpaces(absl::string_view(decoded).substr(start, end - start));
    if (!line.empty()) {
      if (!out.empty()) out += "\n\n";
      out += line;
    }
    start = end + 1;
  }
  result.text = std::move(out);
  result.warnings.push_back(
      "html_too_deep: HTML nested too deeply to parse; tags were stripped instead");
  return result;
}

}  // namespace

bool LooksLikeHtml(absl::string_view content_type, absl::string_view text) {
  const std::string type = absl::AsciiStrToLower(content_type);
  if (type.find("html") != std::string::npos) return true;
  if (type.find("text/plain") != std::string::npos) return false;
  const absl::string_view trimmed = text::Trim(text);
  if (!trimmed.empty() && trimmed[0] == '<') return true;
  const std::string lower = absl::AsciiStrToLower(text.substr(0, 1 << 16));
  for (const char* marker : {"<html", "<body", "<p>", "<div"}) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return false;
}

HtmlText ExtractHtmlText(absl::string_view html) {
  if (TooHardForGumbo(html)) return StripTags(html);

  HtmlText result;
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // Error records cost memory and are not used.
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  if (output == nullptr) return StripTags(html);

  BlockWriter writer;
  struct Frame {
    const GumboNode* node;
    unsigned next_child;
  };
  std::vector<Frame> stack = {{output->root, 0}};
  int link_depth = 0;
  bool h1_found = false;
  if (output->root->type == GUMBO_NODE_ELEMENT) {
    // The title sits in <head>, which the body walk skips.
    std::vector<const GumboNode*> pending = {output->root};
    while (!pending.empty() && (result.title.empty() || result.published.empty())) {
      const GumboNode* node = pending.back();
      pending.pop_back();
      if (node->type != GUMBO_NODE_ELEMENT) continue;
      if (node->v.element.tag == GUMBO_TAG_TITLE) {
        if (result.title.empty()) result.title = SubtreeText(node);
        continue;
      }
      if (node->v.element.tag == GUMBO_TAG_META) {
        if (result.published.empty()) result.published = MetaPublished(node->v.element);
        continue;
      }
      if (node->v.element.tag == GUMBO_TAG_BODY) continue;
      const GumboVector& children = node->v.element.children;
      for (unsigned i = children.length; i > 0; --i) {
        pending.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
      }
    }
  }
  while (!stack.empty()) {
    Frame& frame = stack.back();
    const GumboNode* node = frame.node;
    if (node->type != GUMBO_NODE_ELEMENT) {
      if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
          node->type == GUMBO_NODE_CDATA) {
        writer.AddText(node->v.text.text, link_depth > 0);
      }
      stack.pop_back();
      continue;
    }
    const GumboElement& el = node->v.element;
    if (frame.next_child == 0) {
      // Entering the element.
      if (IsSkippedTag(el.tag) || (el.tag != GUMBO_TAG_BODY && el.tag != GUMBO_TAG_HTML &&
                                   HasChromeClass(el))) {
        stack.pop_back();
        continue;
      }
      if (el.tag == GUMBO_TAG_TIME && result.published.empty()) {
        if (const GumboAttribute* at = gumbo_get_attribute(&el.attributes, "datetime")) {
          result.published = at->value;
        }
      }
      if (el.tag == GUMBO_TAG_H1 && !h1_found) {
        result.h1 = SubtreeText(node);
        h1_found = !result.h1.empty();
      }
      if (IsBlockTag(el.tag)) writer.Flush();
      if (el.tag == GUMBO_TAG_A) ++link_depth;
    }
    if (frame.next_child < el.children.length) {
      const GumboNode* child = static_cast<const GumboNode*>(el.children.data[frame.next_child]);
      ++frame.next_child;
      stack.push_back({child, 0});  // Invalidates `frame`.
      continue;
    }
    // Leaving the element.
    if (IsBlockTag(el.tag)) writer.Flush();
    if (el.tag == GUMBO_TAG_A) --link_depth;
    stack.pop_back();
  }
  writer.Flush();
  result.text = writer.Take();
  gumbo_destroy_output(&options, output);
  return result;
}

}  // namespace newsearch::ingest
