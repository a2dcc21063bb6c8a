#include "services/decision/sweeper.h"

#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/config/effective_policy.h"
#include "common/logging/json_log.h"
#include "common/net/redirect_uri.h"
#include "common/policy/error_uri.h"
#include "common/time/proto_time.h"
#include "openssl/sha.h"
#include "services/decision/sweep_classifier.h"

namespace apptrust::decision {
namespace {

// Stable for the same (pass, tenant, client): receivers drop duplicates.
std::string EventId(absl::Time pass_started, const v1::SweepResult& result) {
  const std::string key = absl::StrCat(result.tenant_id(), "\x1f", result.client_id());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  return absl::StrCat(
      "sweep-", absl::ToUnixMicros(pass_started), "-",
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 16)));
}

}  // namespace

// The observations of one page in flight; shared with their callbacks, which
// may outlive an abandoned pass.
struct Sweeper::PageRun {
  absl::Mutex mu;
  int pending ABSL_GUARDED_BY(mu) = 0;
  std::vector<v1::SweepResult> results ABSL_GUARDED_BY(mu);
};

std::string MakeSweepHolder() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "unknown-host");
  }
  absl::BitGen bits;
  return absl::StrCat(host, ":", getpid(), ":",
                      absl::Hex(absl::Uniform<uint64_t>(bits), absl::kZeroPad16));
}

Sweeper::Sweeper(SweeperOptions options, SweepStore& store, cache::ObservationCache& cache,
                 SweepMetrics* metrics, SweepNotifier* notifier)
    : options_(std::move(options)),
      store_(store),
      cache_(cache),
      metrics_(metrics),
      notifier_(notifier) {
  if (metrics_ != nullptr) metrics_->SetLeaseHeld(false);
}

Sweeper::~Sweeper() { Stop(); }

void Sweeper::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Sweeper::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int Sweeper::passes_completed() const {
  absl::MutexLock lock(&mu_);
  return passes_completed_;
}

bool Sweeper::SleepUntil(absl::Time until) {
  absl::MutexLock lock(&mu_);
  const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  mu_.AwaitWithDeadline(absl::Condition(&stopping), until);
  return !stopping_;
}

bool Sweeper::TakeLease() {
  v1::AcquireLeaseRequest request;
  request.set_name(options_.lease_name);
  request.set_holder(options_.holder);
  *request.mutable_ttl() = timeconv::ToProto(options_.lease_ttl);
  const absl::Time asked = options_.clock();
  auto lease =
      store_.AcquireLease(request, std::min(options_.store_timeout, options_.lease_ttl / 3));
  const bool was_held = held_;
  held_ = lease.ok() && lease->granted();
  if (held_) {
    if (!was_held || lease->epoch() != epoch_) {
      // A new holding: its first pass starts now.
      next_pass_at_ = asked;
      logging::Info("sweep lease taken")
          .Field("holder", options_.holder)
          .Field("epoch", lease->epoch());
    }
    epoch_ = lease->epoch();
    // From when it was asked: the store's expiry is at least this late.
    renew_at_ = asked + options_.lease_ttl / 3;
  } else if (was_held) {
    logging::Warning("sweep lease lost")
        .Field("holder", options_.holder)
        .Field("error", lease.ok() ? absl::StrCat("held by ", lease->holder())
                                   : std::string(lease.status().message()));
  }
  if (metrics_ != nullptr) metrics_->SetLeaseHeld(held_);
  return held_;
}

bool Sweeper::KeepLease() {
  if (!held_) return false;
  if (options_.clock() < renew_at_) return true;
  return TakeLease();
}

absl::Status Sweeper::RunOnce() {
  if (!TakeLease()) return absl::OkStatus();
  return RunPass();
}

void Sweeper::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    TakeLease();
    if (held_ && options_.clock() >= next_pass_at_) {
      const absl::Time started = options_.clock();
      absl::Status status = RunPass();
      if (status.ok()) {
        next_pass_at_ = started + options_.interval;
      } else if (held_) {
        // A store failure: try again after a lease period, not in a loop.
        logging::Warning("sweep pass failed").Field("error", status.message());
        next_pass_at_ = options_.clock() + options_.lease_ttl;
      }
    }
    absl::Time wake = options_.clock() + options_.lease_ttl / 3;
    if (held_) wake = std::min(renew_at_, std::max(next_pass_at_, options_.clock()));
    if (!SleepUntil(wake)) break;
  }
  if (metrics_ != nullptr) metrics_->SetLeaseHeld(false);
}

absl::Status Sweeper::RunPass() {
  const absl::Time pass_started = options_.clock();
  absl::BitGen bits;
  const absl::Duration pause = absl::Seconds(1.0 / std::max(options_.probes_per_second, 0.01));
  absl::Time next_probe = pass_started;
  std::map<std::string, AtRiskCounts> at_risk;
  int64_t apps = 0;
  std::string page_token;
  logging::Info("sweep pass started").Field("holder", options_.holder).Field("epoch", epoch_);
  do {
    if (!KeepLease()) return absl::AbortedError("sweep lease lost");
    v1::ListActiveAppsRequest list;
    list.set_page_size(options_.page_size);
    list.set_page_token(page_token);
    auto page = store_.ListActiveApps(list, options_.store_timeout);
    if (!page.ok()) return page.status();

    auto run = std::make_shared<PageRun>();
    for (const v1::ActiveApp& app : page->apps()) {
      const config::EffectivePolicy policy =
          config::ResolvePolicy(options_.policy, app.tenant_id());
      // Grants a refresh never probes are never at risk.
      if (!config::InScope(policy, app.representative().persona())) continue;
      auto target = net::ParseRedirectUri(app.representative().redirect_uri());
      if (!target.ok()) continue;
      if (!SleepUntil(next_probe)) return absl::CancelledError("stopping");
      if (!KeepLease()) return absl::AbortedError("sweep lease lost");
      const double factor =
          options_.jitter > 0 ? absl::Uniform(bits, 1 - options_.jitter, 1 + options_.jitter) : 1;
      next_probe = std::max(next_probe, options_.clock() - pause) + pause * factor;
      {
        absl::MutexLock lock(&run->mu);
        ++run->pending;
      }
      if (metrics_ != nullptr) metrics_->RecordProbe();
      ++apps;
      cache_.Observe(*target, app.client_id(), policy.txt_key, config::StaleAllowance(policy),
                     [run, app, policy, clock = options_.clock](cache::Observation seen) {
                       v1::SweepResult result = ClassifyApp(app, seen.fingerprint, clock(), policy);
                       absl::MutexLock lock(&run->mu);
                       run->results.push_back(std::move(result));
                       --run->pending;
                     });
    }
    // Every observation ends by the cache's probe bound; meanwhile the lease
    // is kept.
    while (true) {
      {
        absl::MutexLock lock(&run->mu);
        const auto done = [run]()
                              ABSL_EXCLUSIVE_LOCKS_REQUIRED(run->mu) { return run->pending == 0; };
        if (run->mu.AwaitWithTimeout(absl::Condition(&done), absl::Milliseconds(100))) break;
      }
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return absl::CancelledError("stopping");
      }
      if (!KeepLease()) return absl::AbortedError("sweep lease lost");
    }

    std::vector<v1::SweepResult> results;
    {
      absl::MutexLock lock(&run->mu);
      results = std::move(run->results);
    }
    page_token = page->next_page_token();
    v1::PutSweepResultsRequest put;
    put.set_lease_name(options_.lease_name);
    put.set_holder(options_.holder);
    put.set_epoch(epoch_);
    *put.mutable_pass_started_at() = timeconv::ToProto(pass_started);
    put.set_pass_complete(page_token.empty());
    for (const v1::SweepResult& result : results) *put.add_results() = result;
    auto written = store_.PutSweepResults(put, options_.store_timeout);
    if (!written.ok()) {
      if (written.status().code() == absl::StatusCode::kFailedPrecondition) {
        held_ = false;
        if (metrics_ != nullptr) metrics_->SetLeaseHeld(false);
      }
      return written.status();
    }
    for (const v1::SweepResult& result : results) {
      if (!AtRisk(result.status())) continue;
      AtRiskCounts& counts = at_risk[policy::ReasonSlug(result.reason())];
      ++counts.apps;
      counts.grants += result.active_grants();
      if (notifier_ != nullptr) notifier_->Notify(result, EventId(pass_started, result));
    }
  } while (!page_token.empty());

  const absl::Time completed = options_.clock();
  if (metrics_ != nullptr) metrics_->PassCompleted(at_risk, completed, completed - pass_started);
  {
    absl::MutexLock lock(&mu_);
    ++passes_completed_;
  }
  int64_t apps_at_risk = 0;
  for (const auto& [reason, counts] : at_risk) apps_at_risk += counts.apps;
  logging::Info("sweep pass completed")
      .Field("holder", options_.holder)
      .Field("apps", apps)
      .Field("apps_at_risk", apps_at_risk)
      .Field("duration", completed - pass_started);
  return absl::OkStatus();
}

}  // namespace apptrust::decision
