// A small, thread-safe Prometheus metrics layer (Debian 12 ships no
// prometheus-cpp). A Registry owns metric families; each family has a name,
// help text and a fixed list of label names, and hands out one child metric
// per label-value tuple. Registry::Expose renders everything in the
// Prometheus text exposition format 0.0.4, which MetricsHttpServer
// (metrics_http.h) serves on GET /metrics and RpcObserverFactory
// (rpc_observer.h) fills for every RPC.
//
//   Registry registry;
//   auto* requests = *registry.AddCounter("newsearch_ingest_pages_total",
//                                         "Pages received.", {"outcome"});
//   requests->WithLabels({"parsed"}).Increment();
//
// Limitations: no summaries, no exemplars, no timestamps, no OpenMetrics.
#ifndef NEWSEARCH_COMMON_SERVER_METRICS_H_
#define NEWSEARCH_COMMON_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace newsearch::server {

// Prefix every metric name must carry (STYLE.md: newsearch_<service>_<what>_<unit>).
inline constexpr absl::string_view kMetricNamePrefix = "newsearch_";

// A monotonically increasing value. Thread-safe and lock-free.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Adds `amount`. Negative and NaN amounts are a caller bug: they assert in
  // debug builds and are ignored otherwise, so the counter never decreases.
  void Increment(double amount = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down. Thread-safe and lock-free.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  // Adds `delta` (may be negative).
  void Add(double delta);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Counts observations into fixed buckets (upper bounds, inclusive) plus an
// implicit +Inf bucket, and keeps their sum. Thread-safe and lock-free. A
// scrape that races with Observe may see the sum and the buckets one
// observation apart; _count always equals the +Inf bucket.
class Histogram {
 public:
  // `upper_bounds` must be strictly increasing and finite (the registry
  // checks this before constructing one).
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records `value` in the first bucket whose bound is >= value. NaN is
  // ignored.
  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Returns cumulative counts, one per bound plus the last for +Inf.
  std::vector<uint64_t> CumulativeCounts() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t Count() const;

 private:
  const std::vector<double> upper_bounds_;
  // Per-bucket (non-cumulative) counts; the last entry is the +Inf bucket.
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;
  std::atomic<double> sum_{0.0};
};

// Buckets for RPC latencies in seconds: 0.5 ms to 10 s.
std::vector<double> DefaultLatencyBucketsSeconds();

// The label values of one child metric, in the family's label-name order.
using LabelValues = std::vector<std::string>;

// Base of every family: name, help, label names and rendering.
class MetricFamilyBase {
 public:
  enum class Kind { kCounter, kGauge, kHistogram, kCallbackGauge };

  virtual ~MetricFamilyBase() = default;
  MetricFamilyBase(const MetricFamilyBase&) = delete;
  MetricFamilyBase& operator=(const MetricFamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  Kind kind() const { return kind_; }

  // Appends the # HELP / # TYPE lines and every sample to `out`.
  virtual void Render(std::string* out) const = 0;

 protected:
  MetricFamilyBase(Kind kind, std::string name, std::string help,
                   std::vector<std::string> label_names);

  // Appends `# HELP` and `# TYPE` lines.
  void RenderHeader(std::string* out) const;

 private:
  const Kind kind_;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
};

// A family of Counters, Gauges or Histograms that share a name and label
// names; one child per label-value tuple, created on first use and alive as
// long as the registry. Thread-safe: WithLabels takes a mutex, the returned
// metric updates with atomics, so hot paths may keep the reference.
template <typename T>
class MetricFamily final : public MetricFamilyBase {
 public:
  // Returns the child for `values` (one per label name, in order), creating
  // it on first use. The reference stays valid for the registry's lifetime.
  // A wrong number of values is a caller bug: it asserts in debug builds and
  // otherwise returns a detached metric that is never exposed.
  T& WithLabels(const LabelValues& values);
  // Returns the only child of a family without labels.
  T& Get() { return WithLabels({}); }

  void Render(std::string* out) const override;

 private:
  friend class Registry;
  MetricFamily(Kind kind, std::string name, std::string help, std::vector<std::string> label_names,
               std::vector<double> buckets);

  std::unique_ptr<T> NewChild() const;

  const std::vector<double> buckets_;  // Histograms only.
  mutable absl::Mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<T> detached_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

// Owns every metric family of a process and renders them. Thread-safe.
// Families are never removed except callback gauges; pointers returned by
// Add* stay valid for the registry's lifetime.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each Add* returns INVALID_ARGUMENT when the name does not match
  // [a-zA-Z_:][a-zA-Z0-9_:]* or lacks the `newsearch_` prefix, when a label
  // name does not match [a-zA-Z_][a-zA-Z0-9_]*, starts with "__" or repeats.
  // Adding a name that exists returns the existing family when kind, help,
  // label names (and buckets) are identical, ALREADY_EXISTS otherwise.
  absl::StatusOr<CounterFamily*> AddCounter(absl::string_view name, absl::string_view help,
                                            std::vector<std::string> label_names = {});
  absl::StatusOr<GaugeFamily*> AddGauge(absl::string_view name, absl::string_view help,
                                        std::vector<std::string> label_names = {});
  // `buckets` are finite, strictly increasing upper bounds; +Inf is added.
  // The label name "le" is reserved. INVALID_ARGUMENT otherwise.
  absl::StatusOr<HistogramFamily*> AddHistogram(absl::string_view name, absl::string_view help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> buckets);

  // Adds a gauge without labels whose value is `callback()`, evaluated at
  // each Expose (e.g. head seq, document count). The callback runs on the
  // scraping thread without the registry's lock held, so it may take its
  // own locks; it must be thread-safe and stay callable until
  // RemoveCallbackGauge returns. ALREADY_EXISTS for any existing name.
  absl::Status AddCallbackGauge(absl::string_view name, absl::string_view help,
                                std::function<double()> callback);
  // Removes a callback gauge; on return the callback is not running and will
  // not run again. NOT_FOUND when `name` is not a callback gauge.
  absl::Status RemoveCallbackGauge(absl::string_view name);

  // Renders every family sorted by name in text format 0.0.4.
  std::string Expose() const;

 private:
  template <typename T>
  absl::StatusOr<MetricFamily<T>*> AddFamily(MetricFamilyBase::Kind kind, absl::string_view name,
                                             absl::string_view help,
                                             std::vector<std::string> label_names,
                                             std::vector<double> buckets);

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<MetricFamilyBase>, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
};

// Returns OK when `name` is a valid metric name with the `newsearch_` prefix.
absl::Status ValidateMetricName(absl::string_view name);
// Returns OK when `name` is a valid, non-reserved label name.
absl::Status ValidateLabelName(absl::string_view name);
// Escapes a label value for the text format: backslash, double quote and
// newline; everything else (UTF-8 included) passes through.
std::string EscapeLabelValue(absl::string_view value);
// Formats a sample value: integers up to 2^53 without exponent, other
// values in the shortest form that round-trips (fixed notation from 1e-4 to
// 1e15, scientific outside); "+Inf", "-Inf", "NaN".
std::string FormatMetricValue(double value);

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_METRICS_H_
