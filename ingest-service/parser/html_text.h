// HTML to plain text for PageParser: runs gumbo over the decoded page, drops
// scripts, styles and page chrome (nav, header, footer, aside, link lists)
// and returns one paragraph per block element, so the rest of the parser
// treats HTML and plain-text pages alike. Internal to ingest-service/parser.
#ifndef NEWSEARCH_INGEST_SERVICE_PARSER_HTML_TEXT_H_
#define NEWSEARCH_INGEST_SERVICE_PARSER_HTML_TEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace newsearch::ingest {

struct HtmlText {
  // Text of `<title>`, spaces collapsed; empty when there is none.
  std::string title;
  // Text of the first `<h1>` outside navigation chrome; empty when none.
  std::string h1;
  // Publication date as the page's markup states it: the `content` of a
  // `<meta>` such as `article:published_time`, `pubdate` or `PubDate`, else
  // the `datetime` of the first `<time>`; empty when none.
  std::string published;
  // Paragraphs separated by "\n\n", each on one line.
  std::string text;
  std::vector<std::string> warnings;
};

// True when the page should be read as HTML: `content_type` names html, or
// (when it does not name text/plain) the text starts with `<` or contains
// `<html`, `<body`, `<p>` or `<div` in any case.
bool LooksLikeHtml(absl::string_view content_type, absl::string_view text);

// Extracts title, first h1 and block text from UTF-8 `html`. Never fails:
// pages nested too deeply for gumbo (which recurses) are stripped of tags
// without parsing, with a warning. Linear in the size of `html`.
HtmlText ExtractHtmlText(absl::string_view html);

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_INGEST_SERVICE_PARSER_HTML_TEXT_H_
