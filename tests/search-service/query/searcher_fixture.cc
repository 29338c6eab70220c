#include "tests/search-service/query/searcher_fixture.h"

#include <stdlib.h>

#include <filesystem>
#include <utility>

#include <xapian.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {

int64_t UnixSeconds(int y, int m, int d) {
  return absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(y, m, d, 0, 0, 0), absl::UTCTimeZone()));
}

google::protobuf::Timestamp Ts(int y, int m, int d) {
  google::protobuf::Timestamp t;
  t.set_seconds(UnixSeconds(y, m, d));
  return t;
}

TestArticle::TestArticle(std::string id, std::string title, std::string body, std::string source,
                         std::vector<std::string> authors, int year, int month, int day,
                         std::string script, std::string duplicate_of)
    : id(std::move(id)), title(std::move(title)), body(std::move(body)),
      source(std::move(source)), authors(std::move(authors)), year(year), month(month),
      day(day), script(std::move(script)), duplicate_of(std::move(duplicate_of)) {}

v1::Article ToArticle(const TestArticle& a) {
  v1::Article article;
  article.set_id(a.id);
  article.set_title(a.title);
  article.set_body(a.body);
  article.set_source(a.source);
  for (const auto& author : a.authors) article.add_authors(author);
  if (a.year != 0) *article.mutable_published_at() = Ts(a.year, a.month, a.day);
  article.set_script(a.script);
  article.set_duplicate_of(a.duplicate_of);
  article.set_url("https://example.com/" + a.id);
  return article;
}

analysis::Analyzer* SearcherFixture::analyzer_ = nullptr;

void SearcherFixture::SetUpTestSuite() {
  auto analyzer = analysis::Analyzer::Create();
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  analyzer_ = std::move(analyzer).value().release();
}

void SearcherFixture::TearDownTestSuite() {
  delete analyzer_;
  analyzer_ = nullptr;
}

void SearcherFixture::OpenIndex(const std::vector<v1::Article>& articles,
                                const std::string& applied_seq) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "searcher_test_XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  options_.path = dir_ + "/index";
  Xapian::WritableDatabase db(options_.path, Xapian::DB_CREATE_OR_OPEN);
  for (const v1::Article& article : articles) {
    db.replace_document(schema::IdTerm(article.id()), schema::BuildDocument(*analyzer_, article));
  }
  if (!applied_seq.empty()) db.set_metadata(schema::kAppliedSeqKey, applied_seq);
  db.commit();
  db.close();
  auto searcher = Searcher::Create(options_, analyzer_);
  ASSERT_TRUE(searcher.ok()) << searcher.status();
  searcher_ = std::move(searcher).value();
}

void SearcherFixture::TearDown() {
  searcher_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::vector<std::string> SearcherFixture::Ids(const v1::SearchResponse& response) {
  std::vector<std::string> ids;
  for (const auto& hit : response.hits()) ids.push_back(hit.id());
  return ids;
}

}  // namespace newsearch::search
