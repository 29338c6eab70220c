// Test helpers shared by the tests of the ingest pipeline below gRPC
// (page_committer_test, ingestor_dedup_test): a fixture holding the real
// PageParser, BodyFingerprinter, ArticleStore (in a fresh temporary
// directory), ChangeNotifier and Ingestor, and the page request builder.
#ifndef NEWSEARCH_TESTS_INGEST_SERVICE_SERVER_INGESTOR_FIXTURE_H_
#define NEWSEARCH_TESTS_INGEST_SERVICE_SERVER_INGESTOR_FIXTURE_H_

#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ingest-service/changefeed/change_notifier.h"
#include "ingest-service/dedup/minhash.h"
#include "ingest-service/parser/page_parser.h"
#include "ingest-service/server/ingestor.h"
#include "ingest-service/store/article_store.h"
#include "newsearch/v1/ingest.pb.h"

namespace newsearch::ingest {

// Returns the IngestArticle request of a page: `content` under
// `external_id`.
v1::IngestArticleRequest PageRequest(const std::string& content, const std::string& external_id);

// Opens the pipeline in SetUp and removes it and its directory in TearDown.
// A test that does not need an fsync per commit clears
// fsync_every_commit_ in its constructor.
class IngestorFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  bool fsync_every_commit_ = true;
  std::filesystem::path dir_;
  std::unique_ptr<PageParser> parser_;
  std::unique_ptr<BodyFingerprinter> fingerprinter_;
  std::unique_ptr<ArticleStore> store_;
  std::unique_ptr<ChangeNotifier> notifier_;
  std::unique_ptr<Ingestor> ingestor_;
};

}  // namespace newsearch::ingest

#endif  // NEWSEARCH_TESTS_INGEST_SERVICE_SERVER_INGESTOR_FIXTURE_H_
