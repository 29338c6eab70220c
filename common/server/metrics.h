// Prometheus metrics on prometheus-cpp (Debian's prometheus-cpp-dev, core):
// a Registry owns metric families; each family has a name, help text and a
// fixed list of label names, and hands out one child metric per label-value
// tuple. prometheus-cpp's Counter, Gauge and Histogram hold the values, its
// TextSerializer renders text format 0.0.4 and its name checks validate;
// this layer adds what the project relies on: Status errors instead of
// exceptions, the `newsearch_` prefix, positional label values, callback
// gauges, and a stable exposition (families by name, children by label
// values, labels in the declared order).
// MetricsHttpServer (metrics_http.h) serves it on GET /metrics and
// RpcObserverFactory (rpc_observer.h) fills it for every RPC.
//
//   Registry registry;
//   auto* requests = *registry.AddCounter("newsearch_ingest_pages_total",
//                                         "Pages received.", {"outcome"});
//   requests->WithLabels({"parsed"}).Increment();
//
// Limitations: no summaries, no exemplars, no timestamps, no OpenMetrics;
// NaN renders as "Nan" (prometheus-cpp's spelling, which Prometheus parses).
#ifndef NEWSEARCH_COMMON_SERVER_METRICS_H_
#define NEWSEARCH_COMMON_SERVER_METRICS_H_

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

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
  double Value() const { return value_.Value(); }
  // Returns the sample for prometheus-cpp's serializer (without labels).
  prometheus::ClientMetric Collect() const { return value_.Collect(); }

 private:
  prometheus::Counter value_;
};

// A value that goes up and down. Thread-safe and lock-free.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.Set(value); }
  // Adds `delta` (may be negative).
  void Add(double delta) { value_.Increment(delta); }
  double Value() const { return value_.Value(); }
  prometheus::ClientMetric Collect() const { return value_.Collect(); }

 private:
  prometheus::Gauge value_;
};

// Counts observations into fixed buckets (upper bounds, inclusive) plus an
// implicit +Inf bucket, and keeps their sum. Thread-safe (prometheus-cpp
// takes a short lock per observation); _count always equals the +Inf bucket.
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
  double Sum() const { return values_.Collect().histogram.sample_sum; }
  uint64_t Count() const { return values_.Collect().histogram.sample_count; }
  prometheus::ClientMetric Collect() const { return values_.Collect(); }

 private:
  const std::vector<double> upper_bounds_;
  prometheus::Histogram values_;
};

// Buckets for RPC latencies in seconds: 0.5 ms to 10 s.
std::vector<double> DefaultLatencyBucketsSeconds();

// The label values of one child metric, in the family's label-name order.
using LabelValues = std::vector<std::string>;

// Base of every family: name, help, label names and collection.
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

  // Appends the family's current samples to `out` for prometheus-cpp's
  // serializer: help escaped, children sorted by label values, labels in the
  // declared order. A family with labels and no child yet appends only its
  // name and help (so # HELP and # TYPE show from the start).
  virtual void Collect(std::vector<prometheus::MetricFamily>* out) const = 0;

 protected:
  MetricFamilyBase(Kind kind, std::string name, std::string help,
                   std::vector<std::string> label_names);

  // Returns a family of `type` with this name and (escaped) help, no samples.
  prometheus::MetricFamily Header(prometheus::MetricType type) const;

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

  void Collect(std::vector<prometheus::MetricFamily>* out) const override;

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
  Registry();
  ~Registry();
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

  // Returns every family sorted by name, for prometheus-cpp's serializer.
  std::vector<prometheus::MetricFamily> Collect() const;
  // Renders every family sorted by name in text format 0.0.4.
  std::string Expose() const;
  // The registry as a prometheus-cpp Collectable, for prometheus::Exposer.
  // It stays alive as long as the registry; afterwards the weak pointer
  // expires and an exposer skips it.
  std::weak_ptr<prometheus::Collectable> collectable() const { return collectable_; }

 private:
  template <typename T>
  absl::StatusOr<MetricFamily<T>*> AddFamily(MetricFamilyBase::Kind kind, absl::string_view name,
                                             absl::string_view help,
                                             std::vector<std::string> label_names,
                                             std::vector<double> buckets);

  // Hands Collect to an exposer (points back at this registry).
  std::shared_ptr<prometheus::Collectable> collectable_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<MetricFamilyBase>, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
};

// Returns OK when `name` is a valid metric name with the `newsearch_` prefix.
absl::Status ValidateMetricName(absl::string_view name);
// Returns OK when `name` is a valid, non-reserved label name.
absl::Status ValidateLabelName(absl::string_view name);

}  // namespace newsearch::server

#endif  // NEWSEARCH_COMMON_SERVER_METRICS_H_
