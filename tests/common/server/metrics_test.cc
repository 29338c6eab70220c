#include "common/server/metrics.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RegistryTest, ExposesEachKindInTextFormat) {
  Registry registry;
  auto counter = registry.AddCounter("newsearch_test_pages_total", "Pages seen.", {"outcome"});
  ASSERT_TRUE(counter.ok()) << counter.status();
  auto gauge = registry.AddGauge("newsearch_test_queue_depth", "Items queued.");
  ASSERT_TRUE(gauge.ok()) << gauge.status();
  auto histogram = registry.AddHistogram("newsearch_test_latency_seconds", "Latency.", {"method"},
                                         {0.25, 0.5, 1});
  ASSERT_TRUE(histogram.ok()) << histogram.status();
  ASSERT_TRUE(
      registry.AddCallbackGauge("newsearch_test_head_seq", "Head seq.", [] { return 42.0; }).ok());

  (*counter)->WithLabels({"parsed"}).Increment();
  (*counter)->WithLabels({"parsed"}).Increment(2);
  (*counter)->WithLabels({"failed"}).Increment(0.5);
  (*gauge)->Get().Set(7);
  (*gauge)->Get().Add(-2.5);
  HistogramFamily& h = **histogram;
  h.WithLabels({"Search"}).Observe(0.125);
  h.WithLabels({"Search"}).Observe(0.25);  // On a bound: counted in that bucket (le).
  h.WithLabels({"Search"}).Observe(0.75);
  h.WithLabels({"Search"}).Observe(3);

  // Families sorted by name, children by label values.
  EXPECT_EQ(registry.Expose(),
            "# HELP newsearch_test_head_seq Head seq.\n"
            "# TYPE newsearch_test_head_seq gauge\n"
            "newsearch_test_head_seq 42\n"
            "# HELP newsearch_test_latency_seconds Latency.\n"
            "# TYPE newsearch_test_latency_seconds histogram\n"
            "newsearch_test_latency_seconds_count{method=\"Search\"} 4\n"
            "newsearch_test_latency_seconds_sum{method=\"Search\"} 4.125\n"
            "newsearch_test_latency_seconds_bucket{method=\"Search\",le=\"0.25\"} 2\n"
            "newsearch_test_latency_seconds_bucket{method=\"Search\",le=\"0.5\"} 2\n"
            "newsearch_test_latency_seconds_bucket{method=\"Search\",le=\"1\"} 3\n"
            "newsearch_test_latency_seconds_bucket{method=\"Search\",le=\"+Inf\"} 4\n"
            "# HELP newsearch_test_pages_total Pages seen.\n"
            "# TYPE newsearch_test_pages_total counter\n"
            "newsearch_test_pages_total{outcome=\"failed\"} 0.5\n"
            "newsearch_test_pages_total{outcome=\"parsed\"} 3\n"
            "# HELP newsearch_test_queue_depth Items queued.\n"
            "# TYPE newsearch_test_queue_depth gauge\n"
            "newsearch_test_queue_depth 4.5\n");
}

TEST(RegistryTest, FamilyWithoutLabelsIsExposedAtZeroBeforeUse) {
  Registry registry;
  ASSERT_TRUE(registry.AddCounter("newsearch_test_errors_total", "Errors.").ok());
  ASSERT_TRUE(registry.AddHistogram("newsearch_test_size_bytes", "Size.", {}, {10}).ok());
  EXPECT_EQ(registry.Expose(),
            "# HELP newsearch_test_errors_total Errors.\n"
            "# TYPE newsearch_test_errors_total counter\n"
            "newsearch_test_errors_total 0\n"
            "# HELP newsearch_test_size_bytes Size.\n"
            "# TYPE newsearch_test_size_bytes histogram\n"
            "newsearch_test_size_bytes_count 0\n"
            "newsearch_test_size_bytes_sum 0\n"
            "newsearch_test_size_bytes_bucket{le=\"10\"} 0\n"
            "newsearch_test_size_bytes_bucket{le=\"+Inf\"} 0\n");
}

TEST(RegistryTest, FamilyWithLabelsShowsOnlyHeaderBeforeUse) {
  Registry registry;
  ASSERT_TRUE(registry.AddGauge("newsearch_test_streams", "Streams.", {"method"}).ok());
  EXPECT_EQ(registry.Expose(),
            "# HELP newsearch_test_streams Streams.\n"
            "# TYPE newsearch_test_streams gauge\n");
}

struct EscapeCase {
  std::string reason;
  std::string value;
  std::string expected_line;
};

TEST(RegistryTest, EscapesLabelValues) {
  const std::vector<EscapeCase> cases = {
      {"plain ASCII passes through", "IngestArticle",
       R"(newsearch_test_total{v="IngestArticle"} 1)"},
      {"double quotes are backslash-escaped", "say \"hi\"",
       R"(newsearch_test_total{v="say \"hi\""} 1)"},
      {"backslashes are doubled", "C:\\dir\\", R"(newsearch_test_total{v="C:\\dir\\"} 1)"},
      {"newlines become \\n", "a\nb", R"(newsearch_test_total{v="a\nb"} 1)"},
      {"Chinese UTF-8 passes through unescaped", "中国台州网",
       R"(newsearch_test_total{v="中国台州网"} 1)"},
      {"tabs and braces need no escape", "a\t{b}", "newsearch_test_total{v=\"a\t{b}\"} 1"},
      {"empty value is allowed", "", R"(newsearch_test_total{v=""} 1)"},
  };
  for (const EscapeCase& c : cases) {
    Registry registry;
    auto family = registry.AddCounter("newsearch_test_total", "Test.", {"v"});
    ASSERT_TRUE(family.ok()) << family.status();
    (*family)->WithLabels({c.value}).Increment();
    EXPECT_THAT(registry.Expose(), HasSubstr(c.expected_line + "\n")) << c.reason;
  }
}

TEST(RegistryTest, EscapesHelpBackslashAndNewlineButNotQuotes) {
  Registry registry;
  ASSERT_TRUE(registry.AddGauge("newsearch_test_g", "Line \"one\"\nback\\slash 中文").ok());
  EXPECT_THAT(registry.Expose(),
              HasSubstr("# HELP newsearch_test_g Line \"one\"\\nback\\\\slash 中文\n"));
}

struct FormatCase {
  std::string reason;
  double value;
  std::string expected;
};

TEST(RegistryTest, FormatsSampleValues) {
  const std::vector<FormatCase> cases = {
      {"zero", 0.0, "0"},
      {"integers have no exponent", 1234567.0, "1234567"},
      {"negative integers", -3.0, "-3"},
      {"2^53 is still exact", 9007199254740992.0, "9007199254740992"},
      {"beyond 16 digits uses the exponent", 1e20, "1e+20"},
      {"fractions use the shortest form", 0.1, "0.1"},
      {"small bucket bounds stay in fixed notation", 0.0005, "0.0005"},
      {"negative fractions", -2.5, "-2.5"},
      {"tiny values use scientific notation", 0.000015, "1.5e-05"},
      {"large non-integers use scientific notation", 1.5e300, "1.5e+300"},
      {"positive infinity", std::numeric_limits<double>::infinity(), "+Inf"},
      {"negative infinity", -std::numeric_limits<double>::infinity(), "-Inf"},
      {"not a number (prometheus-cpp's spelling)", std::nan(""), "Nan"},
  };
  for (const FormatCase& c : cases) {
    Registry registry;
    auto gauge = registry.AddGauge("newsearch_test_g", "G.");
    ASSERT_TRUE(gauge.ok()) << gauge.status();
    (*gauge)->Get().Set(c.value);
    EXPECT_THAT(registry.Expose(), HasSubstr("\nnewsearch_test_g " + c.expected + "\n"))
        << c.reason;
  }
}

struct NameCase {
  std::string reason;
  std::string name;
  bool valid;
};

TEST(RegistryTest, ValidatesMetricNames) {
  const std::vector<NameCase> cases = {
      {"project prefix and snake case", "newsearch_ingest_pages_total", true},
      {"colons are allowed in metric names", "newsearch_ingest:rate5m", true},
      {"digits after the first character", "newsearch_v1_x2", true},
      {"missing project prefix", "ingest_pages_total", false},
      {"prefix alone names nothing", "newsearch_", false},
      {"dash is not allowed", "newsearch_ingest-pages", false},
      {"space is not allowed", "newsearch_ingest pages", false},
      {"non-ASCII is not allowed", "newsearch_页面", false},
      {"leading digit", "1newsearch_x", false},
      {"empty", "", false},
  };
  for (const NameCase& c : cases) {
    Registry registry;
    auto family = registry.AddCounter(c.name, "Help.");
    EXPECT_EQ(family.ok(), c.valid) << c.reason << ": " << family.status();
    if (!c.valid) {
      EXPECT_EQ(family.status().code(), absl::StatusCode::kInvalidArgument) << c.reason;
    }
  }
}

TEST(RegistryTest, ValidatesLabelNames) {
  const std::vector<NameCase> cases = {
      {"snake case", "method", true},
      {"leading underscore", "_shard", true},
      {"colon is not allowed in label names", "a:b", false},
      {"double underscore is reserved", "__name__", false},
      {"leading digit", "1code", false},
      {"empty", "", false},
  };
  for (const NameCase& c : cases) {
    Registry registry;
    auto family = registry.AddGauge("newsearch_test_g", "Help.", {c.name});
    EXPECT_EQ(family.ok(), c.valid) << c.reason << ": " << family.status();
  }
}

TEST(RegistryTest, RejectsRepeatedLabelNamesAndLeOnHistograms) {
  Registry registry;
  EXPECT_EQ(registry.AddCounter("newsearch_test_a_total", "A.", {"x", "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("newsearch_test_b", "B.", {"le"}, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

struct BucketCase {
  std::string reason;
  std::vector<double> buckets;
  bool valid;
};

TEST(RegistryTest, ValidatesHistogramBuckets) {
  const std::vector<BucketCase> cases = {
      {"increasing bounds", {0.1, 1, 10}, true},
      {"no bounds leaves only +Inf", {}, true},
      {"negative bounds are fine if increasing", {-1, 0, 1}, true},
      {"equal neighbours", {1, 1}, false},
      {"decreasing", {2, 1}, false},
      {"infinite bound (+Inf is implicit)", {1, std::numeric_limits<double>::infinity()}, false},
      {"NaN bound", {std::nan("")}, false},
  };
  for (const BucketCase& c : cases) {
    Registry registry;
    auto family = registry.AddHistogram("newsearch_test_h", "H.", {}, c.buckets);
    EXPECT_EQ(family.ok(), c.valid) << c.reason << ": " << family.status();
  }
}

TEST(RegistryTest, AddingSameFamilyTwiceReturnsItAndConflictsFail) {
  Registry registry;
  auto first = registry.AddCounter("newsearch_test_total", "Help.", {"a"});
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = registry.AddCounter("newsearch_test_total", "Help.", {"a"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*first, *again);

  EXPECT_EQ(registry.AddGauge("newsearch_test_total", "Help.", {"a"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.AddCounter("newsearch_test_total", "Help.", {"b"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.AddCounter("newsearch_test_total", "Other help.", {"a"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.AddCallbackGauge("newsearch_test_total", "Help.", [] { return 1.0; }).code(),
            absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(registry.AddHistogram("newsearch_test_h", "H.", {}, {1, 2}).ok());
  EXPECT_TRUE(registry.AddHistogram("newsearch_test_h", "H.", {}, {1, 2}).ok());
  EXPECT_EQ(registry.AddHistogram("newsearch_test_h", "H.", {}, {1, 3}).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(RegistryTest, WithLabelsReturnsStableReference) {
  Registry registry;
  auto family = registry.AddCounter("newsearch_test_total", "Help.", {"method", "code"});
  ASSERT_TRUE(family.ok());
  Counter& a = (*family)->WithLabels({"IngestArticle", "OK"});
  for (int i = 0; i < 100; ++i) (*family)->WithLabels({"Other", absl::StrCat(i)});
  EXPECT_EQ(&a, &(*family)->WithLabels({"IngestArticle", "OK"}));
}

TEST(RegistryTest, CallbackGaugeIsEvaluatedAtEachScrapeUntilRemoved) {
  Registry registry;
  std::atomic<int> head_seq{5};
  ASSERT_TRUE(registry
                  .AddCallbackGauge("newsearch_test_head_seq", "Head.",
                                    [&head_seq] { return static_cast<double>(head_seq.load()); })
                  .ok());
  EXPECT_THAT(registry.Expose(), HasSubstr("newsearch_test_head_seq 5\n"));
  head_seq = 9;
  EXPECT_THAT(registry.Expose(), HasSubstr("newsearch_test_head_seq 9\n"));

  ASSERT_TRUE(registry.RemoveCallbackGauge("newsearch_test_head_seq").ok());
  EXPECT_THAT(registry.Expose(), Not(HasSubstr("newsearch_test_head_seq")));
  EXPECT_EQ(registry.RemoveCallbackGauge("newsearch_test_head_seq").code(),
            absl::StatusCode::kNotFound);
}

TEST(RegistryTest, RemoveCallbackGaugeRefusesOtherKinds) {
  Registry registry;
  ASSERT_TRUE(registry.AddGauge("newsearch_test_g", "G.").ok());
  EXPECT_EQ(registry.RemoveCallbackGauge("newsearch_test_g").code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(registry.Expose(), HasSubstr("newsearch_test_g 0\n"));
}

TEST(RegistryTest, ConcurrentUpdatesSumCorrectly) {
  Registry registry;
  auto counter = registry.AddCounter("newsearch_test_total", "C.", {"method", "code"});
  auto gauge = registry.AddGauge("newsearch_test_g", "G.");
  auto histogram = registry.AddHistogram("newsearch_test_h", "H.", {"method"}, {0.5});
  ASSERT_TRUE(counter.ok() && gauge.ok() && histogram.ok());

  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        // Looked up every time, so child creation races with updates too.
        (*counter)->WithLabels({"Search", i % 2 == 0 ? "OK" : "INTERNAL"}).Increment();
        (*counter)->WithLabels({absl::StrCat("M", i % 7), "OK"}).Increment(0.5);
        (*gauge)->Get().Add(t % 2 == 0 ? 1 : -1);
        (*histogram)->WithLabels({"Search"}).Observe(i % 4 == 0 ? 1.0 : 0.25);
      }
    });
  }
  // Scrapes concurrently with the updates; must not crash or deadlock.
  for (int i = 0; i < 20; ++i) registry.Expose();
  for (std::thread& thread : threads) thread.join();

  const double per_code = kThreads * kIterations / 2.0;
  EXPECT_EQ((*counter)->WithLabels({"Search", "OK"}).Value(), per_code);
  EXPECT_EQ((*counter)->WithLabels({"Search", "INTERNAL"}).Value(), per_code);
  double m_total = 0;
  for (int m = 0; m < 7; ++m)
    m_total += (*counter)->WithLabels({absl::StrCat("M", m), "OK"}).Value();
  EXPECT_EQ(m_total, kThreads * kIterations * 0.5);
  EXPECT_EQ((*gauge)->Get().Value(), 0.0);

  const Histogram& h = (*histogram)->WithLabels({"Search"});
  EXPECT_EQ(h.Count(), static_cast<uint64_t>(kThreads * kIterations));
  EXPECT_EQ(h.CumulativeCounts()[0], static_cast<uint64_t>(kThreads * kIterations * 3 / 4));
  EXPECT_EQ(h.Sum(), kThreads * (kIterations / 4 * 1.0 + kIterations * 3 / 4 * 0.25));
}

}  // namespace
}  // namespace newsearch::server
