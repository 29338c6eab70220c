// Online backup and restore of the ingest store: `newsearch backup` while
// pages keep arriving, the file restored into a fresh ingest, and a fresh
// replica of the restored ingest answering exactly like the original.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

std::vector<std::string> TestPages() {
  std::vector<std::string> pages;
  for (const char* dir : {"/tests/testdata/pages/seeds", "/tests/testdata/pages/samples"}) {
    for (const std::string& path : ListFiles(SourceDir() + dir)) pages.push_back(ReadFile(path));
  }
  return pages;
}

// Parses "head_seq N" out of the CLI's one-line summary.
int64_t HeadSeqOf(const std::string& summary) {
  const size_t at = summary.find("head_seq ");
  if (at == std::string::npos) return -1;
  return std::stoll(summary.substr(at + 9));
}

TEST(BackupTest, RestoredStoreGivesAReplicaIdenticalAnswers) {
  const std::string root = MakeTempDir("backup");
  IngestFixture ingest(root + "/ingest");
  ASSERT_TRUE(ingest.Start());
  const std::vector<std::string> pages = TestPages();
  ASSERT_FALSE(pages.empty());
  std::string deleted_id;
  for (size_t i = 0; i < pages.size(); ++i) {
    v1::IngestArticleResponse response;
    ASSERT_TRUE(ingest.Ingest(pages[i], &response, absl::StrCat("page-", i)).ok());
    if (i == 0) deleted_id = response.articles(0).id();
  }
  {
    grpc::ClientContext ctx;
    v1::DeleteArticleRequest request;
    request.set_id(deleted_id);
    v1::DeleteArticleResponse response;
    ASSERT_TRUE(ingest.stub().DeleteArticle(&ctx, request, &response).ok());
  }

  // The backup is online: pages keep arriving while it is taken.
  std::atomic<bool> stop{false};
  std::vector<v1::IngestedArticle> during;  // written by `writer` only
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      v1::IngestArticleResponse response;
      if (ingest.Ingest(pages[static_cast<size_t>(i) % pages.size()], &response,
                        absl::StrCat("during-", i))
              .ok()) {
        for (const v1::IngestedArticle& article : response.articles()) during.push_back(article);
      }
    }
  });
  const std::string file = root + "/store.backup";
  std::string output;
  const int code = RunCommand(
      BinaryDir() + "/tools/cli/newsearch --ingest=" + ingest.address() + " backup " + file,
      &output);
  stop = true;
  writer.join();
  ASSERT_EQ(code, 0) << output;
  const int64_t backup_seq = HeadSeqOf(output);
  ASSERT_GT(backup_seq, 0) << output;
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
  // A backup never overwrites a file.
  EXPECT_NE(RunCommand(BinaryDir() + "/tools/cli/newsearch --ingest=" + ingest.address() +
                           " backup " + file,
                       &output),
            0);
  EXPECT_NE(output.find("already exists"), std::string::npos) << output;

  // Restore: the file becomes the store of a new ingest.
  // (IngestFixture serves `<root>/ingest`.)
  std::filesystem::create_directories(root + "/restored/ingest");
  std::filesystem::copy_file(file, root + "/restored/ingest/articles.db");
  IngestFixture restored(root + "/restored");
  ASSERT_TRUE(restored.Start());
  {
    grpc::ClientContext ctx;
    v1::GetArticleRequest request;
    request.set_id(deleted_id);
    v1::Article article;
    EXPECT_EQ(restored.stub().GetArticle(&ctx, request, &article).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << "the tombstone is restored too";
  }

  // The restored store holds exactly what the original held at the
  // backup's seq: undo on the original what came after it (the pages
  // written during the backup are all new articles), then a replica of each
  // must answer alike.
  for (const v1::IngestedArticle& article : during) {
    if (article.seq() <= backup_seq) continue;
    grpc::ClientContext ctx;
    v1::DeleteArticleRequest request;
    request.set_id(article.id());
    v1::DeleteArticleResponse response;
    ASSERT_TRUE(ingest.stub().DeleteArticle(&ctx, request, &response).ok());
  }
  SearchFixture original_replica(root + "/search-original", ingest.address());
  SearchFixture restored_replica(root + "/search-restored", restored.address());
  ASSERT_TRUE(original_replica.Start());
  ASSERT_TRUE(restored_replica.Start());
  ASSERT_TRUE(original_replica.WaitForSeq(ingest.HeadSeq()));
  ASSERT_TRUE(restored_replica.WaitForSeq(backup_seq));
  EXPECT_EQ(restored_replica.Status().head_seq(), backup_seq);
  EXPECT_EQ(restored_replica.Status().document_count(),
            original_replica.Status().document_count());
  for (const char* query : {"井喷式 电商", "互联网 党建", "乌镇", "台州", "记者"}) {
    std::vector<std::string> restored_ids = restored_replica.AllHitIds(query);
    std::vector<std::string> original_ids = original_replica.AllHitIds(query);
    EXPECT_FALSE(restored_ids.empty()) << query;
    std::sort(restored_ids.begin(), restored_ids.end());
    std::sort(original_ids.begin(), original_ids.end());
    EXPECT_EQ(restored_ids, original_ids) << query;
  }

  // The restored store goes on from the backup's seq.
  v1::IngestArticleResponse after;
  ASSERT_TRUE(restored.Ingest(pages[1], &after, "after-restore").ok());
  EXPECT_GT(after.articles(0).seq(), backup_seq);
  EXPECT_TRUE(restored_replica.WaitForSeq(after.articles(0).seq()));

  // A replica that holds more than the restored log (it followed the
  // original further) must not follow it: it would skip the seqs the
  // restored store hands out next. It says so and is not ready.
  for (int i = 0; i < 3; ++i) {
    v1::IngestArticleResponse more;
    ASSERT_TRUE(ingest.Ingest(pages[static_cast<size_t>(i)], &more, absl::StrCat("later-", i)).ok());
  }
  ASSERT_TRUE(original_replica.WaitForSeq(ingest.HeadSeq()));
  ASSERT_GT(original_replica.Status().applied_seq(), restored.HeadSeq());
  ASSERT_EQ(original_replica.process().Terminate(), 0);
  SearchFixture ahead(root + "/search-original", restored.address(),
                      {"--ready_contact_grace_seconds=0"});
  ASSERT_TRUE(ahead.Start());
  auto channel = grpc::CreateChannel(ahead.address(), grpc::InsecureChannelCredentials());
  EXPECT_TRUE(WaitFor(
      [&] { return ahead.Status().last_error().find("rebuild") != std::string::npos; },
      absl::Seconds(30)))
      << ahead.Status().last_error();
  EXPECT_TRUE(WaitFor(
      [&] {
        return HealthStatus(channel, "") == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
      },
      absl::Seconds(5)));
  EXPECT_FALSE(ahead.Status().following());
}

}  // namespace
}  // namespace newsearch::testing
