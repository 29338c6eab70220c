// Search page tokens across replicas, through the real binaries: a token
// carries the index revision (applied_seq) its page was answered at; a
// replica behind it answers UNAVAILABLE (retry elsewhere), and a page
// answered at a newer revision says so (revision_changed).
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

std::string Page(int i) {
  return absl::StrCat("港口新闻第", i, "篇\n\n2020-01-", 10 + i, " 09:00:00 来源:宁波日报\n\n",
                      "宁波舟山港今天发布第", i, "份报告，集装箱吞吐量继续增长，港口码头一片繁忙。\n");
}

class PageRevisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("page_revision");
    ingest_ = std::make_unique<IngestFixture>(root_);
    ASSERT_TRUE(ingest_->Start()) << "newsearch-ingest did not start; see " << root_;
  }

  int64_t IngestPage(int i) {
    v1::IngestArticleResponse response;
    const grpc::Status status = ingest_->Ingest(Page(i), &response, absl::StrCat("port-", i));
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (response.articles_size() == 0) return -1;
    ids_[i] = response.articles(0).id();
    return response.articles(0).seq();
  }

  std::string root_;
  std::unique_ptr<IngestFixture> ingest_;
  std::map<int, std::string> ids_;  // page number -> article id
};

TEST_F(PageRevisionTest, TokensPinTheRevisionAcrossReplicas) {
  SearchFixture a(root_ + "/search-a", ingest_->address());
  auto b = std::make_unique<SearchFixture>(root_ + "/search-b", ingest_->address());
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b->Start());
  int64_t seq = 0;
  for (int i = 1; i <= 3; ++i) seq = IngestPage(i);
  ASSERT_TRUE(a.WaitForSeq(seq));
  ASSERT_TRUE(b->WaitForSeq(seq));
  const int64_t b_seq = seq;
  // Replica b stops following: restarted with an ingest address nobody
  // listens on, it keeps its index at b_seq while a moves on.
  ASSERT_EQ(b->process().Terminate(), 0);
  b = std::make_unique<SearchFixture>(root_ + "/search-b",
                                      absl::StrCat("127.0.0.1:", FreePort()));
  ASSERT_TRUE(b->Start());
  for (int i = 4; i <= 5; ++i) seq = IngestPage(i);
  ASSERT_TRUE(a.WaitForSeq(seq));

  v1::SearchRequest request;
  request.set_query("港口");
  request.set_sort(v1::SORT_ORDER_DATE_DESC);
  request.set_page_size(2);
  v1::SearchResponse page1;
  ASSERT_TRUE(a.Search(request, &page1).ok());
  ASSERT_EQ(page1.applied_seq(), seq);
  ASSERT_FALSE(page1.next_page_token().empty());
  request.set_page_token(page1.next_page_token());

  // b has not applied what a's first page showed: it must not answer.
  v1::SearchResponse from_b;
  const grpc::Status behind = b->Search(request, &from_b);
  EXPECT_EQ(behind.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(behind.error_message(),
              HasSubstr(absl::StrCat("(applied_seq ", b_seq, ") is behind the revision the "
                                     "page_token was made at (applied_seq ", seq, ")")));

  // a at the same revision: a consistent second page.
  v1::SearchResponse page2;
  ASSERT_TRUE(a.Search(request, &page2).ok());
  EXPECT_FALSE(page2.revision_changed());
  ASSERT_EQ(page2.hits_size(), 2);
  EXPECT_EQ(page2.hits(0).id(), ids_[3]) << "newest first: 5 4 | 3 2 | 1";

  // The index moves on (a newer article lands on page one): the next page
  // still answers, and says the list shifted under the token.
  const int64_t newer = IngestPage(6);
  ASSERT_TRUE(a.WaitForSeq(newer));
  v1::SearchResponse shifted;
  ASSERT_TRUE(a.Search(request, &shifted).ok());
  EXPECT_TRUE(shifted.revision_changed());
  EXPECT_EQ(shifted.applied_seq(), newer);
  ASSERT_GT(shifted.hits_size(), 0);
  EXPECT_EQ(shifted.hits(0).id(), ids_[4]) << "the list moved by one: port-4 shows again";

  // The CLI shows the note.
  int code = 0;
  const std::string out = RunShell(
      absl::StrCat(BinaryDir(), "/tools/cli/newsearch --search ", a.address(),
                   " search --sort date --page_size 2 --page_token ", page1.next_page_token(),
                   " 港口"),
      &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("note: the index changed since the previous page "
                                          "(now at applied_seq ", newer, ")")));
}

}  // namespace
}  // namespace newsearch::testing
