#include "common/server/metrics.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace newsearch::server {
namespace {

// Adds with a compare-exchange loop: std::atomic<double>::fetch_add is C++20.
void AtomicAdd(std::atomic<double>* target, double delta) {
  double current = target->load(std::memory_order_relaxed);
  while (!target->compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

bool IsNameStart(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool IsNameChar(char c, bool allow_colon) {
  return IsNameStart(c, allow_colon) || (c >= '0' && c <= '9');
}

bool MatchesNamePattern(absl::string_view name, bool allow_colon) {
  if (name.empty() || !IsNameStart(name[0], allow_colon)) return false;
  return std::all_of(name.begin(), name.end(),
                     [allow_colon](char c) { return IsNameChar(c, allow_colon); });
}

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

const char* TypeName(MetricFamilyBase::Kind kind) {
  switch (kind) {
    case MetricFamilyBase::Kind::kCounter:
      return "counter";
    case MetricFamilyBase::Kind::kGauge:
      return "gauge";
    case MetricFamilyBase::Kind::kHistogram:
      return "histogram";
    case MetricFamilyBase::Kind::kCallbackGauge:
      return "gauge";
  }
  return "untyped";
}

// Appends `{a="x",b="y"}` (nothing for no labels); `extra_name`, when not
// empty, adds one more label at the end (the histogram's `le`).
void AppendLabels(const std::vector<std::string>& names, const LabelValues& values,
                  absl::string_view extra_name, absl::string_view extra_value, std::string* out) {
  if (names.empty() && extra_name.empty()) return;
  out->push_back('{');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out->push_back(',');
    absl::StrAppend(out, extra_name, "=\"", extra_value, "\"");
  }
  out->push_back('}');
}

void AppendSample(absl::string_view name, absl::string_view suffix,
                  const std::vector<std::string>& label_names, const LabelValues& values,
                  double value, std::string* out) {
  absl::StrAppend(out, name, suffix);
  AppendLabels(label_names, values, "", "", out);
  absl::StrAppend(out, " ", FormatMetricValue(value), "\n");
}

void RenderChild(const MetricFamilyBase& family, const LabelValues& values, const Counter& c,
                 std::string* out) {
  AppendSample(family.name(), "", family.label_names(), values, c.Value(), out);
}

void RenderChild(const MetricFamilyBase& family, const LabelValues& values, const Gauge& g,
                 std::string* out) {
  AppendSample(family.name(), "", family.label_names(), values, g.Value(), out);
}

void RenderChild(const MetricFamilyBase& family, const LabelValues& values, const Histogram& h,
                 std::string* out) {
  const std::vector<uint64_t> cumulative = h.CumulativeCounts();
  const std::vector<double>& bounds = h.upper_bounds();
  const std::string bucket_name = absl::StrCat(family.name(), "_bucket");
  for (size_t i = 0; i < cumulative.size(); ++i) {
    const std::string le = i < bounds.size() ? FormatMetricValue(bounds[i]) : "+Inf";
    out->append(bucket_name);
    AppendLabels(family.label_names(), values, "le", le, out);
    absl::StrAppend(out, " ", cumulative[i], "\n");
  }
  AppendSample(family.name(), "_sum", family.label_names(), values, h.Sum(), out);
  // _count is the +Inf bucket of this same snapshot, so the two always agree.
  AppendSample(family.name(), "_count", family.label_names(), values,
               static_cast<double>(cumulative.back()), out);
}

// A gauge without labels whose value comes from a callback at scrape time.
class CallbackGauge final : public MetricFamilyBase {
 public:
  CallbackGauge(std::string name, std::string help, std::function<double()> callback)
      : MetricFamilyBase(Kind::kCallbackGauge, std::move(name), std::move(help), {}),
        callback_(std::move(callback)) {}

  void Render(std::string* out) const override {
    // Held while the callback runs so that Disable waits for it.
    absl::MutexLock lock(&mu_);
    if (!callback_) return;  // Removed while a scrape was under way.
    RenderHeader(out);
    AppendSample(name(), "", {}, {}, callback_(), out);
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
  AtomicAdd(&value_, amount);
}

void Gauge::Add(double delta) { AtomicAdd(&value_, delta); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      bucket_counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) bucket_counts_[i].store(0);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const size_t bucket =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(&sum_, value);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> counts(upper_bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    total += bucket_counts_[i].load(std::memory_order_relaxed);
    counts[i] = total;
  }
  return counts;
}

uint64_t Histogram::Count() const { return CumulativeCounts().back(); }

std::vector<double> DefaultLatencyBucketsSeconds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricFamilyBase::MetricFamilyBase(Kind kind, std::string name, std::string help,
                                   std::vector<std::string> label_names)
    : kind_(kind),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)) {}

void MetricFamilyBase::RenderHeader(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n");
  absl::StrAppend(out, "# TYPE ", name_, " ", TypeName(kind_), "\n");
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
void MetricFamily<T>::Render(std::string* out) const {
  RenderHeader(out);
  absl::MutexLock lock(&mu_);
  for (const auto& [values, child] : children_) RenderChild(*this, values, *child, out);
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

absl::Status ValidateMetricName(absl::string_view name) {
  if (!MatchesNamePattern(name, /*allow_colon=*/true)) {
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
  if (!MatchesNamePattern(name, /*allow_colon=*/false)) {
    return absl::InvalidArgumentError(absl::StrCat("label name \"", name.substr(0, 100),
                                                   "\" does not match [a-zA-Z_][a-zA-Z0-9_]*"));
  }
  if (absl::StartsWith(name, "__")) {
    return absl::InvalidArgumentError(
        absl::StrCat("label name \"", name, "\" starts with \"__\", reserved by Prometheus"));
  }
  return absl::OkStatus();
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
  if (std::trunc(value) == value && std::fabs(value) <= kMaxExactInteger) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // Fixed notation where it stays short (bucket bounds read "0.0005", not
  // "5e-04"), scientific beyond; both the shortest form that round-trips.
  const double magnitude = std::fabs(value);
  const std::chars_format format = magnitude >= 1e-4 && magnitude < 1e15
                                       ? std::chars_format::fixed
                                       : std::chars_format::scientific;
  char buffer[64];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value, format);
  return std::string(buffer, result.ptr);
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
          absl::StrCat("histogram \"", name, "\" bucket ", i, " (", FormatMetricValue(buckets[i]),
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

std::string Registry::Expose() const {
  std::vector<std::shared_ptr<MetricFamilyBase>> families;
  {
    absl::MutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family);
  }
  // Rendered without mu_ held: callback gauges may take their owners' locks,
  // and those owners may register metrics.
  std::string out;
  for (const auto& family : families) family->Render(&out);
  return out;
}

}  // namespace newsearch::server
