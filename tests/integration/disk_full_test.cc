// A full disk under the ingest store: writes fail with RESOURCE_EXHAUSTED
// naming the file and the space left, reads go on, nothing stored is
// damaged, and writes resume once space is freed. Runs the real ingest on a
// small tmpfs; skipped (with the reason) where mounting is not allowed.
#include <sqlite3.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("diskfull");
    mount_ = root_ + "/fs";
    std::filesystem::create_directories(mount_);
    if (mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=16m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno)
                   << "); the disk-full test needs CAP_SYS_ADMIN";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(mount_.c_str(), MNT_DETACH);
  }

  // Fills the filesystem with a file until about `leave` bytes are left.
  void Fill(const std::string& path, uintmax_t leave) {
    const uintmax_t available = std::filesystem::space(mount_).available;
    ASSERT_GT(available, leave);
    std::ofstream out(path, std::ios::binary);
    const std::string block(64 << 10, 'x');
    for (uintmax_t left = available - leave; left > 0;) {
      const size_t n = static_cast<size_t>(std::min<uintmax_t>(left, block.size()));
      out.write(block.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
  }

  std::string root_;
  std::string mount_;
  bool mounted_ = false;
};

TEST_F(DiskFullTest, WritesFailClearlyReadsGoOnAndWritesResume) {
  IngestFixture ingest(mount_);
  ASSERT_TRUE(ingest.Start());
  std::vector<std::string> pages;
  for (const char* dir : {"/tests/testdata/pages/seeds", "/tests/testdata/pages/samples"}) {
    for (const std::string& path : ListFiles(SourceDir() + dir)) pages.push_back(ReadFile(path));
  }
  v1::IngestArticleResponse first;
  ASSERT_TRUE(ingest.Ingest(pages[0], &first, "before-full").ok());

  const std::string filler = mount_ + "/filler";
  Fill(filler, 32 << 10);
  grpc::Status status;
  int stored_while_filling = 0;
  for (int i = 0; i < 200; ++i) {
    v1::IngestArticleResponse response;
    status = ingest.Ingest(pages[static_cast<size_t>(i) % pages.size()], &response,
                           absl::StrCat("while-full-", i));
    if (!status.ok()) break;
    ++stored_while_filling;
  }
  ASSERT_FALSE(status.ok()) << "the disk never filled up";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(mount_ + "/ingest/articles.db"));
  EXPECT_THAT(status.error_message(), HasSubstr("bytes free"));

  // Reads go on.
  {
    grpc::ClientContext ctx;
    v1::GetArticleRequest request;
    request.set_id(first.articles(0).id());
    v1::Article article;
    EXPECT_TRUE(ingest.stub().GetArticle(&ctx, request, &article).ok());
  }
  // Writes resume once space is freed.
  std::filesystem::remove(filler);
  v1::IngestArticleResponse after;
  grpc::Status resumed = ingest.Ingest(pages[1], &after, "after-space-freed");
  EXPECT_TRUE(resumed.ok()) << resumed.error_message();

  // Nothing stored was damaged.
  ASSERT_EQ(ingest.process().Terminate(), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((mount_ + "/ingest/articles.db").c_str(), &db, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "ok");
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM articles WHERE deleted = 0", -1, &stmt,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_GE(sqlite3_column_int64(stmt, 0), 2 + stored_while_filling);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace newsearch::testing
