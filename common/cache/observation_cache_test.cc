#include "common/cache/observation_cache.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/probe/testing/fake_prober.h"
#include "common/time/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace apptrust::cache {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1795867200);  // 2026-11-28T12:00:00Z
const absl::Duration kStaleOk = absl::Hours(12);

using apptrust::testing::FakeClock;
using apptrust::testing::FakeProber;

net::Target Target(const std::string& host = "app.example.com") {
  net::Target t;
  t.scheme = "https";
  t.host = host;
  t.port = 443;
  t.domain = "example.com";
  return t;
}

probe::EndpointObservation GoodEndpoint(const std::string& leaf, absl::Time at) {
  probe::EndpointObservation o;
  o.addresses = {"192.0.2.10"};
  o.address_outcome = v1::PROBE_OUTCOME_OK;
  o.tls.set_outcome(v1::PROBE_OUTCOME_OK);
  o.tls.set_present(true);
  o.tls.set_leaf_sha256(leaf);
  o.observed_at = at;
  return o;
}

probe::EndpointObservation FailedEndpoint(v1::ProbeOutcome outcome, absl::Time at) {
  probe::EndpointObservation o;
  o.addresses = {"192.0.2.10"};
  o.address_outcome = v1::PROBE_OUTCOME_OK;
  o.tls.set_outcome(outcome);
  o.observed_at = at;
  return o;
}

probe::TxtObservation GoodTxt(absl::Time at) {
  probe::TxtObservation o;
  o.outcome = v1::PROBE_OUTCOME_OK;
  o.entries = {"cerner-client-id=app-1"};
  o.observed_at = at;
  return o;
}

probe::TxtObservation FailedTxt(absl::Time at) {
  probe::TxtObservation o;
  o.outcome = v1::PROBE_OUTCOME_SERVFAIL;
  o.observed_at = at;
  return o;
}

// Collects what `done` delivered.
struct Result {
  absl::Mutex mu;
  std::vector<Observation> got ABSL_GUARDED_BY(mu);

  std::function<void(Observation)> Callback() {
    return [this](Observation o) {
      absl::MutexLock lock(&mu);
      got.push_back(std::move(o));
    };
  }
  size_t size() {
    absl::MutexLock lock(&mu);
    return got.size();
  }
  Observation at(size_t i) {
    absl::MutexLock lock(&mu);
    return got.at(i);
  }
};

class ObservationCacheTest : public ::testing::Test {
 protected:
  ObservationCacheOptions Options() {
    ObservationCacheOptions options;
    options.clock = [this] { return clock_.Now(); };
    // Tests move the clock by hours while a probe is held; the probe bound
    // has its own test.
    options.probe_timeout = absl::InfiniteDuration();
    return options;
  }

  void Observe(ObservationCache& cache, Result& result, absl::Duration max_staleness = kStaleOk,
               const std::string& host = "app.example.com") {
    cache.Observe(Target(host), "app-1", "cerner-client-id", max_staleness, result.Callback());
  }

  FakeClock clock_{kStart};
  FakeProber prober_{[this] { return clock_.Now(); }};
};

TEST_F(ObservationCacheTest, FreshResultIsReusedUntilTheTtlEnds) {
  ObservationCache cache(prober_, Options());
  Result r;
  Observe(cache, r);
  ASSERT_EQ(prober_.endpoint_calls(), 1);
  ASSERT_EQ(prober_.txt_calls(), 1);
  EXPECT_EQ(r.size(), 0u);  // waits for both parts
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf-1", clock_.Now()));
  EXPECT_EQ(r.size(), 0u);
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r.at(0).from_cache);
  EXPECT_FALSE(r.at(0).stale);
  EXPECT_EQ(r.at(0).fingerprint.tls().leaf_sha256(), "leaf-1");
  EXPECT_TRUE(r.at(0).fingerprint.dns().client_id_txt_present());

  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  Observe(cache, r);
  ASSERT_EQ(r.size(), 2u);  // answered inside Observe
  EXPECT_TRUE(r.at(1).from_cache);
  EXPECT_EQ(prober_.endpoint_calls(), 1);
  EXPECT_EQ(prober_.txt_calls(), 1);

  clock_.Advance(absl::Seconds(1));  // exactly ttl: expired
  Observe(cache, r);
  EXPECT_EQ(prober_.endpoint_calls(), 2);
  EXPECT_EQ(prober_.txt_calls(), 2);
  prober_.CompleteEndpoint(1, GoodEndpoint("leaf-2", clock_.Now()));
  prober_.CompleteTxt(1, GoodTxt(clock_.Now()));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FALSE(r.at(2).from_cache);
  EXPECT_EQ(r.at(2).fingerprint.tls().leaf_sha256(), "leaf-2");

  ObservationCacheStats stats = cache.stats();
  EXPECT_EQ(stats.endpoint.misses, 2u);
  EXPECT_EQ(stats.endpoint.hits, 1u);
  EXPECT_EQ(stats.txt.misses, 2u);
  EXPECT_EQ(stats.txt.hits, 1u);
  EXPECT_EQ(stats.endpoint.entries, 1u);
}

TEST_F(ObservationCacheTest, ConcurrentRequestsShareOneProbe) {
  ObservationCache cache(prober_, Options());
  Result r;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  absl::Notification go;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      go.WaitForNotification();
      for (int i = 0; i < kPerThread; ++i) {
        Observe(cache, r);
      }
    });
  }
  go.Notify();
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(prober_.endpoint_calls(), 1);
  EXPECT_EQ(prober_.txt_calls(), 1);
  EXPECT_EQ(r.size(), 0u);

  // Completed from another thread, as the engine's event loop would.
  std::thread engine([&] {
    prober_.CompleteEndpoint(0, GoodEndpoint("leaf-1", kStart));
    prober_.CompleteTxt(0, GoodTxt(kStart));
  });
  engine.join();
  ASSERT_EQ(r.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r.at(i).fingerprint.tls().leaf_sha256(), "leaf-1");
    EXPECT_FALSE(r.at(i).from_cache);
  }
  ObservationCacheStats stats = cache.stats();
  EXPECT_EQ(stats.endpoint.misses, 1u);
  EXPECT_EQ(stats.endpoint.coalesced, static_cast<uint64_t>(kThreads * kPerThread - 1));
  EXPECT_EQ(stats.endpoint.in_flight, 0u);
}

TEST_F(ObservationCacheTest, TtlZeroProbesEveryTimeButStillCoalesces) {
  ObservationCacheOptions options = Options();
  options.ttl = absl::ZeroDuration();
  ObservationCache cache(prober_, options);
  Result r;
  Observe(cache, r);
  Observe(cache, r);
  EXPECT_EQ(prober_.endpoint_calls(), 1);  // second joined the first
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf-1", kStart));
  prober_.CompleteTxt(0, GoodTxt(kStart));
  EXPECT_EQ(r.size(), 2u);
  Observe(cache, r);
  EXPECT_EQ(prober_.endpoint_calls(), 2);  // no reuse
  EXPECT_EQ(prober_.txt_calls(), 2);
}

TEST_F(ObservationCacheTest, FailureServedWithLastGoodWithinMaxStaleness) {
  ObservationCache cache(prober_, Options());
  Result r;
  Observe(cache, r);
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf-good", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));

  clock_.Advance(absl::Hours(11));
  Observe(cache, r);
  prober_.CompleteEndpoint(1, FailedEndpoint(v1::PROBE_OUTCOME_TIMEOUT, clock_.Now()));
  prober_.CompleteTxt(1, FailedTxt(clock_.Now()));
  ASSERT_EQ(r.size(), 2u);
  Observation stale = r.at(1);
  EXPECT_TRUE(stale.stale);
  EXPECT_TRUE(stale.from_cache);
  EXPECT_EQ(stale.fingerprint.tls().leaf_sha256(), "leaf-good");
  EXPECT_EQ(stale.fingerprint.tls().outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_TRUE(stale.fingerprint.dns().client_id_txt_present());
  // captured_at says how old the judged observation is.
  EXPECT_EQ(stale.fingerprint.captured_at().seconds(), absl::ToUnixSeconds(kStart));
  EXPECT_EQ(cache.stats().endpoint.stale, 1u);
  EXPECT_EQ(cache.stats().txt.stale, 1u);

  // A caller that does not accept stale results (on_probe_failure ALLOW or
  // SUSPEND) sees the failure, from the cached failure result.
  Observe(cache, r, absl::ZeroDuration());
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FALSE(r.at(2).stale);
  EXPECT_EQ(r.at(2).fingerprint.tls().outcome(), v1::PROBE_OUTCOME_TIMEOUT);
  EXPECT_EQ(r.at(2).fingerprint.dns().txt_outcome(), v1::PROBE_OUTCOME_SERVFAIL);
  EXPECT_EQ(prober_.endpoint_calls(), 2);
}

TEST_F(ObservationCacheTest, FailureIsServedOncePastMaxStaleness) {
  ObservationCache cache(prober_, Options());
  Result r;
  Observe(cache, r);
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf-good", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));

  clock_.Advance(absl::Hours(12) + absl::Seconds(1));
  Observe(cache, r);
  prober_.CompleteEndpoint(1, FailedEndpoint(v1::PROBE_OUTCOME_CONNECTION_REFUSED, clock_.Now()));
  prober_.CompleteTxt(1, GoodTxt(clock_.Now()));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r.at(1).stale);
  EXPECT_EQ(r.at(1).fingerprint.tls().outcome(), v1::PROBE_OUTCOME_CONNECTION_REFUSED);
  EXPECT_EQ(cache.stats().endpoint.stale, 0u);
}

TEST_F(ObservationCacheTest, DefinitiveBadNewsIsNotAFailureAndReplacesTheLastGood) {
  ObservationCache cache(prober_, Options());
  Result r;
  Observe(cache, r);
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf-good", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  clock_.Advance(absl::Minutes(6));
  Observe(cache, r);
  probe::EndpointObservation nxdomain;
  nxdomain.address_outcome = v1::PROBE_OUTCOME_NXDOMAIN;
  nxdomain.observed_at = clock_.Now();
  prober_.CompleteEndpoint(1, nxdomain);
  probe::TxtObservation no_entries;
  no_entries.outcome = v1::PROBE_OUTCOME_NO_DATA;
  no_entries.observed_at = clock_.Now();
  prober_.CompleteTxt(1, no_entries);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r.at(1).stale);
  EXPECT_EQ(r.at(1).fingerprint.dns().address_outcome(), v1::PROBE_OUTCOME_NXDOMAIN);
  EXPECT_FALSE(r.at(1).fingerprint.dns().client_id_txt_present());
}

TEST_F(ObservationCacheTest, FailuresAreCachedForTheShorterFailureTtl) {
  ObservationCache cache(prober_, Options());
  Result r;
  Observe(cache, r, absl::ZeroDuration());
  prober_.CompleteEndpoint(0, FailedEndpoint(v1::PROBE_OUTCOME_TIMEOUT, clock_.Now()));
  prober_.CompleteTxt(0, FailedTxt(clock_.Now()));
  clock_.Advance(absl::Seconds(29));
  Observe(cache, r, absl::ZeroDuration());
  EXPECT_EQ(prober_.endpoint_calls(), 1);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r.at(1).from_cache);
  EXPECT_EQ(r.at(1).fingerprint.tls().outcome(), v1::PROBE_OUTCOME_TIMEOUT);
  clock_.Advance(absl::Seconds(1));
  Observe(cache, r, absl::ZeroDuration());
  EXPECT_EQ(prober_.endpoint_calls(), 2);
  EXPECT_EQ(prober_.txt_calls(), 2);
}

// Out of descriptors here (an attacker's idle connections) is no evidence
// about the app: not answered with the last good result, not cached.
TEST_F(ObservationCacheTest, LocalFailureIsNeitherStaleServedNorCached) {
  ObservationCache cache(prober_, Options());
  Result r;
  Observe(cache, r);
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf-good", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));

  clock_.Advance(absl::Minutes(6));  // past the ttl: the next request probes
  Observe(cache, r);
  prober_.CompleteEndpoint(1, FailedEndpoint(v1::PROBE_OUTCOME_LOCAL_ERROR, clock_.Now()));
  probe::TxtObservation txt_local = FailedTxt(clock_.Now());
  txt_local.outcome = v1::PROBE_OUTCOME_LOCAL_ERROR;
  prober_.CompleteTxt(1, txt_local);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r.at(1).stale);
  EXPECT_EQ(r.at(1).fingerprint.tls().outcome(), v1::PROBE_OUTCOME_LOCAL_ERROR);
  EXPECT_EQ(r.at(1).fingerprint.dns().txt_outcome(), v1::PROBE_OUTCOME_LOCAL_ERROR);
  EXPECT_EQ(cache.stats().endpoint.stale, 0u);

  // At once (well within failure_ttl) the next request probes again.
  Observe(cache, r);
  EXPECT_EQ(prober_.endpoint_calls(), 3);
  EXPECT_EQ(prober_.txt_calls(), 3);
  prober_.CompleteEndpoint(2, GoodEndpoint("leaf-good", clock_.Now()));
  prober_.CompleteTxt(2, GoodTxt(clock_.Now()));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.at(2).fingerprint.tls().outcome(), v1::PROBE_OUTCOME_OK);
}

TEST_F(ObservationCacheTest, LeastRecentlyUsedKeyIsEvicted) {
  ObservationCacheOptions options = Options();
  options.max_entries = 2;
  std::vector<CacheEvent> events;
  absl::Mutex events_mu;
  options.on_event = [&](const CacheEvent& e) {
    absl::MutexLock lock(&events_mu);
    events.push_back(e);
  };
  ObservationCache cache(prober_, options);
  Result r;
  int calls = 0;
  auto observe_and_complete = [&](const std::string& host) {
    Observe(cache, r, kStaleOk, host);
    while (calls < prober_.endpoint_calls()) {
      prober_.CompleteEndpoint(calls++, GoodEndpoint(host, clock_.Now()));
    }
  };
  observe_and_complete("a.example.com");
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));  // one TXT key for all hosts
  observe_and_complete("b.example.com");
  observe_and_complete("a.example.com");  // hit: a is now the most recent
  EXPECT_EQ(prober_.endpoint_calls(), 2);
  observe_and_complete("c.example.com");  // evicts b
  EXPECT_EQ(prober_.endpoint_calls(), 3);
  observe_and_complete("a.example.com");  // still cached
  EXPECT_EQ(prober_.endpoint_calls(), 3);
  observe_and_complete("b.example.com");  // was evicted: probes again
  EXPECT_EQ(prober_.endpoint_calls(), 4);
  EXPECT_EQ(prober_.endpoint_host(3), "b.example.com");
  EXPECT_EQ(prober_.txt_calls(), 1);
  EXPECT_EQ(r.size(), 6u);

  ObservationCacheStats stats = cache.stats();
  EXPECT_EQ(stats.endpoint.entries, 2u);
  EXPECT_EQ(stats.endpoint.evictions, 2u);  // b, then c (for b)
  int evictions = 0;
  for (const CacheEvent& e : events) {
    if (e.kind == CacheEventKind::kEviction && e.part == CachePart::kEndpoint) {
      ++evictions;
    }
  }
  EXPECT_EQ(evictions, 2);
}

TEST_F(ObservationCacheTest, KeysWithAProbeInFlightAreNotEvicted) {
  ObservationCacheOptions options = Options();
  options.max_entries = 1;
  ObservationCache cache(prober_, options);
  Result r;
  Observe(cache, r, kStaleOk, "a.example.com");
  Observe(cache, r, kStaleOk, "b.example.com");  // a is in flight: kept, bound exceeded
  Observe(cache, r, kStaleOk, "a.example.com");  // joins a's probe
  EXPECT_EQ(prober_.endpoint_calls(), 2);
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  prober_.CompleteEndpoint(0, GoodEndpoint("a", clock_.Now()));
  prober_.CompleteEndpoint(1, GoodEndpoint("b", clock_.Now()));
  EXPECT_EQ(r.size(), 3u);
}

TEST_F(ObservationCacheTest, HostsOfOneDomainShareTheTxtLookup) {
  ObservationCache cache(prober_, Options());
  Result r;
  Observe(cache, r, kStaleOk, "app1.example.com");
  Observe(cache, r, kStaleOk, "app2.example.com");
  EXPECT_EQ(prober_.endpoint_calls(), 2);
  EXPECT_EQ(prober_.txt_calls(), 1);
}

TEST_F(ObservationCacheTest, IpLiteralHostsSkipTheTxtLookup) {
  ObservationCache cache(prober_, Options());
  Result r;
  net::Target t;
  t.scheme = "https";
  t.host = "127.0.0.1";
  t.port = 8443;
  t.domain = "127.0.0.1";
  t.host_is_ip_literal = true;
  cache.Observe(t, "app-1", "cerner-client-id", kStaleOk, r.Callback());
  EXPECT_EQ(prober_.txt_calls(), 0);
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf", clock_.Now()));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.at(0).fingerprint.dns().txt_outcome(), v1::PROBE_OUTCOME_NOT_APPLICABLE);
  EXPECT_TRUE(r.at(0).fingerprint.host_is_ip_literal());
  EXPECT_EQ(r.at(0).fingerprint.port(), 8443u);
}

TEST_F(ObservationCacheTest, CallbacksMayCallBackIntoTheCache) {
  ObservationCache cache(prober_, Options());
  Result r;
  Observe(cache, r);
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  // A cache hit answers inside Observe; the answer observes again. With the
  // lock held during callbacks this would deadlock.
  int nested = 0;
  cache.Observe(Target(), "app-1", "cerner-client-id", kStaleOk, [&](const Observation&) {
    cache.Observe(Target(), "app-1", "cerner-client-id", kStaleOk,
                  [&](const Observation&) { ++nested; });
    (void)cache.stats();
  });
  EXPECT_EQ(nested, 1);
}

TEST_F(ObservationCacheTest, ProbesCompletingAfterTheCacheIsGoneStillAnswer) {
  Result r;
  {
    ObservationCache cache(prober_, Options());
    Observe(cache, r);
  }
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  EXPECT_EQ(r.size(), 1u);
}

TEST_F(ObservationCacheTest, ClientIdDecidesTxtPresenceOnASharedTxtEntry) {
  ObservationCache cache(prober_, Options());
  Result mine, other;
  cache.Observe(Target(), "app-1", "cerner-client-id", kStaleOk, mine.Callback());
  cache.Observe(Target(), "app-2", "cerner-client-id", kStaleOk, other.Callback());
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_TRUE(mine.at(0).fingerprint.dns().client_id_txt_present());
  EXPECT_FALSE(other.at(0).fingerprint.dns().client_id_txt_present());
}

// Fingerprints assembled from cached observations are reused, per client and
// only while the observations are the ones they were built from.
TEST_F(ObservationCacheTest, ReusedFingerprintsFollowTheClientAndTheObservations) {
  ObservationCache cache(prober_, Options());
  Result r;
  auto observe = [&](const std::string& client) {
    cache.Observe(Target(), client, "cerner-client-id", kStaleOk, r.Callback());
  };
  observe("app-1");
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf-1", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  for (const char* client : {"app-2", "app-1", "app-2", "app-1"}) observe(client);
  ASSERT_EQ(r.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.at(i).fingerprint.dns().client_id_txt_present(), i % 2 == 0);
    EXPECT_EQ(r.at(i).fingerprint.tls().leaf_sha256(), "leaf-1");
  }
  clock_.Advance(absl::Minutes(5));
  observe("app-1");
  probe::TxtObservation gone = GoodTxt(clock_.Now());
  gone.entries = {"unrelated=1"};
  prober_.CompleteEndpoint(1, GoodEndpoint("leaf-2", clock_.Now()));
  prober_.CompleteTxt(1, gone);
  observe("app-1");
  ASSERT_EQ(r.size(), 7u);
  for (size_t i = 5; i < 7; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.at(i).fingerprint.tls().leaf_sha256(), "leaf-2");
    EXPECT_FALSE(r.at(i).fingerprint.dns().client_id_txt_present());
  }
}

TEST_F(ObservationCacheTest, OverloadWithoutAllowanceUsesTheOptionsMaxStaleness) {
  ObservationCacheOptions options = Options();
  options.max_staleness = absl::Hours(1);
  ObservationCache cache(prober_, options);
  Result r;
  auto observe = [&] { cache.Observe(Target(), "app-1", "cerner-client-id", r.Callback()); };
  observe();
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf-good", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  clock_.Advance(absl::Minutes(59));
  observe();
  prober_.CompleteEndpoint(1, FailedEndpoint(v1::PROBE_OUTCOME_TIMEOUT, clock_.Now()));
  prober_.CompleteTxt(1, GoodTxt(clock_.Now()));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r.at(1).stale);
  clock_.Advance(absl::Minutes(2));  // failure TTL (30 s) over, last good 61 min old
  observe();
  prober_.CompleteEndpoint(2, FailedEndpoint(v1::PROBE_OUTCOME_TIMEOUT, clock_.Now()));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FALSE(r.at(2).stale);
}

// Defect: a request with a 150 ms deadline that started the probe of a slow
// host ended the probe at its deadline; the timeout was cached and served to
// the next caller, whose deadline was long. The probe has its own bound.
TEST_F(ObservationCacheTest, AProbeRunsToItsOwnBoundWhoeverStartedOrJoinedIt) {
  ObservationCacheOptions options = Options();
  options.probe_timeout = absl::Seconds(5);
  ObservationCache cache(prober_, options);
  const absl::Time start = clock_.Now();
  Result first, second;
  Observe(cache, first);   // its caller would give up after 150 ms
  Observe(cache, second);  // joins the flight
  ASSERT_EQ(prober_.endpoint_calls(), 1);
  EXPECT_EQ(prober_.endpoint_deadline(0), start + absl::Seconds(5));
  EXPECT_EQ(prober_.txt_deadline(0), start + absl::Seconds(5));
  // The host answers after 600 ms: long after the first caller's deadline,
  // well within the probe's own bound.
  clock_.Advance(absl::Milliseconds(600));
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second.at(0).fingerprint.tls().outcome(), v1::PROBE_OUTCOME_OK);
  // And what is cached is the good result.
  Result third;
  Observe(cache, third, /*max_staleness=*/absl::ZeroDuration());
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(prober_.endpoint_calls(), 1);
  EXPECT_EQ(third.at(0).fingerprint.tls().outcome(), v1::PROBE_OUTCOME_OK);
}

probe::EndpointObservation BigEndpoint(const std::string& leaf, absl::Time at, size_t bytes) {
  probe::EndpointObservation o = GoodEndpoint(leaf, at);
  o.tls.set_issuer(std::string(bytes, 'x'));
  return o;
}

// An app chooses how big its certificate is: the cache is bounded by what
// its results really hold, not only by how many there are.
TEST_F(ObservationCacheTest, KeptResultsAreBoundedInBytes) {
  ObservationCacheOptions options = Options();
  options.max_bytes = 1 << 20;  // 1 MiB per kind
  ObservationCache cache(prober_, options);
  constexpr int kHosts = 40;
  for (int i = 0; i < kHosts; ++i) {
    Result r;
    Observe(cache, r, kStaleOk, absl::StrCat("host-", i, ".example.com"));
    prober_.CompleteEndpoint(i, BigEndpoint("leaf", clock_.Now(), 100 << 10));  // 100 KiB
    if (i == 0) prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
    ASSERT_EQ(r.size(), 1u) << i;  // answered whether kept or not
  }
  const ObservationCacheStats stats = cache.stats();
  EXPECT_LE(stats.endpoint.bytes, size_t{1} << 20);
  EXPECT_GE(stats.endpoint.bytes, size_t{800} << 10) << "accounts what a result holds";
  EXPECT_LT(stats.endpoint.entries, 11u);
  EXPECT_GT(stats.endpoint.evictions, 29u);
  // The most recent host is still served from memory; the first was evicted.
  Result recent, first;
  Observe(cache, recent, kStaleOk, absl::StrCat("host-", kHosts - 1, ".example.com"));
  EXPECT_EQ(recent.size(), 1u);
  Observe(cache, first, kStaleOk, "host-0.example.com");
  EXPECT_EQ(first.size(), 0u);
  EXPECT_EQ(prober_.endpoint_calls(), kHosts + 1);
}

TEST_F(ObservationCacheTest, AResultLargerThanTheBoundIsAnsweredButNotKept) {
  ObservationCacheOptions options = Options();
  options.max_bytes = 64 << 10;
  ObservationCache cache(prober_, options);
  Result small, huge;
  Observe(cache, small, kStaleOk, "small.example.com");
  prober_.CompleteEndpoint(0, GoodEndpoint("leaf", clock_.Now()));
  prober_.CompleteTxt(0, GoodTxt(clock_.Now()));
  Observe(cache, huge, kStaleOk, "huge.example.com");
  prober_.CompleteEndpoint(1, BigEndpoint("leaf", clock_.Now(), 100 << 10));
  ASSERT_EQ(huge.size(), 1u);
  EXPECT_EQ(huge.at(0).fingerprint.tls().issuer().size(), size_t{100} << 10);
  EXPECT_LE(cache.stats().endpoint.bytes, size_t{64} << 10);
  // The small one was not pushed out by a result that could never fit.
  Result again;
  Observe(cache, again, kStaleOk, "small.example.com");
  EXPECT_EQ(again.size(), 1u);
  EXPECT_EQ(prober_.endpoint_calls(), 2);
}

}  // namespace
}  // namespace apptrust::cache
