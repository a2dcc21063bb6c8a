#include "common/cache/observation_cache.h"

#include <atomic>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/policy/probe_outcome.h"
#include "common/probe/fingerprint_builder.h"

namespace apptrust::cache {
namespace {

bool Failed(const probe::EndpointObservation& o) {
  return policy::IsProbeFailure(o.address_outcome) || policy::IsProbeFailure(o.tls.outcome());
}
bool Failed(const probe::TxtObservation& o) { return policy::IsProbeFailure(o.outcome); }
// A local failure (this process lacked a descriptor, memory, a port) is not
// evidence about the app: it is never stored and never answered with the
// last good result, so an attacker exhausting our resources cannot make an
// old observation stand in for the app now.
bool FailedLocally(const probe::EndpointObservation& o) {
  return policy::IsLocalFailure(o.address_outcome) || policy::IsLocalFailure(o.tls.outcome());
}
bool FailedLocally(const probe::TxtObservation& o) { return policy::IsLocalFailure(o.outcome); }

size_t StringBytes(const std::string& s) { return sizeof(s) + s.capacity(); }
size_t StringBytes(const std::vector<std::string>& v) {
  size_t bytes = sizeof(v);
  for (const std::string& s : v) bytes += StringBytes(s);
  return bytes;
}

// What a kept result costs: its heap as well as its struct, so a result an
// app inflated (thousands of certificate names, long TXT values) is charged
// what it really holds.
size_t ResultBytes(const probe::EndpointObservation& o) {
  return sizeof(o) - sizeof(o.addresses) - sizeof(o.refused_addresses) - sizeof(o.address_error) -
         sizeof(o.tls) + StringBytes(o.addresses) + StringBytes(o.refused_addresses) +
         StringBytes(o.address_error) + o.tls.SpaceUsedLong();
}
size_t ResultBytes(const probe::TxtObservation& o) {
  return sizeof(o) - sizeof(o.entries) - sizeof(o.error) + StringBytes(o.entries) +
         StringBytes(o.error);
}

// What one waiter receives for one part. Results are immutable once stored,
// so the entry's latest result, its last good result and every waiter share
// one copy (a cache hit copies nothing; 100,000 cached hosts hold one
// fingerprint each, not two).
template <typename Obs>
struct Served {
  std::shared_ptr<const Obs> observation;
  bool from_cache = false;
  bool stale = false;
};

// One kind of cached observation (endpoint or TXT): map + LRU + flights.
template <typename Obs>
class PartCache {
 public:
  using Callback = std::function<void(Served<Obs>)>;
  using StartProbe = std::function<void(std::function<void(Obs)>)>;

  PartCache(CachePart part, const ObservationCacheOptions& options)
      : part_(part), options_(options) {}

  // Serves `key` from the cache, joins its flight, or starts a probe with
  // `start` (called without the lock held).
  void Get(const std::string& key, absl::Duration max_staleness, const StartProbe& start,
           Callback done, const std::shared_ptr<void>& keep_alive) {
    std::vector<CacheEventKind> events;
    std::optional<Served<Obs>> immediate;
    Callback deliver_now;
    std::shared_ptr<Flight> flight;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = Now();
      auto it = entries_.find(key);
      if (it != entries_.end()) {
        Touch(it->second);
      }
      if (it != entries_.end() && it->second.last != nullptr && now < it->second.expires_at) {
        events.push_back(CacheEventKind::kHit);
        immediate = ServeLocked(it->second, it->second.last, now, max_staleness,
                                /*from_cache=*/true);
        if (immediate->stale) {
          events.push_back(CacheEventKind::kStale);
        }
        deliver_now = std::move(done);
      } else if (it != entries_.end() && it->second.flight != nullptr) {
        events.push_back(CacheEventKind::kCoalesced);
        it->second.flight->waiters.push_back({max_staleness, std::move(done)});
      } else {
        events.push_back(CacheEventKind::kMiss);
        Entry& entry = FindOrInsertLocked(key, events);
        flight = std::make_shared<Flight>();
        flight->waiters.push_back({max_staleness, std::move(done)});
        entry.flight = flight;
      }
    }
    Emit(events);
    if (immediate.has_value()) {
      deliver_now(*std::move(immediate));
      return;
    }
    if (flight == nullptr) {
      return;
    }
    // The completion may run after the cache is gone; `keep_alive` owns
    // this PartCache.
    start([this, key, flight, keep_alive](Obs observation) {
      Complete(key, flight, std::move(observation));
    });
  }

  ObservationCacheStats::Part Stats() const {
    ObservationCacheStats::Part p;
    p.hits = hits_.load();
    p.misses = misses_.load();
    p.coalesced = coalesced_.load();
    p.stale = stale_.load();
    p.evictions = evictions_.load();
    absl::MutexLock lock(&mu_);
    p.entries = entries_.size();
    p.bytes = bytes_;
    for (const auto& [key, entry] : entries_) {
      p.in_flight += entry.flight != nullptr ? 1 : 0;
    }
    return p;
  }

 private:
  struct Waiter {
    absl::Duration max_staleness;
    Callback done;
  };
  struct Flight {
    std::vector<Waiter> waiters;
  };
  struct Entry {
    std::shared_ptr<const Obs> last;  // the latest result, failed or not
    absl::Time expires_at = absl::InfinitePast();
    std::shared_ptr<const Obs> last_good;
    absl::Time last_good_at = absl::InfinitePast();
    std::shared_ptr<Flight> flight;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recent)
    size_t bytes = 0;                      // accounted in bytes_
  };

  // The key is held twice (map and LRU list), plus their nodes.
  static size_t KeyBytes(const std::string& key) {
    return sizeof(Entry) + 2 * StringBytes(key) + 4 * sizeof(void*);
  }

  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }

  void Touch(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    lru_.splice(lru_.begin(), lru_, entry.lru);
  }

  Entry& FindOrInsertLocked(const std::string& key, std::vector<CacheEventKind>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      return it->second;
    }
    // Make room: least recently used first, skipping keys with a probe in
    // flight (their waiters must get an answer). If every key is in flight
    // the bound is exceeded until some complete.
    const size_t bound = std::max<size_t>(1, options_.max_entries);
    EvictLocked([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return entries_.size() >= bound; },
                nullptr, events);
    lru_.push_front(key);
    Entry& entry = entries_[key];
    entry.lru = lru_.begin();
    entry.bytes = KeyBytes(key);
    bytes_ += entry.bytes;
    return entry;
  }

  // Evicts least recently used keys without a probe in flight (their
  // waiters must get an answer), other than `keep`, while `over()`. If every
  // such key is in flight the bound is exceeded until some complete.
  template <typename Over>
  void EvictLocked(const Over& over, const Entry* keep, std::vector<CacheEventKind>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto victim = lru_.end(); over() && victim != lru_.begin();) {
      --victim;
      auto e = entries_.find(*victim);
      if (e->second.flight != nullptr || &e->second == keep) {
        continue;
      }
      bytes_ -= e->second.bytes;
      entries_.erase(e);
      victim = lru_.erase(victim);
      events.push_back(CacheEventKind::kEviction);
    }
  }

  // Re-accounts `entry` after its results changed, then makes room.
  void AccountLocked(const std::string& key, Entry& entry, std::vector<CacheEventKind>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    size_t bytes = KeyBytes(key);
    if (entry.last != nullptr) bytes += ResultBytes(*entry.last);
    if (entry.last_good != nullptr && entry.last_good != entry.last) {
      bytes += ResultBytes(*entry.last_good);
    }
    if (bytes > options_.max_bytes) {
      // Too big to keep at all: answered to its waiters, not remembered.
      entry.last = nullptr;
      entry.last_good = nullptr;
      entry.expires_at = absl::InfinitePast();
      entry.last_good_at = absl::InfinitePast();
      bytes = KeyBytes(key);
    }
    bytes_ = bytes_ - entry.bytes + bytes;
    entry.bytes = bytes;
    EvictLocked([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return bytes_ > options_.max_bytes; },
                &entry, events);
  }

  // `result` for a waiter that accepts results `max_staleness` old, with the
  // last good result standing in for a failure when allowed.
  Served<Obs> ServeLocked(const Entry& entry, const std::shared_ptr<const Obs>& result,
                          absl::Time now, absl::Duration max_staleness, bool from_cache) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (Failed(*result) && !FailedLocally(*result) && entry.last_good != nullptr &&
        max_staleness > absl::ZeroDuration() && now - entry.last_good_at <= max_staleness) {
      return {entry.last_good, /*from_cache=*/true, /*stale=*/true};
    }
    return {result, from_cache, /*stale=*/false};
  }

  void Complete(const std::string& key, const std::shared_ptr<Flight>& flight, Obs observation) {
    auto result = std::make_shared<const Obs>(std::move(observation));
    std::vector<CacheEventKind> events;
    std::vector<std::pair<Callback, Served<Obs>>> answers;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = Now();
      Entry& entry = FindOrInsertLocked(key, events);
      if (entry.flight == flight) {
        entry.flight = nullptr;
      }
      if (!FailedLocally(*result)) {
        const bool failed = Failed(*result);
        const absl::Duration ttl = std::max(absl::ZeroDuration(), options_.ttl);
        entry.expires_at = now + (failed ? std::min(ttl, options_.failure_ttl) : ttl);
        if (!failed) {
          entry.last_good = result;
          entry.last_good_at = now;
        }
        entry.last = result;
      }
      entry.last = result;
      for (Waiter& w : flight->waiters) {
        Served<Obs> served = ServeLocked(entry, result, now, w.max_staleness, /*from_cache=*/false);
        if (served.stale) {
          events.push_back(CacheEventKind::kStale);
        }
        answers.emplace_back(std::move(w.done), std::move(served));
      }
      flight->waiters.clear();
      AccountLocked(key, entry, events);
    }
    Emit(events);
    for (auto& [done, served] : answers) {
      done(std::move(served));
    }
  }

  void Emit(const std::vector<CacheEventKind>& events) {
    for (CacheEventKind kind : events) {
      switch (kind) {
        case CacheEventKind::kHit:
          ++hits_;
          break;
        case CacheEventKind::kMiss:
          ++misses_;
          break;
        case CacheEventKind::kCoalesced:
          ++coalesced_;
          break;
        case CacheEventKind::kStale:
          ++stale_;
          break;
        case CacheEventKind::kEviction:
          ++evictions_;
          break;
      }
      if (options_.on_event) {
        options_.on_event(CacheEvent{part_, kind});
      }
    }
  }

  const CachePart part_;
  const ObservationCacheOptions& options_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> hits_{0}, misses_{0}, coalesced_{0}, stale_{0}, evictions_{0};
};

std::string EndpointKey(const net::Target& t) {
  return absl::StrCat(t.scheme, "://", t.host, ":", t.port);
}

// The fingerprint assembled from two given observations for one client and
// TXT key is always the same, and assembling it (UTF-8 checks of every
// string, certificate hashes) was most of a warm refresh's own work. The
// last one per (endpoint, client, TXT key) is kept with weak references to
// the two observations it came from, and reused only while both are still
// the very objects it was built from (a new probe result is a new object; a
// freed one cannot be mistaken for its successor). Bounded by entries and
// bytes; past either, arbitrary entries go.
class FingerprintMemo {
 public:
  FingerprintMemo(size_t max_entries, size_t max_bytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // `endpoint_key` is EndpointKey(target).
  std::shared_ptr<const v1::Fingerprint> Build(
      const net::Target& target, const std::string& endpoint_key,
      const std::shared_ptr<const probe::EndpointObservation>& endpoint,
      const std::shared_ptr<const probe::TxtObservation>& txt, const std::string& client_id,
      const std::string& txt_key) {
    const std::string key = absl::StrCat(endpoint_key, "\n", client_id, "\n", txt_key);
    {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second.endpoint.lock() == endpoint &&
          it->second.txt.lock() == txt) {
        return it->second.fingerprint;
      }
    }
    auto built = std::make_shared<const v1::Fingerprint>(
        probe::BuildFingerprint(target, *endpoint, *txt, client_id, txt_key));
    const size_t bytes = built->SpaceUsedLong() + key.size();
    absl::MutexLock lock(&mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      bytes_ -= it->second.bytes;
      entries_.erase(it);
    }
    while (!entries_.empty() && (entries_.size() >= max_entries_ || bytes_ + bytes > max_bytes_)) {
      bytes_ -= entries_.begin()->second.bytes;
      entries_.erase(entries_.begin());
    }
    if (bytes <= max_bytes_ && max_entries_ > 0) {
      entries_[key] = Entry{endpoint, txt, built, bytes};
      bytes_ += bytes;
    }
    return built;
  }

 private:
  struct Entry {
    std::weak_ptr<const probe::EndpointObservation> endpoint;
    std::weak_ptr<const probe::TxtObservation> txt;
    std::shared_ptr<const v1::Fingerprint> fingerprint;
    size_t bytes = 0;
  };
  const size_t max_entries_;
  const size_t max_bytes_;
  absl::Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// Collects the two parts of one Observe call and answers when both are in.
struct Join {
  net::Target target;
  std::string endpoint_key;  // EndpointKey(target)
  std::string client_id;
  std::string txt_key;
  std::shared_ptr<FingerprintMemo> memo;
  bool shared_only = false;  // ObserveShared
  std::function<void(Observation)> done;
  absl::Mutex mu;
  std::optional<Served<probe::EndpointObservation>> endpoint ABSL_GUARDED_BY(mu);
  std::optional<Served<probe::TxtObservation>> txt ABSL_GUARDED_BY(mu);

  void Finish() {
    // Called once, by whichever part arrived second; no lock needed for the
    // parts any more, but take it for the analysis.
    Observation observation;
    {
      absl::MutexLock lock(&mu);
      std::shared_ptr<const v1::Fingerprint> fingerprint = memo->Build(
          target, endpoint_key, endpoint->observation, txt->observation, client_id, txt_key);
      if (shared_only) {
        observation.shared_fingerprint = std::move(fingerprint);
      } else {
        observation.fingerprint = *fingerprint;
      }
      observation.from_cache = endpoint->from_cache || txt->from_cache;
      observation.stale = endpoint->stale || txt->stale;
    }
    done(std::move(observation));
  }

  template <typename Obs>
  static void Set(const std::shared_ptr<Join>& join, std::optional<Served<Obs>> Join::*slot,
                  Served<Obs> served) {
    bool complete;
    {
      absl::MutexLock lock(&join->mu);
      join.get()->*slot = std::move(served);
      complete = join->endpoint.has_value() && join->txt.has_value();
    }
    if (complete) {
      join->Finish();
    }
  }
};

std::string TxtKey(const std::string& domain, const std::string& txt_key) {
  return absl::StrCat(domain, " ", txt_key);
}

}  // namespace

struct ObservationCache::State {
  State(probe::Prober& p, ObservationCacheOptions o)
      : prober(p),
        options(std::move(o)),
        endpoints(CachePart::kEndpoint, options),
        txts(CachePart::kTxt, options),
        memo(std::make_shared<FingerprintMemo>(options.max_entries, options.max_bytes / 4)) {}

  probe::Prober& prober;
  const ObservationCacheOptions options;
  PartCache<probe::EndpointObservation> endpoints;
  PartCache<probe::TxtObservation> txts;
  std::shared_ptr<FingerprintMemo> memo;
};

ObservationCache::ObservationCache(probe::Prober& prober, ObservationCacheOptions options)
    : state_(std::make_shared<State>(prober, std::move(options))) {}

ObservationCache::~ObservationCache() = default;

void ObservationCache::Observe(const net::Target& target, const std::string& client_id,
                               const std::string& txt_key, absl::Duration max_staleness,
                               std::function<void(Observation)> done) {
  Start(target, client_id, txt_key, max_staleness, false, std::move(done));
}

void ObservationCache::ObserveShared(const net::Target& target, const std::string& client_id,
                                     const std::string& txt_key, absl::Duration max_staleness,
                                     std::function<void(Observation)> done) {
  Start(target, client_id, txt_key, max_staleness, true, std::move(done));
}

void ObservationCache::Start(const net::Target& target, const std::string& client_id,
                             const std::string& txt_key, absl::Duration max_staleness,
                             bool shared_only, std::function<void(Observation)> done) {
  auto join = std::make_shared<Join>();
  join->shared_only = shared_only;
  join->target = target;
  join->endpoint_key = EndpointKey(target);
  join->client_id = client_id;
  join->txt_key = txt_key;
  join->done = std::move(done);
  std::shared_ptr<State> state = state_;
  join->memo = state->memo;
  probe::Prober* prober = &state->prober;
  // The probe's own bound, from when it starts, on the cache's clock (real
  // time unless a test gives the cache and its fake prober one clock).
  const absl::Time probe_deadline =
      (state->options.clock ? state->options.clock() : absl::Now()) + state->options.probe_timeout;

  state->endpoints.Get(
      join->endpoint_key, max_staleness,
      [prober, target, probe_deadline](std::function<void(probe::EndpointObservation)> cb) {
        prober->ObserveEndpoint(target, probe_deadline, std::move(cb));
      },
      [join](Served<probe::EndpointObservation> s) {
        Join::Set(join, &Join::endpoint, std::move(s));
      },
      state);

  if (target.host_is_ip_literal) {
    auto not_applicable = std::make_shared<probe::TxtObservation>();
    not_applicable->outcome = v1::PROBE_OUTCOME_NOT_APPLICABLE;
    Served<probe::TxtObservation> none;
    none.observation = std::move(not_applicable);
    Join::Set(join, &Join::txt, std::move(none));
    return;
  }
  state->txts.Get(
      TxtKey(target.domain, txt_key), max_staleness,
      [prober, domain = target.domain, txt_key,
       probe_deadline](std::function<void(probe::TxtObservation)> cb) {
        prober->ObserveTxt(domain, txt_key, probe_deadline, std::move(cb));
      },
      [join](Served<probe::TxtObservation> s) { Join::Set(join, &Join::txt, std::move(s)); },
      state);
}

void ObservationCache::Observe(const net::Target& target, const std::string& client_id,
                               const std::string& txt_key, std::function<void(Observation)> done) {
  Observe(target, client_id, txt_key, state_->options.max_staleness, std::move(done));
}

ObservationCacheStats ObservationCache::stats() const {
  ObservationCacheStats stats;
  stats.endpoint = state_->endpoints.Stats();
  stats.txt = state_->txts.Stats();
  return stats;
}

}  // namespace apptrust::cache
