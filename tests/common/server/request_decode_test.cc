// DescribeUndecodable and RequestTypeName: what a client is told about a
// request message that does not decode (the interceptor itself is tested
// through the real servers in tests/integration/bad_input_test.cc).
#include "common/server/request_decode.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "newsearch/v1/ingest.pb.h"
#include "newsearch/v1/search.pb.h"

namespace newsearch::server {
namespace {

using ::testing::HasSubstr;

// Field `number` (wire type 2) holding `value`.
std::string LengthDelimited(int number, const std::string& value) {
  return std::string(1, static_cast<char>(number << 3 | 2)) +
         std::string(1, static_cast<char>(value.size())) + value;
}

const std::string kNotUtf8("\xff\xfe", 2);

TEST(DescribeUndecodableTest, SaysWhatIsWrong) {
  struct Case {
    const char* reason;
    const google::protobuf::Descriptor* type;
    std::string bytes;
    const char* expected;
  };
  const Case cases[] = {
      {"length prefix beyond the end", v1::IngestArticleRequest::descriptor(),
       std::string("\x0a\x05" "ab", 4), "malformed or truncated"},
      {"wire type 7 does not exist", v1::SearchRequest::descriptor(), "\xff\xff\xff",
       "not a newsearch.v1.SearchRequest"},
      {"a 2^31 length prefix", v1::IngestArticleRequest::descriptor(),
       std::string("\x0a\x80\x80\x80\x80\x08", 6), "malformed or truncated"},
      {"url is a string field", v1::IngestArticleRequest::descriptor(),
       LengthDelimited(1, "page") + LengthDelimited(2, kNotUtf8), "field url (2) is not valid UTF-8"},
      {"content is bytes, so any bytes are fine; query is not",
       v1::SearchRequest::descriptor(), LengthDelimited(1, kNotUtf8),
       "field query (1) is not valid UTF-8"},
      {"a string inside a nested message is named by its path",
       v1::IngestArticleResponse::descriptor(), LengthDelimited(1, LengthDelimited(1, kNotUtf8)),
       "field articles.id (1) is not valid UTF-8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    EXPECT_THAT(DescribeUndecodable(*c.type, c.bytes), HasSubstr(c.expected));
  }
}

TEST(RequestTypeNameTest, FindsTheInputTypeOfLinkedMethods) {
  EXPECT_EQ(RequestTypeName("/newsearch.v1.IngestService/IngestArticle"),
            "newsearch.v1.IngestArticleRequest");
  EXPECT_EQ(RequestTypeName("/newsearch.v1.SearchService/Search"), "newsearch.v1.SearchRequest");
  EXPECT_EQ(RequestTypeName("/newsearch.v1.SearchService/NoSuchMethod"), "");
  EXPECT_EQ(RequestTypeName(""), "");
}

}  // namespace
}  // namespace newsearch::server
