// Recognises the site chrome that scraped Chinese news pages carry around
// the article: window buttons (`关闭`, `打印`, `【字体：大 中 小】`),
// breadcrumbs (`您当前的位置 ...`), trailers (`相关阅读` and everything after
// it), WeChat promo blocks (`微信号:`, `扫一扫`) and friend-link lists.
// PageParser drops these lines from the body. Internal to
// ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_BOILERPLATE_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_BOILERPLATE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace newsearch::ingest {

// Returns `line` without the HTML tags a scraper left in plain text (`</p>`,
// `<br/>`, `<span style="...">`, `<img src=...>`, `</strong>` and the
// mangled `?/p>` of seed 002), trimmed. Only known tag names are removed, so
// `<<人民日报>>` and `a<b` stay.
std::string RemoveStrayTags(absl::string_view line);

// Returns `line` with HTML character references decoded (`&nbsp;`,
// `&ldquo;`, `&amp;`, `&#8220;`, `&#x4E2D;`); unknown ones stay as they are.
// For plain-text pages (gumbo decodes them in HTML).
std::string DecodeHtmlEntities(absl::string_view line);

// True for a trimmed line that is only window chrome, a breadcrumb, a list
// of short links, or a footer or frame line (IsFooterChromeLine in
// chrome_lines.h).
bool IsChromeLine(absl::string_view line);

// True for a trimmed line that heads a trailer (`相关阅读`, `相关稿件`,
// `延伸阅读`, `网友评论`, ...; TrailerHeadingKind in chrome_lines.h).
bool IsTrailerStart(absl::string_view line);

// True for a short trimmed line that advertises a WeChat account or QR code
// (`微信号:DangJianFeiGQ`, `扫一扫,关注有惊喜!`).
bool IsPromoLine(absl::string_view line);

// Marks the promo blocks in `lines` (trimmed, "" for blank): each promo line
// plus the short non-blank lines around it up to the nearest blank line or
// sentence. Returns one flag per line.
std::vector<bool> MarkPromoBlocks(const std::vector<std::string>& lines);

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_BOILERPLATE_H_
