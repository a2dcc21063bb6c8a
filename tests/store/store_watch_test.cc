// FingerprintStore.WatchGrants against the real apptrust-store process, on a
// real SQLite file and a real PostgreSQL database: changes in commit order
// with increasing revisions, resume tokens and their refusals, heartbeat
// echoes that follow every change committed before the heartbeat, and (on
// PostgreSQL) several store replicas on one database, concurrent writers and
// a transaction that commits after later ones.
#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/postgres_connection.h"
#include "tests/store/grant_fixtures.h"
#include "tests/store/store_backends.h"
#include "tests/support/services.h"

namespace apptrust::testing {
namespace {

using apptrust::v1::Grant;
using apptrust::v1::GrantChange;
using apptrust::v1::WatchGrantsRequest;
using apptrust::v1::WatchGrantsResponse;
using ::testing::HasSubstr;

// One WatchGrants stream: a reader thread queues the responses.
class Watch {
 public:
  Watch(StoreStub& stub, const std::string& resume_token) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
    stream_ = stub.WatchGrants(&context_);
    WatchGrantsRequest start;
    start.mutable_start()->set_resume_token(resume_token);
    stream_->Write(start);
    reader_ = std::thread([this] {
      WatchGrantsResponse response;
      while (stream_->Read(&response)) {
        absl::MutexLock lock(&mutex_);
        responses_.push_back(response);
      }
      absl::MutexLock lock(&mutex_);
      ended_ = true;
    });
  }
  ~Watch() {
    context_.TryCancel();
    reader_.join();
  }

  // The next response, or nullopt when the stream ended or none came in
  // 20 s (a hung store fails the test instead of hanging it).
  std::optional<WatchGrantsResponse> Next() {
    absl::MutexLock lock(&mutex_);
    const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return !responses_.empty() || ended_;
    };
    mutex_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(20));
    if (responses_.empty()) return std::nullopt;
    WatchGrantsResponse response = std::move(responses_.front());
    responses_.pop_front();
    return response;
  }

  void Heartbeat(int64_t id) {
    WatchGrantsRequest request;
    request.mutable_heartbeat()->set_id(id);
    stream_->Write(request);
  }

  // The status the server ended the stream with.
  grpc::Status Finish() {
    {
      absl::MutexLock lock(&mutex_);
      const auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return ended_; };
      mutex_.AwaitWithTimeout(absl::Condition(&ended), absl::Seconds(20));
    }
    stream_->WritesDone();
    return stream_->Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::WatchGrantsRequest, WatchGrantsResponse>> stream_;
  absl::Mutex mutex_;
  std::deque<WatchGrantsResponse> responses_ ABSL_GUARDED_BY(mutex_);
  bool ended_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread reader_;
};

// What a watch has received so far, checked as it arrives: revisions of
// changes strictly increase, response revisions never decrease, and each
// response's revision covers its changes.
struct Followed {
  std::vector<GrantChange> changes;
  std::string resume_token;
  int64_t revision = 0;
  std::vector<int64_t> echoes;
  // Changes (of every tenant) received before each echo.
  std::map<int64_t, size_t> changes_before_echo;

  void Take(const WatchGrantsResponse& response) {
    for (const GrantChange& change : response.changes()) {
      if (!changes.empty()) {
        EXPECT_GT(change.revision(), changes.back().revision());
      }
      EXPECT_GT(change.revision(), revision);
      EXPECT_LE(change.revision(), response.revision());
      changes.push_back(change);
    }
    EXPECT_GE(response.revision(), revision);
    EXPECT_FALSE(response.resume_token().empty());
    EXPECT_EQ(response.store_id().size(), 32u);
    revision = response.revision();
    resume_token = response.resume_token();
    for (int64_t id : response.heartbeat_ids()) {
      echoes.push_back(id);
      changes_before_echo[id] = changes.size();
    }
  }

  std::vector<GrantChange> Of(const std::string& tenant) const {
    std::vector<GrantChange> mine;
    for (const GrantChange& change : changes) {
      if (change.tenant_id() == tenant) mine.push_back(change);
    }
    return mine;
  }

  // Reads `watch` until `done` holds (false when the stream ended first, or
  // after 30 s: progress messages alone never satisfy a test).
  template <typename Done>
  bool Until(Watch& watch, Done done) {
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (!done()) {
      if (absl::Now() > give_up) return false;
      auto response = watch.Next();
      if (!response.has_value()) return false;
      Take(*response);
    }
    return true;
  }

  // Reads `watch` until heartbeat `id` is echoed.
  bool UntilEchoed(Watch& watch, int64_t id) {
    return Until(watch,
                 [&] { return std::find(echoes.begin(), echoes.end(), id) != echoes.end(); });
  }
};

size_t CountOf(const Followed& followed, const std::string& tenant) {
  return followed.Of(tenant).size();
}

// One store per backend, kept until the tests end; with PostgreSQL a second
// replica on the same database when a test asks for it.
class StoreWatchTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  struct Replicas {
    StoreDatabase database;
    RunningService* a = nullptr;
    RunningService* b = nullptr;
  };

  void SetUp() override {
    replicas_ = Shared(GetParam());
    ASSERT_NE(replicas_->a, nullptr);
    stub_ = NewStoreStub(replicas_->a->channel);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tenant_ = absl::StrCat("tenant-", info->name());
    std::replace(tenant_.begin(), tenant_.end(), '/', '-');
  }

  static TempDir& Dir() {
    static TempDir* dir = new TempDir();
    return *dir;
  }

  static RunningService* Start(const StoreDatabase& database, std::vector<std::string> flags = {}) {
    flags.insert(flags.end(), database.flags.begin(), database.flags.end());
    auto started = StartStore(database.db, flags);
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return nullptr;
    RunningService* store = KeepUntilTestsEnd(std::move(*started));
    EXPECT_TRUE(WaitServing(store->channel));
    return store;
  }

  static Replicas* Shared(StoreBackend backend) {
    static Replicas* replicas[2] = {nullptr, nullptr};
    Replicas*& shared = replicas[static_cast<int>(backend)];
    if (shared == nullptr) {
      shared = new Replicas;
      shared->database = NewStoreDatabase(backend, Dir());
      shared->a = Start(shared->database);
    }
    return shared;
  }

  // A second store process on the same PostgreSQL database.
  RunningService* ReplicaB() {
    if (replicas_->b == nullptr) replicas_->b = Start(replicas_->database);
    return replicas_->b;
  }

  Replicas* replicas_ = nullptr;
  std::unique_ptr<StoreStub> stub_;
  std::string tenant_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreWatchTest,
                         ::testing::Values(StoreBackend::kSqlite, StoreBackend::kPostgres),
                         StoreBackendName);

TEST_P(StoreWatchTest, ChangesArriveInCommitOrderWithTheRevisionsTheWritesReturned) {
  Watch watch(*stub_, "");
  Followed followed;
  // The first response says where the stream starts.
  ASSERT_TRUE(followed.Until(watch, [&] { return !followed.resume_token.empty(); }));

  Grant g1;
  Grant g2;
  Grant suspended;
  Grant reapproved;
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g1"), &g1).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g2"), &g2).ok());
  ASSERT_TRUE(Suspend(*stub_, tenant_, "g1", 1, MakeSuspension("susp-order"), &suspended).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g1"), &reapproved).ok());
  int64_t deleted_revision = 0;
  ASSERT_TRUE(Delete(*stub_, tenant_, "g2", &deleted_revision).ok());

  ASSERT_TRUE(followed.Until(watch, [&] { return CountOf(followed, tenant_) >= 5; }));
  const std::vector<GrantChange> changes = followed.Of(tenant_);
  ASSERT_EQ(changes.size(), 5u);
  EXPECT_EQ(changes[0].revision(), g1.revision());
  EXPECT_EQ(changes[0].grant().version(), 1);
  EXPECT_EQ(changes[1].revision(), g2.revision());
  EXPECT_EQ(changes[2].revision(), suspended.revision());
  EXPECT_EQ(changes[2].grant().state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(changes[2].grant().suspension().suspension_id(), "susp-order");
  EXPECT_EQ(changes[3].revision(), reapproved.revision());
  EXPECT_EQ(changes[3].grant().state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(changes[3].grant().version(), 3);
  EXPECT_EQ(changes[4].revision(), deleted_revision);
  EXPECT_GT(deleted_revision, 0);
  EXPECT_TRUE(changes[4].deleted());
  EXPECT_EQ(changes[4].grant_id(), "g2");
  for (size_t i = 1; i < changes.size(); ++i) {
    EXPECT_GT(changes[i].revision(), changes[i - 1].revision());
  }
  // What GetGrant reads carries the revision of the grant's last change.
  Grant got;
  ASSERT_TRUE(Get(*stub_, tenant_, "g1", &got).ok());
  EXPECT_EQ(got.revision(), reapproved.revision());
}

TEST_P(StoreWatchTest, AStreamResumesAfterItsToken) {
  std::string token;
  {
    Watch watch(*stub_, "");
    Followed followed;
    // Written after the stream started (its first response), so it is in it.
    ASSERT_TRUE(followed.Until(watch, [&] { return !followed.resume_token.empty(); }));
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "before"), nullptr).ok());
    ASSERT_TRUE(followed.Until(watch, [&] { return CountOf(followed, tenant_) >= 1; }));
    token = followed.resume_token;
  }
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "after-1"), nullptr).ok());
  ASSERT_TRUE(Delete(*stub_, tenant_, "before").ok());

  Watch resumed(*stub_, token);
  Followed followed;
  ASSERT_TRUE(followed.Until(resumed, [&] { return CountOf(followed, tenant_) >= 2; }));
  const std::vector<GrantChange> changes = followed.Of(tenant_);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].grant().grant_id(), "after-1");
  EXPECT_TRUE(changes[1].deleted());
  EXPECT_EQ(changes[1].grant_id(), "before");
}

TEST_P(StoreWatchTest, ATokenOfAnotherDatabaseIsRefusedWithOutOfRange) {
  RunningService* other = Start(NewStoreDatabase(GetParam(), Dir()));
  ASSERT_NE(other, nullptr);
  auto other_stub = NewStoreStub(other->channel);
  std::string foreign;
  {
    Watch watch(*other_stub, "");
    auto first = watch.Next();
    ASSERT_TRUE(first.has_value());
    foreign = first->resume_token();
  }
  Watch refused(*stub_, foreign);
  EXPECT_FALSE(refused.Next().has_value());
  const grpc::Status status = refused.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("from another database"));
}

TEST_P(StoreWatchTest, MalformedStartsAreInvalidArgumentNamingTheField) {
  {
    Watch garbage(*stub_, "not-a-token");
    const grpc::Status status = garbage.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
    EXPECT_THAT(status.error_message(), HasSubstr("start.resume_token"));
  }
  // A heartbeat first (no start).
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  auto stream = stub_->WatchGrants(&context);
  WatchGrantsRequest heartbeat;
  heartbeat.mutable_heartbeat()->set_id(1);
  stream->Write(heartbeat);
  stream->WritesDone();
  WatchGrantsResponse ignored;
  while (stream->Read(&ignored)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("start"));
}

TEST_P(StoreWatchTest, ATokenPastRetentionIsRefusedNamingTheOldestRevision) {
  RunningService* store = Start(NewStoreDatabase(GetParam(), Dir()),
                                {"--change_retention_revisions=1", "--change_sweep_interval=50ms"});
  ASSERT_NE(store, nullptr);
  auto stub = NewStoreStub(store->channel);
  std::string old_token;
  {
    Watch watch(*stub, "");
    auto first = watch.Next();
    ASSERT_TRUE(first.has_value());
    old_token = first->resume_token();
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Put(*stub, MakeGrant(tenant_, absl::StrCat("g", i)), nullptr).ok());
  }
  // The sweep runs every 50 ms; wait (bounded) until it has pruned.
  grpc::Status status;
  for (int attempt = 0; attempt < 200; ++attempt) {
    Watch watch(*stub, old_token);
    auto response = watch.Next();
    if (!response.has_value()) {
      status = watch.Finish();
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("oldest revision to resume from is"));
}

// An echo proves the stream has delivered every change committed before
// the heartbeat was sent: the store echoes only after a poll that started
// after the heartbeat arrived.
TEST_P(StoreWatchTest, AHeartbeatIsEchoedOnlyAfterTheChangesCommittedBeforeIt) {
  Watch watch(*stub_, "");
  Followed followed;
  ASSERT_TRUE(followed.Until(watch, [&] { return !followed.resume_token.empty(); }));
  for (int id = 1; id <= 10; ++id) {
    Grant written;
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, absl::StrCat("g", id)), &written).ok());
    watch.Heartbeat(id);
    ASSERT_TRUE(followed.UntilEchoed(watch, id));
    const size_t before_echo = followed.changes_before_echo[id];
    ASSERT_GE(before_echo, 1u);
    EXPECT_GE(followed.changes[before_echo - 1].revision(), written.revision())
        << "heartbeat " << id << " was echoed before the change committed ahead of it";
  }
}

// --- Several replicas on one PostgreSQL database ---

class PostgresWatchTest : public StoreWatchTest {};

INSTANTIATE_TEST_SUITE_P(Postgres, PostgresWatchTest, ::testing::Values(StoreBackend::kPostgres),
                         StoreBackendName);

TEST_P(PostgresWatchTest, AWriteThroughReplicaAIsSeenByAWatcherOnReplicaB) {
  RunningService* b = ReplicaB();
  ASSERT_NE(b, nullptr);
  auto stub_b = NewStoreStub(b->channel);
  Watch watch(*stub_b, "");
  Followed followed;
  ASSERT_TRUE(followed.Until(watch, [&] { return !followed.resume_token.empty(); }));
  for (int id = 1; id <= 5; ++id) {
    Grant written;
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, absl::StrCat("g", id)), &written).ok());
    // B learns of A's write only by polling; the echo still follows it.
    watch.Heartbeat(id);
    ASSERT_TRUE(followed.UntilEchoed(watch, id));
    const std::vector<GrantChange> mine = followed.Of(tenant_);
    ASSERT_EQ(mine.size(), static_cast<size_t>(id));
    EXPECT_EQ(mine.back().revision(), written.revision());
  }
}

TEST_P(PostgresWatchTest, ConcurrentWritersOnTwoReplicasLoseNoChange) {
  RunningService* b = ReplicaB();
  ASSERT_NE(b, nullptr);
  auto stub_b = NewStoreStub(b->channel);
  Watch watch(*stub_b, "");
  Followed followed;
  ASSERT_TRUE(followed.Until(watch, [&] { return !followed.resume_token.empty(); }));
  constexpr int kWriters = 4;
  constexpr int kEach = 15;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto stub = NewStoreStub(w % 2 == 0 ? replicas_->a->channel : b->channel);
      for (int i = 0; i < kEach; ++i) {
        // Every other write on one grant all writers share.
        const std::string id = i % 2 == 0 ? "shared" : absl::StrCat("w", w, "-", i);
        EXPECT_TRUE(Put(*stub, MakeGrant(tenant_, id), nullptr).ok());
      }
    });
  }
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(followed.Until(
      watch, [&] { return CountOf(followed, tenant_) >= static_cast<size_t>(kWriters * kEach); }));
  int64_t shared_version = 0;
  for (const GrantChange& change : followed.Of(tenant_)) {
    if (change.grant_id() != "shared") continue;
    EXPECT_EQ(change.grant().version(), shared_version + 1);
    shared_version = change.grant().version();
  }
  EXPECT_EQ(shared_version, kWriters * ((kEach + 1) / 2));
}

// A transaction that took its revision (after its xid, as the store's
// writes do) and commits after later writes through the store: the watcher
// must not move past it while it is open, and gets it, in revision order,
// once it commits.
TEST_P(PostgresWatchTest, ATransactionThatCommitsAfterLaterOnesIsStillDelivered) {
  Watch watch(*stub_, "");
  Followed followed;
  ASSERT_TRUE(followed.Until(watch, [&] { return !followed.resume_token.empty(); }));

  PostgresCluster& cluster = SharedPostgres();
  store::PgConnectOptions connect;
  connect.keywords = {{"dbname", replicas_->database.db}, {"password", cluster.password()}};
  auto slow = store::PgConnection::Connect(connect, absl::Now() + absl::Seconds(20));
  ASSERT_TRUE(slow.ok()) << slow.status();
  auto taken = (*slow)->Run({{"", "BEGIN", {}},
                             {"", "SELECT pg_current_xact_id()::text", {}},
                             {"", "SELECT nextval('grant_change_revisions')", {}}},
                            absl::Now() + absl::Seconds(20));
  ASSERT_TRUE(taken.ok()) << taken.status();
  const int64_t slow_revision = (*taken)[2].Int(0, 0);

  std::vector<int64_t> later;
  for (int i = 0; i < 3; ++i) {
    Grant written;
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, absl::StrCat("later-", i)), &written).ok());
    later.push_back(written.revision());
  }
  // Committed before this heartbeat: its echo must follow them.
  watch.Heartbeat(1);
  // While the slow one is open, no stream moves past it: a new one starts
  // below it.
  {
    Watch probe(*stub_, "");
    auto first = probe.Next();
    ASSERT_TRUE(first.has_value());
    EXPECT_LT(first->revision(), slow_revision);
  }

  Grant slow_grant = MakeGrant(tenant_, "slow");
  slow_grant.set_revision(slow_revision);
  ASSERT_TRUE((*slow)
                  ->Run({{"",
                          "INSERT INTO grant_changes (revision, time_us, tenant_id, grant_id,"
                          " grant_proto) VALUES ($1, 0, $2, 'slow', $3)",
                          {store::PgParam::Int(slow_revision), store::PgParam::Text(tenant_),
                           store::PgParam::Bytes(slow_grant.SerializeAsString())}},
                         {"", "COMMIT", {}}},
                        absl::Now() + absl::Seconds(20), /*commits=*/true)
                  .ok());
  ASSERT_TRUE(followed.UntilEchoed(watch, 1));
  const std::vector<GrantChange> changes = followed.Of(tenant_);
  // The echo came after all of them (the later ones follow the slow one).
  EXPECT_GE(followed.changes_before_echo[1], 4u);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].grant_id(), "slow");
  EXPECT_EQ(changes[0].revision(), slow_revision);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(changes[i + 1].revision(), later[i]);
}

}  // namespace
}  // namespace apptrust::testing
