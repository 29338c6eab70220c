// Re-parse through the real binaries and `newsearch reparse`: an article
// whose stored parse differs from what the current parser makes (written by
// hand into SQLite, as an older parser would have left it) is rewritten with
// a new seq and the search replica sees the new text; an article its page no
// longer yields is deleted; every other article keeps its seq.
#include <sqlite3.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A bound SQL parameter: text unless `blob` (an id bound as a blob would
// never equal the TEXT column).
struct Param {
  std::string value;
  bool blob = false;
};

// Minimal SQLite access for the hand edits (the server is stopped meanwhile).
class Db {
 public:
  explicit Db(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~Db() { sqlite3_close(db_); }
  // Runs `sql` with the parameters bound in order; returns the first column
  // of the first row ("" when none).
  std::string Run(const std::string& sql, const std::vector<Param>& params = {}) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_) << ": " << sql;
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string& v = params[i].value;
      if (params[i].blob) {
        sqlite3_bind_blob(stmt, static_cast<int>(i + 1), v.data(), static_cast<int>(v.size()),
                          SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_text(stmt, static_cast<int>(i + 1), v.data(), static_cast<int>(v.size()),
                          SQLITE_TRANSIENT);
      }
    }
    std::string result;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const void* p = sqlite3_column_blob(stmt, 0);
      if (p != nullptr) {
        result.assign(static_cast<const char*>(p), sqlite3_column_bytes(stmt, 0));
      }
    } else {
      EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db_) << ": " << sql;
    }
    sqlite3_finalize(stmt);
    return result;
  }

 private:
  sqlite3* db_ = nullptr;
};

v1::Article Get(IngestFixture& ingest, const std::string& id, grpc::Status* status) {
  grpc::ClientContext context;
  v1::GetArticleRequest request;
  request.set_id(id);
  v1::Article article;
  *status = ingest.stub().GetArticle(&context, request, &article);
  return article;
}

TEST(ReparseTest, ChangedArticlesReachTheReplicaUnchangedKeepTheirSeq) {
  const std::string root = MakeTempDir("reparse");
  IngestFixture ingest(root, {"--fsync=false"});
  ASSERT_TRUE(ingest.Start());
  SearchFixture search(root + "/search", ingest.address());
  ASSERT_TRUE(search.Start());

  std::vector<std::string> files;
  for (const char* dir : {"/tests/testdata/pages/seeds", "/tests/testdata/pages/samples"}) {
    for (const std::string& f : ListFiles(SourceDir() + dir)) files.push_back(f);
  }
  std::map<std::string, int64_t> seqs;  // id -> seq
  std::string target;                   // the article edited by hand
  int64_t head = 0;
  for (const std::string& file : files) {
    v1::IngestArticleResponse response;
    ASSERT_TRUE(ingest.Ingest(ReadFile(file), &response, file).ok()) << file;
    for (const v1::IngestedArticle& a : response.articles()) {
      seqs[a.id()] = a.seq();
      head = std::max(head, a.seq());
    }
    if (file.find("s08_messy_saline_rice") != std::string::npos) {
      target = response.articles(0).id();
    }
  }
  ASSERT_THAT(target, Not(IsEmpty()));
  ASSERT_TRUE(search.WaitForSeq(head));
  ASSERT_THAT(search.AllHitIds("海水稻"), Contains(target));

  // As an older parser would have stored it: another body and an extra
  // article from the same page. Each takes a seq, as a real write would.
  ASSERT_EQ(ingest.process().Terminate(), 0);
  {
    Db db(root + "/ingest/articles.db");
    v1::Article old;
    ASSERT_TRUE(old.ParseFromString(
        db.Run("SELECT article FROM articles WHERE id = ?1", {{target}})));
    ASSERT_THAT(old.body(), HasSubstr("盐碱地"));
    old.set_body("旧解析器留下的正文：穿山甲实验室。");
    db.Run("UPDATE articles SET article = ?1, content_hash = x'00', seq = " +
               std::to_string(head + 1) + " WHERE id = ?2",
           {{old.SerializeAsString(), true}, {target}});
    v1::Article extra = old;
    extra.set_id(target + "-9");
    extra.set_title("多余的文章");
    extra.set_body("旧解析器切出的多余文章：麒麟号。");
    db.Run("INSERT INTO articles (id, seq, deleted, article, content_hash, page_id, ingested_at, "
           "updated_at) SELECT ?1, " +
               std::to_string(head + 2) +
               ", 0, ?2, x'00', page_id, ingested_at, updated_at FROM articles WHERE id = ?3",
           {{extra.id()}, {extra.SerializeAsString(), true}, {target}});
    db.Run("UPDATE meta SET value = " + std::to_string(head + 2) + " WHERE key = 'head_seq'");
  }
  ingest.process().KeepPort();
  ASSERT_TRUE(ingest.Start());
  ASSERT_TRUE(search.WaitForSeq(head + 2));
  ASSERT_THAT(search.AllHitIds("穿山甲"), Contains(target));
  ASSERT_THAT(search.AllHitIds("麒麟号"), Contains(target + "-9"));

  int code = 0;
  const std::string out =
      RunShell(absl::StrCat(BinaryDir(), "/tools/cli/newsearch --ingest ", ingest.address(),
                            " reparse --batch_size 4"),
               &code);
  ASSERT_EQ(code, 0) << out;
  const int pages = static_cast<int>(files.size());
  EXPECT_THAT(out, HasSubstr(absl::StrCat("re-parsed ", pages, "/", pages, " pages: 1 changed, ",
                                          seqs.size() - 1, " unchanged, 1 deleted, 0 pages failed")))
      << out;
  // Batches of 4 pages: one progress line per batch, then the summary.
  EXPECT_THAT(out, HasSubstr(absl::StrCat("re-parsed 4/", pages, " pages")));

  grpc::Status status;
  const v1::Article fixed = Get(ingest, target, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(fixed.body(), HasSubstr("盐碱地"));
  EXPECT_GT(fixed.seq(), head + 2);
  Get(ingest, target + "-9", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  for (const auto& [id, seq] : seqs) {
    if (id == target) continue;
    const v1::Article article = Get(ingest, id, &status);
    ASSERT_TRUE(status.ok()) << id;
    EXPECT_EQ(article.seq(), seq) << id << " changed although its parse did not";
  }
  const int64_t new_head = ingest.HeadSeq();
  EXPECT_EQ(new_head, head + 4);  // one update, one tombstone
  ASSERT_TRUE(search.WaitForSeq(new_head));
  EXPECT_THAT(search.AllHitIds("穿山甲"), IsEmpty());
  EXPECT_THAT(search.AllHitIds("麒麟号"), IsEmpty());
  EXPECT_THAT(search.AllHitIds("海水稻"), Contains(target));

  // A second re-parse finds nothing to change.
  const std::string again =
      RunShell(absl::StrCat(BinaryDir(), "/tools/cli/newsearch --ingest ", ingest.address(),
                            " reparse"),
               &code);
  ASSERT_EQ(code, 0) << again;
  EXPECT_THAT(again, HasSubstr(absl::StrCat("0 changed, ", seqs.size(), " unchanged, 0 deleted")));
  EXPECT_EQ(ingest.HeadSeq(), new_head);
}

}  // namespace
}  // namespace newsearch::testing
