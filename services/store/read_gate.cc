#include "services/store/read_gate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace apptrust::store {

ReadGate::ReadGate(ReadGateOptions options) : options_(options) {}

ReadGate::Turn::~Turn() {
  if (gate_ != nullptr) gate_->Leave();
}

absl::StatusOr<ReadGate::Turn> ReadGate::Enter(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  if (absl::Now() >= deadline) {
    return absl::DeadlineExceededError("the caller's deadline passed before the read started");
  }
  const int max_running = std::max(1, options_.max_running);
  if (running_ < max_running) {
    ++running_;
    return Turn(this);
  }
  if (waiting_ >= options_.max_waiting) {
    return absl::ResourceExhaustedError(absl::StrCat("the store is busy: ", running_,
                                                     " reads running and ", waiting_,
                                                     " waiting (the most it queues); retry later"));
  }
  ++waiting_;
  auto free_slot = [this, max_running]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ < max_running; };
  const absl::Time wait_until = std::min(deadline, absl::Now() + options_.max_wait);
  const bool got = mu_.AwaitWithDeadline(absl::Condition(&free_slot), wait_until);
  --waiting_;
  if (!got) {
    if (wait_until < deadline) {
      return absl::UnavailableError(absl::StrCat("the store is busy: no read could start within ",
                                                 absl::FormatDuration(options_.max_wait),
                                                 "; retry"));
    }
    return absl::DeadlineExceededError("the caller's deadline passed while the read waited");
  }
  ++running_;
  return Turn(this);
}

void ReadGate::Leave() {
  absl::MutexLock lock(&mu_);
  --running_;
}

int ReadGate::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

int ReadGate::waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_;
}

}  // namespace apptrust::store
