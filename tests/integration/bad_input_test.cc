// Bad input through the real servers: each gets a clear status code and the
// server keeps serving.
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string SeedPage(int n) {
  const std::vector<std::string> files = ListFiles(SourceDir() + "/tests/testdata/pages/seeds");
  return ReadFile(files.at(n % files.size()));
}

// Appends string field `number` holding `value` to an encoded message.
std::string WithStringField(std::string message, int number, const std::string& value) {
  message.push_back(static_cast<char>(number << 3 | 2));
  message.push_back(static_cast<char>(value.size()));
  return message + value;
}

const std::string kNotUtf8("\xff\xfe\xe4\xb8", 4);

// Messages that decode as no request type: truncated, random, a 2^31
// length prefix.
const std::vector<std::string>& UndecodableForEveryType() {
  static const auto* kBytes = new std::vector<std::string>{
      std::string("\x0a\x05" "ab", 4), std::string("\xff\xff\xff\xff\xff", 5),
      std::string("\x0a\x80\x80\x80\x80\x08", 6), std::string("\x08", 1)};
  return *kBytes;
}

// The encoding of `type` with its first string field (if any) set to bytes
// that are not UTF-8; empty when the type has no string field.
std::string WithBadUtf8(const google::protobuf::Descriptor& type) {
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = type.field(i);
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING && !field->is_repeated()) {
      return WithStringField("", field->number(), kNotUtf8);
    }
  }
  return "";
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("bad");
    ingest_ = std::make_unique<IngestFixture>(root_);
    ASSERT_TRUE(ingest_->Start());
    search_ = std::make_unique<SearchFixture>(root_ + "/search", ingest_->address());
    ASSERT_TRUE(search_->Start());
    v1::IngestArticleResponse response;
    ASSERT_TRUE(ingest_->Ingest(ReadFile(SourceDir() + "/tests/testdata/pages/seeds/"
                                         "000_e08991b09324d687.txt"),
                                &response)
                    .ok());
    ASSERT_TRUE(search_->WaitForSeq(response.articles(0).seq()));
  }

  // Both servers still answer a good request.
  void ExpectStillServing() {
    v1::SearchRequest request;
    request.set_query("互联网");
    v1::SearchResponse response;
    EXPECT_TRUE(search_->Search(request, &response).ok());
    EXPECT_GT(response.hits_size(), 0);
    v1::IngestArticleResponse ingested;
    EXPECT_TRUE(ingest_->Ingest(ReadFile(SourceDir() + "/tests/testdata/pages/seeds/"
                                         "000_e08991b09324d687.txt"),
                                &ingested)
                    .ok());
  }

  grpc::Status Query(const std::string& query, int page_size = 10) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_page_size(page_size);
    v1::SearchResponse response;
    return search_->Search(request, &response);
  }

  std::string root_;
  std::unique_ptr<IngestFixture> ingest_;
  std::unique_ptr<SearchFixture> search_;
};

TEST_F(BadInputTest, EmptyPageIsInvalidArgument) {
  v1::IngestArticleResponse response;
  grpc::Status status = ingest_->Ingest("", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("empty"));
  ExpectStillServing();
}

TEST_F(BadInputTest, TwentyMegabytePageIsRejectedWithTheLimit) {
  std::string page = "巨型页面\n\n";
  while (page.size() < (20u << 20)) page += "这是一段被重复了很多次的正文内容。";
  v1::IngestArticleResponse response;
  grpc::Status status = ingest_->Ingest(page, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("max_page_bytes"));
  ExpectStillServing();
}

TEST_F(BadInputTest, PageWithoutArticleIsInvalidArgument) {
  v1::IngestArticleResponse response;
  grpc::Status status = ingest_->Ingest("   \n\n  \t \n", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectStillServing();
}

TEST_F(BadInputTest, OneBadPageInAStreamFailsAlone) {
  grpc::ClientContext context;
  auto stream = ingest_->stub().IngestArticles(&context);
  const std::string good = ReadFile(SourceDir() + "/tests/testdata/pages/seeds/"
                                    "001_f232a6c978050cd9.txt");
  for (const std::string& content : {good, std::string(), good}) {
    v1::IngestArticleRequest request;
    request.set_content(content);
    ASSERT_TRUE(stream->Write(request));
  }
  stream->WritesDone();
  std::vector<v1::IngestArticleResponse> responses;
  v1::IngestArticleResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_FALSE(responses[0].has_error());
  EXPECT_EQ(responses[0].articles(0).outcome(), v1::OUTCOME_CREATED);
  EXPECT_EQ(responses[1].error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(responses[1].request_index(), 1);
  EXPECT_EQ(responses[2].articles(0).outcome(), v1::OUTCOME_UNCHANGED);
}

TEST_F(BadInputTest, UndecodableMessageInAStreamGetsItsOwnErrorAndTheStreamGoesOn) {
  // #9: gRPC's sync API ended the stream OK at such a message, and the
  // pages after it were never stored nor answered.
  v1::IngestArticleRequest first;
  first.set_content(SeedPage(1));
  first.set_external_id("stream-first");
  v1::IngestArticleRequest last;
  last.set_content(SeedPage(2));
  last.set_external_id("stream-last");
  v1::IngestArticleRequest middle;
  middle.set_content(SeedPage(4));
  const std::string bad_url = WithStringField(middle.SerializeAsString(), 2, kNotUtf8);
  const RawCallResult result =
      CallRaw(grpc::CreateChannel(ingest_->address(), grpc::InsecureChannelCredentials()),
              "/newsearch.v1.IngestService/IngestArticles",
              {first.SerializeAsString(), bad_url, last.SerializeAsString(), "\xff\xff"});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), 4u);
  std::vector<v1::IngestArticleResponse> responses(4);
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(responses[i].ParseFromString(result.responses[i]));
    EXPECT_EQ(responses[i].request_index(), static_cast<int64_t>(i));
  }
  EXPECT_FALSE(responses[0].has_error()) << responses[0].error().message();
  EXPECT_EQ(responses[1].error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(responses[1].error().message(), HasSubstr("message 1"));
  EXPECT_THAT(responses[1].error().message(), HasSubstr("url (2) is not valid UTF-8"));
  EXPECT_EQ(responses[1].articles_size(), 0);
  ASSERT_FALSE(responses[2].has_error()) << responses[2].error().message();
  EXPECT_EQ(responses[3].error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(responses[3].error().message(), HasSubstr("malformed or truncated"));
  // The pages on both sides of the bad ones are stored.
  for (int i : {0, 2}) {
    ASSERT_GT(responses[i].articles_size(), 0);
    grpc::ClientContext context;
    v1::GetArticleRequest request;
    request.set_id(responses[i].articles(0).id());
    v1::Article article;
    EXPECT_TRUE(ingest_->stub().GetArticle(&context, request, &article).ok()) << i;
  }
  ExpectStillServing();
}

TEST_F(BadInputTest, UndecodableRequestsAreInvalidArgumentOnEveryMethod) {
  // #9: these were INTERNAL with an empty message, logged as server faults.
  int calls = 0;
  for (const auto& [service, address] :
       std::vector<std::pair<std::string, std::string>>{
           {"newsearch.v1.IngestService", ingest_->address()},
           {"newsearch.v1.SearchService", search_->address()}}) {
    const auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    const google::protobuf::ServiceDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr);
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = descriptor->method(i);
      std::vector<std::string> messages = UndecodableForEveryType();
      const std::string bad_utf8 = WithBadUtf8(*method->input_type());
      if (!bad_utf8.empty()) messages.push_back(bad_utf8);
      for (const std::string& message : messages) {
        SCOPED_TRACE(absl::StrCat(method->full_name(), " ", absl::CEscape(message)));
        ++calls;
        const RawCallResult result =
            CallRaw(channel, absl::StrCat("/", service, "/", method->name()), {message});
        if (method->client_streaming()) {
          // A stream answers the message itself and goes on.
          EXPECT_TRUE(result.status.ok()) << result.status.error_message();
          ASSERT_EQ(result.responses.size(), 1u);
          v1::IngestArticleResponse response;
          ASSERT_TRUE(response.ParseFromString(result.responses[0]));
          EXPECT_EQ(response.error().code(),
                    static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
          continue;
        }
        EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
            << result.status.error_message();
        EXPECT_THAT(result.status.error_message(), HasSubstr(method->name()));
        EXPECT_THAT(result.status.error_message(), HasSubstr("could not be decoded"));
      }
    }
  }
  EXPECT_GE(calls, 40);
  ExpectStillServing();
  // Counted as client errors, never as server faults.
  for (const std::string& log : {ReadFile(root_ + "/ingest-run/server-1.log")}) {
    EXPECT_THAT(log, Not(HasSubstr("\"code\":\"INTERNAL\"")));
  }
}

TEST_F(BadInputTest, MalformedQueryIsInvalidArgumentSayingWhat) {
  for (const char* query : {"(网络", "\"未闭合的引号", "网络 AND", ")"}) {
    SCOPED_TRACE(query);
    grpc::Status status = Query(query);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_FALSE(status.error_message().empty());
  }
  ExpectStillServing();
}

TEST_F(BadInputTest, InvalidUtf8QueryIsRejected) {
  grpc::Status status = Query(std::string("\xff\xfe\xe4\xb8", 4));
  EXPECT_NE(status.error_code(), grpc::StatusCode::OK);
  EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE) << "server must not crash";
  ExpectStillServing();
}

TEST_F(BadInputTest, HugePageSizeIsInvalidArgumentNamingTheLimit) {
  grpc::Status status = Query("互联网", 1000000);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size"));
  ExpectStillServing();
}

// ListArticles' page tokens are opaque (not an article id a caller could
// construct) and page through every article once; anything else is refused.
TEST_F(BadInputTest, ListArticlesTokensAreOpaqueAndRefuseRawIds) {
  for (int n = 1; n < 5; ++n) {
    v1::IngestArticleResponse ingested;
    ASSERT_TRUE(ingest_->Ingest(SeedPage(n), &ingested).ok());
  }
  std::vector<std::string> ids;
  v1::ListArticlesRequest request;
  request.set_page_size(2);
  for (int page = 0; page < 100; ++page) {
    grpc::ClientContext context;
    v1::ListArticlesResponse response;
    ASSERT_TRUE(ingest_->stub().ListArticles(&context, request, &response).ok());
    for (const v1::Article& a : response.articles()) {
      ids.push_back(a.id());
      EXPECT_THAT(response.next_page_token(), Not(HasSubstr(a.id())));
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_GE(ids.size(), 5u);
  std::vector<std::string> unique = ids;
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end()) << "an article listed twice";

  for (const std::string& bad : {ids.front(), std::string("bDEu!!"), std::string(3000, 'A')}) {
    grpc::ClientContext context;
    v1::ListArticlesRequest raw;
    raw.set_page_token(bad);
    v1::ListArticlesResponse response;
    grpc::Status status = ingest_->stub().ListArticles(&context, raw, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(status.error_message(), HasSubstr("not a token from ListArticles"));
  }
  ExpectStillServing();
}

TEST_F(BadInputTest, MixedChineseEnglishQueriesParse) {
  // Xapian 1.4.22's QueryParser throws on these with FLAG_CJK_NGRAM.
  for (const char* query : {"COO 网络 5G", "iPhone 手机壳 case", "QQ群 互联网"}) {
    SCOPED_TRACE(query);
    EXPECT_TRUE(Query(query).ok());
  }
}

TEST_F(BadInputTest, UnknownArticleIsNotFound) {
  grpc::ClientContext context;
  v1::GetArticleRequest request;
  request.set_id("0123456789abcdef");
  v1::Article article;
  EXPECT_EQ(ingest_->stub().GetArticle(&context, request, &article).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace newsearch::testing
