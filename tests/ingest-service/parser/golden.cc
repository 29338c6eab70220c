#include "tests/ingest-service/parser/golden.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace newsearch::ingest::golden {
namespace {

std::vector<std::string> Paragraphs(const std::string& body) {
  return absl::StrSplit(body, "\n\n", absl::SkipEmpty());
}

std::string FieldOf(const v1::Article& a, const std::string& field) {
  if (field == "title") return a.title();
  if (field == "subtitle") return a.subtitle();
  if (field == "published") return FormatPublished(a);
  if (field == "source") return a.source();
  if (field == "authors") return absl::StrJoin(a.authors(), ", ");
  if (field == "editors") return absl::StrJoin(a.editors(), ", ");
  if (field == "script") return a.script();
  if (field == "paragraphs") return absl::StrCat(Paragraphs(a.body()).size());
  return "";
}

std::string Kind(absl::string_view warning) {
  const size_t at = warning.find(": ");
  return std::string(at == absl::string_view::npos ? warning : warning.substr(0, at));
}

}  // namespace

const std::vector<std::string>& FieldNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "title", "subtitle", "published", "source", "authors", "editors", "script", "paragraphs"};
  return *kNames;
}

std::string FormatPublished(const v1::Article& article) {
  if (!article.has_published_at()) return "none";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(article.published_at().seconds()),
                          absl::FixedTimeZone(8 * 60 * 60));
}

absl::StatusOr<Golden> ParseGolden(const std::string& text) {
  Golden g;
  GoldenArticle* current = nullptr;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (line == "== article") {
      g.articles.emplace_back();
      current = &g.articles.back();
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": no `key:`"));
    }
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, colon)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    if (current == nullptr) {
      if (key == "status") {
        g.rejected = value == "rejected";
      } else if (key == "error") {
        g.error = value;
      } else if (key == "encoding") {
        g.encoding = value;
      } else if (key == "kind") {
        g.kinds.push_back(value);
      } else {
        return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": unknown key ", key));
      }
      continue;
    }
    if (key == "must") {
      current->must.push_back(value);
    } else if (key == "must_not") {
      current->must_not.push_back(value);
    } else if (key == "warning") {
      current->warnings.push_back(value);
    } else if (key == "no_warning") {
      current->no_warnings.push_back(value);
    } else {
      current->fields[key] = value;
    }
  }
  return g;
}

std::string FormatGolden(const absl::StatusOr<ParsedPage>& page) {
  std::string out;
  if (!page.ok()) {
    absl::StrAppend(&out, "status: rejected\nerror: ", page.status().message(), "\n");
    return out;
  }
  absl::StrAppend(&out, "status: ok\nencoding: ", page->detected_encoding, "\n");
  for (const v1::Article& a : page->articles) {
    out += "== article\n";
    for (const std::string& field : FieldNames()) {
      absl::StrAppend(&out, field, ": ", FieldOf(a, field), "\n");
    }
    const std::vector<std::string> paragraphs = Paragraphs(a.body());
    if (!paragraphs.empty()) {
      absl::StrAppend(&out, "must: ", paragraphs.front(), "\n");
      if (paragraphs.size() > 1) absl::StrAppend(&out, "must: ", paragraphs.back(), "\n");
    }
    for (const std::string& w : a.warnings()) absl::StrAppend(&out, "warning: ", Kind(w), "\n");
  }
  return out;
}

std::vector<FieldResult> Compare(const Golden& golden, const absl::StatusOr<ParsedPage>& page) {
  std::vector<FieldResult> results;
  FieldResult status{"status", true, ""};
  if (golden.rejected) {
    status.ok = !page.ok() && page.status().code() == absl::StatusCode::kInvalidArgument &&
                absl::StrContains(page.status().message(), golden.error);
    if (!status.ok) {
      status.detail = absl::StrCat("want rejection containing \"", golden.error, "\", got ",
                                   page.ok() ? "a parse" : page.status().ToString());
    }
    results.push_back(status);
    return results;
  }
  if (!page.ok()) {
    status.ok = false;
    status.detail = page.status().ToString();
    results.push_back(status);
    // Every expected field counts as wrong.
    for (size_t i = 0; i < golden.articles.size(); ++i) {
      for (const auto& [field, value] : golden.articles[i].fields) {
        results.push_back({field, false, "page rejected"});
      }
      results.push_back({"body", false, "page rejected"});
    }
    return results;
  }
  results.push_back(status);
  if (!golden.encoding.empty()) {
    results.push_back({"encoding", page->detected_encoding == golden.encoding,
                       absl::StrCat("want ", golden.encoding, ", got ", page->detected_encoding)});
  }
  results.push_back(
      {"articles", page->articles.size() == golden.articles.size(),
       absl::StrCat("want ", golden.articles.size(), " articles, got ", page->articles.size())});
  for (size_t i = 0; i < golden.articles.size(); ++i) {
    const GoldenArticle& want = golden.articles[i];
    const v1::Article* got = i < page->articles.size() ? &page->articles[i] : nullptr;
    for (const auto& [field, value] : want.fields) {
      const std::string actual = got == nullptr ? "<missing article>" : FieldOf(*got, field);
      results.push_back({field, actual == value,
                         absl::StrCat("article ", i + 1, " ", field, ": want \"", value,
                                      "\", got \"", actual, "\"")});
    }
    FieldResult body{"body", got != nullptr, ""};
    if (got != nullptr) {
      for (const std::string& phrase : want.must) {
        if (!absl::StrContains(got->body(), phrase)) {
          body.ok = false;
          absl::StrAppend(&body.detail, "article ", i + 1, " body lacks \"", phrase, "\"; ");
        }
      }
      for (const std::string& phrase : want.must_not) {
        if (absl::StrContains(got->body(), phrase)) {
          body.ok = false;
          absl::StrAppend(&body.detail, "article ", i + 1, " body has \"", phrase, "\"; ");
        }
      }
    }
    results.push_back(body);
    FieldResult warnings{"warnings", got != nullptr, ""};
    if (got != nullptr) {
      for (const std::string& kind : want.warnings) {
        bool found = false;
        for (const std::string& w : got->warnings()) found = found || Kind(w) == kind;
        if (!found) {
          warnings.ok = false;
          absl::StrAppend(&warnings.detail, "article ", i + 1, " lacks a ", kind, " warning; ");
        }
      }
      for (const std::string& kind : want.no_warnings) {
        for (const std::string& w : got->warnings()) {
          if (Kind(w) != kind) continue;
          warnings.ok = false;
          absl::StrAppend(&warnings.detail, "article ", i + 1, " has an untrue warning: ", w, "; ");
        }
      }
    }
    results.push_back(warnings);
  }
  return results;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string PagesDir() {
  const char* root = std::getenv("NEWSEARCH_SOURCE_DIR");
  return absl::StrCat(root == nullptr ? "." : root, "/tests/testdata/pages");
}

}  // namespace newsearch::ingest::golden
