#include "search-service/index/index_writer.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/analysis/analyzer.h"
#include "common/base/stable_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/query/searcher_impl.h"
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

  std::unique_ptr<IndexWriter> OpenWriter(int shards = 1) {
    auto writer = IndexWriter::Open({path_, shards}, &TheAnalyzer());
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? std::move(writer).value() : nullptr;
  }

  // The articles a reader sees, as stored in the document data.
  static std::vector<v1::Article> Articles(const Xapian::Database& db) {
    std::vector<v1::Article> articles;
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
      EXPECT_TRUE(schema::ArticleFromDocumentData(db.get_document(*it).get_data(),
                                                  &articles.emplace_back()));
    }
    return articles;
  }

  // Titles of the documents a reader sees.
  static std::vector<std::string> Titles(const Xapian::Database& db) {
    std::vector<std::string> titles;
    for (const v1::Article& article : Articles(db)) titles.push_back(article.title());
    return titles;
  }

  // The ids of the articles a reader sees, each as often as it is held.
  static std::multiset<std::string> HeldIds(const Xapian::Database& db) {
    std::multiset<std::string> ids;
    for (const v1::Article& article : Articles(db)) ids.insert(article.id());
    return ids;
  }

  // The applied_seq a reader of all shards may rely on: the lowest one
  // ("" when no shard has committed any).
  static std::string AppliedSeq(const Xapian::Database& db) {
    std::string lowest;
    for (size_t i = 0; i < db.size(); ++i) {
      const std::string seq = Shard(db, i).get_metadata(schema::kAppliedSeqKey);
      if (i == 0 || seq.empty() || (!lowest.empty() && std::stoll(seq) < std::stoll(lowest))) {
        lowest = seq;
      }
    }
    return lowest;
  }

  // Shard `i` of a database opened through the index's stub.
  static Xapian::Database Shard(const Xapian::Database& db, size_t i) {
    return Xapian::Database(db.internal[i].get());
  }

  std::string StubText() const {
    std::ifstream in(path_ + "/XAPIANDB");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
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
  const Xapian::rev before = Shard(reader, 0).get_revision();
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
  EXPECT_EQ(Shard(reader, 0).get_revision(), before + 1);
  EXPECT_THAT(Titles(reader), UnorderedElementsAreArray({"一", "二", "三"}));
  EXPECT_EQ(AppliedSeq(reader), "3");
}

TEST_F(IndexWriterTest, ReapplyingCommittedChangesIsANoOp) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一"), Upsert(2, "b", "二")}).ok());
  Xapian::Database reader(path_);
  const Xapian::rev revision = Shard(reader, 0).get_revision();

  // Same seqs, different content: a replay after a reconnect must not
  // overwrite what was committed.
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "改"), Delete(2, "b")}).ok());
  EXPECT_EQ(writer->applied_seq(), 2);
  reader.reopen();
  EXPECT_EQ(Shard(reader, 0).get_revision(), revision);
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
  ASSERT_TRUE(OpenWriter()->Close().ok());
  {
    Xapian::WritableDatabase db(path_ + "/shard-0.0", Xapian::DB_OPEN | Xapian::DB_BACKEND_GLASS);
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

std::vector<v1::Change> GeneratedUpserts(int count, int body_chars, int64_t first_seq = 1) {
  std::mt19937 rng(7);
  std::vector<v1::Change> changes;
  for (int i = 0; i < count; ++i) {
    v1::Change change;
    change.set_seq(first_seq + i);
    change.set_kind(v1::CHANGE_KIND_UPSERT);
    *change.mutable_article() = GenerateArticle(&rng, i, body_chars);
    change.set_article_id(change.article().id());
    changes.push_back(std::move(change));
  }
  return changes;
}

// Applies `changes` in batches of `batch` (the last may be shorter), each
// one Apply; false (with a test failure) at the first that fails.
bool ApplyInBatches(IndexWriter& writer, const std::vector<v1::Change>& changes, size_t batch) {
  for (size_t i = 0; i < changes.size(); i += batch) {
    const auto end = changes.begin() + std::min(changes.size(), i + batch);
    const absl::Status status = writer.Apply({changes.begin() + i, end});
    if (!status.ok()) {
      ADD_FAILURE() << "batch at " << i << ": " << status;
      return false;
    }
  }
  return true;
}

// Every article's id in shard `i` of a database opened through the stub.
std::map<std::string, size_t> ShardOfEachArticle(const Xapian::Database& db) {
  std::map<std::string, size_t> shard_of;
  for (size_t i = 0; i < db.size(); ++i) {
    const Xapian::Database shard(db.internal[i].get());
    for (auto it = shard.postlist_begin(""); it != shard.postlist_end(""); ++it) {
      v1::Article article;
      EXPECT_TRUE(schema::ArticleFromDocumentData(shard.get_document(*it).get_data(), &article));
      shard_of[article.id()] = i;
    }
  }
  return shard_of;
}

TEST_F(IndexWriterTest, RoutesEachArticleToTheShardOfItsIdHash) {
  auto writer = OpenWriter(3);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->shards(), 3);
  ASSERT_TRUE(writer->Apply(GeneratedUpserts(60, 50)).ok());
  EXPECT_EQ(writer->document_count(), 60);
  EXPECT_EQ(StubText(), "glass shard-0.0\nglass shard-1.0\nglass shard-2.0\n");

  Xapian::Database reader(path_);
  ASSERT_EQ(reader.size(), 3u);
  const std::map<std::string, size_t> shard_of = ShardOfEachArticle(reader);
  ASSERT_EQ(shard_of.size(), 60u);
  std::vector<int> per_shard(3);
  for (const auto& [id, shard] : shard_of) {
    EXPECT_EQ(static_cast<int>(shard), LocalShardOf(id, 3)) << id;
    ++per_shard[shard];
  }
  for (int n : per_shard) EXPECT_GT(n, 5);
  // Every shard committed the batch's last seq, also with few changes.
  EXPECT_THAT(writer->shard_applied_seqs(), ::testing::ElementsAre(60, 60, 60));
  EXPECT_EQ(AppliedSeq(reader), "60");

  // A delete goes to the article's shard too.
  ASSERT_TRUE(writer->Apply({Delete(61, "article-5"), Delete(62, "article-6")}).ok());
  reader.reopen();
  EXPECT_EQ(reader.get_doccount(), 58u);
  EXPECT_EQ(reader.get_termfreq(schema::IdTerm("article-5")), 0u);
  EXPECT_THAT(writer->shard_applied_seqs(), ::testing::ElementsAre(62, 62, 62));
}

TEST_F(IndexWriterTest, DefaultShardsAreTheCoresThenWhatTheIndexHas) {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  {
    auto writer = OpenWriter(0);
    ASSERT_NE(writer, nullptr);
    EXPECT_EQ(writer->shards(), cores);
  }
  std::filesystem::remove_all(path_);
  ASSERT_TRUE(OpenWriter(3)->Close().ok());
  auto writer = OpenWriter(0);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->shards(), 3);
}

TEST_F(IndexWriterTest, RefusesAnotherNumberOfShards) {
  {
    auto writer = OpenWriter(2);
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一")}).ok());
  }
  auto other = IndexWriter::Open({path_, 3}, &TheAnalyzer());
  ASSERT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(other.status().message()),
              HasSubstr("has 2 shards but --index_shards is 3"));
  // Nothing was changed: the index still opens with its own number.
  auto writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->applied_seq(), 1);
}

TEST_F(IndexWriterTest, RefusesAOneShardIndexFromBeforeShards) {
  {
    // Today's layout before shards: a Xapian database directly in the path.
    Xapian::WritableDatabase db(path_, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
    db.set_metadata(schema::kAppliedSeqKey, "7");
    db.commit();
  }
  auto writer = IndexWriter::Open({path_, 1}, &TheAnalyzer());
  ASSERT_EQ(writer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(writer.status().message()), HasSubstr("one-shard index"));
  EXPECT_THAT(std::string(writer.status().message()), HasSubstr("move the directory away"));
}

// The state a crash leaves between two shards' commits of one batch: shard 0
// has committed seq 5..8, shard 1 has not. On restart the stream resumes
// from the lowest applied_seq; replaying what shard 0 has must not redo or
// undo anything there.
TEST_F(IndexWriterTest, EachShardResumesFromItsOwnCommit) {
  std::vector<v1::Change> first = GeneratedUpserts(4, 30, 1);
  std::vector<v1::Change> second = GeneratedUpserts(4, 30, 5);
  for (int i = 0; i < 4; ++i) {
    second[i].mutable_article()->set_id(absl::StrCat("late-", i));
    second[i].set_article_id(absl::StrCat("late-", i));
  }
  const std::string shard1 = path_ + "/shard-1.0";
  const std::string saved = dir_ + "/shard-1.saved";
  {
    auto writer = OpenWriter(2);
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Apply(first).ok());
    ASSERT_TRUE(writer->Close().ok());
    std::filesystem::copy(shard1, saved);
    writer = OpenWriter(2);
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Apply(second).ok());
    ASSERT_TRUE(writer->Close().ok());
  }
  std::filesystem::remove_all(shard1);
  std::filesystem::rename(saved, shard1);

  auto writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  EXPECT_THAT(writer->shard_applied_seqs(), ::testing::ElementsAre(8, 4));
  EXPECT_EQ(writer->applied_seq(), 4);
  Xapian::Database reader(path_);
  const Xapian::rev shard0_revision = Shard(reader, 0).get_revision();
  // The replay carries other content under the same seqs: shard 0 must keep
  // what it committed, shard 1 must take the changes it lacks.
  std::vector<v1::Change> replay = second;
  for (v1::Change& change : replay) change.mutable_article()->set_title("重放");
  ASSERT_TRUE(writer->Apply(replay).ok());
  EXPECT_THAT(writer->shard_applied_seqs(), ::testing::ElementsAre(8, 8));
  reader.reopen();
  EXPECT_EQ(Shard(reader, 0).get_revision(), shard0_revision);
  EXPECT_EQ(reader.get_doccount(), 8u);
  for (int i = 0; i < 4; ++i) {
    const std::string id = absl::StrCat("late-", i);
    EXPECT_EQ(reader.get_termfreq(schema::IdTerm(id)), 1u) << id;
  }
  int replayed = 0;
  for (const std::string& title : Titles(reader)) replayed += title == "重放";
  int on_shard1 = 0;
  for (int i = 0; i < 4; ++i) on_shard1 += LocalShardOf(absl::StrCat("late-", i), 2) == 1;
  EXPECT_EQ(replayed, on_shard1);
}

// Batches handed over by ApplyPipelined commit what Apply would: once
// drained, every article is in its shard and every shard is at the last seq.
TEST_F(IndexWriterTest, PipelinedBatchesCommitWhatApplyWould) {
  auto writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  const std::vector<v1::Change> all = GeneratedUpserts(90, 40);
  for (int b = 0; b < 3; ++b) {
    std::vector<v1::Change> batch(all.begin() + b * 30, all.begin() + (b + 1) * 30);
    ASSERT_TRUE(writer->ApplyPipelined(&batch).ok());
    EXPECT_TRUE(batch.empty()) << "the writer takes the changes";
    // The batch before the one just handed over is committed.
    EXPECT_GE(writer->applied_seq(), b * 30);
  }
  ASSERT_TRUE(writer->Drain().ok());
  EXPECT_EQ(writer->applied_seq(), 90);
  EXPECT_THAT(writer->shard_applied_seqs(), ::testing::ElementsAre(90, 90));
  EXPECT_EQ(writer->document_count(), 90);

  // Deleting articles of earlier batches, then a synchronous Apply, which
  // waits for the pipelined batch first.
  std::vector<v1::Change> deletes = {Delete(91, all[0].article_id()),
                                     Delete(92, all[45].article_id())};
  ASSERT_TRUE(writer->ApplyPipelined(&deletes).ok());
  ASSERT_TRUE(writer->Apply({Upsert(93, "new", "新")}).ok());
  EXPECT_EQ(writer->applied_seq(), 93);
  Xapian::Database reader(path_);
  EXPECT_EQ(reader.get_doccount(), 89u);
  EXPECT_EQ(reader.get_termfreq(schema::IdTerm(all[0].article_id())), 0u);
  EXPECT_EQ(reader.get_termfreq(schema::IdTerm(all[45].article_id())), 0u);
  EXPECT_EQ(reader.get_termfreq(schema::IdTerm("new")), 1u);
}

// A shard that fails a pipelined batch must not apply the next one (it
// would skip the failed changes for good): it refuses it (ABORTED, logged),
// the other shard goes on, and fetching the log again from applied_seq()
// completes both.
TEST_F(IndexWriterTest, AShardThatFailsAPipelinedBatchRefusesTheNext) {
  auto writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一")}).ok());
  // Xapian rejects this article's id term (over 245 bytes) on its shard.
  const std::string bad_id(300, 'f');
  const int bad_shard = LocalShardOf(bad_id, 2);
  const auto second_batch = [] {
    std::vector<v1::Change> batch;
    for (int i = 0; i < 10; ++i) {
      batch.push_back(Upsert(4 + i, absl::StrCat("late-", i), "后"));
    }
    return batch;
  };

  std::vector<v1::Change> first = {Upsert(2, "b", "二"), Upsert(3, bad_id, "三")};
  ASSERT_TRUE(writer->ApplyPipelined(&first).ok()) << "handed over; its outcome comes later";
  std::vector<v1::Change> second = second_batch();
  const absl::Status failed = writer->ApplyPipelined(&second);
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal) << failed;
  EXPECT_THAT(std::string(failed.message()), HasSubstr("Term too long"));
  EXPECT_TRUE(writer->Drain().ok()) << "nothing is in flight after an error";
  // The failed shard refused the second batch; the other one applied it.
  EXPECT_EQ(writer->shard_applied_seqs()[bad_shard], 1);
  EXPECT_EQ(writer->shard_applied_seqs()[1 - bad_shard], 13);
  EXPECT_EQ(writer->applied_seq(), 1);

  // The log again from seq 1, where a re-ingest has replaced the bad
  // article by a good one under a new seq.
  std::vector<v1::Change> again = {Upsert(2, "b", "二")};
  for (v1::Change& change : second_batch()) again.push_back(std::move(change));
  again.push_back(Upsert(14, "c", "三"));
  ASSERT_TRUE(writer->Apply(again).ok());
  EXPECT_EQ(writer->applied_seq(), 14);
  Xapian::Database reader(path_);
  EXPECT_EQ(reader.get_doccount(), 13u);
  for (const std::string id : {"a", "b", "c", "late-0", "late-9"}) {
    EXPECT_EQ(reader.get_termfreq(schema::IdTerm(id)), 1u) << id;
  }
}

// Xapian merges the statistics of the shards opened as one database: the
// weights of every match equal those of one index holding the same articles.
TEST_F(IndexWriterTest, ScoresOverShardsEqualThoseOfOneIndex) {
  const std::vector<v1::Change> changes = GeneratedUpserts(120, 300);
  const std::string one_path = dir_ + "/one";
  {
    auto one = IndexWriter::Open({one_path, 1}, &TheAnalyzer());
    ASSERT_TRUE(one.ok()) << one.status();
    ASSERT_TRUE((*one)->Apply(changes).ok());
    auto sharded = OpenWriter(3);
    ASSERT_NE(sharded, nullptr);
    ASSERT_TRUE(sharded->Apply(changes).ok());
  }
  auto weights = [](const std::string& path, const Xapian::Query& query) {
    Xapian::Database db(path);
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 1.0, 0.5));
    std::map<std::string, double> by_id;
    const Xapian::MSet mset = enquire.get_mset(0, db.get_doccount());
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      v1::Article article;
      EXPECT_TRUE(schema::ArticleFromDocumentData(it.get_document().get_data(), &article));
      by_id[article.id()] = it.get_weight();
    }
    return by_id;
  };
  const std::vector<std::string> words = {"经", "发", "国", "网络"};
  std::vector<Xapian::Query> parts;
  for (const std::string& word : words) {
    parts.push_back(TheAnalyzer().QueryForAtom(word, "", false));
  }
  for (const Xapian::Query& query :
       {Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end()), parts[0],
        Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.begin() + 2)}) {
    SCOPED_TRACE(query.get_description());
    const std::map<std::string, double> one = weights(one_path, query);
    const std::map<std::string, double> sharded = weights(path_, query);
    ASSERT_FALSE(one.empty());
    ASSERT_EQ(one.size(), sharded.size());
    for (const auto& [id, weight] : one) {
      ASSERT_EQ(sharded.count(id), 1u) << id;
      EXPECT_NEAR(sharded.at(id), weight, 1e-9 * weight) << id;
    }
  }
}

TEST_F(IndexWriterTest, CompactionShrinksShardsAndSwapsThemUnderReaders) {
  auto writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  // Many small commits and rewrites leave the B-trees with free space.
  ASSERT_TRUE(ApplyInBatches(*writer, GeneratedUpserts(200, 300), 10));
  Xapian::Database before(path_);
  ASSERT_EQ(before.get_doccount(), 200u);

  const absl::StatusOr<CompactionStats> stats = writer->Compact();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->bytes_after, 0);
  EXPECT_LT(stats->bytes_after, stats->bytes_before);
  EXPECT_EQ(StubText(), "glass shard-0.1\nglass shard-1.1\n");
  EXPECT_EQ(writer->document_count(), 200);
  EXPECT_EQ(writer->applied_seq(), 200);

  // A reader opened before the swap keeps answering from the old shards.
  EXPECT_EQ(before.get_doccount(), 200u);
  EXPECT_EQ(before.get_termfreq(schema::IdTerm("article-3")), 1u);

  // The writer follows the swap: later changes land in the new shards.
  ASSERT_TRUE(writer->Apply({Delete(201, "article-3"), Upsert(202, "new", "新")}).ok());
  Xapian::Database after(path_);
  EXPECT_EQ(after.get_doccount(), 200u);
  EXPECT_EQ(after.get_termfreq(schema::IdTerm("article-3")), 0u);
  EXPECT_EQ(after.get_termfreq(schema::IdTerm("new")), 1u);
  EXPECT_EQ(AppliedSeq(after), "202");

  // The old generation goes a moment later (IndexWriterOptions::
  // retired_grace), and the reader opened before still answers: it holds
  // the old files open.
  for (int i = 0; i < 500 && writer->HasRetiredDirectories(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(writer->HasRetiredDirectories()) << "still there after 5 s";
  EXPECT_FALSE(std::filesystem::exists(path_ + "/shard-0.0"));
  EXPECT_EQ(before.get_termfreq(schema::IdTerm("article-3")), 1u);
  Xapian::PostingIterator old_posting = before.postlist_begin(schema::IdTerm("article-7"));
  ASSERT_NE(old_posting, before.postlist_end(schema::IdTerm("article-7")));
  EXPECT_FALSE(before.get_document(*old_posting).get_data().empty());

  // And a restart opens the compacted generation with its applied_seq.
  ASSERT_TRUE(writer->Close().ok());
  writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->applied_seq(), 202);
  EXPECT_EQ(writer->document_count(), 200);
  // The old generation is gone after the restart.
  EXPECT_FALSE(std::filesystem::exists(path_ + "/shard-0.0"));
  EXPECT_TRUE(std::filesystem::exists(path_ + "/shard-0.1"));
}

// The number of stub lines (directories) of each shard, by shard.
std::map<std::string, int> LinesPerShard(const std::string& stub) {
  std::map<std::string, int> lines;
  for (absl::string_view line : absl::StrSplit(stub, '\n', absl::SkipEmpty())) {
    const absl::string_view name = line.substr(line.find("shard-"));
    ++lines[std::string(name.substr(0, name.find('.')))];
  }
  return lines;
}

class SegmentedIndexWriterTest : public IndexWriterTest {
 protected:
  std::unique_ptr<IndexWriter> OpenSegmented(int shards, int segment_docs, int factor) {
    IndexWriterOptions options;
    options.path = path_;
    options.shards = shards;
    options.segment_docs = segment_docs;
    options.segment_merge_factor = factor;
    auto writer = IndexWriter::Open(options, &TheAnalyzer());
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? std::move(writer).value() : nullptr;
  }
};

TEST_F(SegmentedIndexWriterTest, ArticlesLiveInOneSegmentThroughSealsMergesUpdatesAndDeletes) {
  auto writer = OpenSegmented(/*shards=*/1, /*segment_docs=*/3, /*factor=*/2);
  ASSERT_NE(writer, nullptr);
  std::multiset<std::string> want;
  int64_t seq = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string id = absl::StrCat("a", i);
    ASSERT_TRUE(writer->Apply({Upsert(++seq, id, absl::StrCat("第一版", i))}).ok());
    want.insert(id);
  }
  // 20 documents in segments of 3: several directories.
  EXPECT_GT(LinesPerShard(StubText())["shard-0"], 1) << StubText();
  // Updates and deletes of articles that sealed segments hold.
  ASSERT_TRUE(writer->Apply({Upsert(++seq, "a0", "第二版"), Upsert(++seq, "a4", "第二版"),
                             Delete(++seq, "a1"), Delete(++seq, "a5")})
                  .ok());
  want.erase("a1");
  want.erase("a5");
  Xapian::Database reader(path_);
  EXPECT_EQ(HeldIds(reader), want);
  EXPECT_EQ(writer->document_count(), 18);
  EXPECT_EQ(writer->applied_seq(), seq);
  EXPECT_EQ(reader.get_termfreq(schema::IdTerm("a0")), 1u);
  std::vector<std::string> titles = Titles(reader);
  EXPECT_EQ(std::count(titles.begin(), titles.end(), "第二版"), 2);

  // A restart reads the segments back: the shard is at its live segment's seq.
  ASSERT_TRUE(writer->Close().ok());
  writer = OpenSegmented(1, 3, 2);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->applied_seq(), seq);
  EXPECT_EQ(writer->document_count(), 18);
  ASSERT_TRUE(writer->Apply({Upsert(++seq, "a2", "第三版")}).ok());
  Xapian::Database again(path_);
  EXPECT_EQ(HeldIds(again), want);

  // Compaction merges every segment into one directory.
  ASSERT_TRUE(writer->Compact().ok());
  EXPECT_EQ(LinesPerShard(StubText())["shard-0"], 1) << StubText();
  Xapian::Database compacted(path_);
  EXPECT_EQ(compacted.size(), 1u);
  EXPECT_EQ(HeldIds(compacted), want);
  EXPECT_EQ(compacted.get_metadata(schema::kAppliedSeqKey), absl::StrCat(seq));
  EXPECT_EQ(writer->applied_seq(), seq);
  EXPECT_EQ(writer->document_count(), 18);
}

TEST_F(SegmentedIndexWriterTest, MergesKeepTheNumberOfSegmentsLogarithmic) {
  auto writer = OpenSegmented(/*shards=*/2, /*segment_docs=*/4, /*factor=*/2);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(ApplyInBatches(*writer, GeneratedUpserts(300, 40), 5));
  EXPECT_EQ(writer->document_count(), 300);
  // About 150 documents per shard in segments of 4 merged two at a time:
  // at most one sealed segment per size tier and factor, plus the live one.
  for (const auto& [shard, lines] : LinesPerShard(StubText())) {
    EXPECT_GT(lines, 1) << shard;
    EXPECT_LE(lines, 8) << shard << "\n" << StubText();
  }
  Xapian::Database reader(path_);
  EXPECT_EQ(reader.get_doccount(), 300u);
  const std::multiset<std::string> held = HeldIds(reader);
  EXPECT_EQ(held.size(), 300u);
  EXPECT_EQ(std::set<std::string>(held.begin(), held.end()).size(), 300u);
  // The readers' applied_seq takes each shard's highest segment.
  EXPECT_EQ(query_internal::ReadAppliedSeq(reader, /*local=*/true), 300);
}

TEST_F(SegmentedIndexWriterTest, ReplayAfterACrashBetweenTheSealedAndTheLiveCommit) {
  auto writer = OpenSegmented(/*shards=*/1, /*segment_docs=*/2, /*factor=*/4);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一"), Upsert(2, "b", "二")}).ok());
  ASSERT_TRUE(writer->Apply({Upsert(3, "c", "三")}).ok());
  ASSERT_TRUE(writer->Close().ok());
  // The state a crash leaves after the sealed segment committed the delete
  // of "a"'s old version and before the live segment committed seq 4.
  {
    Xapian::Database reader(path_);
    ASSERT_EQ(reader.size(), 2u);
    std::string sealed;
    for (absl::string_view line : absl::StrSplit(StubText(), '\n', absl::SkipEmpty())) {
      sealed = absl::StrCat(path_, "/", line.substr(line.find(' ') + 1));  // the last: sealed
    }
    Xapian::WritableDatabase db(sealed, Xapian::DB_OPEN);
    ASSERT_EQ(db.get_termfreq(schema::IdTerm("a")), 1u);
    db.delete_document(schema::IdTerm("a"));
    db.commit();
  }
  writer = OpenSegmented(1, 2, 4);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->applied_seq(), 3);
  // The replay of seq 4 puts "a" back once.
  ASSERT_TRUE(writer->Apply({Upsert(4, "a", "新一")}).ok());
  Xapian::Database reader(path_);
  EXPECT_EQ(HeldIds(reader), (std::multiset<std::string>{"a", "b", "c"}));
  EXPECT_EQ(reader.get_termfreq(schema::IdTerm("a")), 1u);
}

TEST_F(SegmentedIndexWriterTest, SnapshotMergesEachShardsSegments) {
  auto writer = OpenSegmented(/*shards=*/2, /*segment_docs=*/3, /*factor=*/4);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(ApplyInBatches(*writer, GeneratedUpserts(40, 30), 4));
  ASSERT_TRUE(writer->Apply({Delete(41, "article-3")}).ok());
  std::filesystem::create_directories(dir_ + "/snap");
  const absl::StatusOr<std::vector<ShardSnapshot>> snapshot = writer->Snapshot(dir_ + "/snap");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_EQ(snapshot->size(), 2u);
  int64_t documents = 0;
  for (const ShardSnapshot& shard : *snapshot) {
    EXPECT_EQ(shard.applied_seq, 41);
    Xapian::Database copy(shard.path);
    EXPECT_EQ(copy.size(), 1u);
    EXPECT_EQ(static_cast<int64_t>(copy.get_doccount()), shard.document_count);
    EXPECT_EQ(copy.get_termfreq(schema::IdTerm("article-3")), 0u);
    documents += shard.document_count;
  }
  EXPECT_EQ(documents, 39);
}

TEST_F(SegmentedIndexWriterTest, RejectsABadSegmentSetting) {
  IndexWriterOptions options;
  options.path = path_;
  options.segment_docs = -1;
  EXPECT_EQ(IndexWriter::Open(options, &TheAnalyzer()).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.segment_docs = 10;
  options.segment_merge_factor = 1;
  EXPECT_EQ(IndexWriter::Open(options, &TheAnalyzer()).status().code(),
            absl::StatusCode::kInvalidArgument);
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
  // NEWSEARCH_INDEX_SHARDS picks the shards (default 1).
  const char* shards_env = std::getenv("NEWSEARCH_INDEX_SHARDS");
  const int shards = shards_env != nullptr ? std::atoi(shards_env) : 1;
  auto writer = OpenWriter(shards);
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
      "Apply on %d shards: %d articles (%d batches of %d, ~%d Han chars each, %.1f MB of body) "
      "in %.2f s: %.0f articles/s, %.2f MB/s; BuildDocument alone (one thread): %.0f "
      "articles/s\n",
      writer->shards(), total, kBatches, kBatchSize, kBodyChars, bytes / 1e6, seconds,
      total / seconds, bytes / 1e6 / seconds, kBatchSize / build_seconds);
  EXPECT_EQ(writer->document_count(), total);
}

// A partitioned index (--partition=K/N) keeps only its partition's articles
// even when handed others (an ingest that ignores the partition), and
// applied_seq still moves past them.
TEST_F(IndexWriterTest, PartitionedIndexSkipsOtherPartitionsChanges) {
  IndexWriterOptions options{path_, 2};
  options.partition = 1;
  options.partitions = 3;
  auto writer = IndexWriter::Open(options, &TheAnalyzer());
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_EQ((*writer)->partition(), 1);
  EXPECT_EQ((*writer)->partitions(), 3);
  const std::vector<v1::Change> changes = GeneratedUpserts(90, 20);
  ASSERT_TRUE((*writer)->Apply(changes).ok());
  int ours = 0;
  for (const v1::Change& change : changes) ours += PartitionOf(change.article_id(), 3) == 1;
  ASSERT_GT(ours, 10);
  ASSERT_LT(ours, 60);
  EXPECT_EQ((*writer)->document_count(), ours);
  EXPECT_EQ((*writer)->applied_seq(), 90);
  Xapian::Database reader(path_);
  for (auto it = reader.allterms_begin(schema::kIdPrefix);
       it != reader.allterms_end(schema::kIdPrefix); ++it) {
    EXPECT_EQ(PartitionOf((*it).substr(1), 3), 1) << *it;
  }
  EXPECT_EQ(schema::kPartitionKey, std::string("newsearch.partition"));
  EXPECT_EQ(Shard(reader, 0).get_metadata(schema::kPartitionKey), "1/3");
  EXPECT_EQ(Shard(reader, 1).get_metadata(schema::kPartitionKey), "1/3");
}

// complete_seq (the log holds nothing of the partition up to it) moves
// applied_seq on every shard, also with no change at all.
TEST_F(IndexWriterTest, CompleteSeqAdvancesAppliedSeqWithoutChanges) {
  auto writer = OpenWriter(2);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply({Upsert(3, "a", "一")}, 10).ok());
  EXPECT_THAT(writer->shard_applied_seqs(), ::testing::ElementsAre(10, 10));
  ASSERT_TRUE(writer->Apply({}, 25).ok());
  EXPECT_THAT(writer->shard_applied_seqs(), ::testing::ElementsAre(25, 25));
  ASSERT_TRUE(writer->Apply({}, 20).ok()) << "a lower complete_seq changes nothing";
  EXPECT_EQ(writer->applied_seq(), 25);
  EXPECT_EQ(writer->document_count(), 1);
  ASSERT_TRUE(writer->Close().ok());
  auto reopened = OpenWriter(2);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->applied_seq(), 25) << "committed with the shards";
}

TEST_F(IndexWriterTest, RefusesAnIndexOfAnotherPartition) {
  IndexWriterOptions options{path_, 2};
  options.partition = 0;
  options.partitions = 2;
  {
    auto writer = IndexWriter::Open(options, &TheAnalyzer());
    ASSERT_TRUE(writer.ok()) << writer.status();
  }
  options.partition = 1;
  auto other = IndexWriter::Open(options, &TheAnalyzer());
  ASSERT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(other.status().message()),
              HasSubstr("holds partition 0/2 but this replica runs --partition=1/2"));
  auto whole = IndexWriter::Open({path_, 2}, &TheAnalyzer());
  ASSERT_EQ(whole.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(whole.status().message()), HasSubstr("--partition=0/1"));
  options.partition = 2;
  EXPECT_EQ(IndexWriter::Open(options, &TheAnalyzer()).status().code(),
            absl::StatusCode::kInvalidArgument);
  // An index with documents from before partitions holds every article.
  std::filesystem::remove_all(path_);
  {
    auto writer = OpenWriter(1);
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Apply({Upsert(1, "a", "一")}).ok());
  }
  {
    Xapian::WritableDatabase shard(path_ + "/shard-0.0");
    shard.set_metadata(schema::kPartitionKey, "");
    shard.commit();
  }
  options.shards = 1;
  options.partition = 0;
  auto old = IndexWriter::Open(options, &TheAnalyzer());
  ASSERT_EQ(old.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(old.status().message()), HasSubstr("0/1 (every article)"));
  EXPECT_NE(OpenWriter(1), nullptr);
}

}  // namespace
}  // namespace newsearch::search
