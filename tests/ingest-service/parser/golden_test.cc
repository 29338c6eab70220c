// Golden parses of every test page (tests/testdata/pages: the real seeds,
// the samples and the fixtures, each with a reviewed `.golden`), and the
// parse-quality report: per-field accuracy over all of them and per kind of
// mess (the goldens' `kind:` lines), printed as tables, failing below 98% on
// any field.
#include "tests/ingest-service/parser/golden.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/parser/charset.h"
#include "ingest-service/parser/page_parser.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

namespace fs = std::filesystem;

constexpr double kMinFieldAccuracy = 0.98;

struct GoldenPage {
  std::string page;    // Path of the page.
  std::string golden;  // Path of its golden.
};

// Every page with a golden: `fixtures/x.txt` + `fixtures/x.golden`, and
// `seeds/` / `samples/` pages with `golden/<stem>.golden`.
std::vector<GoldenPage> GoldenPages() {
  std::vector<GoldenPage> pages;
  const std::string dir = golden::PagesDir();
  for (const char* sub : {"seeds", "samples", "fixtures"}) {
    for (const fs::directory_entry& e : fs::directory_iterator(absl::StrCat(dir, "/", sub))) {
      const fs::path p = e.path();
      if (p.extension() == ".golden" || p.extension() == ".py") continue;
      const std::string stem = p.stem().string();
      const std::string golden = std::string(sub) == "fixtures"
                                     ? absl::StrCat(dir, "/fixtures/", stem, ".golden")
                                     : absl::StrCat(dir, "/golden/", stem, ".golden");
      pages.push_back({p.string(), golden});
    }
  }
  std::sort(pages.begin(), pages.end(),
            [](const GoldenPage& a, const GoldenPage& b) { return a.page < b.page; });
  return pages;
}

class GoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<PageParser>> parser = PageParser::Create();
    ASSERT_TRUE(parser.ok()) << parser.status();
    parser_ = parser->release();
  }
  static void TearDownTestSuite() {
    delete parser_;
    parser_ = nullptr;
  }

  static absl::StatusOr<ParsedPage> ParseFile(const std::string& path, const std::string& bytes) {
    PageInput input;
    input.content = bytes;
    input.url = "https://news.example.cn/a/1.html";
    if (absl::EndsWith(path, ".html")) input.content_type = "text/html";
    return parser_->Parse(input);
  }

  static PageParser* parser_;
};

PageParser* GoldenTest::parser_ = nullptr;

TEST_F(GoldenTest, EveryPageHasAGolden) {
  const std::vector<GoldenPage> pages = GoldenPages();
  size_t fixtures = 0;
  for (const GoldenPage& p : pages) {
    EXPECT_TRUE(fs::exists(p.golden)) << p.page << " has no golden " << p.golden;
    fixtures += absl::StrContains(p.page, "/fixtures/") ? 1 : 0;
  }
  EXPECT_GE(fixtures, 40u);
}

// Every field of every golden, page by page.
TEST_F(GoldenTest, ParsesMatchGoldens) {
  for (const GoldenPage& p : GoldenPages()) {
    const std::string bytes = golden::ReadFile(p.page);
    absl::StatusOr<golden::Golden> want = golden::ParseGolden(golden::ReadFile(p.golden));
    ASSERT_TRUE(want.ok()) << p.golden << ": " << want.status();
    const absl::StatusOr<ParsedPage> got = ParseFile(p.page, bytes);
    for (const golden::FieldResult& r : golden::Compare(*want, got)) {
      EXPECT_TRUE(r.ok) << p.page << ": " << r.field << ": " << r.detail;
    }
    if (!got.ok()) continue;
    for (const v1::Article& a : got->articles) {
      // Output is valid UTF-8, warnings are `kind: message`, paragraphs are
      // trimmed and separated by exactly one blank line.
      for (const std::string* field : {&a.title(), &a.subtitle(), &a.body(), &a.source()}) {
        EXPECT_EQ(FirstInvalidUtf8Offset(*field), absl::string_view::npos) << p.page;
      }
      for (const std::string& w : a.warnings()) {
        EXPECT_THAT(w, ::testing::MatchesRegex("[a-z_]+: .+")) << p.page;
      }
      for (absl::string_view para : absl::StrSplit(a.body(), "\n\n")) {
        EXPECT_FALSE(para.empty()) << p.page;
        EXPECT_EQ(text::Trim(para), para) << p.page;
        EXPECT_EQ(para.find('\n'), absl::string_view::npos) << p.page;
      }
    }
  }
}

// The parse-quality report: accuracy of each field over all goldens.
TEST_F(GoldenTest, QualityReport) {
  std::map<std::string, std::pair<int, int>> score;  // field -> (right, total)
  // kind -> (pages, fields right, fields total)
  std::map<std::string, std::tuple<int, int, int>> by_kind;
  std::vector<std::string> failures;
  int pages = 0;
  for (const GoldenPage& p : GoldenPages()) {
    absl::StatusOr<golden::Golden> want = golden::ParseGolden(golden::ReadFile(p.golden));
    ASSERT_TRUE(want.ok()) << p.golden << ": " << want.status();
    const absl::StatusOr<ParsedPage> got = ParseFile(p.page, golden::ReadFile(p.page));
    ++pages;
    int page_right = 0, page_total = 0;
    for (const golden::FieldResult& r : golden::Compare(*want, got)) {
      auto& [right, total] = score[r.field];
      ++total;
      ++page_total;
      if (r.ok) {
        ++right;
        ++page_right;
      } else {
        failures.push_back(absl::StrCat(fs::path(p.page).filename().string(), ": ", r.detail));
      }
    }
    std::vector<std::string> kinds = want->kinds;
    if (kinds.empty()) kinds.push_back("(no kind)");
    for (const std::string& kind : kinds) {
      auto& [kind_pages, right, total] = by_kind[kind];
      ++kind_pages;
      right += page_right;
      total += page_total;
    }
  }
  std::string table =
      absl::StrFormat("Parse quality over %d pages (seeds, samples, fixtures)\n", pages);
  absl::StrAppend(&table,
                  absl::StrFormat("%-12s %8s %8s %9s\n", "field", "right", "total", "accuracy"));
  for (const auto& [field, counts] : score) {
    const double accuracy = static_cast<double>(counts.first) / counts.second;
    absl::StrAppend(&table, absl::StrFormat("%-12s %8d %8d %8.1f%%\n", field, counts.first,
                                            counts.second, 100 * accuracy));
    EXPECT_GE(accuracy, kMinFieldAccuracy) << field;
  }
  absl::StrAppend(&table, absl::StrFormat("\n%-16s %6s %8s %8s %9s\n", "kind", "pages", "right",
                                          "total", "accuracy"));
  for (const auto& [kind, counts] : by_kind) {
    const auto& [kind_pages, right, total] = counts;
    absl::StrAppend(&table, absl::StrFormat("%-16s %6d %8d %8d %8.1f%%\n", kind, kind_pages, right,
                                            total, 100.0 * right / std::max(total, 1)));
  }
  for (const std::string& f : failures) absl::StrAppend(&table, "  miss: ", f, "\n");
  std::printf("%s", table.c_str());
}

}  // namespace
}  // namespace newsearch::ingest
