// The coherent grant cache's state machine, with the store and its change
// stream played by FakeStoreClient: caught up, lagging, disconnected,
// starting over, and the races between reads and changes.
#include "services/decision/coherent_grant_cache.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "services/decision/testing/fake_store_client.h"

namespace apptrust::decision {
namespace {

using v1::Grant;
using FakeStore = apptrust::testing::FakeStoreClient;

constexpr absl::Duration kMaxLag = absl::Seconds(1);

Grant NewGrant(const std::string& id) {
  Grant grant;
  grant.set_tenant_id("t");
  grant.set_grant_id(id);
  grant.set_client_id("c");
  grant.set_redirect_uri("https://app.example.test/cb");
  return grant;
}

v1::Suspension SuspensionFor(const std::string& id) {
  v1::Suspension suspension;
  suspension.set_suspension_id("s-" + id);
  suspension.set_tenant_id("t");
  suspension.set_grant_id(id);
  return suspension;
}

class CoherentGrantCacheTest : public ::testing::Test {
 protected:
  explicit CoherentGrantCacheTest(size_t max_entries = 1000, size_t max_bytes = 1u << 20) {
    CoherentGrantCacheOptions options;
    options.max_lag = kMaxLag;
    options.max_entries = max_entries;
    options.max_bytes = max_bytes;
    options.clock = [this] { return now_; };
    options.on_lookup = [this](GrantLookup lookup) { lookups_.push_back(lookup); };
    options.on_resync = [this](const char* reason) { resyncs_.emplace_back(reason); };
    cache_.emplace(store_, std::move(options));
  }

  // Opens a stream and plays the store's side up to its current revision,
  // echoing one heartbeat sent now: the cache is caught up afterwards.
  void Connect() {
    token_ = cache_->StreamStarting();
    CatchUp();
  }
  // The store sends every change since the last response, then echoes a
  // heartbeat the cache sent now.
  void CatchUp() {
    const int64_t heartbeat = cache_->NextHeartbeat();
    v1::WatchGrantsResponse response;
    for (v1::GrantChange& change : store_.ChangesAfter(streamed_)) {
      *response.add_changes() = std::move(change);
    }
    streamed_ = store_.revision();
    response.set_revision(streamed_);
    response.set_resume_token("token-" + std::to_string(streamed_));
    response.set_store_id(store_id_);
    response.add_heartbeat_ids(heartbeat);
    ASSERT_TRUE(cache_->OnResponse(response).ok());
  }

  absl::StatusOr<Grant> Read(const std::string& id, int64_t min_revision = 0) {
    std::optional<absl::StatusOr<Grant>> out;
    cache_->GetGrantNoOlderThan("t", id, min_revision, absl::InfiniteFuture(),
                                [&out](absl::StatusOr<Grant> grant) { out = std::move(grant); });
    EXPECT_TRUE(out.has_value()) << "the read did not answer";
    return out.value_or(absl::InternalError("no answer"));
  }
  GrantLookup LastLookup() const {
    return lookups_.empty() ? GrantLookup::kBypass : lookups_.back();
  }
  Grant Seed(const std::string& id) { return store_.Put(NewGrant(id)); }

  FakeStore store_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  std::optional<CoherentGrantCache> cache_;
  std::vector<GrantLookup> lookups_;
  std::vector<std::string> resyncs_;
  std::string store_id_ = "store-a";
  std::string token_;
  int64_t streamed_ = 0;
};

TEST_F(CoherentGrantCacheTest, ReadsTheStoreUntilCaughtUpAndRemembersNothingWithoutAPosition) {
  Seed("g1");
  ASSERT_TRUE(Read("g1").ok());
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(store_.reads(), 2);
  EXPECT_EQ(LastLookup(), GrantLookup::kBypass);
  EXPECT_EQ(cache_->State().entries, 0u);

  // Connected and positioned, but no heartbeat echoed yet: still the store.
  token_ = cache_->StreamStarting();
  EXPECT_EQ(token_, "");
  v1::WatchGrantsResponse first;
  first.set_revision(store_.revision());
  first.set_resume_token("token-1");
  first.set_store_id(store_id_);
  ASSERT_TRUE(cache_->OnResponse(first).ok());
  streamed_ = store_.revision();
  EXPECT_FALSE(cache_->State().caught_up);
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kBypass);
  EXPECT_EQ(store_.reads(), 3);
}

TEST_F(CoherentGrantCacheTest, CaughtUpAnswersFromMemory) {
  Seed("g1");
  Connect();
  EXPECT_TRUE(cache_->State().caught_up);
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kMiss);
  auto again = Read("g1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kHit);
  EXPECT_EQ(again->grant_id(), "g1");
  EXPECT_EQ(store_.reads(), 1);
  EXPECT_EQ(cache_->State().entries, 1u);
  EXPECT_GT(cache_->State().bytes, 0u);
}

TEST_F(CoherentGrantCacheTest, AnotherReplicasSuspensionReplacesTheHeldGrant) {
  const Grant g = Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  ASSERT_TRUE(store_.SuspendDirectly("t", "g1", g.version(), SuspensionFor("g1")).ok());
  // Not yet on the stream, but the last echo is recent: memory still answers.
  EXPECT_EQ(Read("g1")->state(), v1::GRANT_STATE_ACTIVE);
  CatchUp();
  auto after = Read("g1");
  EXPECT_EQ(LastLookup(), GrantLookup::kHit);
  EXPECT_EQ(after->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(after->suspension().suspension_id(), "s-g1");
  EXPECT_EQ(after->revision(), store_.revision());
  EXPECT_EQ(store_.reads(), 1);
}

TEST_F(CoherentGrantCacheTest, AReApprovalAndADeletionArriveByTheStream) {
  const Grant g = Seed("g1");
  Connect();
  ASSERT_TRUE(store_.SuspendDirectly("t", "g1", g.version(), SuspensionFor("g1")).ok());
  CatchUp();
  EXPECT_EQ(Read("g1")->state(), v1::GRANT_STATE_SUSPENDED);
  store_.Put(NewGrant("g1"));  // the patient approved again, elsewhere
  CatchUp();
  EXPECT_EQ(Read("g1")->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(LastLookup(), GrantLookup::kHit);
  ASSERT_TRUE(store_.DeleteDirectly("t", "g1"));
  CatchUp();
  EXPECT_EQ(Read("g1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LastLookup(), GrantLookup::kMiss);
  EXPECT_EQ(cache_->State().entries, 0u);
}

TEST_F(CoherentGrantCacheTest, LaggingStopsAnsweringFromMemoryUntilAnEchoComesBack) {
  Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  now_ += kMaxLag;
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kHit) << "an echo exactly max_lag old still counts";
  now_ += absl::Milliseconds(1);
  EXPECT_FALSE(cache_->State().caught_up);
  EXPECT_GT(cache_->State().lag, kMaxLag);
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kBypass);
  EXPECT_EQ(store_.reads(), 2);

  // A heartbeat sent now but echoed later proves only what was committed
  // before it was sent: its echo makes the cache caught up again.
  CatchUp();
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kHit);
}

TEST_F(CoherentGrantCacheTest, AnEchoOfAnOldHeartbeatDoesNotCountAsRecent) {
  Seed("g1");
  Connect();
  const int64_t old_heartbeat = cache_->NextHeartbeat();
  now_ += 2 * kMaxLag;
  v1::WatchGrantsResponse late;
  late.set_revision(streamed_);
  late.set_store_id(store_id_);
  late.add_heartbeat_ids(old_heartbeat);
  ASSERT_TRUE(cache_->OnResponse(late).ok());
  EXPECT_FALSE(cache_->State().caught_up);
  EXPECT_EQ(cache_->State().lag, 2 * kMaxLag);
}

TEST_F(CoherentGrantCacheTest, ABrokenStreamStopsAnsweringAtOnceAndResumesFromItsPosition) {
  const Grant g = Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  cache_->OnStreamEnded(absl::UnavailableError("store restarting"));
  EXPECT_FALSE(cache_->State().connected);
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kBypass);

  // Suspended while the stream was down; the new stream resumes after the
  // position and replays it before the cache answers from memory again.
  ASSERT_TRUE(store_.SuspendDirectly("t", "g1", g.version(), SuspensionFor("g1")).ok());
  token_ = cache_->StreamStarting();
  EXPECT_EQ(token_, "token-1");
  EXPECT_FALSE(cache_->State().caught_up);
  CatchUp();
  auto after = Read("g1");
  EXPECT_EQ(LastLookup(), GrantLookup::kHit);
  EXPECT_EQ(after->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_TRUE(resyncs_.empty());
}

TEST_F(CoherentGrantCacheTest, APositionPastRetentionStartsOver) {
  Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  cache_->OnStreamEnded(absl::OutOfRangeError("revision 1 is no longer retained"));
  EXPECT_EQ(resyncs_, std::vector<std::string>{"out_of_range"});
  EXPECT_EQ(cache_->State().entries, 0u);
  EXPECT_EQ(cache_->State().revision, 0);
  EXPECT_EQ(cache_->StreamStarting(), "") << "starts again from the store's current revision";
  CatchUp();
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kMiss);
  EXPECT_EQ(store_.reads(), 2);
}

TEST_F(CoherentGrantCacheTest, ATokenTheStoreCannotReadStartsOver) {
  Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  cache_->OnStreamEnded(absl::UnavailableError("store restarting"));
  EXPECT_EQ(cache_->StreamStarting(), "token-1");
  cache_->OnStreamEnded(absl::InvalidArgumentError("start.resume_token: not a token"));
  EXPECT_EQ(resyncs_, std::vector<std::string>{"token_refused"});
  EXPECT_EQ(cache_->StreamStarting(), "") << "the next stream starts without it";
  EXPECT_EQ(cache_->State().entries, 0u);
}

TEST_F(CoherentGrantCacheTest, AnotherStoreIdStartsOver) {
  Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  cache_->OnStreamEnded(absl::UnavailableError("gone"));
  cache_->StreamStarting();
  store_id_ = "store-b";  // a database restored from a backup, say
  CatchUp();
  EXPECT_EQ(resyncs_, std::vector<std::string>{"store_changed"});
  ASSERT_TRUE(Read("g1").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kMiss);
}

TEST_F(CoherentGrantCacheTest, AChangeDuringAReadKeepsTheReadsOlderAnswerOut) {
  const Grant g = Seed("g1");
  Connect();
  store_.HoldReads(true);
  std::optional<absl::StatusOr<Grant>> first;
  cache_->GetGrant("t", "g1", absl::InfiniteFuture(),
                   [&first](absl::StatusOr<Grant> grant) { first = std::move(grant); });
  EXPECT_FALSE(first.has_value());
  // The read's answer (ACTIVE) is made; then another replica suspends and
  // the stream delivers it before the read's answer arrives.
  ASSERT_TRUE(store_.SuspendDirectly("t", "g1", g.version(), SuspensionFor("g1")).ok());
  CatchUp();
  store_.HoldReads(false);
  store_.Release();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)->state(), v1::GRANT_STATE_ACTIVE);
  auto next = Read("g1");
  EXPECT_EQ(next->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(LastLookup(), GrantLookup::kMiss) << "the stale answer must not have been held";
}

TEST_F(CoherentGrantCacheTest, ReadsInFlightWhenStartingOverAreNotRemembered) {
  Seed("g1");
  Connect();
  store_.HoldReads(true);
  std::optional<absl::StatusOr<Grant>> first;
  cache_->GetGrant("t", "g1", absl::InfiniteFuture(),
                   [&first](absl::StatusOr<Grant> grant) { first = std::move(grant); });
  cache_->OnStreamEnded(absl::OutOfRangeError("past retention"));
  cache_->StreamStarting();
  CatchUp();
  store_.HoldReads(false);
  store_.Release();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(cache_->State().entries, 0u);
}

TEST_F(CoherentGrantCacheTest, OwnWritesApplyAtOnce) {
  Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  std::optional<absl::StatusOr<Grant>> put;
  cache_->PutGrant(NewGrant("g1"), absl::InfiniteFuture(),
                   [&put](absl::StatusOr<Grant> grant) { put = std::move(grant); });
  ASSERT_TRUE(put.has_value() && put->ok());
  auto read = Read("g1");
  EXPECT_EQ(LastLookup(), GrantLookup::kHit);
  EXPECT_EQ(read->version(), (*put)->version());
  EXPECT_EQ(read->revision(), (*put)->revision());
  // The stream's copy of the same change does not go back.
  CatchUp();
  EXPECT_EQ(Read("g1")->revision(), (*put)->revision());
}

TEST_F(CoherentGrantCacheTest, ANewerRevisionThanTheStreamsReadsTheStore) {
  Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  const Grant reapproved = store_.Put(NewGrant("g1"));  // through another replica
  auto stale = Read("g1");
  EXPECT_EQ(stale->version(), 1) << "no revision asked for: the staleness bound applies";
  auto mine = Read("g1", reapproved.revision());
  EXPECT_EQ(LastLookup(), GrantLookup::kBypass);
  EXPECT_EQ(mine->version(), reapproved.version());
  EXPECT_EQ(Read("g1", cache_->State().revision)->version(), reapproved.version())
      << "the store's newer answer is remembered";
}

TEST_F(CoherentGrantCacheTest, AVersionConflictDropsTheHeldGrant) {
  const Grant g = Seed("g1");
  Connect();
  ASSERT_TRUE(Read("g1").ok());
  store_.Put(NewGrant("g1"));  // re-approved elsewhere, not yet streamed
  std::optional<absl::StatusOr<Grant>> suspended;
  cache_->SuspendGrant("t", "g1", g.version(), SuspensionFor("g1"), absl::InfiniteFuture(),
                       [&suspended](absl::StatusOr<Grant> grant) { suspended = std::move(grant); });
  ASSERT_TRUE(suspended.has_value());
  EXPECT_EQ(suspended->status().code(), absl::StatusCode::kFailedPrecondition);
  auto reread = Read("g1");
  EXPECT_EQ(LastLookup(), GrantLookup::kMiss);
  EXPECT_EQ(reread->version(), 2);
}

TEST_F(CoherentGrantCacheTest, ARevisionGoingBackOnOneStreamIsRefused) {
  Seed("g1");
  Seed("g2");
  Connect();
  v1::WatchGrantsResponse back;
  back.set_revision(1);
  back.set_store_id(store_id_);
  EXPECT_EQ(cache_->OnResponse(back).code(), absl::StatusCode::kInternal);
}

class SmallCoherentGrantCacheTest : public CoherentGrantCacheTest {
 protected:
  SmallCoherentGrantCacheTest() : CoherentGrantCacheTest(3, 1u << 20) {}
};

TEST_F(SmallCoherentGrantCacheTest, HoldsAtMostMaxEntries) {
  for (int i = 0; i < 10; ++i) Seed("g" + std::to_string(i));
  Connect();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Read("g" + std::to_string(i)).ok());
  EXPECT_EQ(cache_->State().entries, 3u);
  ASSERT_TRUE(Read("g9").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kHit) << "the newest stay";
  ASSERT_TRUE(Read("g0").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kMiss) << "the oldest went first";
}

class TinyBytesCoherentGrantCacheTest : public CoherentGrantCacheTest {
 protected:
  TinyBytesCoherentGrantCacheTest() : CoherentGrantCacheTest(1000, 4096) {}
};

TEST_F(TinyBytesCoherentGrantCacheTest, HoldsAtMostMaxBytes) {
  Grant big = NewGrant("big");
  big.set_application_name(std::string(1500, 'x'));
  for (int i = 0; i < 10; ++i) {
    big.set_grant_id("g" + std::to_string(i));
    store_.Put(big);
  }
  Connect();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Read("g" + std::to_string(i)).ok());
  EXPECT_LE(cache_->State().bytes, 4096u);
  EXPECT_GE(cache_->State().entries, 1u);
  EXPECT_LT(cache_->State().entries, 10u);
  // A held grant that grows (its suspension, with findings) keeps the total
  // within the bound.
  int held = -1;
  for (int i = 9; i >= 0 && held < 0; --i) {
    if (Read("g" + std::to_string(i)).ok() && LastLookup() == GrantLookup::kHit) held = i;
  }
  ASSERT_GE(held, 0);
  v1::Suspension grown = SuspensionFor("g" + std::to_string(held));
  grown.set_error_description(std::string(3000, 'z'));
  auto current = store_.Get("t", "g" + std::to_string(held));
  ASSERT_TRUE(current.ok());
  ASSERT_TRUE(
      store_.SuspendDirectly("t", "g" + std::to_string(held), current->version(), grown).ok());
  CatchUp();
  EXPECT_LE(cache_->State().bytes, 4096u);
  big.set_grant_id("huge");
  big.set_application_name(std::string(8192, 'y'));
  store_.Put(big);
  CatchUp();
  ASSERT_TRUE(Read("huge").ok());
  ASSERT_TRUE(Read("huge").ok());
  EXPECT_EQ(LastLookup(), GrantLookup::kMiss) << "a grant bigger than the bound is never held";
}

}  // namespace
}  // namespace apptrust::decision
