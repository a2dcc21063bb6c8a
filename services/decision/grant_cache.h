// The fallback grant cache: a short-lived cache of ACTIVE grants in front of
// the store client (--grant_cache_ttl), used only with the coherent grant
// cache (coherent_grant_cache.h, the default) turned off by
// --grant_watch_max_lag=0s, e.g. for a store without WatchGrants.
//
// Without it every CheckRefresh is two RPCs: the gateway's call and this
// replica's GetGrant to apptrust-store. With it, a grant read within `ttl`
// of an earlier read is answered from memory. What that costs, exactly:
// - A suspension, deletion or re-approval written through *another* replica
//   is seen here up to `ttl` late. Writes through this replica are seen at
//   once (write-through), and a store outage clears the cache (Clear(), from
//   the store health watch), so this replica does not go on allowing from
//   memory while the store is gone for longer than the watch interval.
// - It can only make an ALLOW early, never a SUSPEND wrong: only ACTIVE
//   grants are cached (a SUSPENDED grant is always read again, so a
//   re-approval elsewhere is seen at once), and a suspension is written with
//   the grant's version; a FAILED_PRECONDITION from SuspendGrant drops the
//   entry, and the Decider decides again on a fresh read.
// With ttl = 0 every call goes to the store (the DESIGN.md §4 default).
//
// Thread-safe; `done` is called as the wrapped client calls it, or on the
// caller's thread for a hit.
#ifndef APPTRUST_SERVICES_DECISION_GRANT_CACHE_H_
#define APPTRUST_SERVICES_DECISION_GRANT_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/decision/store_client.h"

namespace apptrust::decision {

struct GrantCacheOptions {
  // How long a read grant is reused; zero: never (every call reads the store).
  absl::Duration ttl = absl::ZeroDuration();
  // Most grants kept; past it, expired entries are dropped, then any.
  size_t max_entries = 100000;
  // Clock for ages; absl::Now when empty (tests inject one).
  std::function<absl::Time()> clock;
  // Called for each GetGrant with whether it was served from memory.
  std::function<void(bool hit)> on_lookup;
};

class CachingStoreClient : public StoreClient {
 public:
  // `store` must outlive this object.
  CachingStoreClient(StoreClient& store, GrantCacheOptions options);

  void GetGrant(const std::string& tenant_id, const std::string& grant_id, absl::Time deadline,
                GrantCallback done) override;
  void PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) override;
  void SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                    int64_t expected_version, const v1::Suspension& suspension, absl::Time deadline,
                    GrantCallback done) override;

  // Forgets every grant (the store went away: its state is unknown).
  void Clear();
  size_t size() const;

 private:
  using Key = std::pair<std::string, std::string>;  // tenant_id, grant_id
  struct Entry {
    // Null for a grant known to be SUSPENDED at `version` (never served: it
    // only stops a read that started before the suspension from caching the
    // older ACTIVE version).
    std::shared_ptr<const v1::Grant> grant;
    int64_t version = 0;
    absl::Time read_at;  // when the read that returned it started
  };

  absl::Time Now() const;
  // Records what the store said at `read_at`; an older version never
  // replaces a newer one.
  void Remember(const v1::Grant& grant, absl::Time read_at);
  void Forget(const std::string& tenant_id, const std::string& grant_id);
  void MakeRoomLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  StoreClient& store_;
  const GrantCacheOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_GRANT_CACHE_H_
