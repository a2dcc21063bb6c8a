#include "services/decision/grant_cache.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/decision/testing/fake_store_client.h"

namespace apptrust::decision {
namespace {

using v1::Grant;

using FakeStore = apptrust::testing::FakeStoreClient;

Grant NewGrant(const std::string& id) {
  Grant grant;
  grant.set_tenant_id("t");
  grant.set_grant_id(id);
  grant.set_client_id("c");
  return grant;
}

class GrantCacheTest : public ::testing::Test {
 protected:
  CachingStoreClient MakeCache(absl::Duration ttl, size_t max_entries = 100) {
    GrantCacheOptions options;
    options.ttl = ttl;
    options.max_entries = max_entries;
    options.clock = [this] { return now_; };
    options.on_lookup = [this](bool hit) { (hit ? hits_ : misses_)++; };
    return CachingStoreClient(store_, std::move(options));
  }

  // Stores `id` at version 1 directly in the fake (as another replica would).
  void Seed(const std::string& id) {
    store_.PutGrant(NewGrant(id), absl::InfiniteFuture(), [](absl::StatusOr<Grant>) {});
  }

  static absl::StatusOr<Grant> Read(StoreClient& client, const std::string& id) {
    std::optional<absl::StatusOr<Grant>> out;
    client.GetGrant("t", id, absl::InfiniteFuture(),
                    [&out](absl::StatusOr<Grant> grant) { out = std::move(grant); });
    EXPECT_TRUE(out.has_value()) << "GetGrant did not answer";
    return out.value_or(absl::InternalError("no answer"));
  }

  static absl::StatusOr<Grant> Suspend(StoreClient& client, const std::string& id,
                                       int64_t expected_version) {
    std::optional<absl::StatusOr<Grant>> out;
    v1::Suspension suspension;
    suspension.set_suspension_id(absl::StrCat("s-", id, "-", expected_version));
    client.SuspendGrant("t", id, expected_version, suspension, absl::InfiniteFuture(),
                        [&out](absl::StatusOr<Grant> grant) { out = std::move(grant); });
    return out.value_or(absl::InternalError("no answer"));
  }

  FakeStore store_;
  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
  int hits_ = 0;
  int misses_ = 0;
};

TEST_F(GrantCacheTest, ZeroTtlReadsTheStoreEveryTime) {
  Seed("g");
  CachingStoreClient cache = MakeCache(absl::ZeroDuration());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Read(cache, "g").ok());
  EXPECT_EQ(store_.reads(), 3);
  EXPECT_EQ(hits_ + misses_, 0) << "lookups are counted only with the cache on";
}

TEST_F(GrantCacheTest, ActiveGrantIsReusedWithinTheTtlOnly) {
  Seed("g");
  CachingStoreClient cache = MakeCache(absl::Seconds(1));
  ASSERT_TRUE(Read(cache, "g").ok());
  now_ += absl::Milliseconds(999);
  auto again = Read(cache, "g");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version(), 1);
  EXPECT_EQ(store_.reads(), 1);
  now_ += absl::Milliseconds(1);
  ASSERT_TRUE(Read(cache, "g").ok());
  EXPECT_EQ(store_.reads(), 2);
  EXPECT_EQ(hits_, 1);
  EXPECT_EQ(misses_, 2);
}

TEST_F(GrantCacheTest, SuspendedGrantIsAlwaysReadAgain) {
  Seed("g");
  ASSERT_TRUE(Suspend(store_, "g", 1).ok());
  CachingStoreClient cache = MakeCache(absl::Hours(1));
  for (int i = 0; i < 2; ++i) {
    auto grant = Read(cache, "g");
    ASSERT_TRUE(grant.ok());
    EXPECT_EQ(grant->state(), v1::GRANT_STATE_SUSPENDED);
  }
  EXPECT_EQ(store_.reads(), 2);

  // Re-approved elsewhere: seen by the very next read.
  Seed("g");
  auto grant = Read(cache, "g");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->state(), v1::GRANT_STATE_ACTIVE);
}

TEST_F(GrantCacheTest, OwnSuspensionIsSeenAtOnce) {
  Seed("g");
  CachingStoreClient cache = MakeCache(absl::Hours(1));
  ASSERT_TRUE(Read(cache, "g").ok());
  ASSERT_TRUE(Suspend(cache, "g", 1).ok());
  auto grant = Read(cache, "g");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(store_.reads(), 2);
}

TEST_F(GrantCacheTest, ReadStartedBeforeOwnSuspensionDoesNotBringBackTheActiveGrant) {
  Seed("g");
  CachingStoreClient cache = MakeCache(absl::Hours(1));
  store_.HoldReads(true);
  std::optional<absl::StatusOr<Grant>> late;
  cache.GetGrant("t", "g", absl::InfiniteFuture(),
                 [&late](absl::StatusOr<Grant> grant) { late = std::move(grant); });
  store_.HoldReads(false);
  ASSERT_TRUE(Suspend(cache, "g", 1).ok());
  store_.Release();  // the ACTIVE version-1 answer arrives after the suspension
  ASSERT_TRUE(late.has_value() && late->ok());
  EXPECT_EQ((*late)->state(), v1::GRANT_STATE_ACTIVE);

  auto grant = Read(cache, "g");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->state(), v1::GRANT_STATE_SUSPENDED);
}

TEST_F(GrantCacheTest, VersionConflictForgetsTheGrant) {
  Seed("g");
  CachingStoreClient cache = MakeCache(absl::Hours(1));
  ASSERT_TRUE(Read(cache, "g").ok());
  Seed("g");  // re-approved through another replica: version 2
  EXPECT_EQ(Suspend(cache, "g", 1).status().code(), absl::StatusCode::kFailedPrecondition);
  auto grant = Read(cache, "g");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->version(), 2);
  EXPECT_EQ(store_.reads(), 2);
}

TEST_F(GrantCacheTest, OwnReApprovalIsRemembered) {
  Seed("g");
  CachingStoreClient cache = MakeCache(absl::Hours(1));
  ASSERT_TRUE(Read(cache, "g").ok());
  std::optional<absl::StatusOr<Grant>> put;
  cache.PutGrant(NewGrant("g"), absl::InfiniteFuture(),
                 [&put](absl::StatusOr<Grant> grant) { put = std::move(grant); });
  ASSERT_TRUE(put.has_value() && put->ok());
  auto grant = Read(cache, "g");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->version(), 2);
  EXPECT_EQ(store_.reads(), 1);
}

TEST_F(GrantCacheTest, NotFoundAndClearForget) {
  Seed("g");
  CachingStoreClient cache = MakeCache(absl::Hours(1));
  ASSERT_TRUE(Read(cache, "g").ok());
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  ASSERT_TRUE(Read(cache, "g").ok());
  EXPECT_EQ(store_.reads(), 2);

  EXPECT_EQ(Read(cache, "absent").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Read(cache, "absent").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.reads(), 4) << "a missing grant is never answered from memory";
}

TEST_F(GrantCacheTest, StaysWithinMaxEntries) {
  CachingStoreClient cache = MakeCache(absl::Hours(1), /*max_entries=*/16);
  for (int i = 0; i < 100; ++i) {
    Seed(absl::StrCat("g", i));
    ASSERT_TRUE(Read(cache, absl::StrCat("g", i)).ok());
    EXPECT_LE(cache.size(), 16u);
  }
  // The most recent read is still answered from memory.
  const int reads = store_.reads();
  ASSERT_TRUE(Read(cache, "g99").ok());
  EXPECT_EQ(store_.reads(), reads);
}

}  // namespace
}  // namespace apptrust::decision
