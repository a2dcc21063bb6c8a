// A log-linear latency histogram in the manner of HdrHistogram: values below
// 2^kSubBits nanoseconds are counted exactly, larger ones in buckets whose
// width is 1/2^kSubBits of their magnitude (relative error under 0.8%). Fixed
// memory (about 40 KB), no allocation after construction, mergeable. Not
// thread-safe: keep one per thread and Merge().
#ifndef APPTRUST_BENCH_LATENCY_HISTOGRAM_H_
#define APPTRUST_BENCH_LATENCY_HISTOGRAM_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace apptrust::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr int kMaxShift = 64 - kSubBits;

  LatencyHistogram() : counts_(kSub + kMaxShift * kSub, 0) {}

  void Record(uint64_t nanos) {
    ++counts_[Index(nanos)];
    ++total_;
    max_ = std::max(max_, nanos);
  }
  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }

  // The upper edge of the bucket holding the q-quantile (0 < q <= 1): a value
  // at least as large as the true quantile, by at most one bucket width.
  uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * total_ + 0.5));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperEdge(i), max_);
    }
    return max_;
  }

 private:
  static size_t Index(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    const int shift = std::bit_width(v) - kSubBits - 1;  // v >> shift in [kSub, 2 kSub)
    return static_cast<size_t>(kSub + shift * kSub + ((v >> shift) - kSub));
  }
  static uint64_t UpperEdge(size_t index) {
    if (index < kSub) return index;
    const uint64_t shift = (index - kSub) / kSub;
    const uint64_t mantissa = kSub + (index - kSub) % kSub;
    return ((mantissa + 1) << shift) - 1;
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace apptrust::bench

#endif  // APPTRUST_BENCH_LATENCY_HISTOGRAM_H_
