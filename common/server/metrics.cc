#include "common/server/metrics.h"

#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

#include <cassert>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace newsearch::server {
namespace {

// Escapes HELP text: only backslash and newline (quotes stay as they are).
std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Appends `values` as labels of `metric`, in the family's declared order.
void AddLabels(const std::vector<std::string>& names, const LabelValues& values,
               prometheus::ClientMetric* metric) {
  for (size_t i = 0; i < names.size(); ++i) metric->label.push_back({names[i], values[i]});
}

// A gauge without labels whose value comes from a callback at scrape time.
class CallbackGauge final : public MetricFamilyBase {
 public:
  CallbackGauge(std::string name, std::string help, std::function<double()> callback)
      : MetricFamilyBase(Kind::kCallbackGauge, std::move(name), std::move(help), {}),
        callback_(std::move(callback)) {}

  void Collect(std::vector<prometheus::MetricFamily>* out) const override {
    // Held while the callback runs so that Disable waits for it.
    absl::MutexLock lock(&mu_);
    if (!callback_) return;  // Removed while a scrape was under way.
    prometheus::MetricFamily family = Header(prometheus::MetricType::Gauge);
    family.metric.emplace_back();
    family.metric.back().gauge.value = callback_();
    out->push_back(std::move(family));
  }

  void Disable() {
    absl::MutexLock lock(&mu_);
    callback_ = nullptr;
  }

 private:
  mutable absl::Mutex mu_;
  std::function<double()> callback_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void Counter::Increment(double amount) {
  // Callers pass durations and counts they computed; a negative amount is a
  // bug in the caller, never input-driven.
  assert(amount >= 0.0 && "Counter::Increment with a negative or NaN amount");
  if (!(amount >= 0.0)) return;
  value_.Increment(amount);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), values_(upper_bounds_) {}

void Histogram::Observe(double value) {
  // prometheus-cpp would count NaN in +Inf and turn the sum into NaN.
  if (std::isnan(value)) return;
  values_.Observe(value);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  const prometheus::ClientMetric metric = values_.Collect();
  std::vector<uint64_t> counts;
  counts.reserve(metric.histogram.bucket.size());
  for (const prometheus::ClientMetric::Bucket& bucket : metric.histogram.bucket) {
    counts.push_back(bucket.cumulative_count);
  }
  return counts;
}

std::vector<double> DefaultLatencyBucketsSeconds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricFamilyBase::MetricFamilyBase(Kind kind, std::string name, std::string help,
                                   std::vector<std::string> label_names)
    : kind_(kind),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)) {}

prometheus::MetricFamily MetricFamilyBase::Header(prometheus::MetricType type) const {
  prometheus::MetricFamily family;
  family.name = name_;
  // prometheus-cpp 1.0 writes help as it is: a newline would end the line.
  family.help = EscapeHelp(help_);
  family.type = type;
  return family;
}

template <typename T>
MetricFamily<T>::MetricFamily(Kind kind, std::string name, std::string help,
                              std::vector<std::string> label_names, std::vector<double> buckets)
    : MetricFamilyBase(kind, std::move(name), std::move(help), std::move(label_names)),
      buckets_(std::move(buckets)) {
  // A family without labels exposes its single child (at zero) from the start.
  if (this->label_names().empty()) WithLabels({});
}

template <typename T>
std::unique_ptr<T> MetricFamily<T>::NewChild() const {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(buckets_);
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
T& MetricFamily<T>::WithLabels(const LabelValues& values) {
  absl::MutexLock lock(&mu_);
  if (values.size() != label_names().size()) {
    // Label arity is fixed in code next to the family's definition.
    assert(false && "MetricFamily::WithLabels: wrong number of label values");
    if (detached_ == nullptr) detached_ = NewChild();
    return *detached_;
  }
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, NewChild()).first;
  return *it->second;
}

template <typename T>
void MetricFamily<T>::Collect(std::vector<prometheus::MetricFamily>* out) const {
  constexpr prometheus::MetricType kType =
      std::is_same_v<T, Counter> ? prometheus::MetricType::Counter
      : std::is_same_v<T, Gauge> ? prometheus::MetricType::Gauge
                                 : prometheus::MetricType::Histogram;
  prometheus::MetricFamily family = Header(kType);
  {
    absl::MutexLock lock(&mu_);
    family.metric.reserve(children_.size());
    for (const auto& [values, child] : children_) {
      family.metric.push_back(child->Collect());
      AddLabels(label_names(), values, &family.metric.back());
    }
  }
  out->push_back(std::move(family));
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

absl::Status ValidateMetricName(absl::string_view name) {
  if (!prometheus::CheckMetricName(std::string(name))) {
    return absl::InvalidArgumentError(absl::StrCat("metric name \"", name.substr(0, 100),
                                                   "\" does not match [a-zA-Z_:][a-zA-Z0-9_:]*"));
  }
  if (!absl::StartsWith(name, kMetricNamePrefix) || name.size() == kMetricNamePrefix.size()) {
    return absl::InvalidArgumentError(absl::StrCat("metric name \"", name, "\" must start with \"",
                                                   kMetricNamePrefix,
                                                   "\" followed by <service>_<what>_<unit>"));
  }
  return absl::OkStatus();
}

absl::Status ValidateLabelName(absl::string_view name) {
  // prometheus-cpp's check also refuses the "__" prefix Prometheus reserves.
  if (!prometheus::CheckLabelName(std::string(name))) {
    return absl::InvalidArgumentError(
        absl::StrCat("label name \"", name.substr(0, 100),
                     "\" does not match [a-zA-Z_][a-zA-Z0-9_]* or starts with \"__\""));
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<MetricFamily<T>*> Registry::AddFamily(MetricFamilyBase::Kind kind,
                                                     absl::string_view name, absl::string_view help,
                                                     std::vector<std::string> label_names,
                                                     std::vector<double> buckets) {
  if (absl::Status status = ValidateMetricName(name); !status.ok()) return status;
  std::set<absl::string_view> seen;
  for (const std::string& label : label_names) {
    if (absl::Status status = ValidateLabelName(label); !status.ok()) return status;
    if (!seen.insert(label).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric \"", name, "\" repeats label name \"", label, "\""));
    }
    if (kind == MetricFamilyBase::Kind::kHistogram && label == "le") {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram \"", name, "\" may not use the label name \"le\""));
    }
  }
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1]))) {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram \"", name, "\" bucket ", i, " (", buckets[i],
                       ") must be finite and greater than the bucket before it"));
    }
  }

  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* existing = dynamic_cast<MetricFamily<T>*>(it->second.get());
    if (existing != nullptr && existing->kind() == kind && existing->help() == help &&
        existing->label_names() == label_names && existing->buckets_ == buckets) {
      return existing;
    }
    return absl::AlreadyExistsError(absl::StrCat(
        "metric \"", name, "\" is already registered with another type, help, labels or buckets"));
  }
  std::shared_ptr<MetricFamily<T>> family(new MetricFamily<T>(
      kind, std::string(name), std::string(help), std::move(label_names), std::move(buckets)));
  families_.emplace(std::string(name), family);
  return family.get();
}

absl::StatusOr<CounterFamily*> Registry::AddCounter(absl::string_view name, absl::string_view help,
                                                    std::vector<std::string> label_names) {
  return AddFamily<Counter>(MetricFamilyBase::Kind::kCounter, name, help, std::move(label_names),
                            {});
}

absl::StatusOr<GaugeFamily*> Registry::AddGauge(absl::string_view name, absl::string_view help,
                                                std::vector<std::string> label_names) {
  return AddFamily<Gauge>(MetricFamilyBase::Kind::kGauge, name, help, std::move(label_names), {});
}

absl::StatusOr<HistogramFamily*> Registry::AddHistogram(absl::string_view name,
                                                        absl::string_view help,
                                                        std::vector<std::string> label_names,
                                                        std::vector<double> buckets) {
  return AddFamily<Histogram>(MetricFamilyBase::Kind::kHistogram, name, help,
                              std::move(label_names), std::move(buckets));
}

absl::Status Registry::AddCallbackGauge(absl::string_view name, absl::string_view help,
                                        std::function<double()> callback) {
  if (absl::Status status = ValidateMetricName(name); !status.ok()) return status;
  if (!callback) {
    return absl::InvalidArgumentError(
        absl::StrCat("callback gauge \"", name, "\" has no callback"));
  }
  absl::MutexLock lock(&mu_);
  if (families_.count(name) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("metric \"", name, "\" is already registered"));
  }
  families_.emplace(
      std::string(name),
      std::make_shared<CallbackGauge>(std::string(name), std::string(help), std::move(callback)));
  return absl::OkStatus();
}

absl::Status Registry::RemoveCallbackGauge(absl::string_view name) {
  std::shared_ptr<MetricFamilyBase> removed;
  {
    absl::MutexLock lock(&mu_);
    auto it = families_.find(name);
    if (it == families_.end() || it->second->kind() != MetricFamilyBase::Kind::kCallbackGauge) {
      return absl::NotFoundError(absl::StrCat("no callback gauge named \"", name, "\""));
    }
    removed = std::move(it->second);
    families_.erase(it);
  }
  // A scrape may still hold the family; Disable waits for a running callback
  // and keeps it from running again.
  static_cast<CallbackGauge*>(removed.get())->Disable();
  return absl::OkStatus();
}

namespace {

// Lets prometheus::Exposer scrape a Registry.
class RegistryCollectable final : public prometheus::Collectable {
 public:
  explicit RegistryCollectable(const Registry* registry) : registry_(registry) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return registry_->Collect(); }

 private:
  const Registry* const registry_;
};

}  // namespace

Registry::Registry() : collectable_(std::make_shared<RegistryCollectable>(this)) {}

Registry::~Registry() = default;

std::vector<prometheus::MetricFamily> Registry::Collect() const {
  std::vector<std::shared_ptr<MetricFamilyBase>> families;
  {
    absl::MutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family);
  }
  // Collected without mu_ held: callback gauges may take their owners' locks,
  // and those owners may register metrics.
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families.size());
  for (const auto& family : families) family->Collect(&out);
  return out;
}

std::string Registry::Expose() const { return prometheus::TextSerializer().Serialize(Collect()); }

}  // namespace newsearch::server
