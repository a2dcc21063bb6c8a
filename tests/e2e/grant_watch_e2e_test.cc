// The coherent grant cache end to end: two decision replicas (A and B, each
// with the grant cache on, as by default) on one store, or on two store
// replicas sharing one PostgreSQL database, so B learns of A's writes only
// through the store's change stream. Every refresh goes through the real
// processes over gRPC.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_world.h"
#include "tests/store/metrics_scrape.h"

namespace apptrust::testing {
namespace {

using ::testing::Contains;
using v1::CheckRefreshResponse;

constexpr char kTenant[] = "tenant-w";
// The decision services' staleness bound (the default).
constexpr absl::Duration kMaxLag = absl::Seconds(1);
// How long a change may take to show before the test gives up: liveness,
// not a figure (the figures are printed).
constexpr absl::Duration kGiveUp = absl::Seconds(20);

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

class GrantWatchE2eTest : public ::testing::TestWithParam<StoreSetup> {
 protected:
  static void TearDownTestSuite() { Worlds().Clear(); }

  void SetUp() override {
    auto world = Worlds().Get(GetParam());
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = *world;
    // Observations are reused (as by default) so a refresh's time is the
    // grant's path, not a handshake.
    auto a = world_->DecisionOn(0, {"--cache_ttl=5m"});
    ASSERT_TRUE(a.ok()) << a.status();
    a_ = *a;
    auto b = world_->DecisionOn(world_->store_replicas() - 1, {"--cache_ttl=5m"});
    ASSERT_TRUE(b.ok()) << b.status();
    b_ = *b;
  }

  TestApp* NewApp(const std::string& name) {
    auto app =
        world_->AddApp(absl::StrCat(name, "-", StoreSetupName({GetParam(), 0})), ExampleHealthOv());
    EXPECT_TRUE(app.ok()) << app.status();
    return app.ok() ? *app : nullptr;
  }

  static grpc::Status Enroll(RunningService* service, const TestApp& app,
                             const std::string& grant_id, v1::EnrollResponse* response) {
    v1::EnrollRequest request;
    request.set_tenant_id(kTenant);
    request.set_client_id(app.client_id);
    request.set_grant_id(grant_id);
    request.set_redirect_uri(app.redirect_uri);
    request.set_application_name("Example Health App");
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return v1::DecisionService::NewStub(service->channel)->Enroll(&context, request, response);
  }

  // A refresh; `redirect_uri` on another domain makes it suspend the grant
  // (REDIRECT_DOMAIN_CHANGED) without touching the app.
  static grpc::Status Check(RunningService* service, const TestApp& app,
                            const std::string& grant_id, CheckRefreshResponse* response,
                            int64_t min_store_revision = 0, const std::string& redirect_uri = "") {
    v1::CheckRefreshRequest request;
    request.set_tenant_id(kTenant);
    request.set_client_id(app.client_id);
    request.set_grant_id(grant_id);
    request.set_redirect_uri(redirect_uri);
    request.set_min_store_revision(min_store_revision);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return v1::DecisionService::NewStub(service->channel)
        ->CheckRefresh(&context, request, response);
  }

  void EnrollOk(RunningService* service, const TestApp& app, const std::string& grant_id,
                v1::EnrollResponse* out = nullptr) {
    v1::EnrollResponse response;
    const grpc::Status status = Enroll(service, app, grant_id, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_GT(response.store_revision(), 0);
    if (out != nullptr) *out = response;
  }

  CheckRefreshResponse CheckOk(RunningService* service, const TestApp& app,
                               const std::string& grant_id, int64_t min_store_revision = 0) {
    CheckRefreshResponse response;
    const grpc::Status status = Check(service, app, grant_id, &response, min_store_revision);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // Suspends `grant_id` through `service`: the gateway reports a redirect URI
  // on another domain.
  CheckRefreshResponse SuspendThrough(RunningService* service, const TestApp& app,
                                      const std::string& grant_id) {
    CheckRefreshResponse response;
    const grpc::Status status =
        Check(service, app, grant_id, &response, 0, "https://app.elsewhere.test/callback");
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.verdict(), v1::VERDICT_SUSPEND);
    EXPECT_GT(response.store_revision(), 0);
    return response;
  }

  static double Metric(const RunningService* service, const std::string& series) {
    auto text = ScrapeMetrics(service->metrics_address);
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? SeriesValue(*text, series).value_or(-1) : -1;
  }
  static double Hits(const RunningService* service) {
    return Metric(service, R"(apptrust_grant_cache_requests_total{result="hit"})");
  }
  // Waits until `service`'s grant cache reports itself caught up.
  static bool WaitCaughtUp(const RunningService* service) {
    const absl::Time give_up = absl::Now() + kGiveUp;
    while (absl::Now() < give_up) {
      if (Metric(service, "apptrust_grant_watch_caught_up") == 1) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  // Refreshes `grant_id` on B until `verdict` comes back; returns the time
  // from `since` to that answer, or nullopt at kGiveUp.
  std::optional<absl::Duration> TimeUntilBSays(const TestApp& app, const std::string& grant_id,
                                               v1::Verdict verdict, absl::Time since,
                                               CheckRefreshResponse* last) {
    while (absl::Now() - since < kGiveUp) {
      CheckRefreshResponse response;
      const grpc::Status status = Check(b_, app, grant_id, &response);
      if (status.ok() && response.verdict() == verdict) {
        *last = response;
        return absl::Now() - since;
      }
    }
    return std::nullopt;
  }

  static WorldsBySetup& Worlds() {
    static auto* worlds = new WorldsBySetup();
    return *worlds;
  }

  E2eWorld* world_ = nullptr;
  RunningService* a_ = nullptr;
  RunningService* b_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Stores, GrantWatchE2eTest,
                         ::testing::Values(StoreSetup::kSqlite, StoreSetup::kTwoPostgresReplicas),
                         StoreSetupName);

TEST_P(GrantWatchE2eTest, SuspensionsAndReApprovalsThroughAReachBAndTheDelayIsMeasured) {
  TestApp* app = NewApp("propagate");
  ASSERT_NE(app, nullptr);
  constexpr int kGrants = 30;
  auto grant = [](int i) { return absl::StrCat("grant-propagate-", i); };
  for (int i = 0; i < kGrants; ++i) EnrollOk(a_, *app, grant(i));
  ASSERT_TRUE(WaitCaughtUp(b_));
  // B reads each grant once; the second pass is answered from its memory.
  for (int i = 0; i < kGrants; ++i) {
    EXPECT_EQ(CheckOk(b_, *app, grant(i)).verdict(), v1::VERDICT_ALLOW);
  }
  const double hits_before = Hits(b_);
  for (int i = 0; i < kGrants; ++i) {
    EXPECT_EQ(CheckOk(b_, *app, grant(i)).verdict(), v1::VERDICT_ALLOW);
  }
  const double hits = Hits(b_) - hits_before;
  std::printf("second pass on B: %.0f of %d refreshes answered from memory\n", hits, kGrants);
  EXPECT_GT(hits, 0) << "B never answered from memory";

  std::vector<double> suspend_ms;
  std::vector<double> reapprove_ms;
  for (int i = 0; i < kGrants; ++i) {
    SCOPED_TRACE(grant(i));
    const CheckRefreshResponse suspended = SuspendThrough(a_, *app, grant(i));
    const absl::Time written = absl::Now();
    CheckRefreshResponse seen;
    auto delay = TimeUntilBSays(*app, grant(i), v1::VERDICT_SUSPEND, written, &seen);
    ASSERT_TRUE(delay.has_value()) << "B never honoured A's suspension";
    suspend_ms.push_back(absl::ToDoubleMilliseconds(*delay));
    // B read the suspension A wrote; it did not decide on its own.
    EXPECT_EQ(seen.suspension_id(), suspended.suspension_id());
    std::vector<v1::Reason> reasons;
    for (const v1::Finding& f : seen.findings()) reasons.push_back(f.reason());
    EXPECT_THAT(reasons, Contains(v1::REASON_ALREADY_SUSPENDED));
    EXPECT_THAT(reasons, Contains(v1::REASON_REDIRECT_DOMAIN_CHANGED));

    EnrollOk(a_, *app, grant(i));  // the patient approves the app again
    const absl::Time reapproved = absl::Now();
    delay = TimeUntilBSays(*app, grant(i), v1::VERDICT_ALLOW, reapproved, &seen);
    ASSERT_TRUE(delay.has_value()) << "B never honoured A's re-approval";
    reapprove_ms.push_back(absl::ToDoubleMilliseconds(*delay));
  }
  std::vector<double> all = suspend_ms;
  all.insert(all.end(), reapprove_ms.begin(), reapprove_ms.end());
  std::printf(
      "propagation A -> B (%s, %zu changes; from A's answer to B's first answer showing it): "
      "p50 %.2f ms, p99 %.2f ms, max %.2f ms; suspensions p50 %.2f ms p99 %.2f ms; "
      "re-approvals p50 %.2f ms p99 %.2f ms\n",
      StoreSetupName({GetParam(), 0}).c_str(), all.size(), Percentile(all, 0.5),
      Percentile(all, 0.99), Percentile(all, 1.0), Percentile(suspend_ms, 0.5),
      Percentile(suspend_ms, 0.99), Percentile(reapprove_ms, 0.5), Percentile(reapprove_ms, 0.99));
}

TEST_P(GrantWatchE2eTest, AGatewayPassingTheStoreRevisionReadsItsOwnWritesOnB) {
  TestApp* app = NewApp("ryw");
  ASSERT_NE(app, nullptr);
  constexpr int kGrants = 20;
  auto grant = [](int i) { return absl::StrCat("grant-ryw-", i); };
  for (int i = 0; i < kGrants; ++i) EnrollOk(a_, *app, grant(i));
  ASSERT_TRUE(WaitCaughtUp(b_));
  int stale_without_revision = 0;
  for (int i = 0; i < kGrants; ++i) {
    SCOPED_TRACE(grant(i));
    SuspendThrough(a_, *app, grant(i));
    CheckRefreshResponse seen;
    ASSERT_TRUE(TimeUntilBSays(*app, grant(i), v1::VERDICT_SUSPEND, absl::Now(), &seen));
    // B now holds the suspended grant. A re-approves; the very next refresh
    // on B carries the revision A returned.
    v1::EnrollResponse enrolled;
    EnrollOk(a_, *app, grant(i), &enrolled);
    const CheckRefreshResponse plain = CheckOk(b_, *app, grant(i));
    if (plain.verdict() == v1::VERDICT_SUSPEND) ++stale_without_revision;
    const CheckRefreshResponse mine = CheckOk(b_, *app, grant(i), enrolled.store_revision());
    EXPECT_EQ(mine.verdict(), v1::VERDICT_ALLOW);
    EXPECT_GE(mine.store_revision(), enrolled.store_revision());
  }
  std::printf(
      "read-your-writes (%s): all %d refreshes on B with min_store_revision were ALLOW; "
      "without it, %d of %d made at once were still SUSPEND (the staleness bound)\n",
      StoreSetupName({GetParam(), 0}).c_str(), kGrants, stale_without_revision, kGrants);
}

// One refresh of the victim grant on B, as the background loop saw it.
struct Observed {
  absl::Time sent;
  grpc::StatusCode code;
  v1::Verdict verdict;
};

TEST_P(GrantWatchE2eTest, RestartingBsStoreNeverAllowsASuspendedGrantAndServingFromMemoryResumes) {
  TestApp* app = NewApp("restart");
  ASSERT_NE(app, nullptr);
  // grant-victim is refreshed on B all along; grant-quiet is held by B but
  // not asked for until B has caught up again, so only the stream's replay
  // can tell B it was suspended.
  EnrollOk(a_, *app, "grant-victim");
  EnrollOk(a_, *app, "grant-quiet");
  EnrollOk(a_, *app, "grant-other");
  ASSERT_TRUE(WaitCaughtUp(b_));
  for (const char* grant : {"grant-victim", "grant-quiet", "grant-quiet"}) {
    EXPECT_EQ(CheckOk(b_, *app, grant).verdict(), v1::VERDICT_ALLOW);
  }

  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<Observed> observed;
  std::thread refresher([&] {
    while (!stop.load()) {
      const absl::Time sent = absl::Now();
      CheckRefreshResponse response;
      const grpc::Status status = Check(b_, *app, "grant-victim", &response);
      absl::MutexLock lock(&mu);
      observed.push_back({sent, status.error_code(), response.verdict()});
    }
  });

  absl::SleepFor(absl::Milliseconds(300));
  const int b_store = world_->store_replicas() - 1;
  const absl::Time killed = absl::Now();
  absl::Time suspended_at = absl::InfiniteFuture();
  std::string suspension_id;
  std::string quiet_suspension_id;
  absl::Time restarting = absl::InfiniteFuture();  // when the store is started again
  auto suspend = [&] {
    const CheckRefreshResponse response = SuspendThrough(a_, *app, "grant-victim");
    quiet_suspension_id = SuspendThrough(a_, *app, "grant-quiet").suspension_id();
    suspension_id = response.suspension_id();
    suspended_at = absl::Now();
  };
  // With two store replicas, A suspends while B's store is down; with one,
  // as soon as it is back, racing B's reconnection.
  // The outage outlasts the staleness bound, so a cache that went on
  // answering from memory would show.
  const bool shared_database = world_->store_replicas() > 1;
  ASSERT_TRUE(world_
                  ->RestartStore(b_store,
                                 [&] {
                                   if (shared_database) suspend();
                                   absl::SleepFor(kMaxLag + absl::Milliseconds(500));
                                   restarting = absl::Now();
                                 })
                  .ok());
  const absl::Time restarted = absl::Now();
  if (!shared_database) {
    // A's channel went to the same store; its first call may meet the
    // reconnect.
    for (int attempt = 0; attempt < 50 && suspension_id.empty(); ++attempt) {
      CheckRefreshResponse response;
      if (Check(a_, *app, "grant-victim", &response, 0, "https://app.elsewhere.test/callback")
              .ok()) {
        quiet_suspension_id = SuspendThrough(a_, *app, "grant-quiet").suspension_id();
        suspension_id = response.suspension_id();
        suspended_at = absl::Now();
      } else {
        absl::SleepFor(absl::Milliseconds(50));
      }
    }
  }
  ASSERT_FALSE(suspension_id.empty()) << "A could not suspend the grant";
  ASSERT_TRUE(WaitCaughtUp(b_)) << "B's grant cache did not catch up after the restart";
  absl::SleepFor(std::max(absl::Milliseconds(300),
                          suspended_at + kMaxLag + absl::Milliseconds(500) - absl::Now()));
  stop = true;
  refresher.join();

  int during_outage = 0;
  int allowed_during_outage = 0;
  int after_suspension = 0;
  int allowed_after_suspension = 0;
  int errors = 0;
  {
    absl::MutexLock lock(&mu);
    for (const Observed& o : observed) {
      const bool allowed = o.code == grpc::StatusCode::OK && o.verdict == v1::VERDICT_ALLOW;
      if (o.code != grpc::StatusCode::OK) ++errors;
      // Sent after B's stream broke (plus the bound, for a stream that had
      // not noticed yet) and before the store was started again: nothing
      // can answer ALLOW but memory.
      if (o.sent >= killed + kMaxLag && o.sent < restarting) {
        ++during_outage;
        if (allowed) ++allowed_during_outage;
      }
      // Sent when the suspension was older than the bound: never ALLOW.
      if (o.sent >= suspended_at + kMaxLag) {
        ++after_suspension;
        if (allowed) ++allowed_after_suspension;
      }
    }
  }
  std::printf(
      "store restart (%s): %zu refreshes of the victim on B; %d errors; %d sent during the outage, "
      "%d of them ALLOW; %d sent after the suspension (+%s), %d of them ALLOW; outage %.0f ms\n",
      StoreSetupName({GetParam(), 0}).c_str(), observed.size(), errors, during_outage,
      allowed_during_outage, after_suspension, absl::FormatDuration(kMaxLag).c_str(),
      allowed_after_suspension, absl::ToDoubleMilliseconds(restarted - killed));
  EXPECT_GT(during_outage, 0) << "no refresh was sent during the outage";
  EXPECT_EQ(allowed_during_outage, 0);
  EXPECT_EQ(allowed_after_suspension, 0);
  EXPECT_GT(after_suspension, 0) << "the refresh loop did not outlive the suspension";

  // B answers from memory again, and what it holds includes the suspension
  // of the grant it was not asked about: replayed by the resumed stream.
  CheckRefreshResponse victim = CheckOk(b_, *app, "grant-victim");
  EXPECT_EQ(victim.verdict(), v1::VERDICT_SUSPEND);
  EXPECT_EQ(victim.suspension_id(), suspension_id);
  ASSERT_TRUE(WaitCaughtUp(b_));
  const double hits_before = Hits(b_);
  CheckRefreshResponse quiet = CheckOk(b_, *app, "grant-quiet");
  EXPECT_EQ(quiet.verdict(), v1::VERDICT_SUSPEND);
  EXPECT_EQ(quiet.suspension_id(), quiet_suspension_id);
  EXPECT_EQ(Hits(b_), hits_before + 1) << "B did not answer grant-quiet from memory";
}

}  // namespace
}  // namespace apptrust::testing
