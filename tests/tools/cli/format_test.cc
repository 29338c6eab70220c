#include "tools/cli/format.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const HighlightStyle kBrackets = BracketHighlightStyle();

TEST(RenderHighlightsTest, CaseTable) {
  struct Case {
    std::string text;
    std::vector<CodePointSpan> spans;
    std::string want;
    const char* reason;
  };
  const Case cases[] = {
      {"中国网络安全", {{2, 4}}, "中国【网络】安全", "offsets count code points, not bytes"},
      {"網絡與网络", {{0, 2}, {3, 5}}, "【網絡】與【网络】", "traditional and simplified hits"},
      {"5G网络和QQ", {{0, 2}, {5, 7}}, "【5G】网络和【QQ】", "ASCII mixed with CJK"},
      {"abc", {}, "abc", "no spans"},
      {"", {{0, 1}}, "", "empty text"},
      {"中国", {{0, 2}}, "【中国】", "span covering the whole text"},
      {"中国人", {{1, 99}}, "中【国人】", "end clamped to the text"},
      {"中国人", {{-3, 1}}, "【中】国人", "start clamped to zero"},
      {"中国人", {{5, 9}}, "中国人", "span entirely past the end is dropped"},
      {"中国人", {{1, 1}}, "中国人", "empty span is dropped"},
      {"中国人", {{2, 1}}, "中国人", "reversed span is dropped"},
      {"一二三四五", {{1, 3}, {2, 4}}, "一【二三】四五", "overlap with an earlier span is dropped"},
      {"一二三四五", {{3, 4}, {0, 1}}, "一二三【四】五", "out-of-order span is dropped"},
      {"一二三", {{0, 1}, {1, 2}}, "【一】【二】三", "adjacent spans both render"},
      {"😀好", {{1, 2}}, "😀【好】", "a 4-byte emoji is one code point"},
      {"a\xff中", {{2, 3}}, "a\xff【中】", "an invalid byte counts as one code point"},
      {"\xe4\xb8", {{0, 1}}, "【\xe4】\xb8", "a truncated sequence is single bytes"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RenderHighlights(c.text, c.spans, kBrackets), c.want) << c.reason;
  }
}

TEST(RenderHighlightsTest, AnsiStyle) {
  EXPECT_EQ(RenderHighlights("中国网络", {{2, 4}}, AnsiBoldHighlightStyle()),
            "中国\033[1m网络\033[0m");
}

TEST(FormatCstTest, ShowsChinaStandardTime) {
  struct Case {
    absl::Time t;
    const char* want;
    const char* reason;
  };
  const Case cases[] = {
      {absl::FromCivil(absl::CivilSecond(2018, 4, 22, 23, 36, 2), absl::UTCTimeZone()),
       "2018-04-23 07:36", "UTC evening is the next morning in UTC+8"},
      {absl::FromCivil(absl::CivilSecond(2014, 7, 29, 0, 0, 59), absl::FixedTimeZone(8 * 3600)),
       "2014-07-29 00:00", "seconds are cut, not rounded"},
      {absl::UnixEpoch(), "1970-01-01 08:00", "epoch"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatCst(c.t), c.want) << c.reason;
}

TEST(FromTimestampTest, KeepsNanos) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(100);
  ts.set_nanos(5);
  EXPECT_EQ(FromTimestamp(ts), absl::FromUnixSeconds(100) + absl::Nanoseconds(5));
}

newsearch::v1::SearchResponse TwoHits() {
  newsearch::v1::SearchResponse r;
  r.set_total_estimate(42);
  newsearch::v1::SearchHit* hit = r.add_hits();
  hit->set_rank(0);
  hit->set_id("a1");
  hit->set_title("网商党建\n报告");
  hit->set_source("台州日报");
  hit->mutable_published_at()->set_seconds(1524440162);  // 2018-04-23 07:36:02 +08:00
  hit->set_score(12.3456);
  hit->mutable_snippet()->set_text("网络\n安全");
  newsearch::v1::Highlight* h = hit->mutable_snippet()->add_highlights();
  h->set_start(3);
  h->set_end(5);
  newsearch::v1::SearchHit* second = r.add_hits();
  second->set_rank(1);
  second->set_id("b2");
  second->set_title("无日期");
  return r;
}

TEST(FormatSearchResponseTest, PrintsHitsWithRankDateScoreAndSnippet) {
  const std::string out = FormatSearchResponse(TwoHits(), kBrackets);
  EXPECT_EQ(out,
            "total ~42\n"
            "\n"
            "1. 网商党建 报告\n"
            "   台州日报 | 2018-04-23 07:36 | a1 | score 12.346\n"
            "   网络 【安全】\n"
            "\n"
            "2. 无日期\n"
            "   - | - | b2 | score 0.000\n");
}

TEST(FormatSearchResponseTest, PrintsRelaxationWordByWord) {
  newsearch::v1::SearchResponse r = TwoHits();
  r.set_relaxed(true);
  r.add_dropped_terms("报名");
  r.mutable_hits(1)->add_missing_terms("报名");
  newsearch::v1::QueryDebug* debug = r.mutable_debug();
  debug->set_strict_matches(1);
  newsearch::v1::QueryWord* word = debug->add_words();
  word->set_text("报名");
  word->set_status(newsearch::v1::TERM_STATUS_DROPPED);
  word = debug->add_words();
  word->set_text("source:新华社");
  word->set_status(newsearch::v1::TERM_STATUS_FIELD_RESTRICTED);
  word->set_detail("field word 来源 -> source");
  const std::string out = FormatSearchResponse(r, kBrackets);
  EXPECT_THAT(out, HasSubstr("strict:  1 articles match every word\n"
                             "  word 报名: dropped\n"
                             "  word source:新华社: field-restricted (field word 来源 -> source)\n"
                             "relaxed: too few articles match every word; after them come those "
                             "matching most words (dropped here: 报名)\n"));
  EXPECT_THAT(out, HasSubstr("| b2 | score 0.000 | missing 报名\n"));
}

TEST(FormatSearchResponseTest, PrintsDebugFacetsPartialAndDuplicates) {
  newsearch::v1::SearchResponse r = TwoHits();
  r.set_partial(true);
  r.mutable_debug()->set_parsed_query("(AND 乌镇 date:[2018-01-01..2018-12-31])");
  r.mutable_debug()->set_xapian_query("Query(...)");
  r.mutable_debug()->add_terms("乌镇");
  r.mutable_debug()->add_filters("date:[2018-01-01..2018-12-31]");
  newsearch::v1::Facet* facet = r.add_facets();
  facet->set_name("year");
  newsearch::v1::FacetValue* v = facet->add_values();
  v->set_value("2018");
  v->set_count(3);
  r.set_facets_exact(true);
  r.mutable_hits(0)->set_duplicate_count(2);
  r.mutable_hits(1)->set_duplicate_of("a1");
  const std::string out = FormatSearchResponse(r, kBrackets);
  EXPECT_THAT(out, testing::StartsWith(
                       "total ~42 (partial: time limit reached)\n"
                       "parsed:  (AND 乌镇 date:[2018-01-01..2018-12-31])\n"
                       "xapian:  Query(...)\n"
                       "terms:   乌镇\n"
                       "filters: date:[2018-01-01..2018-12-31]\n"
                       "year: 2018 3\n"));
  EXPECT_THAT(out, HasSubstr("| a1 | score 12.346 | +2 copies\n"));
  EXPECT_THAT(out, HasSubstr("| b2 | score 0.000 | copy of a1\n"));
  r.set_facets_exact(false);
  EXPECT_THAT(FormatSearchResponse(r, kBrackets), HasSubstr("year (estimate): 2018 3\n"));
  v->set_article_count(5);
  EXPECT_THAT(FormatSearchResponse(r, kBrackets),
              HasSubstr("year (estimate): 2018 3 (5 articles)\n"));
}

TEST(FormatSearchResponseTest, SaysWhenThePageIsFromAnotherRevision) {
  newsearch::v1::SearchResponse r = TwoHits();
  r.set_applied_seq(57);
  EXPECT_THAT(FormatSearchResponse(r, kBrackets), testing::Not(HasSubstr("index changed")));
  r.set_revision_changed(true);
  EXPECT_THAT(FormatSearchResponse(r, kBrackets),
              testing::StartsWith("total ~42\nnote: the index changed since the previous page "
                                  "(now at applied_seq 57); hits may repeat or be missing"));
}

TEST(FormatSearchResponseTest, EndsWithNextPageToken) {
  newsearch::v1::SearchResponse r = TwoHits();
  r.set_next_page_token("tok2");
  EXPECT_THAT(FormatSearchResponse(r, kBrackets), testing::EndsWith("\nnext_page_token: tok2\n"));
  EXPECT_THAT(FormatSearchResponse(TwoHits(), kBrackets), Not(HasSubstr("next_page_token")));
}

TEST(FormatArticleTest, MetadataThenBody) {
  newsearch::v1::Article a;
  a.set_id("a1");
  a.set_title("标题");
  a.set_source("中国台州网");
  a.add_authors("葛星星");
  a.add_authors("宋爽");
  a.mutable_published_at()->set_seconds(1524440162);
  a.set_body("第一段。\n\n第二段。");
  a.add_warnings("repaired mojibake");
  const std::string out = FormatArticle(a);
  EXPECT_THAT(out, HasSubstr("title:            标题\n"));
  EXPECT_THAT(out, HasSubstr("authors:          葛星星, 宋爽\n"));
  EXPECT_THAT(out, HasSubstr("published_at:     2018-04-23 07:36 (UTC+8)\n"));
  EXPECT_THAT(out, HasSubstr("warning:          repaired mojibake\n"));
  EXPECT_THAT(out, Not(HasSubstr("url:"))) << "empty fields are left out";
  EXPECT_THAT(out, testing::EndsWith("\n\n第一段。\n\n第二段。\n"));
}

TEST(FormatArticleListTest, OneLinePerArticle) {
  newsearch::v1::ListArticlesResponse r;
  newsearch::v1::Article* a = r.add_articles();
  a->set_id("a1");
  a->set_title("标题");
  a->mutable_published_at()->set_seconds(1524440162);
  r.set_next_page_token("n");
  EXPECT_EQ(FormatArticleList(r), "a1  2018-04-23 07:36  -  标题\nnext_page_token: n\n");
}

TEST(FormatIndexStatusTest, AlignedLines) {
  newsearch::v1::GetIndexStatusResponse s;
  s.set_document_count(10);
  s.set_applied_seq(12);
  s.set_head_seq(12);
  s.set_following(true);
  s.set_index_size_bytes(3 << 20);
  const std::string out = FormatIndexStatus(s);
  EXPECT_THAT(out, HasSubstr("documents       10\n"));
  EXPECT_THAT(out, HasSubstr("following       yes\n"));
  EXPECT_THAT(out, HasSubstr("last_commit_at  -\n"));
  EXPECT_THAT(out, HasSubstr("index_size      3.0 MiB (3145728 bytes)\n"));
}

TEST(FormatIndexStatusTest, RouterListsPartitionsAndTheMissingOnes) {
  newsearch::v1::GetIndexStatusResponse s;
  s.set_document_count(7);
  s.set_partial(true);
  newsearch::v1::PartitionStatus* p0 = s.add_partitions();
  p0->set_replica("10.0.0.1:7000");
  p0->set_document_count(7);
  p0->set_applied_seq(30);
  p0->set_index_partition_count(2);
  p0->set_replicas(2);
  p0->set_replicas_up(1);
  newsearch::v1::PartitionStatus* p1 = s.add_partitions();
  p1->set_partition(1);
  p1->set_missing(true);
  p1->set_replicas(2);
  p1->set_error("10.0.0.2:7000: refused");
  const std::string out = FormatIndexStatus(s);
  EXPECT_THAT(out, HasSubstr("partial         yes\n"));
  EXPECT_THAT(out, HasSubstr("partition 0     7 documents, applied_seq 30, index 0/2, from "
                             "10.0.0.1:7000 (1/2 replicas up)\n"));
  EXPECT_THAT(out, HasSubstr("partition 1     MISSING (0/2 replicas up): 10.0.0.2:7000: refused\n"));
}

TEST(FormatBytesTest, Units) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(int64_t{5} << 30), "5.0 GiB");
}

TEST(StatusCodeNameTest, CanonicalNames) {
  EXPECT_EQ(StatusCodeName(3), "INVALID_ARGUMENT");
  EXPECT_EQ(StatusCodeName(14), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(99), "CODE_99");
}

TEST(IngestProgressTest, CountsArticlesAndFailedPages) {
  IngestCounts counts;
  counts.total_pages = 5000;
  newsearch::v1::IngestArticleResponse page;
  page.add_articles()->set_outcome(newsearch::v1::OUTCOME_CREATED);
  page.add_articles()->set_outcome(newsearch::v1::OUTCOME_UPDATED);  // A two-article page.
  counts.Add(page);
  newsearch::v1::IngestArticleResponse unchanged;
  unchanged.add_articles()->set_outcome(newsearch::v1::OUTCOME_UNCHANGED);
  counts.Add(unchanged);
  newsearch::v1::IngestArticleResponse failed;
  failed.mutable_error()->set_code(3);
  counts.Add(failed);
  EXPECT_EQ(FormatIngestProgress(counts, absl::Seconds(2)),
            "ingested 3/5000 pages (created 1, updated 1, unchanged 1, failed 1) 2 pages/s");
  EXPECT_EQ(FormatIngestProgress(counts, absl::ZeroDuration()),
            "ingested 3/5000 pages (created 1, updated 1, unchanged 1, failed 1)");
}

TEST(ProgressThrottleTest, TerminalAtMostFiveTimesPerSecond) {
  ProgressThrottle throttle(/*is_tty=*/true);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_TRUE(throttle.ShouldPrint(1, t0)) << "first update shows at once";
  EXPECT_FALSE(throttle.ShouldPrint(2, t0 + absl::Milliseconds(100))) << "too soon";
  EXPECT_TRUE(throttle.ShouldPrint(3, t0 + absl::Milliseconds(200))) << "200 ms later";
  EXPECT_FALSE(throttle.ShouldPrint(4, t0 + absl::Milliseconds(399))) << "199 ms after the last";
}

TEST(ProgressThrottleTest, PipeOncePerThousandPages) {
  ProgressThrottle throttle(/*is_tty=*/false);
  const absl::Time t = absl::FromUnixSeconds(1000);
  EXPECT_FALSE(throttle.ShouldPrint(1, t));
  EXPECT_FALSE(throttle.ShouldPrint(999, t));
  EXPECT_TRUE(throttle.ShouldPrint(1000, t));
  EXPECT_FALSE(throttle.ShouldPrint(1001, t));
  EXPECT_TRUE(throttle.ShouldPrint(2000, t));
  EXPECT_TRUE(throttle.ShouldPrint(3500, t)) << "a jump across a boundary prints once";
  EXPECT_FALSE(throttle.ShouldPrint(3999, t));
}

TEST(FormatParseResultTest, EncodingWarningsThenNumberedArticles) {
  newsearch::v1::ParseArticleResponse response;
  response.set_detected_encoding("GB18030");
  response.add_warnings("no_date: no publication date found");
  response.add_articles()->set_title("视点");
  newsearch::v1::Article* second = response.add_articles();
  second->set_title("观潮");
  second->set_duplicate_of("abc");
  const std::string out = FormatParseResult(response);
  EXPECT_EQ(out.find("detected_encoding: GB18030\nwarning: no_date: no publication date found\n"),
            0u)
      << out;
  EXPECT_NE(out.find("=== article 1/2 ===\ntitle:            视点"), std::string::npos) << out;
  EXPECT_NE(out.find("=== article 2/2 ===\ntitle:            观潮"), std::string::npos) << out;
  EXPECT_NE(out.find("duplicate_of:     abc"), std::string::npos) << out;
}

TEST(FormatReparseProgressTest, Counts) {
  newsearch::v1::ReparseArticlesResponse p;
  p.set_pages_done(120);
  p.set_pages_total(500);
  p.set_articles_changed(30);
  p.set_articles_unchanged(200);
  p.set_articles_deleted(2);
  p.set_pages_failed(1);
  EXPECT_EQ(FormatReparseProgress(p),
            "re-parsed 120/500 pages: 30 changed, 200 unchanged, 2 deleted, 1 page failed");
}

}  // namespace
}  // namespace newsearch::cli
