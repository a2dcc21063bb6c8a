// Failover with nothing lost: apptrust-store on a PostgreSQL primary with a
// synchronous standby (a multi-host URI naming both), many concurrent
// PutGrant and SuspendGrant calls, the primary SIGKILLed mid-stream, the
// standby promoted. The store finds the new primary by itself; every write it
// acknowledged is there afterwards; no call failed with anything but
// UNAVAILABLE while it happened.
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/store/grant_fixtures.h"
#include "tests/store/metrics_scrape.h"
#include "tests/store/store_backends.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/services.h"

namespace apptrust::testing {
namespace {

// What the store acknowledged, and what went wrong, across the writers.
struct Ledger {
  std::mutex mutex;
  // grant id → version acknowledged by PutGrant.
  std::map<std::string, int64_t> puts;
  // grant id → suspension id acknowledged by SuspendGrant.
  std::map<std::string, std::string> suspensions;
  // Codes other than OK and UNAVAILABLE, with their messages.
  std::vector<std::string> unexpected;
  int64_t unavailable = 0;
  absl::Time last_unavailable = absl::InfinitePast();
  absl::Time first_ok_after_kill = absl::InfiniteFuture();
};

TEST(StoreFailoverTest, EveryAcknowledgedWriteSurvivesKillingThePrimary) {
  auto primary = PostgresCluster::StartPrimary();
  ASSERT_TRUE(primary.ok()) << primary.status();
  auto standby = (*primary)->StartStandby();
  ASSERT_TRUE(standby.ok()) << standby.status();
  ASSERT_TRUE((*primary)->WaitStreaming(**standby).ok());
  ASSERT_TRUE((*primary)->EnableSynchronousStandby().ok());

  TempDir dir;
  const StoreDatabase database = PostgresDatabase(
      **primary, PostgresCluster::MultiHostUri({primary->get(), standby->get()}), dir);
  auto store = StartStore(database.db, database.flags);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(WaitServing(store->channel));

  Ledger ledger;
  std::atomic<bool> stop{false};
  std::atomic<absl::Time*> killed_at{nullptr};
  absl::Time kill_time;
  constexpr int kWriters = 8;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto stub = NewStoreStub(store->channel);
      auto record = [&](const grpc::Status& status) {
        std::lock_guard<std::mutex> lock(ledger.mutex);
        if (status.ok()) {
          if (killed_at.load() != nullptr && ledger.first_ok_after_kill == absl::InfiniteFuture()) {
            ledger.first_ok_after_kill = absl::Now();
          }
        } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          ++ledger.unavailable;
          ledger.last_unavailable = absl::Now();
        } else {
          ledger.unexpected.push_back(Describe(status));
        }
      };
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = absl::StrCat("w", w, "-", i);
        v1::Grant put;
        const grpc::Status put_status = Put(*stub, MakeGrant("failover", id), &put);
        record(put_status);
        if (!put_status.ok()) continue;
        {
          std::lock_guard<std::mutex> lock(ledger.mutex);
          ledger.puts[id] = put.version();
        }
        v1::Grant suspended;
        const grpc::Status suspend_status =
            Suspend(*stub, "failover", id, put.version(), MakeSuspension("s-" + id), &suspended);
        record(suspend_status);
        if (suspend_status.ok()) {
          std::lock_guard<std::mutex> lock(ledger.mutex);
          ledger.suspensions[id] = suspended.suspension().suspension_id();
        }
      }
    });
  }

  // Mid-stream: writes are being acknowledged.
  absl::SleepFor(absl::Milliseconds(1500));
  int64_t acked_before_kill = 0;
  {
    std::lock_guard<std::mutex> lock(ledger.mutex);
    acked_before_kill = static_cast<int64_t>(ledger.puts.size() + ledger.suspensions.size());
  }
  kill_time = absl::Now();
  killed_at = &kill_time;
  ASSERT_TRUE((*primary)->Kill().ok());
  // What a failover manager does: promote the synchronous standby.
  ASSERT_TRUE((*standby)->Promote().ok());
  const absl::Time promoted = absl::Now();

  // Until the store has served writes on the new primary for a while.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
    std::lock_guard<std::mutex> lock(ledger.mutex);
    if (ledger.first_ok_after_kill != absl::InfiniteFuture() &&
        absl::Now() - ledger.first_ok_after_kill > absl::Seconds(1)) {
      break;
    }
  }
  stop = true;
  for (auto& writer : writers) writer.join();

  EXPECT_NE(ledger.first_ok_after_kill, absl::InfiniteFuture())
      << "the store never served a write on the promoted standby";
  EXPECT_THAT(ledger.unexpected, ::testing::IsEmpty());

  // Every acknowledged write is on the new primary.
  auto stub = NewStoreStub(store->channel);
  int64_t puts_present = 0;
  int64_t suspensions_present = 0;
  for (const auto& [id, version] : ledger.puts) {
    v1::Grant grant;
    const grpc::Status status = Get(*stub, "failover", id, &grant);
    EXPECT_TRUE(status.ok()) << id << ": " << Describe(status);
    if (!status.ok()) continue;
    EXPECT_GE(grant.version(), version) << id;
    if (grant.version() >= version) ++puts_present;
  }
  for (const auto& [id, suspension_id] : ledger.suspensions) {
    v1::Grant grant;
    const grpc::Status status = Get(*stub, "failover", id, &grant);
    EXPECT_TRUE(status.ok()) << id << ": " << Describe(status);
    if (!status.ok()) continue;
    EXPECT_EQ(grant.state(), v1::GRANT_STATE_SUSPENDED) << id;
    EXPECT_EQ(grant.suspension().suspension_id(), suspension_id) << id;
    if (grant.state() == v1::GRANT_STATE_SUSPENDED &&
        grant.suspension().suspension_id() == suspension_id) {
      ++suspensions_present;
    }
  }
  const int64_t acknowledged = static_cast<int64_t>(ledger.puts.size() + ledger.suspensions.size());
  EXPECT_GT(acked_before_kill, 0);
  EXPECT_EQ(puts_present + suspensions_present, acknowledged);
  std::printf(
      "failover: %lld writes acknowledged (%lld before the kill), %lld present after "
      "promotion; %lld calls answered UNAVAILABLE; the store answered UNAVAILABLE for %s after "
      "the kill (promotion took %s)\n",
      static_cast<long long>(acknowledged), static_cast<long long>(acked_before_kill),
      static_cast<long long>(puts_present + suspensions_present),
      static_cast<long long>(ledger.unavailable),
      absl::FormatDuration(ledger.first_ok_after_kill - kill_time).c_str(),
      absl::FormatDuration(promoted - kill_time).c_str());
}

// The store's health, as a kubelet or load balancer asks it.
std::string HealthOf(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, {}, &response);
  if (!status.ok()) return Describe(status);
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

// Polls `health` until it says `want` (or 20 s pass); returns the last answer.
std::string WaitHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& want) {
  std::string health;
  for (int attempt = 0; attempt < 200; ++attempt) {
    health = HealthOf(channel);
    if (health == want) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return health;
}

double DatabaseUp(const RunningService& store) {
  auto text = ScrapeMetrics(store.metrics_address);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? SeriesValue(*text, "apptrust_store_database_up").value_or(-1) : -1;
}

// Readiness follows the database: a store replica started before its
// database comes up by itself once the database does; while the database is
// down the store says NOT_SERVING and apptrust_store_database_up is 0; when
// it is back, SERVING again without a restart.
TEST(StoreFailoverTest, HealthFollowsTheDatabase) {
  auto cluster = PostgresCluster::StartPrimary();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_TRUE((*cluster)->Stop().ok());
  TempDir dir;
  const StoreDatabase database = PostgresDatabase(**cluster, (*cluster)->uri(), dir);
  absl::StatusOr<RunningService> store = absl::UnknownError("not started");
  std::thread starter([&] { store = StartStore(database.db, database.flags); });
  absl::SleepFor(absl::Seconds(2));  // the store is trying to reach its database
  ASSERT_TRUE((*cluster)->Restart().ok());
  starter.join();
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_THAT(store->process->stderr_text(), ::testing::HasSubstr("database unreachable, retrying"));
  EXPECT_EQ(WaitHealth(store->channel, "SERVING"), "SERVING");
  auto stub = NewStoreStub(store->channel);
  ASSERT_TRUE(Put(*stub, MakeGrant("t", "g"), nullptr).ok());
  EXPECT_EQ(DatabaseUp(*store), 1);

  ASSERT_TRUE((*cluster)->Stop().ok());
  EXPECT_EQ(WaitHealth(store->channel, "NOT_SERVING"), "NOT_SERVING");
  EXPECT_EQ(DatabaseUp(*store), 0);
  EXPECT_EQ(Put(*stub, MakeGrant("t", "h"), nullptr).error_code(), grpc::StatusCode::UNAVAILABLE);

  ASSERT_TRUE((*cluster)->Restart().ok());
  EXPECT_EQ(WaitHealth(store->channel, "SERVING"), "SERVING");
  EXPECT_EQ(DatabaseUp(*store), 1);
  v1::Grant grant;
  ASSERT_TRUE(Get(*stub, "t", "g", &grant).ok());
  EXPECT_EQ(grant.version(), 1);
}

}  // namespace
}  // namespace apptrust::testing
