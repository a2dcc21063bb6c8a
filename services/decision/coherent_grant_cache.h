// The decision service's grant cache, on by default: grants kept in memory
// and kept coherent with apptrust-store by its change stream
// (FingerprintStore.WatchGrants, driven by GrantWatch in grant_watch.h), so a
// warm CheckRefresh makes no store call and still sees every suspension,
// re-approval and deletion, whichever replica wrote it.
//
// When a grant is answered from memory. Only while the cache is *caught up*:
//  - its stream is connected, and
//  - a heartbeat this replica sent on that stream no more than `max_lag` ago
//    has come back. The store echoes a heartbeat only after a poll of its
//    database that started after the heartbeat arrived, and sends every
//    change before the echo, so the echo proves this cache has applied every
//    change committed before the heartbeat was sent. "Caught up" is thus a
//    round trip measured on this replica's clock, not a guess about the
//    store's.
// Otherwise (no stream yet, stream broken, store slow, echo late) every read
// goes to the store ("bypass"), at once: a broken stream stops answering from
// memory in the same instant, and a silent one within `max_lag`.
//
// What a remembered grant is. A grant read from the store (a miss), or
// written by this replica (PutGrant, SuspendGrant: applied at once), is
// remembered at the revision the store gave it, and only while the cache has
// a stream position (it has received a response since it last started over):
// every change after that position will come down the stream, or the stream
// ends with OUT_OF_RANGE and the cache forgets everything. A change replaces
// an entry only when its revision is higher; a change that arrives while a
// read of the same grant is in flight stops that read's (older) answer from
// being remembered. Changes of grants the cache does not hold are not
// inserted (a replica caches the grants its refreshes ask for).
//
// Read-your-writes: a lookup carrying `min_revision` above the revision the
// stream has reached reads the store (CheckRefreshRequest.min_store_revision).
//
// Starting over: OUT_OF_RANGE from the store (the position is older than its
// retention, from another database, or from the future: a restore) and a
// response with another store id drop every entry and the position; reads in
// flight at that moment are not remembered.
//
// Bounded by entries and bytes (the serialized size of the grant plus its
// keys); past either bound, arbitrary entries are dropped (a later read
// fetches them again). Thread-safe.
#ifndef APPTRUST_SERVICES_DECISION_COHERENT_GRANT_CACHE_H_
#define APPTRUST_SERVICES_DECISION_COHERENT_GRANT_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apptrust/v1/store.pb.h"
#include "services/decision/decision_metrics.h"
#include "services/decision/store_client.h"

namespace apptrust::decision {

enum class GrantLookup {
  kHit,     // answered from memory
  kMiss,    // caught up, but not held: read from the store (and remembered)
  kBypass,  // not caught up, or behind the caller's min_revision: read from the store
};

struct CoherentGrantCacheOptions {
  // How old the newest echoed heartbeat may be while grants are answered
  // from memory (--grant_watch_max_lag).
  absl::Duration max_lag = absl::Seconds(1);
  size_t max_entries = 100000;
  size_t max_bytes = 128u << 20;
  // Clock for heartbeats and lag; MonotonicNow() when empty (tests inject one).
  std::function<absl::Time()> clock;
  // Called once per grant read.
  std::function<void(GrantLookup)> on_lookup;
  // Called when the cache starts over: "out_of_range", "store_changed" or
  // "token_refused".
  std::function<void(const char* reason)> on_resync;
};

// A steady clock as absl::Time, for differences only (never a date).
absl::Time MonotonicNow();

class CoherentGrantCache : public StoreClient {
 public:
  // `store` must outlive this object.
  CoherentGrantCache(StoreClient& store, CoherentGrantCacheOptions options);

  void GetGrant(const std::string& tenant_id, const std::string& grant_id, absl::Time deadline,
                GrantCallback done) override;
  void GetGrantNoOlderThan(const std::string& tenant_id, const std::string& grant_id,
                           int64_t min_revision, absl::Time deadline, GrantCallback done) override;
  void GetSharedGrant(const std::string& tenant_id, const std::string& grant_id,
                      int64_t min_revision, absl::Time deadline, SharedGrantCallback done) override;
  void PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) override;
  void SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                    int64_t expected_version, const v1::Suspension& suspension, absl::Time deadline,
                    GrantCallback done) override;

  // The stream's side; one stream at a time.
  // A stream is opening: returns the resume token to start it from ("" for
  // the store's current revision).
  std::string StreamStarting();
  // A response arrived on the open stream. An error (a revision going back
  // on one stream) means the stream must be ended.
  absl::Status OnResponse(const v1::WatchGrantsResponse& response);
  // A heartbeat is about to be sent now: returns its id.
  int64_t NextHeartbeat();
  // The stream ended with `status`; OUT_OF_RANGE starts over.
  void OnStreamEnded(const absl::Status& status);

  GrantWatchState State() const;

 private:
  using Key = std::pair<std::string, std::string>;  // tenant_id, grant_id
  struct Entry {
    std::shared_ptr<const v1::Grant> grant;
    int64_t revision = 0;
    size_t bytes = 0;
    uint64_t inserted = 0;  // its place in insertion_order_
  };
  // Reads of one grant in flight, and the newest change of it that arrived
  // while they were.
  struct Pending {
    int reads = 0;
    int64_t newest_change = 0;
  };
  // What a read or write saw when it started.
  struct Ticket {
    uint64_t epoch = 0;
    bool positioned = false;
  };

  absl::Time Now() const;
  bool CaughtUpLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Ticket TicketLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads the store for `key` and remembers the answer (see the header).
  void ReadThrough(Key key, absl::Time deadline, SharedGrantCallback done);
  // A read or write of `key` starts / ended with `grant`: remembered when no
  // newer change of it arrived meanwhile and the cache did not start over.
  Ticket Begin(const Key& key);
  void Finish(const Key& key, const Ticket& ticket,
              const absl::StatusOr<std::shared_ptr<const v1::Grant>>& grant);
  void RememberLocked(const Key& key, std::shared_ptr<const v1::Grant> grant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StoreLocked(const Key& key, std::shared_ptr<const v1::Grant> grant, Entry* entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyChangeLocked(const v1::GrantChange& change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartOverLocked(const char* reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MakeRoomLocked(size_t incoming_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TrimLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  StoreClient& store_;
  const CoherentGrantCacheOptions options_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, Pending> pending_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Keys in the order they were inserted (with Entry::inserted), the oldest
  // dropped first when full; stale items are skipped and compacted away.
  std::deque<std::pair<Key, uint64_t>> insertion_order_ ABSL_GUARDED_BY(mu_);
  uint64_t insertions_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped whenever the cache starts over: reads started before do not count.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // The stream position: set by the first response after starting over.
  bool positioned_ ABSL_GUARDED_BY(mu_) = false;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::string resume_token_ ABSL_GUARDED_BY(mu_);
  std::string store_id_ ABSL_GUARDED_BY(mu_);
  // The current stream.
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool answered_ ABSL_GUARDED_BY(mu_) = false;  // a response came on it
  int64_t stream_revision_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_heartbeat_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<int64_t, absl::Time> heartbeats_sent_ ABSL_GUARDED_BY(mu_);
  absl::Time echoed_sent_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_COHERENT_GRANT_CACHE_H_
