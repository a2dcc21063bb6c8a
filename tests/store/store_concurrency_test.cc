// Many clients at once against the real apptrust-store process: 16 threads
// mixing puts, gets and suspensions; racing SuspendGrant calls agreeing on one
// suspension; pagination that sees every grant exactly once while grants are
// being added. Errors are collected per thread and asserted at the end, and
// the final state is checked grant by grant and against the grant gauges.
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/store/grant_fixtures.h"
#include "tests/store/metrics_scrape.h"
#include "tests/support/services.h"

namespace apptrust::testing {
namespace {

using apptrust::v1::Grant;

class StoreConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = StartStore(dir_.File("store.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::make_unique<RunningService>(std::move(*store));
    ASSERT_TRUE(WaitServing(store_->channel));
  }

  TempDir dir_;
  std::unique_ptr<RunningService> store_;
};

// Collects what went wrong in worker threads (gtest assertions belong on the
// main thread).
class Errors {
 public:
  void Add(std::string what) {
    absl::MutexLock lock(&mutex_);
    errors_.push_back(std::move(what));
  }
  std::vector<std::string> Take() {
    absl::MutexLock lock(&mutex_);
    return std::move(errors_);
  }

 private:
  absl::Mutex mutex_;
  std::vector<std::string> errors_ ABSL_GUARDED_BY(mutex_);
};

TEST_F(StoreConcurrencyTest, SixteenClientsMixingPutsGetsAndSuspensions) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 24;
  constexpr int kShared = 4;
  const std::string tenant = "tenant-mix";
  {
    auto stub = NewStoreStub(store_->channel);
    for (int s = 0; s < kShared; ++s) {
      ASSERT_TRUE(Put(*stub, MakeGrant(tenant, absl::StrCat("shared-", s)), nullptr).ok());
    }
  }
  Errors errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each client its own channel, as separate decision replicas would.
      auto channel = grpc::CreateCustomChannel(
          store_->grpc_address, grpc::InsecureChannelCredentials(), grpc::ChannelArguments());
      auto stub = NewStoreStub(channel);
      auto check = [&](const grpc::Status& status, const std::string& what) {
        if (!status.ok()) errors.Add(absl::StrCat("thread ", t, " ", what, ": ", Describe(status)));
        return status.ok();
      };
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrFormat("own-%02d-%03d", t, i);
        Grant put;
        if (!check(Put(*stub, MakeGrant(tenant, id, absl::StrCat("client-", t)), &put), "put")) {
          continue;
        }
        Grant got;
        if (!check(Get(*stub, tenant, id, &got), "get")) continue;
        if (got.version() != 1 || got.state() != v1::GRANT_STATE_ACTIVE) {
          errors.Add(absl::StrCat(id, " read back at version ", got.version()));
        }
        Grant suspended;
        if (!check(Suspend(*stub, tenant, id, got.version(), MakeSuspension(""), &suspended),
                   "suspend own")) {
          continue;
        }
        if (i % 3 == 0)
          check(Put(*stub, MakeGrant(tenant, id, absl::StrCat("client-", t)), nullptr),
                "re-approve");

        // Every thread also races on a few shared grants: reading, then
        // suspending at the version read. Suspension is idempotent, so this
        // never fails whichever thread wins.
        const std::string shared = absl::StrCat("shared-", (t + i) % kShared);
        Grant seen;
        if (!check(Get(*stub, tenant, shared, &seen), "get shared")) continue;
        Grant after;
        if (check(Suspend(*stub, tenant, shared, seen.version(),
                          MakeSuspension(absl::StrFormat("sh%02d%03d", t, i)), &after),
                  "suspend shared") &&
            after.state() != v1::GRANT_STATE_SUSPENDED) {
          errors.Add(absl::StrCat(shared, " not suspended after SuspendGrant"));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(errors.Take(), ::testing::IsEmpty());

  // Final state, grant by grant, through ListGrants.
  auto stub = NewStoreStub(store_->channel);
  std::map<std::string, Grant> all;
  v1::ListGrantsRequest request;
  request.set_tenant_id(tenant);
  request.set_page_size(50);
  for (int pages = 0; pages < 100; ++pages) {
    v1::ListGrantsResponse response;
    ASSERT_TRUE(List(*stub, request, &response).ok());
    for (const Grant& grant : response.grants()) all[grant.grant_id()] = grant;
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread + kShared));
  int active = 0;
  int suspended = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const Grant& grant = all[absl::StrFormat("own-%02d-%03d", t, i)];
      if (i % 3 == 0) {
        EXPECT_EQ(grant.state(), v1::GRANT_STATE_ACTIVE) << grant.grant_id();
        EXPECT_EQ(grant.version(), 3) << grant.grant_id();
        EXPECT_FALSE(grant.has_suspension()) << grant.grant_id();
        ++active;
      } else {
        EXPECT_EQ(grant.state(), v1::GRANT_STATE_SUSPENDED) << grant.grant_id();
        EXPECT_EQ(grant.version(), 2) << grant.grant_id();
        EXPECT_EQ(grant.suspension().suspension_id().size(), 32u) << grant.grant_id();
        ++suspended;
      }
    }
  }
  for (int s = 0; s < kShared; ++s) {
    const Grant& grant = all[absl::StrCat("shared-", s)];
    EXPECT_EQ(grant.state(), v1::GRANT_STATE_SUSPENDED);
    EXPECT_EQ(grant.version(), 2) << "suspended exactly once";
    ++suspended;
  }
  auto text = ScrapeMetrics(store_->metrics_address);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(SeriesValue(*text, R"(apptrust_grants{state="active"})"), active);
  EXPECT_EQ(SeriesValue(*text, R"(apptrust_grants{state="suspended"})"), suspended);
}

TEST_F(StoreConcurrencyTest, RacingSuspendGrantCallsAgreeOnOneSuspension) {
  constexpr int kGrants = 12;
  constexpr int kRacers = 4;
  const std::string tenant = "tenant-race";
  auto stub = NewStoreStub(store_->channel);
  for (int g = 0; g < kGrants; ++g) {
    ASSERT_TRUE(Put(*stub, MakeGrant(tenant, absl::StrCat("g", g)), nullptr).ok());
  }
  for (int g = 0; g < kGrants; ++g) {
    const std::string grant_id = absl::StrCat("g", g);
    absl::Barrier* start = new absl::Barrier(kRacers);
    std::vector<Grant> results(kRacers);
    std::vector<grpc::Status> statuses(kRacers);
    std::vector<std::thread> racers;
    for (int r = 0; r < kRacers; ++r) {
      racers.emplace_back([&, r] {
        auto own = NewStoreStub(store_->channel);
        // Both replicas read version 1 and each proposes its own suspension.
        if (start->Block()) delete start;
        statuses[r] = Suspend(*own, tenant, grant_id, 1,
                              MakeSuspension(absl::StrFormat("race%02d%02d", g, r)), &results[r]);
      });
    }
    for (auto& racer : racers) racer.join();
    std::set<std::string> ids;
    std::set<std::string> uris;
    int winners = 0;
    for (int r = 0; r < kRacers; ++r) {
      ASSERT_TRUE(statuses[r].ok()) << Describe(statuses[r]);
      EXPECT_EQ(results[r].state(), v1::GRANT_STATE_SUSPENDED);
      EXPECT_EQ(results[r].version(), 2);
      ids.insert(results[r].suspension().suspension_id());
      uris.insert(results[r].suspension().error_uri());
      if (results[r].suspension().suspension_id() == absl::StrFormat("race%02d%02d", g, r)) {
        ++winners;
      }
    }
    EXPECT_EQ(ids.size(), 1u) << grant_id;
    EXPECT_EQ(uris.size(), 1u) << grant_id;
    EXPECT_EQ(winners, 1) << grant_id;
    // The losers' proposals were never stored.
    for (int r = 0; r < kRacers; ++r) {
      const std::string proposed = absl::StrFormat("race%02d%02d", g, r);
      const grpc::StatusCode expected =
          ids.count(proposed) ? grpc::StatusCode::OK : grpc::StatusCode::NOT_FOUND;
      EXPECT_EQ(GetSuspension(*stub, proposed, tenant, nullptr).error_code(), expected);
    }
  }
}

TEST_F(StoreConcurrencyTest, PaginationSeesEveryGrantOnceWhileGrantsAreAdded) {
  constexpr int kInitial = 400;
  const std::string tenant = "tenant-pages";
  auto stub = NewStoreStub(store_->channel);
  std::set<std::string> initial;
  for (int i = 0; i < kInitial; ++i) {
    const std::string id = absl::StrFormat("g%05d", i * 10);
    ASSERT_TRUE(Put(*stub, MakeGrant(tenant, id), nullptr).ok());
    initial.insert(id);
  }

  // A writer adds grants between and after the existing ids while we page.
  std::atomic<bool> stop{false};
  std::atomic<int> added{0};
  Errors errors;
  std::thread writer([&] {
    auto own = NewStoreStub(store_->channel);
    for (int i = 0; !stop.load(); ++i) {
      const std::string id = absl::StrFormat("g%05d", (i * 37) % (kInitial * 10)) + "-new";
      const grpc::Status status = Put(*own, MakeGrant(tenant, absl::StrCat(id, i)), nullptr);
      if (!status.ok()) errors.Add(Describe(status));
      added.fetch_add(1);
    }
  });

  std::vector<std::string> seen;
  v1::ListGrantsRequest request;
  request.set_tenant_id(tenant);
  request.set_page_size(7);
  int pages = 0;
  while (true) {
    v1::ListGrantsResponse response;
    const grpc::Status status = List(*stub, request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    for (const Grant& grant : response.grants()) seen.push_back(grant.grant_id());
    ++pages;
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
    ASSERT_LT(pages, 100'000) << "pagination does not end";
  }
  stop.store(true);
  writer.join();
  EXPECT_THAT(errors.Take(), ::testing::IsEmpty());
  EXPECT_GT(added.load(), 0) << "no grant was added during the listing";

  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a grant was listed twice";
  for (const std::string& id : initial) {
    EXPECT_EQ(unique.count(id), 1u) << id << " was skipped";
  }
}

}  // namespace
}  // namespace apptrust::testing
