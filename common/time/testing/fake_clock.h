// A clock tests move by hand, for code that takes its time from an injected
// std::function<absl::Time()> (the observation cache, the Decider, their
// fakes). Thread-safe.
#ifndef APPTRUST_COMMON_TIME_TESTING_FAKE_CLOCK_H_
#define APPTRUST_COMMON_TIME_TESTING_FAKE_CLOCK_H_

#include <functional>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace apptrust::testing {

class FakeClock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() const {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  // The clock as the code under test takes it.
  std::function<absl::Time()> AsFunction() const {
    return [this] { return Now(); };
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace apptrust::testing

#endif  // APPTRUST_COMMON_TIME_TESTING_FAKE_CLOCK_H_
