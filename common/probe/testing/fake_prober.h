// A Prober for unit tests of the logic above the probe engine (the
// observation cache, the Decider). Probes complete when the test says so, on
// the test's thread, like a real engine completing them on its event loop
// later; or at once with an answer the test set beforehand.
//
// It keeps the real engine's one promise that matters for deadlines: a probe
// completed after the deadline it was given ends as the engine would end it,
// TIMEOUT, whatever answer the test supplies. The "time" of that comparison
// is the clock the test gives (default: absl::Now).
//
// Thread-safe.
#ifndef APPTRUST_COMMON_PROBE_TESTING_FAKE_PROBER_H_
#define APPTRUST_COMMON_PROBE_TESTING_FAKE_PROBER_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/probe/prober.h"

namespace apptrust::testing {

class FakeProber : public probe::Prober {
 public:
  FakeProber() = default;
  explicit FakeProber(std::function<absl::Time()> clock) : clock_(std::move(clock)) {}

  // Later probes complete at once with these answers (until cleared with
  // std::nullopt); without one, a probe waits for Complete*.
  void AnswerEndpointsWith(std::optional<probe::EndpointObservation> answer) {
    absl::MutexLock lock(&mu_);
    endpoint_answer_ = std::move(answer);
  }
  void AnswerTxtWith(std::optional<probe::TxtObservation> answer) {
    absl::MutexLock lock(&mu_);
    txt_answer_ = std::move(answer);
  }

  void ObserveEndpoint(const net::Target& target, absl::Time deadline,
                       EndpointCallback done) override {
    std::optional<probe::EndpointObservation> answer;
    int index;
    {
      absl::MutexLock lock(&mu_);
      index = static_cast<int>(endpoints_.size());
      endpoints_.push_back({target.host, deadline, std::move(done)});
      answer = endpoint_answer_;
    }
    if (answer.has_value()) CompleteEndpoint(index, *std::move(answer));
  }

  void ObserveTxt(const std::string& domain, const std::string& txt_key, absl::Time deadline,
                  TxtCallback done) override {
    std::optional<probe::TxtObservation> answer;
    int index;
    {
      absl::MutexLock lock(&mu_);
      index = static_cast<int>(txts_.size());
      txts_.push_back({domain, deadline, std::move(done)});
      answer = txt_answer_;
    }
    if (answer.has_value()) CompleteTxt(index, *std::move(answer));
  }

  int endpoint_calls() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(endpoints_.size());
  }
  int txt_calls() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(txts_.size());
  }
  std::string endpoint_host(int i) const {
    absl::MutexLock lock(&mu_);
    return endpoints_.at(i).name;
  }
  absl::Time endpoint_deadline(int i) const {
    absl::MutexLock lock(&mu_);
    return endpoints_.at(i).deadline;
  }
  absl::Time txt_deadline(int i) const {
    absl::MutexLock lock(&mu_);
    return txts_.at(i).deadline;
  }

  // Completes the i-th endpoint / TXT probe (each exactly once) with `o`, or
  // with TIMEOUT if its deadline has passed by the fake's clock.
  void CompleteEndpoint(int i, probe::EndpointObservation o) {
    EndpointCallback done;
    absl::Time deadline;
    {
      absl::MutexLock lock(&mu_);
      done = std::move(endpoints_.at(i).done);
      deadline = endpoints_.at(i).deadline;
    }
    if (Now() > deadline) {
      o.tls.set_outcome(v1::PROBE_OUTCOME_TIMEOUT);
      o.tls.set_error("TLS handshake did not finish by the deadline");
    }
    done(std::move(o));
  }
  void CompleteTxt(int i, probe::TxtObservation o) {
    TxtCallback done;
    absl::Time deadline;
    {
      absl::MutexLock lock(&mu_);
      done = std::move(txts_.at(i).done);
      deadline = txts_.at(i).deadline;
    }
    if (Now() > deadline) {
      o.outcome = v1::PROBE_OUTCOME_TIMEOUT;
      o.entries.clear();
      o.error = "TXT lookup did not finish by the deadline";
    }
    done(std::move(o));
  }

 private:
  template <typename Callback>
  struct Call {
    std::string name;  // host or domain
    absl::Time deadline;
    Callback done;
  };

  absl::Time Now() const { return clock_ ? clock_() : absl::Now(); }

  const std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  std::vector<Call<EndpointCallback>> endpoints_ ABSL_GUARDED_BY(mu_);
  std::vector<Call<TxtCallback>> txts_ ABSL_GUARDED_BY(mu_);
  std::optional<probe::EndpointObservation> endpoint_answer_ ABSL_GUARDED_BY(mu_);
  std::optional<probe::TxtObservation> txt_answer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace apptrust::testing

#endif  // APPTRUST_COMMON_PROBE_TESTING_FAKE_PROBER_H_
