#include "services/decision/coherent_grant_cache.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace apptrust::decision {
namespace {

// Map node, keys' heap blocks and bookkeeping per entry, beyond the strings.
constexpr size_t kEntryOverheadBytes = 160;
// Heartbeats remembered while their echo is outstanding.
constexpr size_t kMaxHeartbeatsInFlight = 64;

}  // namespace

CoherentGrantCache::CoherentGrantCache(StoreClient& store, CoherentGrantCacheOptions options)
    : store_(store), options_(std::move(options)) {}

absl::Time CoherentGrantCache::Now() const {
  return options_.clock ? options_.clock() : MonotonicNow();
}

absl::Time MonotonicNow() {
  // Only differences are used: lag must not shrink when the wall clock is
  // stepped back.
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

bool CoherentGrantCache::CaughtUpLocked(absl::Time now) const {
  return connected_ && positioned_ && now - echoed_sent_at_ <= options_.max_lag;
}

CoherentGrantCache::Ticket CoherentGrantCache::TicketLocked() const {
  return Ticket{epoch_, positioned_};
}

void CoherentGrantCache::GetGrant(const std::string& tenant_id, const std::string& grant_id,
                                  absl::Time deadline, GrantCallback done) {
  GetGrantNoOlderThan(tenant_id, grant_id, 0, deadline, std::move(done));
}

void CoherentGrantCache::GetGrantNoOlderThan(const std::string& tenant_id,
                                             const std::string& grant_id, int64_t min_revision,
                                             absl::Time deadline, GrantCallback done) {
  GetSharedGrant(tenant_id, grant_id, min_revision, deadline,
                 [done = std::move(done)](absl::StatusOr<std::shared_ptr<const v1::Grant>> grant) {
                   if (!grant.ok()) return done(grant.status());
                   done(**grant);
                 });
}

void CoherentGrantCache::GetSharedGrant(const std::string& tenant_id, const std::string& grant_id,
                                        int64_t min_revision, absl::Time deadline,
                                        SharedGrantCallback done) {
  Key key(tenant_id, grant_id);
  const absl::Time now = Now();
  std::shared_ptr<const v1::Grant> held;
  GrantLookup lookup = GrantLookup::kBypass;
  {
    absl::MutexLock lock(&mu_);
    if (CaughtUpLocked(now) && min_revision <= revision_) {
      auto it = entries_.find(key);
      if (it != entries_.end()) {
        held = it->second.grant;
        lookup = GrantLookup::kHit;
      } else {
        lookup = GrantLookup::kMiss;
      }
    }
  }
  if (options_.on_lookup) options_.on_lookup(lookup);
  if (held != nullptr) return done(std::move(held));
  ReadThrough(std::move(key), deadline, std::move(done));
}

void CoherentGrantCache::ReadThrough(Key key, absl::Time deadline, SharedGrantCallback done) {
  const Ticket ticket = Begin(key);
  const std::string tenant_id = key.first;
  const std::string grant_id = key.second;
  store_.GetGrant(tenant_id, grant_id, deadline,
                  [this, key = std::move(key), ticket,
                   done = std::move(done)](absl::StatusOr<v1::Grant> grant) {
                    absl::StatusOr<std::shared_ptr<const v1::Grant>> shared =
                        grant.ok()
                            ? absl::StatusOr<std::shared_ptr<const v1::Grant>>(
                                  std::make_shared<const v1::Grant>(*std::move(grant)))
                            : absl::StatusOr<std::shared_ptr<const v1::Grant>>(grant.status());
                    Finish(key, ticket, shared);
                    done(std::move(shared));
                  });
}

void CoherentGrantCache::PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) {
  Key key(grant.tenant_id(), grant.grant_id());
  const Ticket ticket = Begin(key);
  store_.PutGrant(grant, deadline,
                  [this, key = std::move(key), ticket,
                   done = std::move(done)](absl::StatusOr<v1::Grant> stored) {
                    if (stored.ok())
                      Finish(key, ticket, std::make_shared<const v1::Grant>(*stored));
                    else
                      Finish(key, ticket, stored.status());
                    done(std::move(stored));
                  });
}

void CoherentGrantCache::SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                                      int64_t expected_version, const v1::Suspension& suspension,
                                      absl::Time deadline, GrantCallback done) {
  Key key(tenant_id, grant_id);
  const Ticket ticket = Begin(key);
  store_.SuspendGrant(tenant_id, grant_id, expected_version, suspension, deadline,
                      [this, key = std::move(key), ticket,
                       done = std::move(done)](absl::StatusOr<v1::Grant> stored) {
                        if (stored.ok()) {
                          Finish(key, ticket, std::make_shared<const v1::Grant>(*stored));
                        } else {
                          Finish(key, ticket, stored.status());
                        }
                        if (stored.status().code() == absl::StatusCode::kFailedPrecondition) {
                          // The grant changed after the version this replica decided on: the
                          // held copy (if any) is older than the store's, so the Decider's
                          // second read must not be answered from it.
                          absl::MutexLock lock(&mu_);
                          EraseLocked(key);
                        }
                        done(std::move(stored));
                      });
}

CoherentGrantCache::Ticket CoherentGrantCache::Begin(const Key& key) {
  absl::MutexLock lock(&mu_);
  const Ticket ticket = TicketLocked();
  if (ticket.positioned) ++pending_[key].reads;
  return ticket;
}

void CoherentGrantCache::Finish(const Key& key, const Ticket& ticket,
                                const absl::StatusOr<std::shared_ptr<const v1::Grant>>& grant) {
  if (!ticket.positioned) return;
  absl::MutexLock lock(&mu_);
  int64_t newest_change = 0;
  if (auto it = pending_.find(key); it != pending_.end()) {
    newest_change = it->second.newest_change;
    if (--it->second.reads == 0) pending_.erase(it);
  }
  if (!grant.ok() || ticket.epoch != epoch_) return;
  // A change of this grant newer than the answer arrived while it was in
  // flight (and, the grant not being held, was not applied): the answer is
  // already out of date.
  if ((*grant)->revision() < newest_change) return;
  RememberLocked(key, *grant);
}

void CoherentGrantCache::RememberLocked(const Key& key, std::shared_ptr<const v1::Grant> grant) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (it->second.revision >= grant->revision()) return;
    StoreLocked(key, std::move(grant), &it->second);
    TrimLocked();
    return;
  }
  const size_t bytes =
      grant->ByteSizeLong() + key.first.size() + key.second.size() + kEntryOverheadBytes;
  if (bytes > options_.max_bytes || options_.max_entries == 0) return;
  MakeRoomLocked(bytes);
  Entry& entry = entries_[key];
  entry.inserted = ++insertions_;
  insertion_order_.emplace_back(key, entry.inserted);
  StoreLocked(key, std::move(grant), &entry);
}

void CoherentGrantCache::StoreLocked(const Key& key, std::shared_ptr<const v1::Grant> grant,
                                     Entry* entry) {
  bytes_ -= entry->bytes;
  entry->revision = grant->revision();
  entry->bytes = grant->ByteSizeLong() + key.first.size() + key.second.size() + kEntryOverheadBytes;
  entry->grant = std::move(grant);
  bytes_ += entry->bytes;
}

void CoherentGrantCache::TrimLocked() {
  // A held grant that grew (a suspension with its findings) may have pushed
  // the total past the bound: the oldest entries go (possibly that one).
  while (bytes_ > options_.max_bytes && !insertion_order_.empty()) EvictOldestLocked();
}

void CoherentGrantCache::EraseLocked(const Key& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

void CoherentGrantCache::EvictOldestLocked() {
  const auto [key, inserted] = std::move(insertion_order_.front());
  insertion_order_.pop_front();
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.inserted == inserted) EraseLocked(key);
}

void CoherentGrantCache::MakeRoomLocked(size_t incoming_bytes) {
  while (!insertion_order_.empty() && (entries_.size() >= options_.max_entries ||
                                       bytes_ + incoming_bytes > options_.max_bytes)) {
    EvictOldestLocked();
  }
  // Items of erased or re-inserted entries stay behind; drop them once they
  // outnumber the entries.
  if (insertion_order_.size() > 2 * entries_.size() + 1024) {
    std::deque<std::pair<Key, uint64_t>> live;
    for (auto& item : insertion_order_) {
      auto it = entries_.find(item.first);
      if (it != entries_.end() && it->second.inserted == item.second)
        live.push_back(std::move(item));
    }
    insertion_order_ = std::move(live);
  }
}

void CoherentGrantCache::ApplyChangeLocked(const v1::GrantChange& change) {
  const Key key(change.tenant_id(), change.grant_id());
  if (auto it = pending_.find(key); it != pending_.end()) {
    it->second.newest_change = std::max(it->second.newest_change, change.revision());
  }
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.revision >= change.revision()) return;
  if (change.deleted() || !change.has_grant()) {
    EraseLocked(key);
    return;
  }
  auto grant = std::make_shared<v1::Grant>(change.grant());
  grant->set_revision(change.revision());
  StoreLocked(key, std::move(grant), &it->second);
  TrimLocked();
}

void CoherentGrantCache::StartOverLocked(const char* reason) {
  entries_.clear();
  insertion_order_.clear();
  bytes_ = 0;
  ++epoch_;
  positioned_ = false;
  revision_ = 0;
  resume_token_.clear();
  if (options_.on_resync) options_.on_resync(reason);
}

std::string CoherentGrantCache::StreamStarting() {
  absl::MutexLock lock(&mu_);
  connected_ = true;
  answered_ = false;
  stream_revision_ = 0;
  heartbeats_sent_.clear();
  echoed_sent_at_ = absl::InfinitePast();
  return resume_token_;
}

absl::Status CoherentGrantCache::OnResponse(const v1::WatchGrantsResponse& response) {
  absl::MutexLock lock(&mu_);
  if (response.revision() < stream_revision_) {
    return absl::InternalError(absl::StrCat("the change stream went back from revision ",
                                            stream_revision_, " to ", response.revision()));
  }
  stream_revision_ = response.revision();
  answered_ = true;
  if (!response.store_id().empty() && response.store_id() != store_id_) {
    // Another database (restored, or replaced) behind the same address:
    // nothing held describes it.
    if (!store_id_.empty()) StartOverLocked("store_changed");
    store_id_ = response.store_id();
  }
  for (const v1::GrantChange& change : response.changes()) ApplyChangeLocked(change);
  revision_ = std::max(revision_, response.revision());
  positioned_ = true;
  if (!response.resume_token().empty()) resume_token_ = response.resume_token();
  for (int64_t id : response.heartbeat_ids()) {
    auto it = heartbeats_sent_.find(id);
    if (it == heartbeats_sent_.end()) continue;
    echoed_sent_at_ = std::max(echoed_sent_at_, it->second);
    heartbeats_sent_.erase(heartbeats_sent_.begin(), std::next(it));
  }
  return absl::OkStatus();
}

int64_t CoherentGrantCache::NextHeartbeat() {
  absl::MutexLock lock(&mu_);
  const int64_t id = next_heartbeat_++;
  heartbeats_sent_.emplace(id, Now());
  while (heartbeats_sent_.size() > kMaxHeartbeatsInFlight) {
    heartbeats_sent_.erase(heartbeats_sent_.begin());
  }
  return id;
}

void CoherentGrantCache::OnStreamEnded(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  connected_ = false;
  heartbeats_sent_.clear();
  echoed_sent_at_ = absl::InfinitePast();
  if (status.code() == absl::StatusCode::kOutOfRange) {
    StartOverLocked("out_of_range");
    store_id_.clear();
  } else if (status.code() == absl::StatusCode::kInvalidArgument && !answered_ &&
             !resume_token_.empty()) {
    // The store could not read the token this stream started from (another
    // token format, say): resending it would be refused forever.
    StartOverLocked("token_refused");
    store_id_.clear();
  }
}

GrantWatchState CoherentGrantCache::State() const {
  const absl::Time now = Now();
  absl::MutexLock lock(&mu_);
  GrantWatchState state;
  state.connected = connected_;
  state.caught_up = CaughtUpLocked(now);
  state.revision = positioned_ ? revision_ : 0;
  if (echoed_sent_at_ != absl::InfinitePast()) state.lag = now - echoed_sent_at_;
  state.entries = entries_.size();
  state.bytes = bytes_;
  return state;
}

}  // namespace apptrust::decision
