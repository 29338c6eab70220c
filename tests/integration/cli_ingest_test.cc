// `newsearch ingest FILE...` through the real binaries: the external_id comes
// from the path by default, so ingesting the same files twice creates
// nothing new.
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;

TEST(CliIngestTest, IngestingTheSameFilesTwiceCreatesNothingNew) {
  const std::string root = MakeTempDir("cli_ingest");
  IngestFixture ingest(root);
  ASSERT_TRUE(ingest.Start()) << "newsearch-ingest did not start; see " << root;
  const std::string command =
      absl::StrCat(BinaryDir(), "/tools/cli/newsearch --ingest ", ingest.address(), " ingest ",
                   SourceDir(), "/tests/testdata/pages/samples ", SourceDir(),
                   "/tests/testdata/pages/seeds/000_e08991b09324d687.txt");
  int code = 0;
  const std::string first = RunShell(command, &code);
  ASSERT_EQ(code, 0) << first;
  EXPECT_THAT(first, ::testing::ContainsRegex("\\(created [1-9][0-9]*, updated 0, unchanged 0"))
      << first;
  const int64_t head = ingest.HeadSeq();
  ASSERT_GT(head, 0);

  const std::string second = RunShell(command, &code);
  ASSERT_EQ(code, 0) << second;
  EXPECT_THAT(second, HasSubstr("(created 0, updated 0, unchanged ")) << second;
  EXPECT_EQ(ingest.HeadSeq(), head) << "no new seq: nothing created or changed";

  // The articles carry their paths as external_id.
  v1::ListArticlesRequest list;
  list.set_page_size(1000);
  grpc::ClientContext context;
  v1::ListArticlesResponse listed;
  const grpc::Status status = ingest.stub().ListArticles(&context, list, &listed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> external_ids;
  for (const v1::Article& article : listed.articles()) external_ids.insert(article.external_id());
  EXPECT_THAT(external_ids, ::testing::Contains("s02_gbk_anxi_tea.txt"));
  EXPECT_THAT(external_ids, ::testing::Contains("000_e08991b09324d687.txt"));
  EXPECT_THAT(external_ids, ::testing::Not(::testing::Contains("")));

  // Without path ids the same files are other articles (identity falls back
  // to url or bytes): the flag is honoured.
  const std::string plain = RunShell(
      absl::StrCat(BinaryDir(), "/tools/cli/newsearch --ingest ", ingest.address(),
                   " ingest --no_external_id_from_path ", SourceDir(),
                   "/tests/testdata/pages/seeds/000_e08991b09324d687.txt"),
      &code);
  ASSERT_EQ(code, 0) << plain;
  EXPECT_THAT(plain, HasSubstr("(created 1,")) << plain;
}

}  // namespace
}  // namespace newsearch::testing
