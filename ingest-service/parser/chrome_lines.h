// Site chrome that Chinese news pages print around (and inside) the story,
// beyond the window buttons and breadcrumbs of boilerplate.h: footers
// (copyright, disclaimers, ICP licence numbers, reporting hotlines),
// previous/next-article links, 【纠错】 tags, comment counters, QQ-group /
// WeChat / app invitations, and lists of headline links (`相关阅读`,
// `热门排行`, `大家都在看`) that may sit between two paragraphs. PageParser
// uses these to drop such lines from the body and to tell a page that is
// only navigation. Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_CHROME_LINES_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_CHROME_LINES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace newsearch::ingest {

// True for a trimmed line that belongs to a page footer or a story's frame:
// copyright (`版权所有`, `Copyright`, `©`, `未经授权禁止转载`), disclaimers
// (`免责声明`, `不代表本站观点`, `如有侵权`), licences (`ICP备`, `公网安备`,
// `许可证`), reporting lines (`举报电话`), previous/next links (`上一篇：`),
// comment counters (`网友评论（共3条）`, `已有12人参与`), group and app
// invitations (`QQ群`, `添加微信`, `打开APP`) and `-END-` marks.
bool IsFooterChromeLine(absl::string_view line);

// Returns `line` (already trimmed) without the bracketed chrome tokens at either end
// (`【纠错】 [责任编辑:周敏]` -> `[责任编辑:周敏]`), trimmed; `line` itself
// when there are none or nothing else is left.
std::string StripChromeBrackets(std::string line);

// How a heading that starts a trailer (`相关阅读`, `网友评论`) treats what
// follows: a reading list may be followed by more of the story (a sidebar
// dumped mid-body); comments and link directories never are.
enum class TrailerKind { kNone, kReadingList, kFinal };

// Classifies a trimmed line as a trailer heading (also `相关阅读：` with a
// colon, `【延伸阅读】`, `热门排行`, `大家都在看`, `编辑推荐`).
TrailerKind TrailerHeadingKind(absl::string_view line);

// True for a line of a headline list: a bulleted or numbered item, or a
// short line with Han text that does not finish a sentence.
bool IsHeadlineListItem(absl::string_view line);

// True for a paragraph of running text: at least 30 code points with a full
// stop, question or exclamation mark (so not a headline).
bool IsProseParagraph(absl::string_view line);

// Finds the trailer of a page given as trimmed lines ("" for blank): the
// first trailer heading after the first two non-blank lines (earlier ones
// are menu entries). Returns its index, or texts.size() when there is none.
// A reading-list heading whose list (bulleted, numbered or short headline
// lines, possibly none left) is followed by at least two paragraphs of
// running text before the next heading is a sidebar inside the story: its lines are flagged in
// `*in_body_list` (resized to texts.size()) and the search goes on after it.
size_t FindTrailer(const std::vector<std::string>& texts, std::vector<bool>* in_body_list);

// Flags in `*in_body_list` (resized to texts.size() when smaller) the
// lines of headline lists printed without a heading: three or more
// consecutive lines (no blank line between) that are each a headline-list
// item with a bullet, a number or a trailing date (`· 标题`, `标题 03-10`).
void MarkHeadlessLists(const std::vector<std::string>& texts, std::vector<bool>* in_body_list);

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_CHROME_LINES_H_
