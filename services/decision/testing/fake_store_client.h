// A StoreClient in memory for unit tests of the logic above the store (the
// Decider, the grant cache). It keeps the store's rules that decisions rely
// on: PutGrant makes a grant ACTIVE at version + 1 and clears its suspension;
// SuspendGrant on a SUSPENDED grant returns it with the suspension already
// stored (another replica's), and on an ACTIVE grant at another version is
// FAILED_PRECONDITION; reads are tenant-scoped (NOT_FOUND across tenants).
//
// Every write takes the next store revision (Grant.revision) and is logged
// as a GrantChange, so tests can play the store's change stream
// (ChangesAfter).
//
// Tests can make calls fail (a queue of errors per method), run a hook just
// before a suspension is applied (another replica writing first), or hold
// reads back until Release(). Answers are given on the caller's thread,
// outside the fake's lock. Thread-safe.
#ifndef APPTRUST_SERVICES_DECISION_TESTING_FAKE_STORE_CLIENT_H_
#define APPTRUST_SERVICES_DECISION_TESTING_FAKE_STORE_CLIENT_H_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "apptrust/v1/store.pb.h"
#include "services/decision/store_client.h"

namespace apptrust::testing {

class FakeStoreClient : public decision::StoreClient {
 public:
  void GetGrant(const std::string& tenant_id, const std::string& grant_id, absl::Time,
                GrantCallback done) override {
    absl::StatusOr<v1::Grant> answer;
    {
      absl::MutexLock lock(&mu_);
      ++reads_;
      if (auto error = NextError(get_errors_)) {
        answer = *error;
      } else {
        answer = LookupLocked(tenant_id, grant_id);
      }
      if (hold_reads_) {
        held_.emplace_back(std::move(done), std::move(answer));
        return;
      }
    }
    done(std::move(answer));
  }

  void PutGrant(const v1::Grant& grant, absl::Time, GrantCallback done) override {
    absl::StatusOr<v1::Grant> answer;
    {
      absl::MutexLock lock(&mu_);
      ++puts_;
      if (auto error = NextError(put_errors_)) {
        answer = *error;
      } else {
        answer = PutLocked(grant);
      }
    }
    done(std::move(answer));
  }

  void SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                    int64_t expected_version, const v1::Suspension& suspension, absl::Time,
                    GrantCallback done) override {
    std::function<void()> hook;
    {
      absl::MutexLock lock(&mu_);
      hook = std::exchange(before_suspend_, nullptr);
    }
    if (hook) hook();
    absl::StatusOr<v1::Grant> answer;
    {
      absl::MutexLock lock(&mu_);
      ++suspend_calls_;
      answer = SuspendLocked(tenant_id, grant_id, expected_version, suspension);
    }
    done(std::move(answer));
  }

  // Stores `grant` as PutGrant would (ACTIVE, version + 1); returns it.
  v1::Grant Put(const v1::Grant& grant) {
    absl::MutexLock lock(&mu_);
    return PutLocked(grant);
  }
  // Suspends as another replica would; returns the stored grant or error.
  absl::StatusOr<v1::Grant> SuspendDirectly(const std::string& tenant_id,
                                            const std::string& grant_id, int64_t expected_version,
                                            const v1::Suspension& suspension) {
    absl::MutexLock lock(&mu_);
    return SuspendLocked(tenant_id, grant_id, expected_version, suspension);
  }
  // Deletes as another replica would; false when there was no such grant.
  bool DeleteDirectly(const std::string& tenant_id, const std::string& grant_id) {
    absl::MutexLock lock(&mu_);
    if (grants_.erase(Key(tenant_id, grant_id)) == 0) return false;
    v1::GrantChange& change = changes_.emplace_back();
    change.set_revision(++revision_);
    change.set_tenant_id(tenant_id);
    change.set_grant_id(grant_id);
    change.set_deleted(true);
    return true;
  }
  // The changes with a revision above `revision`, in order.
  std::vector<v1::GrantChange> ChangesAfter(int64_t revision) const {
    absl::MutexLock lock(&mu_);
    std::vector<v1::GrantChange> after;
    for (const v1::GrantChange& change : changes_) {
      if (change.revision() > revision) after.push_back(change);
    }
    return after;
  }
  int64_t revision() const {
    absl::MutexLock lock(&mu_);
    return revision_;
  }
  absl::StatusOr<v1::Grant> Get(const std::string& tenant_id, const std::string& grant_id) {
    absl::MutexLock lock(&mu_);
    return LookupLocked(tenant_id, grant_id);
  }

  // The next calls of a method fail with these statuses, in order.
  void FailNextGets(std::vector<absl::Status> errors) {
    absl::MutexLock lock(&mu_);
    get_errors_.insert(get_errors_.end(), errors.begin(), errors.end());
  }
  void FailNextPuts(std::vector<absl::Status> errors) {
    absl::MutexLock lock(&mu_);
    put_errors_.insert(put_errors_.end(), errors.begin(), errors.end());
  }
  void FailNextSuspends(std::vector<absl::Status> errors) {
    absl::MutexLock lock(&mu_);
    suspend_errors_.insert(suspend_errors_.end(), errors.begin(), errors.end());
  }
  // Runs once, at the start of the next SuspendGrant, before it is applied.
  void BeforeNextSuspend(std::function<void()> hook) {
    absl::MutexLock lock(&mu_);
    before_suspend_ = std::move(hook);
  }

  // Reads wait for Release() while held.
  void HoldReads(bool hold) {
    absl::MutexLock lock(&mu_);
    hold_reads_ = hold;
  }
  void Release() {
    std::vector<std::pair<GrantCallback, absl::StatusOr<v1::Grant>>> pending;
    {
      absl::MutexLock lock(&mu_);
      pending = std::exchange(held_, {});
    }
    for (auto& [done, answer] : pending) done(std::move(answer));
  }

  int reads() const {
    absl::MutexLock lock(&mu_);
    return reads_;
  }
  int puts() const {
    absl::MutexLock lock(&mu_);
    return puts_;
  }
  int suspend_calls() const {
    absl::MutexLock lock(&mu_);
    return suspend_calls_;
  }

 private:
  static std::string Key(const std::string& tenant_id, const std::string& grant_id) {
    return absl::StrCat(tenant_id, "/", grant_id);
  }

  static std::optional<absl::Status> NextError(std::deque<absl::Status>& errors) {
    if (errors.empty()) return std::nullopt;
    absl::Status error = errors.front();
    errors.pop_front();
    return error;
  }

  absl::StatusOr<v1::Grant> LookupLocked(const std::string& tenant_id,
                                         const std::string& grant_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = grants_.find(Key(tenant_id, grant_id));
    if (it == grants_.end()) {
      return absl::NotFoundError(absl::StrCat("grant ", grant_id, " not found"));
    }
    return it->second;
  }

  v1::Grant PutLocked(const v1::Grant& grant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    v1::Grant stored = grant;
    auto it = grants_.find(Key(grant.tenant_id(), grant.grant_id()));
    stored.set_version(it == grants_.end() ? 1 : it->second.version() + 1);
    stored.set_state(v1::GRANT_STATE_ACTIVE);
    stored.clear_suspension();
    stored.set_revision(++revision_);
    grants_[Key(grant.tenant_id(), grant.grant_id())] = stored;
    LogChangeLocked(stored);
    return stored;
  }

  absl::StatusOr<v1::Grant> SuspendLocked(const std::string& tenant_id, const std::string& grant_id,
                                          int64_t expected_version,
                                          const v1::Suspension& suspension)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (auto error = NextError(suspend_errors_)) return *error;
    absl::StatusOr<v1::Grant> current = LookupLocked(tenant_id, grant_id);
    if (!current.ok()) return current.status();
    if (current->state() == v1::GRANT_STATE_SUSPENDED) return *current;
    if (current->version() != expected_version) {
      return absl::FailedPreconditionError(
          absl::StrCat("grant ", grant_id, " is at version ", current->version(),
                       ", not expected_version ", expected_version));
    }
    v1::Grant& stored = grants_[Key(tenant_id, grant_id)];
    stored.set_state(v1::GRANT_STATE_SUSPENDED);
    stored.set_version(expected_version + 1);
    *stored.mutable_suspension() = suspension;
    stored.set_revision(++revision_);
    LogChangeLocked(stored);
    return stored;
  }

  void LogChangeLocked(const v1::Grant& grant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    v1::GrantChange& change = changes_.emplace_back();
    change.set_revision(grant.revision());
    change.set_tenant_id(grant.tenant_id());
    change.set_grant_id(grant.grant_id());
    *change.mutable_grant() = grant;
  }

  mutable absl::Mutex mu_;
  std::map<std::string, v1::Grant> grants_ ABSL_GUARDED_BY(mu_);
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<v1::GrantChange> changes_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Status> get_errors_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Status> put_errors_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Status> suspend_errors_ ABSL_GUARDED_BY(mu_);
  std::function<void()> before_suspend_ ABSL_GUARDED_BY(mu_);
  bool hold_reads_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<GrantCallback, absl::StatusOr<v1::Grant>>> held_ ABSL_GUARDED_BY(mu_);
  int reads_ ABSL_GUARDED_BY(mu_) = 0;
  int puts_ ABSL_GUARDED_BY(mu_) = 0;
  int suspend_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace apptrust::testing

#endif  // APPTRUST_SERVICES_DECISION_TESTING_FAKE_STORE_CLIENT_H_
