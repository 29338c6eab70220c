// Torture tests (#9), bounded so they run in CI on two busy cores:
//   * kill -9 loop: both servers are killed at random points (at least 20
//     times each) while a stream ingests a few thousand pages, each with a
//     unique marker word, and searches run alongside. At the end every
//     acknowledged page is retrievable, found exactly once by its marker,
//     and the replica's document_count equals the store's article count.
//   * malformed-request barrage: more than 1,000 undecodable or oversized
//     requests through raw generic calls on every method of every service.
//     No INTERNAL, no UNKNOWN, no crash; both servers serve afterwards; the
//     growth of their resident memory is printed.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/security_fixtures.h"
#include "tests/integration/server_process.h"

namespace newsearch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kPages = 2000;
constexpr int kKillsPerServer = 20;

// A Latin word that occurs in page i only ("xq" and four letters).
std::string Marker(int i) {
  std::string marker = "xq";
  for (int k = 0; k < 4; ++k) {
    marker.push_back(static_cast<char>('a' + i % 26));
    i /= 26;
  }
  return marker;
}

// Puts the marker at the end of the page's longest line, a body paragraph
// (a line of its own could be taken for site chrome or a trailer).
std::string WithMarker(const std::string &page, int i) {
  const std::string sentence = absl::StrCat(" 本条记录编号 ", Marker(i), " 已归档。");
  size_t best_end = page.size();
  size_t best_length = 0;
  size_t start = 0;
  while (start < page.size()) {
    size_t end = page.find('\n', start);
    if (end == std::string::npos) end = page.size();
    if (end - start > best_length) {
      best_length = end - start;
      best_end = end;
    }
    start = end + 1;
  }
  return page.substr(0, best_end) + sentence + page.substr(best_end);
}

// A channel that reconnects quickly to a server restarted on the same port.
std::shared_ptr<grpc::Channel> QuickReconnectChannel(const std::string &address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

bool IsServerFault(grpc::StatusCode code) {
  return code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN;
}

std::string ExternalId(int i) { return absl::StrCat("torture-", i); }

TEST(TortureTest, KillNineLoopOfBothServersLosesAndDoublesNothing) {
  const std::string root = MakeTempDir("torture-kill");
  const std::string pages_dir = root + "/pages";
  const std::string generate = absl::StrCat("python3 ", SourceDir(), "/tools/gen_pages.py --count ",
                                            kPages, " --seed 23 --out ", pages_dir);
  ASSERT_EQ(std::system(generate.c_str()), 0) << generate;
  const std::vector<std::string> files = ListFiles(pages_dir);
  ASSERT_EQ(files.size(), static_cast<size_t>(kPages));
  std::vector<std::string> pages;
  for (int i = 0; i < kPages; ++i) pages.push_back(WithMarker(ReadFile(files[i]), i));

  // Small commit groups so that a kill often lands with pages parsed and
  // being written but not yet acknowledged.
  IngestFixture ingest(root, {"--commit_max_pages=32"});
  ASSERT_TRUE(ingest.Start());
  ingest.process().KeepPort();
  SearchFixture search(root + "/search", ingest.address(),
                       {"--max_batch_changes=200", "--compact_after_changes=0"});
  ASSERT_TRUE(search.Start());
  search.process().KeepPort();

  const unsigned seed = std::random_device()();
  std::cout << "kill schedule seed " << seed << std::endl;
  std::mt19937 random(seed);

  // ids[i]: the article ids page i was acknowledged with. Responses come in
  // request order, so the acknowledged pages are always a prefix.
  std::vector<std::vector<std::string>> ids(kPages);
  std::atomic<int> acknowledged{0};
  std::atomic<bool> done{false};
  std::atomic<int> page_errors{0};
  std::atomic<int> streams{0};
  // The feeder writes pages below this index only: the kill loop holds it a
  // little past the next kill point, so every kill lands while pages are
  // still arriving (a restart of the other server cannot let the feed run
  // ahead of the schedule).
  std::atomic<int> allowed{0};

  std::thread feeder([&] {
    auto stub = v1::IngestService::NewStub(QuickReconnectChannel(ingest.address()));
    const absl::Time give_up = absl::Now() + absl::Seconds(150);
    while (acknowledged.load() < kPages && absl::Now() < give_up) {
      ++streams;
      grpc::ClientContext context;
      context.set_wait_for_ready(true);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      auto stream = stub->IngestArticles(&context);
      const int first = acknowledged.load();
      std::atomic<bool> stream_over{false};
      std::thread writer([&] {
        for (int i = first; i < kPages; ++i) {
          while (i >= allowed.load() && !stream_over.load()) {
            absl::SleepFor(absl::Milliseconds(1));
          }
          if (stream_over.load()) return;
          v1::IngestArticleRequest request;
          request.set_content(pages[i]);
          request.set_external_id(ExternalId(i));
          if (!stream->Write(request)) return;
        }
        stream->WritesDone();
      });
      v1::IngestArticleResponse response;
      while (stream->Read(&response)) {
        const int i = first + static_cast<int>(response.request_index());
        if (response.has_error()) {
          ADD_FAILURE() << "page " << i << ": " << response.error().message();
          ++page_errors;
        }
        for (const auto &article : response.articles()) ids[i].push_back(article.id());
        acknowledged.store(i + 1);
      }
      stream_over.store(true);
      stream->Finish();
      writer.join();
    }
  });

  std::atomic<int> searches_ok{0};
  std::atomic<int> searches_failed{0};
  std::thread searcher([&] {
    auto stub = v1::SearchService::NewStub(QuickReconnectChannel(search.address()));
    std::mt19937 pick(seed + 1);
    while (!done.load()) {
      const int known = acknowledged.load();
      if (known == 0) {
        absl::SleepFor(absl::Milliseconds(10));
        continue;
      }
      const int i = std::uniform_int_distribution<int>(0, known - 1)(pick);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      v1::SearchRequest request;
      request.set_query(Marker(i));
      v1::SearchResponse response;
      const grpc::Status status = stub->Search(&context, request, &response);
      if (!status.ok()) {
        ++searches_failed;
        EXPECT_FALSE(IsServerFault(status.error_code()))
            << status.error_code() << " " << status.error_message();
        absl::SleepFor(absl::Milliseconds(20));
        continue;
      }
      ++searches_ok;
      absl::SleepFor(absl::Milliseconds(2));
      // The replica may not have reached page i yet, but never holds it twice.
      EXPECT_LE(response.hits_size(), 1) << Marker(i);
      if (response.hits_size() == 1 && !ids[i].empty()) {
        EXPECT_EQ(response.hits(0).id(), ids[i][0]) << Marker(i);
      }
    }
  });

  // Kill points: acknowledged-page counts spread over the ingest, each
  // taken by one server, plus a random delay so a kill falls anywhere in a
  // commit group or an index batch.
  std::vector<std::pair<int, bool>> kills;  // (acknowledged pages, kill ingest?)
  for (int k = 0; k < 2 * kKillsPerServer; ++k) {
    kills.emplace_back(std::uniform_int_distribution<int>(50, kPages - 150)(random),
                       k < kKillsPerServer);
  }
  std::sort(kills.begin(), kills.end());
  constexpr int kFeedAhead = 100;  // pages the feed may run past a kill point
  allowed.store(std::min(kPages, kills.front().first + kFeedAhead));
  int ingest_kills = 0;
  int search_kills = 0;
  for (size_t k = 0; k < kills.size(); ++k) {
    const auto &[at, kill_ingest] = kills[k];
    ASSERT_TRUE(WaitFor([&] { return acknowledged.load() >= at; }, absl::Seconds(90)))
        << "ingest stalled at " << acknowledged.load() << " pages";
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 60)(random)));
    ServerProcess &victim = kill_ingest ? ingest.process() : search.process();
    victim.Kill();
    ++(kill_ingest ? ingest_kills : search_kills);
    const int acknowledged_at_kill = acknowledged.load();
    ASSERT_TRUE(kill_ingest ? ingest.Start() : search.Start()) << "restart failed";
    // Let the feed go on to a little past the next kill point (and always
    // past what it had delivered, so a restarted stream can show progress).
    const int next_allowed =
        k + 1 < kills.size() ? kills[k + 1].first + kFeedAhead : kPages;
    allowed.store(std::min(kPages, std::max(next_allowed, acknowledged_at_kill + 10)));
    if (kill_ingest) {
      // The next kill of ingest cuts a new stream, not the reconnect.
      // (Unless the stream had already delivered every page.)
      ASSERT_TRUE(WaitFor(
          [&] { return acknowledged.load() > acknowledged_at_kill || acknowledged.load() == kPages; },
          absl::Seconds(60)))
          << "ingest did not resume after restart " << ingest_kills;
    }
  }
  feeder.join();
  ASSERT_EQ(acknowledged.load(), kPages);
  EXPECT_EQ(page_errors.load(), 0);
  EXPECT_EQ(ingest_kills, kKillsPerServer);
  EXPECT_EQ(search_kills, kKillsPerServer);
  EXPECT_GT(streams.load(), kKillsPerServer) << "every ingest kill cut a stream";

  const int64_t head = ingest.HeadSeq();
  ASSERT_GT(head, 0);
  ASSERT_TRUE(search.WaitForSeq(head, absl::Seconds(120)));
  done.store(true);
  searcher.join();
  std::cout << streams.load()
            << " ingest streams; searches during the kills: " << searches_ok.load() << " answered, "
            << searches_failed.load() << " failed (server down)" << std::endl;
  EXPECT_GT(searches_ok.load(), 0);

  // Every acknowledged page is stored once and found once by its marker.
  std::map<std::string, int> copies;  // external id -> stored articles
  int64_t stored = 0;
  v1::ListArticlesRequest list;
  list.set_page_size(1000);
  while (true) {
    grpc::ClientContext context;
    v1::ListArticlesResponse response;
    ASSERT_TRUE(ingest.stub().ListArticles(&context, list, &response).ok());
    for (const auto &article : response.articles()) ++copies[article.external_id()];
    stored += response.articles_size();
    if (response.next_page_token().empty()) break;
    list.set_page_token(response.next_page_token());
  }
  int missing = 0;
  for (int i = 0; i < kPages; ++i) {
    ASSERT_FALSE(ids[i].empty()) << "page " << i;
    EXPECT_EQ(copies[ExternalId(i)], static_cast<int>(ids[i].size())) << ExternalId(i);
    grpc::ClientContext context;
    v1::GetArticleRequest get;
    get.set_id(ids[i][0]);
    v1::Article article;
    const grpc::Status got = ingest.stub().GetArticle(&context, get, &article);
    EXPECT_TRUE(got.ok()) << ids[i][0] << ": " << got.error_message();
    v1::SearchRequest request;
    request.set_query(Marker(i));
    v1::SearchResponse response;
    ASSERT_TRUE(search.Search(request, &response).ok());
    if (response.hits_size() != 1 || response.hits(0).id() != ids[i][0]) {
      if (++missing <= 10) {
        ADD_FAILURE() << Marker(i) << " (page " << i << ") found " << response.hits_size()
                      << " times; stored body holds it: "
                      << (article.body().find(Marker(i)) != std::string::npos) << "; title "
                      << article.title();
      }
    }
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(copies.size(), static_cast<size_t>(kPages));
  EXPECT_EQ(search.Status().document_count(), stored);
}

// --- Malformed-request barrage ---------------------------------------------

// Resident set size of a process in KiB (VmRSS), -1 when unreadable.
int64_t ResidentKiB(pid_t pid) {
  for (absl::string_view line :
       absl::StrSplit(ReadFile(absl::StrCat("/proc/", pid, "/status")), '\n')) {
    if (absl::ConsumePrefix(&line, "VmRSS:")) {
      int64_t kib = 0;
      line = absl::StripAsciiWhitespace(line);
      absl::ConsumeSuffix(&line, "kB");
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib)) return kib;
    }
  }
  return -1;
}

bool StillRunning(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, WNOHANG) == 0;
}

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

std::string LengthDelimited(int field, const std::string &bytes) {
  return Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(bytes.size()) + bytes;
}

// A valid encoding of `type` with every top-level string field set.
std::string FilledEncoding(const google::protobuf::Descriptor &type) {
  std::string out;
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor *field = type.field(i);
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      out += LengthDelimited(field->number(), "互联网 barrage");
    } else if (field->type() == google::protobuf::FieldDescriptor::TYPE_INT32 ||
               field->type() == google::protobuf::FieldDescriptor::TYPE_INT64) {
      out += Varint(static_cast<uint64_t>(field->number()) << 3) + Varint(3);
    }
  }
  return out;
}

// What a barrage sends to one method: undecodable messages (each fails to
// parse as the method's request type) and oversized ones.
struct Barrage {
  std::vector<std::string> undecodable;
  std::vector<std::string> oversized;
};

Barrage MakeBarrage(const google::protobuf::MethodDescriptor &method, std::mt19937 &random,
                    size_t total) {
  const google::protobuf::Descriptor &type = *method.input_type();
  std::unique_ptr<google::protobuf::Message> probe(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type)->New());
  google::protobuf::LogSilencer quiet;  // parse failures of invalid UTF-8 log errors
  Barrage barrage;
  auto add_if_undecodable = [&](const std::string &bytes) {
    if (!probe->ParseFromString(bytes)) barrage.undecodable.push_back(bytes);
  };
  const std::string filled = FilledEncoding(type);
  // Invalid UTF-8 in each string field (lone continuation byte, overlong,
  // surrogate, truncated sequence, 0xff).
  const std::vector<std::string> not_utf8 = {
      std::string("abc\x80"
                  "def"),
      std::string("\xc0\xaf", 2), std::string("\xed\xa0\x80", 3), std::string("\xe4\xb8", 2),
      std::string("\xff\xfe", 2)};
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor *field = type.field(i);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) continue;
    for (const std::string &bad : not_utf8) {
      add_if_undecodable(filled + LengthDelimited(field->number(), bad));
    }
  }
  // Huge length prefixes: 2^31, 2^32 - 1 and 2^63 bytes announced.
  for (uint64_t huge : {uint64_t{1} << 31, (uint64_t{1} << 32) - 1, uint64_t{1} << 63}) {
    for (int field : {1, 2, 15}) {
      add_if_undecodable(Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(huge) + "abc");
    }
  }
  // Oversized: a valid message above the servers' 1 MiB message limit.
  barrage.oversized.push_back(LengthDelimited(15, std::string(3 << 19, 'x')));
  barrage.oversized.push_back(filled + LengthDelimited(14, std::string(2 << 20, 'y')));
  // Truncated encodings and random bytes until the method has its share.
  const std::string long_filled =
      filled + LengthDelimited(type.field_count() > 0 ? type.field(0)->number() : 1,
                               "一段较长的字段内容 with more bytes");
  while (barrage.undecodable.size() < total) {
    if (random() % 2 == 0) {
      const size_t cut = 1 + random() % (long_filled.size() - 1);
      add_if_undecodable(long_filled.substr(0, cut));
    } else {
      std::string bytes(1 + random() % 48, '\0');
      for (char &c : bytes) c = static_cast<char>(random());
      add_if_undecodable(bytes);
    }
  }
  return barrage;
}

TEST(TortureTest, MalformedRequestBarrageOnEveryMethodCrashesNothing) {
  const std::string root = MakeTempDir("torture-barrage");
  IngestFixture ingest(root, {"--max_message_bytes=1048576", "--max_page_bytes=524288"});
  ASSERT_TRUE(ingest.Start());
  SearchFixture search(root + "/search", ingest.address(), {"--max_message_bytes=1048576"});
  ASSERT_TRUE(search.Start());
  const std::string seed_page =
      ReadFile(SourceDir() + "/tests/testdata/pages/seeds/000_e08991b09324d687.txt");
  v1::IngestArticleResponse ingested;
  ASSERT_TRUE(ingest.Ingest(seed_page, &ingested).ok());
  ASSERT_TRUE(search.WaitForSeq(ingested.articles(0).seq()));

  const int64_t ingest_rss_before = ResidentKiB(ingest.process().pid());
  const int64_t search_rss_before = ResidentKiB(search.process().pid());
  std::mt19937 random(20269);
  int requests = 0;
  std::map<std::string, int> codes;  // "method code" -> calls
  for (const auto &[service, address] : std::vector<std::pair<std::string, std::string>>{
           {"newsearch.v1.IngestService", ingest.address()},
           {"newsearch.v1.SearchService", search.address()}}) {
    const auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    const google::protobuf::ServiceDescriptor *descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr);
    for (int m = 0; m < descriptor->method_count(); ++m) {
      const google::protobuf::MethodDescriptor *method = descriptor->method(m);
      const std::string path = absl::StrCat("/", service, "/", method->name());
      const Barrage barrage = MakeBarrage(*method, random, 90);
      auto record = [&](const grpc::Status &status) {
        ++codes[absl::StrCat(method->name(), " ", status.error_code())];
        EXPECT_FALSE(IsServerFault(status.error_code()))
            << path << ": " << status.error_code() << " " << status.error_message();
      };
      if (method->client_streaming()) {
        // Streams of ten bad messages: each gets its own error, the stream
        // ends OK.
        for (size_t i = 0; i < barrage.undecodable.size(); i += 10) {
          const std::vector<std::string> batch(
              barrage.undecodable.begin() + i,
              barrage.undecodable.begin() + std::min(i + 10, barrage.undecodable.size()));
          const RawCallResult result = CallRaw(channel, path, batch);
          requests += batch.size();
          record(result.status);
          EXPECT_TRUE(result.status.ok()) << path << ": " << result.status.error_message();
          ASSERT_EQ(result.responses.size(), batch.size()) << path;
          for (const std::string &bytes : result.responses) {
            v1::IngestArticleResponse response;
            ASSERT_TRUE(response.ParseFromString(bytes));
            EXPECT_EQ(response.error().code(),
                      static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
          }
        }
      } else {
        for (const std::string &bytes : barrage.undecodable) {
          const RawCallResult result = CallRaw(channel, path, {bytes});
          ++requests;
          record(result.status);
          EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
              << path << " " << absl::CEscape(bytes.substr(0, 40)) << ": "
              << result.status.error_message();
        }
      }
      for (const std::string &bytes : barrage.oversized) {
        const RawCallResult result = CallRaw(channel, path, {bytes});
        ++requests;
        record(result.status);
        EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
            << path << ": " << result.status.error_message();
      }
    }
  }
  EXPECT_GE(requests, 1000);
  ASSERT_TRUE(StillRunning(ingest.process().pid())) << "ingest crashed";
  ASSERT_TRUE(StillRunning(search.process().pid())) << "search crashed";
  const int64_t ingest_rss_after = ResidentKiB(ingest.process().pid());
  const int64_t search_rss_after = ResidentKiB(search.process().pid());
  std::cout << requests << " malformed requests; resident memory: ingest " << ingest_rss_before
            << " -> " << ingest_rss_after << " KiB, search " << search_rss_before << " -> "
            << search_rss_after << " KiB" << std::endl;
  for (const auto &[key, count] : codes) std::cout << "  " << key << ": " << count << std::endl;
  RecordProperty("ingest_rss_growth_kib", std::to_string(ingest_rss_after - ingest_rss_before));
  RecordProperty("search_rss_growth_kib", std::to_string(search_rss_after - search_rss_before));
  // Generous: a leak per request (a message or a call kept) would show
  // hundreds of MiB after the oversized ones.
  EXPECT_LT(ingest_rss_after - ingest_rss_before, 256 << 10);
  EXPECT_LT(search_rss_after - search_rss_before, 256 << 10);

  // Both still serve, and nothing was logged as a server fault.
  for (const std::string &address : {ingest.address(), search.address()}) {
    EXPECT_EQ(HealthStatus(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), ""), 1)
        << address;
  }
  v1::IngestArticleResponse again;
  EXPECT_TRUE(ingest.Ingest(seed_page, &again).ok());
  v1::SearchRequest request;
  request.set_query("互联网");
  v1::SearchResponse response;
  EXPECT_TRUE(search.Search(request, &response).ok());
  EXPECT_GT(response.hits_size(), 0);
  EXPECT_THAT(ReadFile(root + "/ingest-run/server-1.log"), Not(HasSubstr("\"code\":\"INTERNAL\"")));
  EXPECT_THAT(ReadFile(root + "/search-run/server-1.log"), Not(HasSubstr("\"code\":\"INTERNAL\"")));
}

}  // namespace
}  // namespace newsearch::testing
