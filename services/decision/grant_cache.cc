#include "services/decision/grant_cache.h"

#include <utility>

namespace apptrust::decision {

CachingStoreClient::CachingStoreClient(StoreClient& store, GrantCacheOptions options)
    : store_(store), options_(std::move(options)) {}

absl::Time CachingStoreClient::Now() const {
  return options_.clock ? options_.clock() : absl::Now();
}

void CachingStoreClient::GetGrant(const std::string& tenant_id, const std::string& grant_id,
                                  absl::Time deadline, GrantCallback done) {
  if (options_.ttl <= absl::ZeroDuration()) {
    return store_.GetGrant(tenant_id, grant_id, deadline, std::move(done));
  }
  const absl::Time now = Now();
  std::shared_ptr<const v1::Grant> cached;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(Key(tenant_id, grant_id));
    if (it != entries_.end() && it->second.grant != nullptr &&
        now - it->second.read_at < options_.ttl) {
      cached = it->second.grant;
    }
  }
  if (options_.on_lookup) options_.on_lookup(cached != nullptr);
  if (cached != nullptr) return done(*cached);
  store_.GetGrant(tenant_id, grant_id, deadline,
                  [this, tenant_id, grant_id, read_at = now,
                   done = std::move(done)](absl::StatusOr<v1::Grant> grant) {
                    if (grant.ok()) {
                      Remember(*grant, read_at);
                    } else if (grant.status().code() == absl::StatusCode::kNotFound) {
                      Forget(tenant_id, grant_id);
                    }
                    done(std::move(grant));
                  });
}

void CachingStoreClient::PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) {
  if (options_.ttl <= absl::ZeroDuration()) {
    return store_.PutGrant(grant, deadline, std::move(done));
  }
  const absl::Time started = Now();
  store_.PutGrant(grant, deadline,
                  [this, started, done = std::move(done)](absl::StatusOr<v1::Grant> stored) {
                    if (stored.ok()) Remember(*stored, started);
                    done(std::move(stored));
                  });
}

void CachingStoreClient::SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                                      int64_t expected_version, const v1::Suspension& suspension,
                                      absl::Time deadline, GrantCallback done) {
  if (options_.ttl <= absl::ZeroDuration()) {
    return store_.SuspendGrant(tenant_id, grant_id, expected_version, suspension, deadline,
                               std::move(done));
  }
  const absl::Time started = Now();
  store_.SuspendGrant(
      tenant_id, grant_id, expected_version, suspension, deadline,
      [this, tenant_id, grant_id, started,
       done = std::move(done)](absl::StatusOr<v1::Grant> stored) {
        if (stored.ok()) {
          Remember(*stored, started);
        } else if (stored.status().code() == absl::StatusCode::kFailedPrecondition ||
                   stored.status().code() == absl::StatusCode::kNotFound) {
          // What this replica remembered is no longer the grant.
          Forget(tenant_id, grant_id);
        }
        done(std::move(stored));
      });
}

void CachingStoreClient::Remember(const v1::Grant& grant, absl::Time read_at) {
  const Key key(grant.tenant_id(), grant.grant_id());
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    const Entry& known = it->second;
    // A newer version, or the same version already known to be suspended,
    // wins over a read that may have started before it was written.
    if (known.version > grant.version() ||
        (known.version == grant.version() && known.grant == nullptr)) {
      return;
    }
  } else {
    MakeRoomLocked(Now());
  }
  Entry& entry = entries_[key];
  entry.version = grant.version();
  entry.read_at = read_at;
  entry.grant =
      grant.state() == v1::GRANT_STATE_ACTIVE ? std::make_shared<const v1::Grant>(grant) : nullptr;
}

void CachingStoreClient::Forget(const std::string& tenant_id, const std::string& grant_id) {
  absl::MutexLock lock(&mu_);
  entries_.erase(Key(tenant_id, grant_id));
}

void CachingStoreClient::MakeRoomLocked(absl::Time now) {
  const size_t bound = std::max<size_t>(1, options_.max_entries);
  if (entries_.size() < bound) return;
  absl::erase_if(entries_, [&](const auto& item) {
    return item.second.grant != nullptr && now - item.second.read_at >= options_.ttl;
  });
  // Still full of fresh entries: drop an eighth (any; they are re-read).
  for (auto it = entries_.begin(); entries_.size() >= bound - bound / 8 && it != entries_.end();) {
    entries_.erase(it++);
  }
}

void CachingStoreClient::Clear() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
}

size_t CachingStoreClient::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace apptrust::decision
