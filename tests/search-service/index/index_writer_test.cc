#include "search-service/index/index_writer.h"

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <xapian.h>

#include "absl/strings/str_cat.h"
#include "common/analysis/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

const analysis::Analyzer& TheAnalyzer() {
  static const analysis::Analyzer* analyzer = [] {
    auto created = analysis::Analyzer::Create();
    if (!created.ok()) {
      ADD_FAILURE() << created.status();
      std::abort();
    }
    return created->release();
  }();
  return *analyzer;
}

v1::Change Upsert(int64_t seq, const std::string& id, const std::string& title,
                  const std::string& body = "正文") {
  v1::Change change;
  change.set_seq(seq);
  change.set_kind(v1::CHANGE_KIND_UPSERT);
  change.set_article_id(id);
  v1::Article* article = change.mutable_article();
  article->set_id(id);
  article->set_title(title);
  article->set_body(body);
  article->set_source("台州日报");
  article->set_seq(seq);
  return change;
}

v1::Change Delete(int64_t seq, const std::string& id) {
  v1::Change change;
  change.set_seq(seq);
  change.set_kind(v1::CHANGE_KIND_DELETE);
  change.set_article_id(id);
  return change;
}

class IndexWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "index_writer_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/index";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<IndexWriter> OpenWriter() {
    auto writer = IndexWriter::Open({path_}, &TheAnalyzer());
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? std::move(writer).value() : nullptr;
  }

  // Titles of the documents a reader sees, as stored in the document data.
  static std::vector<std::string> Titles(const Xapian::Database& db) {
    std::vector<std::string> titles;
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
      v1::Article article;
      EXPECT_TRUE(schema::ArticleFromDocumentData(db.get_document(*it).get_data(), &article));
      titles.push_back(article.title());
    }
    return titles;
  }

  static std::string AppliedSeq(const Xapian::Database& db) {
    return db.get_metadata(schema::kAppliedSeqKey);
  }

  std::string dir_;
  std::string path_;
};

TEST_F(IndexWriterTest, NewIndexStartsAtSeqZero) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->applied_seq(), 0);
  EXPECT_EQ(writer->document_count(), 0);
}

TEST_F(IndexWriterTest, RejectsEmptyPathAndNullAnalyzer) {
  EXPECT_EQ(IndexWriter::Open({""}, &TheAnalyzer()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IndexWriter::Open({path_}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(IndexWriterTest, ApplyCreatesUpdatesAndDeletes) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "網絡安全"), Upsert(2, "b", "互联网")}).ok());
  EXPECT_EQ(writer->applied_seq(), 2);
  EXPECT_EQ(writer->document_count(), 2);

  ASSERT_TRUE(writer->Apply({Upsert(3, "a", "网络公司"), Delete(4, "b"), Delete(5, "never-seen")})
                  .ok());
  EXPECT_EQ(writer->applied_seq(), 5);
  EXPECT_EQ(writer->document_count(), 1);

  Xapian::Database reader(path_);
  EXPECT_THAT(Titles(reader), UnorderedElementsAreArray({"网络公司"}));
  EXPECT_EQ(AppliedSeq(reader), "5");
  EXPECT_EQ(reader.get_termfreq(schema::IdTerm("a")), 1u);
  EXPECT_EQ(reader.get_termfreq(schema::IdTerm("b")), 0u);
  // The updated document replaced the old terms.
  EXPECT_EQ(reader.get_termfreq("S公司"), 1u);
  EXPECT_EQ(reader.get_termfreq("S安全"), 0u);
}

TEST_F(IndexWriterTest, UpsertUsesChangeArticleIdWhenArticleHasNone) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  v1::Change change = Upsert(1, "a", "标题");
  change.mutable_article()->clear_id();
  ASSERT_TRUE(writer->Apply({change}).ok());
  ASSERT_TRUE(writer->Apply({Delete(2, "a")}).ok());
  EXPECT_EQ(writer->document_count(), 0);
}

TEST_F(IndexWriterTest, AppliedSeqPersistsAcrossReopen) {
  {
    auto writer = OpenWriter();
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Apply({Upsert(7, "a", "一"), Upsert(9, "b", "二")}).ok());
    ASSERT_TRUE(writer->Close().ok());
  }
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->applied_seq(), 9);
  EXPECT_EQ(writer->document_count(), 2);
}

TEST_F(IndexWriterTest, ReaderSeesDocumentsAndAppliedSeqTogetherAfterCommit) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  Xapian::Database reader(path_);
  const Xapian::rev before = reader.get_revision();
  EXPECT_EQ(reader.get_doccount(), 0u);
  EXPECT_EQ(AppliedSeq(reader), "");

  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一"), Upsert(2, "b", "二"), Upsert(3, "c", "三")})
                  .ok());
  // The reader's snapshot predates the commit: it still sees nothing.
  EXPECT_EQ(reader.get_doccount(), 0u);
  EXPECT_EQ(AppliedSeq(reader), "");

  ASSERT_TRUE(reader.reopen());
  // One commit carried the documents and applied_seq together: the revision
  // moved by exactly one, so no reader could see one without the other.
  EXPECT_EQ(reader.get_revision(), before + 1);
  EXPECT_THAT(Titles(reader), UnorderedElementsAreArray({"一", "二", "三"}));
  EXPECT_EQ(AppliedSeq(reader), "3");
}

TEST_F(IndexWriterTest, ReapplyingCommittedChangesIsANoOp) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一"), Upsert(2, "b", "二")}).ok());
  Xapian::Database reader(path_);
  const Xapian::rev revision = reader.get_revision();

  // Same seqs, different content: a replay after a reconnect must not
  // overwrite what was committed.
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "改"), Delete(2, "b")}).ok());
  EXPECT_EQ(writer->applied_seq(), 2);
  reader.reopen();
  EXPECT_EQ(reader.get_revision(), revision);
  EXPECT_THAT(Titles(reader), UnorderedElementsAreArray({"一", "二"}));

  // A batch overlapping the committed range applies only the new part.
  ASSERT_TRUE(writer->Apply({Upsert(2, "b", "改"), Upsert(3, "c", "三")}).ok());
  reader.reopen();
  EXPECT_THAT(Titles(reader), UnorderedElementsAreArray({"一", "二", "三"}));
  EXPECT_EQ(AppliedSeq(reader), "3");
}

TEST_F(IndexWriterTest, EmptyBatchIsANoOp) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  EXPECT_TRUE(writer->Apply({}).ok());
  EXPECT_EQ(writer->applied_seq(), 0);
}

TEST_F(IndexWriterTest, FailedBatchLeavesThePreviousState) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一"), Upsert(2, "b", "二")}).ok());

  // Xapian rejects the id term of the second article (over 245 bytes) in the
  // middle of the batch, after the first upsert and delete were staged.
  const absl::Status status = writer->Apply(
      {Upsert(3, "c", "三"), Delete(4, "a"), Upsert(5, std::string(300, 'f'), "四")});
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("seq 3..5"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("Term too long"));
  EXPECT_EQ(writer->applied_seq(), 2);
  EXPECT_EQ(writer->document_count(), 2);

  Xapian::Database reader(path_);
  EXPECT_THAT(Titles(reader), UnorderedElementsAreArray({"一", "二"}));
  EXPECT_EQ(AppliedSeq(reader), "2");

  // The writer stays usable and the retried good part applies.
  ASSERT_TRUE(writer->Apply({Upsert(3, "c", "三"), Delete(4, "a")}).ok());
  reader.reopen();
  EXPECT_THAT(Titles(reader), UnorderedElementsAreArray({"二", "三"}));
  EXPECT_EQ(AppliedSeq(reader), "4");
}

struct BadBatchCase {
  std::string reason;
  std::vector<v1::Change> changes;
};

TEST_F(IndexWriterTest, RejectsMalformedBatchesBeforeTouchingTheIndex) {
  v1::Change unknown_kind = Upsert(4, "x", "坏");
  unknown_kind.set_kind(v1::CHANGE_KIND_UNSPECIFIED);
  v1::Change no_id = Delete(4, "");
  const std::vector<BadBatchCase> cases = {
      {"seqs out of order", {Upsert(5, "x", "坏"), Upsert(4, "y", "坏")}},
      {"repeated seq", {Upsert(4, "x", "坏"), Upsert(4, "y", "坏")}},
      {"unspecified kind", {Upsert(3, "z", "坏"), unknown_kind}},
      {"no article id", {Upsert(3, "z", "坏"), no_id}},
  };
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一")}).ok());
  for (const BadBatchCase& c : cases) {
    SCOPED_TRACE(c.reason);
    EXPECT_EQ(writer->Apply(c.changes).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(writer->applied_seq(), 1);
    EXPECT_EQ(writer->document_count(), 1);
  }
}

TEST_F(IndexWriterTest, ApplyAfterCloseIsFailedPrecondition) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Close().ok());
  EXPECT_TRUE(writer->Close().ok()) << "closing twice is harmless";
  EXPECT_EQ(writer->Apply({Upsert(1, "a", "一")}).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(IndexWriterTest, SecondWriterOnTheSamePathIsFailedPrecondition) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  auto second = IndexWriter::Open({path_}, &TheAnalyzer());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(IndexWriterTest, CorruptAppliedSeqIsDataLoss) {
  {
    Xapian::WritableDatabase db(path_, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
    db.set_metadata(schema::kAppliedSeqKey, "12abc");
    db.commit();
  }
  EXPECT_EQ(IndexWriter::Open({path_}, &TheAnalyzer()).status().code(),
            absl::StatusCode::kDataLoss);
}

// A Chinese-looking article of about `chars` characters: random common
// characters, clauses of 8-20 characters, some traditional characters so
// OpenCC has work to do, and a few Latin words and numbers.
v1::Article GenerateArticle(std::mt19937* rng, int index, int chars) {
  static const std::vector<std::string> kPool = [] {
    const std::string pool =
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
        "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使"
        "点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明"
        "看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料"
        "網絡經濟發展會議資訊電腦軟體機構國際區域";
    std::vector<std::string> out;
    for (size_t i = 0; i < pool.size();) {
      const size_t len = (static_cast<unsigned char>(pool[i]) >= 0xE0) ? 3 : 1;
      out.push_back(pool.substr(i, len));
      i += len;
    }
    return out;
  }();
  static const std::vector<std::string> kWords = {"5G", "QQ", "iPhone", "2018", "COO", "App"};
  std::uniform_int_distribution<size_t> pick(0, kPool.size() - 1);
  std::uniform_int_distribution<int> clause(8, 20);
  std::uniform_int_distribution<int> percent(0, 99);
  auto text = [&](int n) {
    std::string out;
    int next_break = clause(*rng);
    for (int i = 0; i < n; ++i) {
      if (percent(*rng) < 2) absl::StrAppend(&out, kWords[i % kWords.size()]);
      out += kPool[pick(*rng)];
      if (--next_break == 0) {
        out += percent(*rng) < 20 ? "。\n\n" : "，";
        next_break = clause(*rng);
      }
    }
    return out;
  };
  v1::Article article;
  article.set_id(absl::StrCat("article-", index));
  article.set_title(text(20));
  article.set_body(text(chars));
  article.set_source("中国台州网-台州日报");
  article.add_authors("葛星星");
  article.set_script("zh-Hans");
  article.mutable_published_at()->set_seconds(1524440162 + index * 3600);
  return article;
}

// Not a timed assertion: prints the sustained Apply rate for the record.
// Run with --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'.
TEST_F(IndexWriterTest, DISABLED_MeasuresApplyThroughput) {
  constexpr int kBatches = 20;
  constexpr int kBatchSize = 500;
  constexpr int kBodyChars = 2000;
  std::mt19937 rng(42);
  std::vector<std::vector<v1::Change>> batches(kBatches);
  size_t bytes = 0;
  int64_t seq = 0;
  for (auto& batch : batches) {
    for (int i = 0; i < kBatchSize; ++i) {
      v1::Change change;
      change.set_seq(++seq);
      change.set_kind(v1::CHANGE_KIND_UPSERT);
      *change.mutable_article() = GenerateArticle(&rng, static_cast<int>(seq), kBodyChars);
      change.set_article_id(change.article().id());
      bytes += change.article().body().size();
      batch.push_back(std::move(change));
    }
  }
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);

  const auto fold_start = std::chrono::steady_clock::now();
  for (const auto& change : batches[0]) {
    schema::BuildDocument(TheAnalyzer(), change.article());
  }
  const double build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fold_start).count();

  const auto start = std::chrono::steady_clock::now();
  for (const auto& batch : batches) ASSERT_TRUE(writer->Apply(batch).ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int total = kBatches * kBatchSize;
  std::printf(
      "Apply: %d articles (%d batches of %d, ~%d Han chars each, %.1f MB of body) in %.2f s: "
      "%.0f articles/s, %.2f MB/s; BuildDocument alone: %.0f articles/s\n",
      total, kBatches, kBatchSize, kBodyChars, bytes / 1e6, seconds, total / seconds,
      bytes / 1e6 / seconds, kBatchSize / build_seconds);
  EXPECT_EQ(writer->document_count(), total);
}

}  // namespace
}  // namespace newsearch::search
