// Tests for ArticleStore: write outcomes and seqs, tombstones, listing, the
// compacted change log, restarts, a real kill -9 crash test, concurrent
// readers, and (printed, not asserted) the PutPage rate with and without fsync.
#include "ingest-service/store/article_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/stable_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A fresh directory per test, removed afterwards.
class ArticleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "article_store_test.XXXXXX");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string DbPath() const { return (dir_ / "data" / "articles.db").string(); }

  std::unique_ptr<ArticleStore> OpenStore(
      bool fsync = true, int dedup_pending_articles = StoreOptions().dedup_pending_articles) {
    StoreOptions options;
    options.path = DbPath();
    options.fsync_every_commit = fsync;
    options.dedup_pending_articles = dedup_pending_articles;
    auto store = ArticleStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Makes the store fail to write an article with id "bad" inside its
  // transaction, as a constraint or the store's own checks would: SQLite
  // aborts the statement, not the transaction.
  void RefuseArticlesWithIdBad() {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER refuse_bad BEFORE INSERT ON articles "
                           "WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }

  // Runs a one-value query on a connection of the test's own.
  int64_t QueryInt(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
  }

  std::filesystem::path dir_;
};

v1::Article MakeArticle(const std::string& id, const std::string& title,
                        const std::string& body = "正文") {
  v1::Article article;
  article.set_id(id);
  article.set_title(title);
  article.set_body(body);
  article.set_source("台州日报");
  article.add_authors("葛星星");
  article.set_script("zh-Hans");
  return article;
}

PageWrite MakePage(const std::string& raw, std::vector<v1::Article> articles) {
  PageWrite page;
  page.raw = raw;
  page.content_type = "text/plain; charset=utf-8";
  page.articles = std::move(articles);
  return page;
}

std::vector<v1::Outcome> Outcomes(const std::vector<ArticleWriteResult>& results) {
  std::vector<v1::Outcome> out;
  for (const auto& r : results) out.push_back(r.outcome);
  return out;
}

std::vector<int64_t> Seqs(const std::vector<ArticleWriteResult>& results) {
  std::vector<int64_t> out;
  for (const auto& r : results) out.push_back(r.seq);
  return out;
}

TEST_F(ArticleStoreTest, OpenCreatesMissingDirectoryAndStartsEmpty) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(DbPath()));
  EXPECT_EQ(store->HeadSeq(), 0);
  auto count = store->CountLive();
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 0);
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 5);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

TEST_F(ArticleStoreTest, OpenRejectsEmptyPath) {
  auto store = ArticleStore::Open(StoreOptions{});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ArticleStoreTest, OpenRejectsFileThatIsNotADatabase) {
  std::filesystem::create_directories(dir_ / "data");
  std::ofstream(DbPath()) << std::string(4096, 'x');
  StoreOptions options;
  options.path = DbPath();
  auto store = ArticleStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(DbPath()));
}

TEST_F(ArticleStoreTest, OpenRejectsSchemaFromANewerVersion) {
  OpenStore().reset();
  QueryInt("PRAGMA user_version = 99");
  StoreOptions options;
  options.path = DbPath();
  auto store = ArticleStore::Open(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("99"));
}

TEST_F(ArticleStoreTest, PutPageReportsOutcomesAndSeqs) {
  v1::Article a = MakeArticle("a", "标题甲");
  v1::Article a2 = MakeArticle("a", "标题甲（更新）");
  v1::Article a2_with_server_fields = a2;
  a2_with_server_fields.set_seq(777);
  a2_with_server_fields.mutable_ingested_at()->set_seconds(12345);
  v1::Article b = MakeArticle("b", "标题乙");
  v1::Article c = MakeArticle("c", "标题丙");
  v1::Article b2 = MakeArticle("b", "标题乙", "新的正文");
  struct Step {
    const char* reason;
    PageWrite page;
    std::vector<v1::Outcome> outcomes;
    std::vector<int64_t> seqs;
  };
  const Step steps[] = {
      {"a new id is created with the first seq", MakePage("p1", {a}),
       {v1::OUTCOME_CREATED}, {1}},
      {"same article from different raw bytes changes nothing", MakePage("p1 again", {a}),
       {v1::OUTCOME_UNCHANGED}, {1}},
      {"a changed title is an update with the next seq", MakePage("p2", {a2}),
       {v1::OUTCOME_UPDATED}, {2}},
      {"seq and timestamps set by the caller are not content",
       MakePage("p2", {a2_with_server_fields}), {v1::OUTCOME_UNCHANGED}, {2}},
      {"two new articles of one page take consecutive seqs", MakePage("p3", {b, c}),
       {v1::OUTCOME_CREATED, v1::OUTCOME_CREATED}, {3, 4}},
      {"unchanged and updated articles mix on one page", MakePage("p4", {a2, b2}),
       {v1::OUTCOME_UNCHANGED, v1::OUTCOME_UPDATED}, {2, 5}},
  };
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (const Step& step : steps) {
    SCOPED_TRACE(step.reason);
    auto results = store->PutPage(step.page);
    ASSERT_TRUE(results.ok()) << results.status();
    EXPECT_EQ(Outcomes(*results), step.outcomes);
    EXPECT_EQ(Seqs(*results), step.seqs);
  }
  EXPECT_EQ(store->HeadSeq(), 5);
  EXPECT_EQ(*store->CountLive(), 3);
}

TEST_F(ArticleStoreTest, SamePageTwiceIsUnchangedAndTakesNoSeq) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const PageWrite page = MakePage("raw", {MakeArticle("a", "甲"), MakeArticle("b", "乙")});
  ASSERT_TRUE(store->PutPage(page).ok());
  const int64_t head = store->HeadSeq();
  auto again = store->PutPage(page);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(Outcomes(*again), ElementsAre(v1::OUTCOME_UNCHANGED, v1::OUTCOME_UNCHANGED));
  EXPECT_THAT(Seqs(*again), ElementsAre(1, 2));
  EXPECT_EQ(store->HeadSeq(), head);
  EXPECT_TRUE(store->ChangesAfter(head, 10)->empty());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM pages"), 1);
}

TEST_F(ArticleStoreTest, RejectsEmptyArticleIdAndStoresNothing) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto results = store->PutPage(MakePage("raw", {MakeArticle("a", "甲"), MakeArticle("", "乙")}));
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->HeadSeq(), 0);
  EXPECT_EQ(*store->CountLive(), 0);
}

TEST_F(ArticleStoreTest, GetReturnsArticleWithSeqAndTimestamps) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const v1::Article a = MakeArticle("a", "甲");
  ASSERT_TRUE(store->PutPage(MakePage("p1", {a})).ok());
  auto got = store->Get("a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->seq(), 1);
  EXPECT_GT(got->ingested_at().seconds(), 1500000000);
  EXPECT_EQ(got->updated_at().seconds(), got->ingested_at().seconds());
  // The store links the article to its raw page.
  EXPECT_EQ(got->page_id(), PageIdFor("p1", "", "", "", "text/plain; charset=utf-8"));
  v1::Article stored_fields = *got;
  stored_fields.clear_page_id();
  stored_fields.clear_seq();
  stored_fields.clear_ingested_at();
  stored_fields.clear_updated_at();
  EXPECT_EQ(stored_fields.SerializeAsString(), a.SerializeAsString());

  ASSERT_TRUE(store->PutPage(MakePage("p2", {MakeArticle("a", "甲2")})).ok());
  auto updated = store->Get("a");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->title(), "甲2");
  EXPECT_EQ(updated->seq(), 2);
  // ingested_at stays the first store time; updated_at moves forward.
  EXPECT_EQ(updated->ingested_at().SerializeAsString(), got->ingested_at().SerializeAsString());
  EXPECT_GE(updated->updated_at().seconds() * 1000000000LL + updated->updated_at().nanos(),
            got->updated_at().seconds() * 1000000000LL + got->updated_at().nanos());

  EXPECT_EQ(store->Get("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ArticleStoreTest, GetRawReturnsLatestPageAndDropsUnusedPages) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string raw1("第一版\0binary\xff", 17);
  ASSERT_TRUE(store->PutPage(MakePage(raw1, {MakeArticle("a", "甲"), MakeArticle("b", "乙")})).ok());
  EXPECT_EQ(*store->GetRaw("a"), raw1);
  EXPECT_EQ(*store->GetRaw("b"), raw1);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM pages"), 1);

  // Page 1 is still needed by b after a moves to page 2.
  ASSERT_TRUE(store->PutPage(MakePage("第二版", {MakeArticle("a", "甲2")})).ok());
  EXPECT_EQ(*store->GetRaw("a"), "第二版");
  EXPECT_EQ(*store->GetRaw("b"), raw1);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM pages"), 2);

  // Deleting b leaves nobody on page 1.
  ASSERT_TRUE(store->Delete("b").ok());
  EXPECT_EQ(store->GetRaw("b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM pages"), 1);
  EXPECT_EQ(store->GetRaw("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ArticleStoreTest, DeleteLeavesTombstoneWithNewSeq) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutPage(MakePage("p", {MakeArticle("a", "甲"), MakeArticle("b", "乙")})).ok());
  auto seq = store->Delete("a");
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 3);
  EXPECT_EQ(store->HeadSeq(), 3);
  EXPECT_EQ(store->Get("a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store->CountLive(), 1);

  auto changes = store->ChangesAfter(2, 10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 1u);
  const v1::Change& change = (*changes)[0];
  EXPECT_EQ(change.seq(), 3);
  EXPECT_EQ(change.kind(), v1::CHANGE_KIND_DELETE);
  EXPECT_EQ(change.article_id(), "a");
  EXPECT_FALSE(change.has_article());

  EXPECT_EQ(store->Delete("a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Delete("unknown").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->HeadSeq(), 3);
}

TEST_F(ArticleStoreTest, DeletedIdIsCreatedAgain) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const PageWrite page = MakePage("p", {MakeArticle("a", "甲")});
  ASSERT_TRUE(store->PutPage(page).ok());
  ASSERT_TRUE(store->Delete("a").ok());
  auto again = store->PutPage(page);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(Outcomes(*again), ElementsAre(v1::OUTCOME_CREATED));
  EXPECT_THAT(Seqs(*again), ElementsAre(3));
  auto got = store->Get("a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->seq(), 3);
  EXPECT_EQ(*store->GetRaw("a"), "p");
  auto changes = store->ChangesAfter(0, 10);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].kind(), v1::CHANGE_KIND_UPSERT);
}

TEST_F(ArticleStoreTest, ListPagesThroughLiveArticlesInIdOrder) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::vector<v1::Article> articles;
  for (const char* id : {"e", "b", "g", "a", "d", "c", "f"}) {
    articles.push_back(MakeArticle(id, absl::StrCat("标题", id)));
  }
  ASSERT_TRUE(store->PutPage(MakePage("p", articles)).ok());
  ASSERT_TRUE(store->Delete("c").ok());

  std::vector<std::string> seen;
  std::string after;
  int calls = 0;
  do {
    auto page = store->List(after, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->articles.size(), 2u);
    for (const auto& a : page->articles) {
      EXPECT_GT(a.seq(), 0);
      seen.push_back(a.id());
    }
    after = page->next_after_id;
    ASSERT_LT(++calls, 10);
  } while (!after.empty());
  EXPECT_THAT(seen, ElementsAre("a", "b", "d", "e", "f", "g"));
  EXPECT_EQ(calls, 3);  // exactly 6 live: the third page says there are no more

  auto tail = store->List("f", 5);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->articles.size(), 1u);
  EXPECT_EQ(tail->articles[0].id(), "g");
  EXPECT_TRUE(tail->next_after_id.empty());
  EXPECT_EQ(store->List("", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ArticleStoreTest, ChangesAfterReturnsLatestStateOncePerArticleInSeqOrder) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutPage(MakePage("p1", {MakeArticle("a", "甲"), MakeArticle("b", "乙"),
                                             MakeArticle("c", "丙")}))
                  .ok());                                                          // 1 2 3
  ASSERT_TRUE(store->PutPage(MakePage("p2", {MakeArticle("a", "甲2")})).ok());  // 4
  ASSERT_TRUE(store->Delete("b").ok());                                          // 5
  ASSERT_TRUE(store->PutPage(MakePage("p3", {MakeArticle("a", "甲3")})).ok());  // 6

  struct Case {
    const char* reason;
    int64_t after;
    int limit;
    std::vector<std::string> expected;  // "<seq>:<kind>:<id>"
  };
  const Case cases[] = {
      {"from the start: a appears once, with its latest seq", 0, 100,
       {"3:U:c", "5:D:b", "6:U:a"}},
      {"limit cuts in seq order", 0, 2, {"3:U:c", "5:D:b"}},
      {"a cursor between changes", 3, 100, {"5:D:b", "6:U:a"}},
      {"a cursor on a seq that was superseded still works", 4, 100, {"5:D:b", "6:U:a"}},
      {"at the head nothing is left", 6, 100, {}},
      {"past the head nothing is left", 60, 100, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    auto changes = store->ChangesAfter(c.after, c.limit);
    ASSERT_TRUE(changes.ok()) << changes.status();
    std::vector<std::string> got;
    for (const v1::Change& ch : *changes) {
      got.push_back(absl::StrCat(ch.seq(), ":",
                                 ch.kind() == v1::CHANGE_KIND_DELETE ? "D" : "U", ":",
                                 ch.article_id()));
      if (ch.kind() == v1::CHANGE_KIND_UPSERT) {
        EXPECT_EQ(ch.article().id(), ch.article_id());
        EXPECT_EQ(ch.article().seq(), ch.seq());
      }
    }
    EXPECT_EQ(got, c.expected);
  }
  auto latest = store->ChangesAfter(5, 1);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].article().title(), "甲3");
  EXPECT_EQ(store->ChangesAfter(0, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

// A partition's read: only its articles' upserts and deletes, and
// complete_seq past the other partitions' rows, so the follower's applied_seq
// keeps up with the head.
TEST_F(ArticleStoreTest, PartitionChangesAfterKeepsOnlyThePartitionAndReportsHowFarItIsComplete) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::vector<v1::Article> articles;
  for (int i = 0; i < 40; ++i) articles.push_back(MakeArticle(absl::StrCat("id-", i), "题"));
  ASSERT_TRUE(store->PutPage(MakePage("p1", articles)).ok());  // seqs 1..40
  ASSERT_TRUE(store->Delete("id-3").ok());                      // 41
  ASSERT_TRUE(store->Delete("id-4").ok());                      // 42
  std::map<int, std::vector<std::string>> want;                 // partition -> live/deleted ids
  for (int i = 0; i < 40; ++i) {
    want[PartitionOf(absl::StrCat("id-", i), 3)].push_back(absl::StrCat("id-", i));
  }
  size_t total = 0;
  for (int partition = 0; partition < 3; ++partition) {
    SCOPED_TRACE(partition);
    std::vector<std::string> got;
    int64_t cursor = 0;
    int reads = 0;
    while (cursor < store->HeadSeq()) {
      auto read = store->PartitionChangesAfter(cursor, partition, 3, 4, 1 << 20, 8);
      ASSERT_TRUE(read.ok()) << read.status();
      ASSERT_GT(read->complete_seq, cursor) << "every read makes progress";
      for (const v1::Change& change : read->changes) {
        EXPECT_EQ(PartitionOf(change.article_id(), 3), partition) << change.article_id();
        EXPECT_LE(change.seq(), read->complete_seq);
        EXPECT_EQ(change.kind() == v1::CHANGE_KIND_DELETE,
                  change.article_id() == "id-3" || change.article_id() == "id-4");
        got.push_back(change.article_id());
      }
      EXPECT_LE(read->changes.size(), 4u);
      cursor = read->complete_seq;
      ASSERT_LT(++reads, 100);
    }
    EXPECT_EQ(cursor, 42) << "complete up to the head, whichever partition holds it";
    EXPECT_THAT(got, ::testing::UnorderedElementsAreArray(want[partition]));
    total += got.size();
  }
  EXPECT_EQ(total, 40u);
  // One partition of one is every change, as ChangesAfter.
  auto all = store->PartitionChangesAfter(0, 0, 1, 100, 1 << 20, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->changes.size(), 40u);
  EXPECT_EQ(all->complete_seq, 42);
  EXPECT_EQ(store->PartitionChangesAfter(0, 3, 3, 4, 1 << 20, 8).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->PartitionChangesAfter(0, 0, 0, 4, 1 << 20, 8).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ArticleStoreTest, ChangesAfterCapsTheBatchByBytesButReturnsAtLeastOne) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string big(300 << 10, 'x');  // three articles of about 300 KiB
  ASSERT_TRUE(store->PutPage(MakePage("p1", {MakeArticle("a", "甲", big), MakeArticle("b", "乙", big),
                                             MakeArticle("c", "丙", big)}))
                  .ok());
  auto ids = [](const std::vector<v1::Change>& changes) {
    std::vector<std::string> out;
    for (const v1::Change& change : changes) out.push_back(change.article_id());
    return out;
  };
  auto two = store->ChangesAfter(0, 100, 700 << 10);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_THAT(ids(*two), ElementsAre("a", "b"));
  // One change larger than the cap still goes out alone: the stream never
  // stalls on it.
  auto one = store->ChangesAfter(0, 100, 1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_THAT(ids(*one), ElementsAre("a"));
  EXPECT_THAT(ids(*store->ChangesAfter(1, 100, 1)), ElementsAre("b"));
  EXPECT_THAT(ids(*store->ChangesAfter(0, 100)), ElementsAre("a", "b", "c"));
}

TEST_F(ArticleStoreTest, ReingestedPageWithFewerArticlesDeletesTheOthers) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutPage(MakePage("paper v1", {MakeArticle("abc", "甲"),
                                                   MakeArticle("abc-1", "乙"),
                                                   MakeArticle("abc-2", "丙")}))
                  .ok());                                                           // 1 2 3
  ASSERT_TRUE(store->PutPage(MakePage("other", {MakeArticle("abcd-1", "丁")})).ok());  // 4
  // The same request now yields one article: abc-1 and abc-2 are gone, and
  // an id that merely starts with the same characters is not touched.
  auto results = store->PutPage(MakePage("paper v2", {MakeArticle("abc", "甲2")}));
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_THAT(Outcomes(*results), ElementsAre(v1::OUTCOME_UPDATED, v1::OUTCOME_DELETED,
                                              v1::OUTCOME_DELETED));
  EXPECT_THAT(Seqs(*results), ElementsAre(5, 6, 7));
  EXPECT_EQ((*results)[1].id, "abc-1");
  EXPECT_EQ(store->Get("abc-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Get("abc-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->Get("abcd-1").ok());
  auto changes = store->ChangesAfter(4, 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[1].kind(), v1::CHANGE_KIND_DELETE);
  EXPECT_EQ((*changes)[2].kind(), v1::CHANGE_KIND_DELETE);
  EXPECT_EQ(store->HeadSeq(), 7);
  // Nothing more to drop the second time.
  auto again = store->PutPage(MakePage("paper v2", {MakeArticle("abc", "甲2")}));
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(Outcomes(*again), ElementsAre(v1::OUTCOME_UNCHANGED));
}

TEST_F(ArticleStoreTest, HeadSeqSurvivesReopenEvenWhenLastChangeIsADelete) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutPage(MakePage("p", {MakeArticle("a", "甲"), MakeArticle("b", "乙")})).ok());
    ASSERT_TRUE(store->Delete("b").ok());
    EXPECT_EQ(store->HeadSeq(), 3);
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->HeadSeq(), 3);
  EXPECT_EQ(store->Get("a")->title(), "甲");
  auto results = store->PutPage(MakePage("q", {MakeArticle("c", "丙")}));
  ASSERT_TRUE(results.ok());
  EXPECT_THAT(Seqs(*results), ElementsAre(4));
}

// Crash test: a child process writes pages and reports each acknowledged one
// through a pipe; it dies by SIGKILL (no destructors, no close). The parent
// reopens the store and must find every acknowledged page.
struct Ack {
  int32_t index;
  int64_t seq;
};

std::string CrashId(int i) { return absl::StrCat("crash-", 100000 + i); }

// Runs in the forked child: never returns.
[[noreturn]] void WritePagesThenDie(const std::string& path, bool fsync, int max_pages,
                                    int kill_self_after, int ack_fd) {
  StoreOptions options;
  options.path = path;
  options.fsync_every_commit = fsync;
  auto store = ArticleStore::Open(options);
  if (!store.ok()) _exit(3);
  for (int i = 0; i < max_pages; ++i) {
    auto results = (*store)->PutPage(MakePage(
        absl::StrCat("raw page ", i), {MakeArticle(CrashId(i), absl::StrCat("标题", i))}));
    if (!results.ok() || results->size() != 1) _exit(4);
    const Ack ack{i, (*results)[0].seq};
    if (write(ack_fd, &ack, sizeof(ack)) != static_cast<ssize_t>(sizeof(ack))) _exit(5);
    if (i + 1 == kill_self_after) raise(SIGKILL);
  }
  _exit(6);
}

class ArticleStoreCrashTest : public ArticleStoreTest,
                              public ::testing::WithParamInterface<bool> {
 protected:
  // Forks a writer; when `parent_kills_after` > 0 the parent kills it after
  // reading that many acks (the kill lands mid-write), otherwise the child
  // kills itself after `child_pages`. Returns the acks read.
  std::vector<Ack> RunCrashingWriter(int child_pages, int parent_kills_after) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    const int kMaxPages = 100000;
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      WritePagesThenDie(DbPath(), GetParam(), parent_kills_after > 0 ? kMaxPages : child_pages,
                        parent_kills_after > 0 ? -1 : child_pages, fds[1]);
    }
    close(fds[1]);
    std::vector<Ack> acks;
    Ack ack;
    while (read(fds[0], &ack, sizeof(ack)) == static_cast<ssize_t>(sizeof(ack))) {
      acks.push_back(ack);
      if (parent_kills_after > 0 && static_cast<int>(acks.size()) == parent_kills_after) {
        kill(pid, SIGKILL);
      }
    }
    close(fds[0]);
    int wstatus = 0;
    EXPECT_EQ(waitpid(pid, &wstatus, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "child did not die by SIGKILL; exit code "
        << (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    return acks;
  }

  void ExpectAllAcknowledgedPagesPresent(const std::vector<Ack>& acks) {
    auto store = OpenStore(GetParam());
    ASSERT_NE(store, nullptr);
    for (const Ack& ack : acks) {
      auto article = store->Get(CrashId(ack.index));
      ASSERT_TRUE(article.ok()) << "acknowledged page " << ack.index << " lost: "
                                << article.status();
      EXPECT_EQ(article->seq(), ack.seq);
      EXPECT_EQ(article->title(), absl::StrCat("标题", ack.index));
      EXPECT_EQ(*store->GetRaw(CrashId(ack.index)), absl::StrCat("raw page ", ack.index));
    }
    ASSERT_FALSE(acks.empty());
    EXPECT_GE(store->HeadSeq(), acks.back().seq);
    EXPECT_GE(*store->CountLive(), static_cast<int64_t>(acks.size()));
    // The head read back after the crash is consistent with the rows.
    auto beyond = store->ChangesAfter(store->HeadSeq(), 10);
    ASSERT_TRUE(beyond.ok());
    EXPECT_TRUE(beyond->empty());
    auto next = store->PutPage(MakePage("after crash", {MakeArticle("new", "新")}));
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ((*next)[0].seq, store->HeadSeq());
  }
};

TEST_P(ArticleStoreCrashTest, PagesAcknowledgedBeforeSelfKillSurvive) {
  const std::vector<Ack> acks = RunCrashingWriter(/*child_pages=*/200, /*parent_kills_after=*/0);
  ASSERT_EQ(acks.size(), 200u);
  ExpectAllAcknowledgedPagesPresent(acks);
}

TEST_P(ArticleStoreCrashTest, PagesAcknowledgedBeforeKillMidWriteSurvive) {
  const std::vector<Ack> acks = RunCrashingWriter(0, /*parent_kills_after=*/150);
  ASSERT_GE(acks.size(), 150u);
  ExpectAllAcknowledgedPagesPresent(acks);
}

INSTANTIATE_TEST_SUITE_P(Sync, ArticleStoreCrashTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Full" : "Normal";
                         });

TEST_F(ArticleStoreTest, ReadersRunWhileAWriterWrites) {
  auto store = OpenStore(/*fsync=*/false);
  ASSERT_NE(store, nullptr);
  constexpr int kPages = 300;
  std::atomic<int> acked{0};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kPages; ++i) {
      auto r = store->PutPage(MakePage(absl::StrCat("raw", i),
                                       {MakeArticle(absl::StrCat("id", i), "标题"),
                                        MakeArticle("shared", absl::StrCat("更新", i))}));
      if (!r.ok()) {
        ADD_FAILURE() << r.status();
        break;
      }
      acked.store(i + 1);
    }
    done.store(true);
  });
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      int64_t last_head = 0;
      size_t last_count = 0;
      while (!done.load()) {
        const int known = acked.load();
        const int64_t head = store->HeadSeq();
        EXPECT_GE(head, last_head);
        last_head = head;
        if (known > 0) {
          auto got = store->Get(absl::StrCat("id", known - 1));
          EXPECT_TRUE(got.ok()) << got.status();
        }
        auto changes = store->ChangesAfter(0, 100000);
        ASSERT_TRUE(changes.ok()) << changes.status();
        // Strictly increasing seqs, each article once, never shrinking.
        for (size_t k = 1; k < changes->size(); ++k) {
          EXPECT_LT((*changes)[k - 1].seq(), (*changes)[k].seq());
        }
        EXPECT_GE(changes->size(), last_count);
        last_count = changes->size();
        ++reads;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  auto changes = store->ChangesAfter(0, 100000);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), static_cast<size_t>(kPages + 1));
  EXPECT_EQ(store->HeadSeq(), 2 * kPages);
  std::printf("concurrent reads completed during %d writes: %d\n", kPages, reads.load());
}

TEST_F(ArticleStoreTest, ReadsDoNotWaitForAnotherConnectionsWriteLock) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutPage(MakePage("p", {MakeArticle("a", "甲")})).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE; UPDATE meta SET value = value WHERE 0;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  // The write lock is held; a reader that waited for it would hit the busy
  // timeout instead of answering.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(store->Get("a").ok());
  EXPECT_TRUE(store->List("", 10).ok());
  EXPECT_EQ(store->ChangesAfter(0, 10)->size(), 1u);
  EXPECT_EQ(*store->CountLive(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

// Not a timed test: prints the rate for the report, asserts only correctness.
TEST_F(ArticleStoreTest, PrintsPutPageRateWithAndWithoutFsync) {
  constexpr int kPages = 2000;
  for (bool fsync : {true, false}) {
    const std::string path = (dir_ / (fsync ? "full" : "normal") / "a.db").string();
    StoreOptions options;
    options.path = path;
    options.fsync_every_commit = fsync;
    auto store = ArticleStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPages; ++i) {
      auto r = (*store)->PutPage(
          MakePage(absl::StrCat("小页面 ", i), {MakeArticle(absl::StrCat("r", i), "标题", "短正文")}));
      ASSERT_TRUE(r.ok()) << r.status();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ((*store)->HeadSeq(), kPages);
    std::printf("PutPage, synchronous=%s: %d pages in %.2f s = %.0f pages/s\n",
                fsync ? "FULL" : "NORMAL", kPages, seconds, kPages / seconds);
  }
}

// --- near-duplicates -------------------------------------------------------

// A story body of ~190 characters and a lightly edited copy of it (one
// clause dropped, one added), and an unrelated body.
constexpr char kStory[] =
    "金秋时节在黄河入海口附近的一片盐碱地上成片的稻穗沉甸甸地低垂着收割机来回穿梭一派丰收景象"
    "这片试验田的土壤含盐量超过千分之六过去连芦苇都长得稀稀拉拉三年前当地农业合作社引进耐盐碱"
    "水稻品种联合科研院所开展试种经过改良土壤优化灌溉今年测产亩产达到了六百一十二公斤合作社负"
    "责人刘长河说最难的是第一年很多人都不看好说盐碱地能长出草就不错了";
constexpr char kStoryEdited[] =
    "金秋时节在黄河入海口附近的一片盐碱地上成片的稻穗沉甸甸地低垂着一派丰收景象"
    "这片试验田的土壤含盐量超过千分之六过去连芦苇都长得稀稀拉拉三年前当地农业合作社引进耐盐碱"
    "水稻品种联合科研院所开展试种经过改良土壤优化灌溉今年测产亩产达到了六百一十二公斤合作社负"
    "责人刘长河说最难的是第一年很多人都不看好说盐碱地能长出草就不错了记者了解到";
constexpr char kOtherStory[] =
    "研究团队今天发布了一台量子计算机原型机它在特定任务上的速度远超传统超级计算机团队负责人表示"
    "这台原型机采用超导量子比特方案共有六十六个量子比特下一步将提高比特的相干时间和门操作精度"
    "并与高校和企业合作探索其在材料模拟药物研发和金融风险分析等领域的应用前景记者了解到";

PageWrite SignedPage(const std::string& raw, const std::string& id, const std::string& body) {
  PageWrite page = MakePage(raw, {MakeArticle(id, "标题", body)});
  page.signatures.push_back(SignatureOfFolded(body));
  return page;
}

TEST(MinHashTest, EditedCopyIsSimilarAndOtherStoryIsNot) {
  const auto story = SignatureOfFolded(kStory);
  const auto edited = SignatureOfFolded(kStoryEdited);
  const auto other = SignatureOfFolded(kOtherStory);
  ASSERT_TRUE(story && edited && other);
  EXPECT_GE(EstimatedSimilarity(*story, *edited), kDuplicateMinSimilarity);
  EXPECT_LT(EstimatedSimilarity(*story, *other), 0.2);
  EXPECT_EQ(DecodeSignature(EncodeSignature(*story)), story);
  EXPECT_FALSE(SignatureOfFolded("太短的正文").has_value());
}

TEST(MinHashTest, SignaturesStayTheSameAcrossBuilds) {
  // Stored signatures are compared with new ones: the hashing must not
  // change with the compiler, the CPU (the loop is vectorised where the CPU
  // allows) or an optimisation. Values of the first build that stored them.
  const auto story = SignatureOfFolded(kStory);
  const auto other = SignatureOfFolded(kOtherStory);
  ASSERT_TRUE(story && other);
  EXPECT_EQ((*story)[0], 5386385u);
  EXPECT_EQ((*story)[127], 26259154u);
  EXPECT_EQ(StableHash64(EncodeSignature(*story)), 6680552055330303902u);
  EXPECT_EQ((*other)[0], 37121844u);
  EXPECT_EQ((*other)[127], 68218928u);
  EXPECT_EQ(StableHash64(EncodeSignature(*other)), 11174839535160788124u);
}

TEST(MinHashTest, RepeatedShinglesLeaveTheSignatureAsItIs) {
  // A text that goes round the same five characters has the same five
  // shingles however long it runs: repeats must not change any least value.
  std::string short_run;
  std::string long_run;
  for (int i = 0; i < 12; ++i) short_run += "春夏秋冬晴";
  for (int i = 0; i < 40; ++i) long_run += "春夏秋冬晴";
  const auto a = SignatureOfFolded(short_run);
  const auto b = SignatureOfFolded(long_run);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  // A sixth character adds shingles, and so changes some least values.
  const auto c = SignatureOfFolded(long_run + "雨");
  ASSERT_TRUE(c);
  EXPECT_NE(*a, *c);
}

// Band keys wait in dedup_pending until this many articles have some, then
// move to dedup_bands: 1 moves every article's at once (lookups read only
// dedup_bands), the default keeps all of these tests' in dedup_pending.
class NearDuplicateTest : public ArticleStoreTest, public ::testing::WithParamInterface<int> {};

INSTANTIATE_TEST_SUITE_P(PendingArticles, NearDuplicateTest,
                         ::testing::Values(1, StoreOptions().dedup_pending_articles));

TEST_P(NearDuplicateTest, NearDuplicateLinksToTheRootNeverAChain) {
  auto store = OpenStore(false, GetParam());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutPage(SignedPage("p1", "first", kStory)).ok());
  auto second = store->PutPage(SignedPage("p2", "second", kStoryEdited));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)[0].duplicate_of, "first");
  EXPECT_EQ(store->Get("second")->duplicate_of(), "first");
  // A copy of the copy points at the first copy too.
  auto third = store->PutPage(SignedPage("p3", "third", std::string(kStoryEdited) + "。"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)[0].duplicate_of, "first");
  // Unrelated and unsigned articles are left alone; the root stays a root
  // when re-ingested unchanged.
  auto other = store->PutPage(SignedPage("p4", "other", kOtherStory));
  EXPECT_EQ((*other)[0].duplicate_of, "");
  auto again = store->PutPage(SignedPage("p1", "first", kStory));
  EXPECT_EQ((*again)[0].outcome, v1::OUTCOME_UNCHANGED);
  EXPECT_EQ(store->Get("first")->duplicate_of(), "");
  auto unsigned_copy = store->PutPage(MakePage("p5", {MakeArticle("plain", "标题", kStory)}));
  EXPECT_EQ((*unsigned_copy)[0].duplicate_of, "");
  // The dry-run lookup agrees with what a write does.
  EXPECT_EQ(*store->FindDuplicateRoot("new", *SignatureOfFolded(kStoryEdited)), "first");
  EXPECT_EQ(*store->FindDuplicateRoot("new", *SignatureOfFolded(kOtherStory)), "other");
}

TEST_P(NearDuplicateTest, DeletingTheRootPromotesTheOldestCopy) {
  auto store = OpenStore(false, GetParam());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutPage(SignedPage("p1", "first", kStory)).ok());
  ASSERT_TRUE(store->PutPage(SignedPage("p2", "second", kStoryEdited)).ok());
  ASSERT_TRUE(store->PutPage(SignedPage("p3", "third", std::string(kStoryEdited) + "。")).ok());
  const int64_t head = store->HeadSeq();
  auto seq = store->Delete("first");
  ASSERT_TRUE(seq.ok()) << seq.status();
  // Tombstone plus one re-link per remaining copy, each with its own seq.
  EXPECT_EQ(*seq, head + 3);
  EXPECT_EQ(store->Get("second")->duplicate_of(), "");
  EXPECT_EQ(store->Get("third")->duplicate_of(), "second");
  auto changes = store->ChangesAfter(head, 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[0].kind(), v1::CHANGE_KIND_DELETE);
  // The deleted article's bands are gone: a new copy links to the new root.
  auto fourth = store->PutPage(SignedPage("p4", "fourth", kStory));
  EXPECT_EQ((*fourth)[0].duplicate_of, "second");
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_bands WHERE article_id = 'first'"), 0);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_pending WHERE article_id = 'first'"), 0);
}

TEST_F(ArticleStoreTest, BandKeysMoveInOneBatchAndPendingOnesSurviveReopen) {
  auto store = OpenStore(false, /*dedup_pending_articles=*/3);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutPage(SignedPage("p1", "first", kStory)).ok());
  ASSERT_TRUE(store->PutPage(SignedPage("p2", "other", kOtherStory)).ok());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_pending"), 2);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_bands"), 0);
  // Unsigned articles have no keys and do not count.
  ASSERT_TRUE(store->PutPage(MakePage("p3", {MakeArticle("plain", "标题", "短正文")})).ok());
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_pending"), 2);

  // The third signed article moves all three.
  auto second = store->PutPage(SignedPage("p4", "second", kStoryEdited));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)[0].duplicate_of, "first");
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_pending"), 0);
  EXPECT_EQ(QueryInt("SELECT COUNT(DISTINCT article_id) FROM dedup_bands"), 3);
  // They are the signature's keys, moved from dedup_pending's encoding.
  std::string first_keys;
  for (const int64_t key : BandKeys(*SignatureOfFolded(kStory))) {
    absl::StrAppend(&first_keys, first_keys.empty() ? "" : ", ", key);
  }
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT COUNT(*) FROM dedup_bands WHERE article_id = 'first' "
                                  "AND band_key IN (", first_keys, ")")),
            kBands);

  // A copy of `other` waits in dedup_pending; the store is closed with
  // it there (as a crash would leave it) and a copy after the reopen
  // still finds it, through the memory the reopen rebuilt.
  ASSERT_TRUE(store->PutPage(SignedPage("p5", "other-copy", std::string(kOtherStory) + "。")).ok());
  store.reset();
  store = OpenStore(false, /*dedup_pending_articles=*/3);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_pending"), 1);
  EXPECT_EQ(*store->FindDuplicateRoot("new", *SignatureOfFolded(kOtherStory)), "other");
  ASSERT_TRUE(store->Delete("other").ok());
  // `other-copy` is the root now, and only dedup_pending holds its keys.
  auto third = store->PutPage(SignedPage("p6", "third", std::string(kOtherStory) + "！"));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ((*third)[0].duplicate_of, "other-copy");
  EXPECT_EQ(*store->FindDuplicateRoot("new", *SignatureOfFolded(kOtherStory)), "other-copy");
}

TEST_F(ArticleStoreTest, APageRolledBackTakesItsBandKeysAndTheirMoveWithIt) {
  auto store = OpenStore(false, /*dedup_pending_articles=*/2);
  ASSERT_NE(store, nullptr);
  RefuseArticlesWithIdBad();

  const PageWrite a = SignedPage("pa", "a", kOtherStory);
  // b1's keys make two pending articles, which moves both to dedup_bands;
  // then `bad` is refused and the page rolls back, move included.
  PageWrite b = SignedPage("pb", "b1", kStory);
  b.articles.push_back(MakeArticle("bad", "标题", kStoryEdited));
  b.signatures.push_back(SignatureOfFolded(kStoryEdited));
  // Found only if the writer's memory of dedup_pending holds `a` again.
  const PageWrite c = SignedPage("pc", "c", std::string(kOtherStory) + "。");
  // Not a copy of b1, which is gone.
  const PageWrite d = SignedPage("pd", "d", kStoryEdited);
  auto results = store->PutPages({&a, &b, &c, &d});
  ASSERT_EQ(results.size(), 4u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_THAT(results[1].status().message(), HasSubstr("refused by test"));
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_EQ((*results[2])[0].duplicate_of, "a");
  ASSERT_TRUE(results[3].ok()) << results[3].status();
  EXPECT_EQ((*results[3])[0].duplicate_of, "");
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_bands WHERE article_id = 'b1'"), 0);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_pending WHERE article_id = 'b1'"), 0);
  // a and c moved together; d waits.
  EXPECT_EQ(QueryInt("SELECT COUNT(DISTINCT article_id) FROM dedup_bands"), 2);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_pending WHERE article_id = 'd'"), 1);
}

TEST_F(ArticleStoreTest, APendingRowWithoutItsArticleIsSkippedNotFatal) {
  OpenStore(false).reset();
  QueryInt("INSERT INTO dedup_pending (article_id) VALUES ('ghost')");
  auto store = OpenStore(false, /*dedup_pending_articles=*/2);
  ASSERT_NE(store, nullptr) << "a damaged row must not keep the store from opening";
  ASSERT_TRUE(store->PutPage(SignedPage("p1", "first", kStory)).ok());
  auto second = store->PutPage(SignedPage("p2", "second", kStoryEdited));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)[0].duplicate_of, "first");
  // The two good articles made a batch; the move dropped the damaged row.
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_pending"), 0);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM dedup_bands WHERE article_id = 'ghost'"), 0);
  EXPECT_EQ(QueryInt("SELECT COUNT(DISTINCT article_id) FROM dedup_bands"), 2);
}

// --- re-parse --------------------------------------------------------------

TEST_F(ArticleStoreTest, ReplacePagesUpdatesChangedKeepsUnchangedDeletesDropped) {
  auto store = OpenStore(false);
  ASSERT_NE(store, nullptr);
  PageWrite page = MakePage("page-bytes", {MakeArticle("a", "甲"), MakeArticle("a-1", "乙"),
                                           MakeArticle("a-2", "丙")});
  page.url = "http://example.com/1";
  page.external_id = "ext-1";
  page.source_hint = "某报";
  ASSERT_TRUE(store->PutPage(page).ok());
  ASSERT_TRUE(store->PutPage(MakePage("other", {MakeArticle("b", "丁")})).ok());
  EXPECT_EQ(*store->CountPages(), 2);
  auto pages = store->ListPages("", 10);
  ASSERT_TRUE(pages.ok()) << pages.status();
  ASSERT_EQ(pages->size(), 2u);
  const StoredPage* stored = nullptr;
  for (const StoredPage& p : *pages) {
    if (p.raw == "page-bytes") stored = &p;
  }
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->url, "http://example.com/1");
  EXPECT_EQ(stored->external_id, "ext-1");
  EXPECT_EQ(stored->source_hint, "某报");
  EXPECT_THAT(stored->article_ids, ElementsAre("a", "a-1", "a-2"));
  const int64_t seq_a = store->Get("a")->seq();

  PageReparse reparse;
  reparse.page_id = stored->page_id;
  reparse.articles = {MakeArticle("a", "甲"), MakeArticle("a-1", "乙改")};
  PageReparse failed;
  failed.page_id = "0000";
  failed.failed = true;
  auto counts = store->ReplacePages({reparse, failed});
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->unchanged, 1);
  EXPECT_EQ(counts->changed, 1);
  EXPECT_EQ(counts->deleted, 1);
  EXPECT_EQ(counts->failed_pages, 1);
  EXPECT_EQ(counts->last_seq, store->HeadSeq());
  EXPECT_EQ(store->Get("a")->seq(), seq_a);
  EXPECT_EQ(store->Get("a-1")->title(), "乙改");
  EXPECT_EQ(store->Get("a-2").status().code(), absl::StatusCode::kNotFound);

  // A page that ingest replaced meanwhile is skipped.
  ASSERT_TRUE(store->PutPage(MakePage("newer", {MakeArticle("b", "丁2")})).ok());
  PageReparse stale;
  stale.page_id = PageIdFor("other", "", "", "", "text/plain; charset=utf-8");
  stale.articles = {MakeArticle("b", "旧")};
  counts = store->ReplacePages({stale});
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->skipped_pages, 1);
  EXPECT_EQ(store->Get("b")->title(), "丁2");
}

TEST_F(ArticleStoreTest, MigratesVersionOneDatabase) {
  {
    std::filesystem::create_directories(dir_ / "data");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
    v1::Article article = MakeArticle("old", "旧文");
    article.set_url("http://old.example.com/");
    article.set_external_id("old-ext");
    const std::string blob = article.SerializeAsString();
    const std::string sql = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('head_seq', 1);
CREATE TABLE pages (page_id TEXT PRIMARY KEY, raw BLOB NOT NULL, content_type TEXT NOT NULL,
  stored_at INTEGER NOT NULL);
CREATE TABLE articles (id TEXT PRIMARY KEY, seq INTEGER UNIQUE NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0, article BLOB, content_hash BLOB, page_id TEXT,
  ingested_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX articles_page_id ON articles (page_id);
INSERT INTO pages VALUES ('oldpage', 'raw bytes', 'text/plain', 0);
PRAGMA user_version = 1;
)sql";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO articles VALUES ('old', 1, 0, ?1, x'00', "
                                 "'oldpage', 0, 0)",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(stmt, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  auto store = OpenStore(false);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 5);
  EXPECT_EQ(store->HeadSeq(), 1);
  EXPECT_EQ(store->PurgedThroughSeq(), 0);
  EXPECT_EQ(store->Get("old")->page_id(), "oldpage");
  auto pages = store->ListPages("", 10);
  ASSERT_TRUE(pages.ok()) << pages.status();
  ASSERT_EQ(pages->size(), 1u);
  // The request fields of a version-1 page come from its article.
  EXPECT_EQ((*pages)[0].url, "http://old.example.com/");
  EXPECT_EQ((*pages)[0].external_id, "old-ext");
  EXPECT_EQ((*pages)[0].raw, "raw bytes");
}

}  // namespace
}  // namespace newsearch::ingest

namespace newsearch::ingest {
namespace {

TEST_F(ArticleStoreTest, PutPagesCommitsABatchInOrderAndABadPageFailsAlone) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  RefuseArticlesWithIdBad();

  const PageWrite a = MakePage("pa", {MakeArticle("a", "甲")});
  // Its first article writes fine, its second is refused: both are undone.
  const PageWrite b = MakePage("pb", {MakeArticle("b1", "乙"), MakeArticle("bad", "丙")});
  const PageWrite c = MakePage("pc", {MakeArticle("c", "丁"), MakeArticle("c2", "戊")});
  const PageWrite d = MakePage("pd", {MakeArticle("", "无编号")});
  auto results = store->PutPages({&a, &b, &c, &d});
  ASSERT_EQ(results.size(), 4u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_THAT(Seqs(*results[0]), ElementsAre(1));
  EXPECT_THAT(results[1].status().message(), HasSubstr("refused by test"));
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_THAT(Seqs(*results[2]), ElementsAre(2, 3)) << "no gap where the bad page was";
  EXPECT_EQ(results[3].status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(store->HeadSeq(), 3);
  EXPECT_EQ(*store->CountLive(), 3);
  EXPECT_EQ(store->Get("b1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM pages"), 2);
  auto changes = store->ChangesAfter(0, 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[0].seq(), 1);
  EXPECT_EQ((*changes)[2].seq(), 3);

  // A reopened store holds the same: the batch was one durable commit.
  store.reset();
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->HeadSeq(), 3);
  EXPECT_EQ(*store->CountLive(), 3);
}

}  // namespace
}  // namespace newsearch::ingest
