// PostgresBackend against a real PostgreSQL 15 (tests/support/postgres_cluster.h):
// every GrantBackend conformance case, each on a database of its own, then
// what only a server database has: the URI and password rules, TLS,
// concurrent migrations, a schema from the future, a server that stops and
// comes back, a demoted primary, deadlines, and a commit whose outcome the
// server leaves unknown.
#include "services/store/postgres_backend.h"

#include <stdlib.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/backend_copy.h"
#include "services/store/postgres_schema.h"
#include "services/store/sqlite_backend.h"
#include "services/store/testing/grant_backend_conformance.h"
#include "tests/store/store_backends.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_pki.h"

namespace apptrust::store {
namespace {

using testing::At;
using testing::Deadline;
using ::testing::HasSubstr;
using testing::kAudit;
using testing::MakeGrant;
using testing::MakeSuspension;
using ::testing::Not;
using PgCluster = apptrust::testing::PostgresCluster;

// One server for the whole binary (tests/store/store_backends.h); each test
// makes databases of its own on it.
PgCluster& SharedCluster() { return apptrust::testing::SharedPostgres(); }

std::string NewDatabase(PgCluster&) { return apptrust::testing::NewPostgresDatabase(); }

PostgresOptions OptionsFor(const PgCluster& cluster, const std::string& uri) {
  PostgresOptions options;
  options.uri = uri;
  options.password = cluster.password();
  options.pool_size = 8;
  return options;
}

absl::StatusOr<std::unique_ptr<PostgresBackend>> OpenOn(const PgCluster& cluster,
                                                        const std::string& uri) {
  return PostgresBackend::Open(OptionsFor(cluster, uri), Deadline());
}

class PostgresFactory : public testing::BackendFactory {
 public:
  absl::StatusOr<std::unique_ptr<GrantBackend>> OpenFresh() override {
    uri_ = NewDatabase(SharedCluster());
    return OpenAgain();
  }
  absl::StatusOr<std::unique_ptr<GrantBackend>> OpenAgain() override {
    auto backend = OpenOn(SharedCluster(), uri_);
    if (!backend.ok()) return backend.status();
    return std::unique_ptr<GrantBackend>(std::move(*backend));
  }

 private:
  std::string uri_;
};

std::unique_ptr<testing::BackendFactory> MakePostgresFactory() {
  return std::make_unique<PostgresFactory>();
}

using testing::GrantBackendConformance;
INSTANTIATE_TEST_SUITE_P(Postgres, GrantBackendConformance, ::testing::Values(&MakePostgresFactory),
                         [](const auto&) { return std::string("Postgres"); });

// --- The URI and the password -----------------------------------------------------

TEST(PostgresBackendOpenTest, RefusesAUriCarryingAPasswordWithoutRepeatingIt) {
  PostgresOptions options;
  options.uri = "postgresql://apptrust:s3cret-Pw@127.0.0.1:1/apptrust";
  auto backend = PostgresBackend::Open(options, Deadline());
  ASSERT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(backend.status().message(), HasSubstr("--db_password_file"));
  EXPECT_THAT(backend.status().message(), Not(HasSubstr("s3cret")));
}

TEST(PostgresBackendOpenTest, RefusesSessionsThatMayLandOnAStandby) {
  PostgresOptions options;
  options.uri = "postgresql://apptrust@127.0.0.1:1/apptrust?target_session_attrs=any";
  auto backend = PostgresBackend::Open(options, Deadline());
  ASSERT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(backend.status().message(), HasSubstr("target_session_attrs=any"));
}

TEST(PostgresBackendOpenTest, AWrongPasswordIsAConfigurationErrorNotAnOutage) {
  PgCluster& cluster = SharedCluster();
  PostgresOptions options = OptionsFor(cluster, NewDatabase(cluster));
  options.password = "not-the-password";
  auto backend = PostgresBackend::Open(options, Deadline());
  ASSERT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition) << backend.status();
  EXPECT_THAT(backend.status().message(), HasSubstr("password authentication failed"));
}

TEST(PostgresBackendOpenTest, TakesThePasswordFromPgpassfile) {
  PgCluster& cluster = SharedCluster();
  apptrust::testing::TempDir dir;
  const std::string passfile = dir.path() + "/pgpass";
  ASSERT_TRUE(PgCluster::WritePassFile(passfile, {&cluster}).ok());
  // The pass file names the database "apptrust"; use that one.
  PostgresOptions options = OptionsFor(cluster, cluster.uri());
  options.password.clear();
  ASSERT_EQ(setenv("PGPASSFILE", passfile.c_str(), 1), 0);
  auto backend = PostgresBackend::Open(options, Deadline());
  unsetenv("PGPASSFILE");
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
}

TEST(PostgresBackendOpenTest, ConnectsOverVerifiedTls) {
  apptrust::testing::PostgresOptions tls;
  tls.tls = true;
  auto cluster = PgCluster::StartPrimary(tls);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto backend = OpenOn(**cluster, (*cluster)->uri((*cluster)->tls_query()));
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  auto ssl = (*cluster)->Sql(
      "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a"
      " USING (pid) WHERE s.ssl AND a.application_name = 'apptrust-store'");
  ASSERT_TRUE(ssl.ok()) << ssl.status();
  EXPECT_NE(*ssl, "0");
  // A CA that did not issue the server's certificate is refused.
  auto pki = apptrust::testing::TestPki::Create();
  ASSERT_TRUE(pki.ok());
  auto refused = OpenOn(
      **cluster, (*cluster)->uri("sslmode=verify-full&sslrootcert=" + (*pki)->root_pem_path()));
  EXPECT_FALSE(refused.ok());
}

// --- Migrations ------------------------------------------------------------------

TEST(PostgresBackendOpenTest, ReplicasStartingTogetherApplyEachMigrationOnce) {
  PgCluster& cluster = SharedCluster();
  const std::string uri = NewDatabase(cluster);
  const std::string database = uri.substr(uri.rfind('/') + 1);
  constexpr int kReplicas = 6;
  std::vector<absl::Status> opened(kReplicas);
  std::vector<std::thread> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.emplace_back([&, i] { opened[i] = OpenOn(cluster, uri).status(); });
  }
  for (auto& replica : replicas) replica.join();
  for (const absl::Status& status : opened) EXPECT_TRUE(status.ok()) << status;
  auto rows =
      cluster.Sql("SELECT count(*), max(version) FROM apptrust_schema_migrations", database);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, absl::StrCat(LatestPostgresSchemaVersion(), "|", LatestPostgresSchemaVersion()));
}

TEST(PostgresBackendOpenTest, RefusesADatabaseNewerThanTheBinary) {
  PgCluster& cluster = SharedCluster();
  const std::string uri = NewDatabase(cluster);
  const std::string database = uri.substr(uri.rfind('/') + 1);
  ASSERT_TRUE(OpenOn(cluster, uri).ok());
  ASSERT_TRUE(
      cluster.Sql("INSERT INTO apptrust_schema_migrations (version) VALUES (999)", database).ok());
  auto backend = OpenOn(cluster, uri);
  ASSERT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(backend.status().message(), HasSubstr("999 is newer than this binary"));
}

// --- Failures of the server -----------------------------------------------------------

TEST(PostgresBackendFailureTest, AStoppedServerIsUnavailableAndTheBackendReconnectsByItself) {
  auto cluster = PgCluster::StartPrimary();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto backend = OpenOn(**cluster, (*cluster)->uri());
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());

  ASSERT_TRUE((*cluster)->Stop().ok());
  for (int call = 0; call < 3; ++call) {
    auto got = (*backend)->GetGrant("t", "g", Deadline());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
    auto put = (*backend)->PutGrant(MakeGrant("t", "h"), At(1), kAudit, Deadline());
    EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable) << put.status();
  }
  EXPECT_EQ((*backend)->CheckReachable(Deadline()).code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE((*cluster)->Restart().ok());
  absl::Status reachable;
  for (int attempt = 0; attempt < 100; ++attempt) {
    reachable = (*backend)->CheckReachable(Deadline());
    if (reachable.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(reachable.ok()) << reachable;
  auto got = (*backend)->GetGrant("t", "g", Deadline());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->version(), 1);
}

// A primary turned read-only under the store (what a demoted primary looks
// like to its old sessions): the sessions are ended (57P01), new ones are
// read-only (25006 / refused by target_session_attrs=read-write). Every
// call is UNAVAILABLE, none INTERNAL, and the backend recovers by itself.
TEST(PostgresBackendFailureTest, ADemotedPrimaryIsUnavailableNotInternal) {
  PgCluster& cluster = SharedCluster();
  const std::string uri = NewDatabase(cluster);
  const std::string database = uri.substr(uri.rfind('/') + 1);
  auto backend = OpenOn(cluster, uri);
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());

  ASSERT_TRUE(
      cluster
          .Sql(absl::StrCat("ALTER DATABASE ", database, " SET default_transaction_read_only = on"),
               "postgres")
          .ok());
  ASSERT_TRUE(cluster
                  .Sql(absl::StrCat("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                    " WHERE datname = '",
                                    database, "' AND pid <> pg_backend_pid()"),
                       "postgres")
                  .ok());
  for (int call = 0; call < 3; ++call) {
    auto put = (*backend)->PutGrant(MakeGrant("t", "g"), At(1), kAudit, Deadline());
    EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable) << put.status();
  }
  ASSERT_TRUE(cluster
                  .Sql(absl::StrCat("ALTER DATABASE ", database,
                                    " SET default_transaction_read_only = off"),
                       "postgres")
                  .ok());
  absl::StatusOr<PutGrantResult> put = absl::UnknownError("not tried");
  for (int attempt = 0; attempt < 100 && !put.ok(); ++attempt) {
    absl::SleepFor(absl::Milliseconds(100));
    put = (*backend)->PutGrant(MakeGrant("t", "g"), At(2), kAudit, Deadline());
  }
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->grant.version(), 2);
}

// A row another session holds locked: the write waits only until its own
// deadline (the statement timeout follows it), then DEADLINE_EXCEEDED; the
// backend serves the next call.
TEST(PostgresBackendFailureTest, AWriteStuckOnALockEndsAtItsDeadline) {
  PgCluster& cluster = SharedCluster();
  const std::string uri = NewDatabase(cluster);
  auto backend = OpenOn(cluster, uri);
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());

  PgConnectOptions connect;
  connect.keywords = {{"dbname", uri}, {"password", cluster.password()}};
  auto holder = PgConnection::Connect(connect, Deadline());
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE((*holder)
                  ->Run({{"", "BEGIN", {}},
                         {"", "SELECT 1 FROM grants WHERE grant_id = 'g' FOR UPDATE", {}}},
                        Deadline())
                  .ok());
  const absl::Time start = absl::Now();
  auto suspended = (*backend)->SuspendGrant("t", "g", 1, MakeSuspension("s", At(1)), At(1), kAudit,
                                            absl::Now() + absl::Milliseconds(500));
  EXPECT_EQ(suspended.status().code(), absl::StatusCode::kDeadlineExceeded) << suspended.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));  // not the default 30 s statement timeout
  ASSERT_TRUE((*holder)->Run({{"", "ROLLBACK", {}}}, Deadline()).ok());
  auto got = (*backend)->GetGrant("t", "g", Deadline());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
}

// The reason the change log reads by snapshot visibility: a transaction
// that took its revision first and commits last. Another session does what
// a write does (its xid, then a revision) and stays open while the backend
// commits two later changes; the log must not hand those out past the open
// one (a reader that moved past them would never see it), and once it
// commits, all three come out in revision order.
TEST(PostgresBackendChangeLogTest, ATransactionThatCommitsLastIsNotSkipped) {
  PgCluster& cluster = SharedCluster();
  const std::string uri = NewDatabase(cluster);
  auto backend = OpenOn(cluster, uri);
  ASSERT_TRUE(backend.ok()) << backend.status();
  auto first = (*backend)->PutGrant(MakeGrant("t", "first"), At(0), kAudit, Deadline());
  ASSERT_TRUE(first.ok()) << first.status();

  PgConnectOptions connect;
  connect.keywords = {{"dbname", uri}, {"password", cluster.password()}};
  auto slow = PgConnection::Connect(connect, Deadline());
  ASSERT_TRUE(slow.ok()) << slow.status();
  auto taken = (*slow)->Run({{"", "BEGIN", {}},
                             {"", "SELECT pg_current_xact_id()::text", {}},
                             {"", "SELECT nextval('grant_change_revisions')", {}}},
                            Deadline());
  ASSERT_TRUE(taken.ok()) << taken.status();
  const int64_t slow_revision = (*taken)[2].Int(0, 0);

  auto later1 = (*backend)->PutGrant(MakeGrant("t", "later-1"), At(1), kAudit, Deadline());
  auto later2 = (*backend)->PutGrant(MakeGrant("t", "later-2"), At(2), kAudit, Deadline());
  ASSERT_TRUE(later1.ok() && later2.ok());
  ASSERT_GT(later1->grant.revision(), slow_revision);

  // Committed, visible, and still not handed out: the open one is below them.
  for (int poll = 0; poll < 5; ++poll) {
    auto page = (*backend)->ReadChanges(first->grant.revision(), 100, Deadline());
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_TRUE(page->changes.empty());
    EXPECT_LT(page->revision, slow_revision);
  }

  v1::Grant slow_grant = MakeGrant("t", "slow");
  slow_grant.set_revision(slow_revision);
  ASSERT_TRUE(
      (*slow)
          ->Run({{"",
                  "INSERT INTO grant_changes (revision, time_us, tenant_id, grant_id,"
                  " grant_proto) VALUES ($1, 0, 't', 'slow', $2)",
                  {PgParam::Int(slow_revision), PgParam::Bytes(slow_grant.SerializeAsString())}},
                 {"", "COMMIT", {}}},
                Deadline(), /*commits=*/true)
          .ok());
  std::vector<v1::GrantChange> changes;
  int64_t position = first->grant.revision();
  for (int poll = 0; poll < 100 && changes.size() < 3; ++poll) {
    auto page = (*backend)->ReadChanges(position, 100, Deadline());
    ASSERT_TRUE(page.ok()) << page.status();
    for (auto& change : page->changes) changes.push_back(std::move(change));
    position = page->revision;
  }
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].grant_id(), "slow");
  EXPECT_EQ(changes[0].revision(), slow_revision);
  EXPECT_EQ(changes[1].revision(), later1->grant.revision());
  EXPECT_EQ(changes[2].revision(), later2->grant.revision());
}

// A commit waiting for a synchronous standby that never answers. The
// server's statement timeout does not cover that wait, so the store bounds it
// itself; and when someone cancels the wait (pg_cancel_backend, as an
// operator or a failover tool does), PostgreSQL reports the COMMIT as done
// with a WARNING: the row is committed locally, maybe not on any standby.
// Neither may be answered OK.
TEST(PostgresBackendFailureTest, ACommitWhoseReplicationWaitIsCancelledOrTimesOutIsNotOk) {
  auto cluster = PgCluster::StartPrimary();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto backend = OpenOn(**cluster, (*cluster)->uri());
  ASSERT_TRUE(backend.ok()) << backend.status();
  // (ALTER SYSTEM cannot share psql's implicit transaction with the reload.)
  ASSERT_TRUE(
      (*cluster)->Sql("ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (nobody)'").ok());
  ASSERT_TRUE((*cluster)->Sql("SELECT pg_reload_conf()").ok());
  absl::SleepFor(absl::Milliseconds(300));  // the reload reaches the backends

  absl::StatusOr<PutGrantResult> cancelled = absl::UnknownError("not run");
  std::thread writer(
      [&] { cancelled = (*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()); });
  std::string waiting;
  for (int attempt = 0; attempt < 200 && (waiting.empty() || waiting == "0"); ++attempt) {
    absl::SleepFor(absl::Milliseconds(50));
    auto count = (*cluster)->Sql(
        "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
    ASSERT_TRUE(count.ok()) << count.status();
    waiting = *count;
  }
  writer.join();
  EXPECT_EQ(waiting, "1");
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kUnavailable) << cancelled.status();
  EXPECT_THAT(cancelled.status().message(), HasSubstr("outcome of the commit is unknown"));
  EXPECT_THAT(cancelled.status().message(), HasSubstr("synchronous replication"));

  // The caller's deadline passes while the COMMIT waits.
  auto timed_out = (*backend)->PutGrant(MakeGrant("t", "h"), At(0), kAudit,
                                        absl::Now() + absl::Milliseconds(700));
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kUnavailable) << timed_out.status();
  EXPECT_THAT(timed_out.status().message(), HasSubstr("outcome of the commit is unknown"));

  ASSERT_TRUE((*cluster)->Sql("ALTER SYSTEM RESET synchronous_standby_names").ok());
  ASSERT_TRUE((*cluster)->Sql("SELECT pg_reload_conf()").ok());
  absl::SleepFor(absl::Milliseconds(300));
  // Both were committed locally: the retries the callers make converge.
  for (const char* id : {"g", "h"}) {
    auto retry = (*backend)->PutGrant(MakeGrant("t", id), At(1), kAudit, Deadline());
    ASSERT_TRUE(retry.ok()) << retry.status();
    EXPECT_EQ(retry->grant.version(), 2) << id;
  }
}

TEST(PostgresBackendTest, ABatchIsOneRoundTripAndBytesThatAreNotUtf8StayOutOfTheAudit) {
  PgCluster& cluster = SharedCluster();
  auto backend = OpenOn(cluster, NewDatabase(cluster));
  ASSERT_TRUE(backend.ok()) << backend.status();
  // A caller identity with bytes PostgreSQL text refuses is stored sanitised
  // instead of failing the patient's enrollment.
  const AuditContext odd{std::string("spiffe://x/\xff\x00y", 14), "req"};
  ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), odd, Deadline()).ok());
  const auto entries = testing::AllAuditEntries(**backend, "t");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_THAT(entries[0].caller(), HasSubstr("spiffe://x/"));
  std::vector<GrantKey> keys;
  for (int i = 0; i < 200; ++i) keys.push_back({"t", i == 100 ? "g" : absl::StrCat("m", i)});
  auto got = (*backend)->GetGrants(keys, Deadline());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 200u);
  EXPECT_TRUE((*got)[100].ok());
  EXPECT_EQ((*got)[99].status().code(), absl::StatusCode::kNotFound);
}

// --- Moving from SQLite ----------------------------------------------------------------

TEST(PostgresBackendCopyTest, CopiesEveryGrantAndSuspensionAndNeverRollsBackANewerGrant) {
  apptrust::testing::TempDir dir;
  auto sqlite = SqliteBackend::Open(dir.File("old.db"));
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  SqliteBackend& from = **sqlite;
  ASSERT_TRUE(from.PutGrant(MakeGrant("t", "a"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(from.PutGrant(MakeGrant("t", "b"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      from.SuspendGrant("t", "b", 1, MakeSuspension("s-b", At(1)), At(1), kAudit, Deadline()).ok());
  ASSERT_TRUE(from.PutGrant(MakeGrant("u", "c"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      from.SuspendGrant("u", "c", 1, MakeSuspension("s-c", At(1)), At(1), kAudit, Deadline()).ok());
  ASSERT_TRUE(from.PutGrant(MakeGrant("u", "c"), At(2), kAudit, Deadline()).ok());  // version 3

  PgCluster& cluster = SharedCluster();
  auto to = OpenOn(cluster, NewDatabase(cluster));
  ASSERT_TRUE(to.ok()) << to.status();
  // Changed on PostgreSQL already (version 2): the copy must keep it.
  ASSERT_TRUE((*to)->PutGrant(MakeGrant("t", "a", "client-new"), At(5), kAudit, Deadline()).ok());
  ASSERT_TRUE((*to)->PutGrant(MakeGrant("t", "a", "client-new"), At(6), kAudit, Deadline()).ok());

  auto counts = CopySqliteToPostgres(from, **to, absl::Seconds(30));
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->grants_read, 3);
  EXPECT_EQ(counts->grants_written, 2);
  EXPECT_EQ(counts->grants_kept, 1);
  EXPECT_EQ(counts->suspensions_read, 2);
  EXPECT_EQ(counts->suspensions_written, 2);
  EXPECT_THAT(counts->ToString(), HasSubstr("grants: 3 read, 2 written, 1 kept"));

  auto a = (*to)->GetGrant("t", "a", Deadline());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->client_id(), "client-new");
  EXPECT_EQ(a->version(), 2);
  auto b = (*to)->GetGrant("t", "b", Deadline());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(b->version(), 2);
  EXPECT_EQ(b->suspension().suspension_id(), "s-b");
  auto c = (*to)->GetGrant("u", "c", Deadline());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(c->version(), 3);
  EXPECT_FALSE(c->has_suspension());
  // An earlier suspension still explains its error_uri.
  EXPECT_TRUE((*to)->GetSuspension("s-c", Deadline()).ok());
  // And the copied grants behave like any other: the next write is version + 1.
  auto suspended =
      (*to)->SuspendGrant("u", "c", 3, MakeSuspension("s-c2", At(9)), At(9), kAudit, Deadline());
  ASSERT_TRUE(suspended.ok()) << suspended.status();
  EXPECT_EQ(suspended->grant.version(), 4);

  // Repeating the copy changes nothing.
  auto again = CopySqliteToPostgres(from, **to, absl::Seconds(30));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->grants_written, 0);
  EXPECT_EQ(again->grants_kept, 3);
  EXPECT_EQ(again->suspensions_written, 0);
  EXPECT_EQ(again->suspensions_kept, 2);
}

}  // namespace
}  // namespace apptrust::store
