#include "tests/ingest-service/server/ingestor_fixture.h"

#include <stdlib.h>

#include <system_error>
#include <utility>

namespace newsearch::ingest {

v1::IngestArticleRequest PageRequest(const std::string& content, const std::string& external_id) {
  v1::IngestArticleRequest request;
  request.set_content(content);
  request.set_external_id(external_id);
  return request;
}

void IngestorFixture::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ingestor_fixture.XXXXXX");
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  auto parser = PageParser::Create();
  ASSERT_TRUE(parser.ok()) << parser.status();
  parser_ = *std::move(parser);
  auto fingerprinter = BodyFingerprinter::Create();
  ASSERT_TRUE(fingerprinter.ok()) << fingerprinter.status();
  fingerprinter_ = *std::move(fingerprinter);
  StoreOptions options;
  options.path = (dir_ / "articles.db").string();
  options.fsync_every_commit = fsync_every_commit_;
  auto store = ArticleStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  notifier_ = std::make_unique<ChangeNotifier>(0);
  ingestor_ = std::make_unique<Ingestor>(parser_.get(), store_.get(), notifier_.get(),
                                         IngestorLimits(), fingerprinter_.get());
}

void IngestorFixture::TearDown() {
  ingestor_.reset();
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace newsearch::ingest
