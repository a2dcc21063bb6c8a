// The PostgreSQL fixture does what the store's tests rely on: password
// authentication over TCP, TLS that verify-full accepts only with the right
// CA, a synchronous standby that has every committed row, a power loss that
// leaves no process behind, and a promoted standby that a multi-host URI
// with target_session_attrs=read-write finds.
#include "tests/support/postgres_cluster.h"

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_pki.h"

namespace apptrust::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Polls `sql` through `uri` until it prints `expected`; returns the last
// output (or error) otherwise.
std::string WaitForOutput(const std::string& uri, const std::string& passfile,
                          const std::string& sql, const std::string& expected) {
  std::string last;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> out = PostgresCluster::Psql(uri, sql, {{"PGPASSFILE", passfile}});
    last = out.ok() ? *out : out.status().ToString();
    if (last == expected) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return last;
}

TEST(PostgresClusterTest, TcpClientsNeedThePasswordAndVerifyFullNeedsTheCa) {
  PostgresOptions options;
  options.tls = true;
  absl::StatusOr<std::unique_ptr<PostgresCluster>> started = PostgresCluster::StartPrimary(options);
  ASSERT_TRUE(started.ok()) << started.status();
  PostgresCluster& db = **started;
  EXPECT_FALSE(absl::StrContains(db.uri(), db.password()));
  TempDir dir;
  const std::string passfile = dir.File("pgpass");
  ASSERT_TRUE(PostgresCluster::WritePassFile(passfile, {&db}).ok());

  absl::StatusOr<std::string> user = PostgresCluster::Psql(
      db.uri("sslmode=disable"), "SELECT current_user || ' ' || current_database()",
      {{"PGPASSFILE", passfile}});
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(*user, "apptrust apptrust");

  absl::StatusOr<std::string> no_password =
      PostgresCluster::Psql(db.uri("sslmode=disable"), "SELECT 1");
  ASSERT_FALSE(no_password.ok());
  EXPECT_THAT(no_password.status().message(), HasSubstr("no password supplied"));

  const std::string wrong = dir.File("wrong-pgpass");
  {
    std::ofstream out(wrong);
    out << db.host_port() << ":apptrust:apptrust:not-the-password\n";
  }
  ASSERT_EQ(chmod(wrong.c_str(), 0600), 0);  // libpq ignores a file others can read
  absl::StatusOr<std::string> wrong_password =
      PostgresCluster::Psql(db.uri("sslmode=disable"), "SELECT 1", {{"PGPASSFILE", wrong}});
  ASSERT_FALSE(wrong_password.ok());
  EXPECT_THAT(wrong_password.status().message(), HasSubstr("password authentication failed"));

  ASSERT_THAT(db.tls_query(), HasSubstr("sslmode=verify-full"));
  absl::StatusOr<std::string> tls = PostgresCluster::Psql(
      db.uri(db.tls_query()), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
      {{"PGPASSFILE", passfile}});
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_EQ(*tls, "t");

  absl::StatusOr<std::unique_ptr<TestPki>> other_pki = TestPki::Create();
  ASSERT_TRUE(other_pki.ok()) << other_pki.status();
  absl::StatusOr<std::string> other_ca = PostgresCluster::Psql(
      db.uri(absl::StrCat("sslmode=verify-full&sslrootcert=", (*other_pki)->root_pem_path())),
      "SELECT 1", {{"PGPASSFILE", passfile}});
  ASSERT_FALSE(other_ca.ok());
  EXPECT_THAT(other_ca.status().message(), HasSubstr("certificate verify failed"));
}

TEST(PostgresClusterTest, PromotedSynchronousStandbyHasEveryCommitAndTakesWrites) {
  absl::StatusOr<std::unique_ptr<PostgresCluster>> started_primary =
      PostgresCluster::StartPrimary();
  ASSERT_TRUE(started_primary.ok()) << started_primary.status();
  PostgresCluster& primary = **started_primary;
  absl::StatusOr<std::unique_ptr<PostgresCluster>> started_standby = primary.StartStandby();
  ASSERT_TRUE(started_standby.ok()) << started_standby.status();
  PostgresCluster& standby = **started_standby;
  ASSERT_TRUE(primary.WaitStreaming(standby).ok());
  ASSERT_TRUE(primary.EnableSynchronousStandby().ok());
  EXPECT_EQ(primary.Sql("SELECT sync_state FROM pg_stat_replication").value_or(""), "quorum");
  EXPECT_EQ(primary.Sql("SHOW synchronous_standby_names").value_or(""), "ANY 1 (*)");
  EXPECT_EQ(primary.Sql("SHOW synchronous_commit").value_or(""), "on");
  EXPECT_EQ(primary.Sql("SHOW fsync").value_or(""), "on");

  TempDir dir;
  const std::string passfile = dir.File("pgpass");
  ASSERT_TRUE(PostgresCluster::WritePassFile(passfile, {&primary, &standby}).ok());
  const std::string standby_first = PostgresCluster::MultiHostUri({&standby, &primary});
  EXPECT_EQ(
      PostgresCluster::Psql(standby_first, "SELECT inet_server_port()", {{"PGPASSFILE", passfile}})
          .value_or("failed"),
      absl::StrCat(primary.port()));

  absl::StatusOr<std::string> written = PostgresCluster::Psql(
      primary.uri(), "CREATE TABLE t (v text); INSERT INTO t VALUES ('before the crash')",
      {{"PGPASSFILE", passfile}});
  ASSERT_TRUE(written.ok()) << written.status();
  // A synchronous commit is on the standby's disk; it is visible there once
  // replayed.
  EXPECT_EQ(WaitForOutput(standby.uri(), passfile, "SELECT v FROM t", "before the crash"),
            "before the crash");
  EXPECT_FALSE(PostgresCluster::Psql(standby.uri(), "INSERT INTO t VALUES ('on a standby')",
                                     {{"PGPASSFILE", passfile}})
                   .ok());

  ASSERT_FALSE(primary.server_processes().empty());
  ASSERT_TRUE(primary.Kill().ok());
  EXPECT_THAT(primary.server_processes(), IsEmpty());
  EXPECT_FALSE(primary.running());
  EXPECT_FALSE(PostgresCluster::Psql(primary.uri(), "SELECT 1", {{"PGPASSFILE", passfile}}).ok());

  ASSERT_TRUE(standby.Promote().ok());
  const std::string primary_first = PostgresCluster::MultiHostUri({&primary, &standby});
  absl::StatusOr<std::string> after = PostgresCluster::Psql(
      primary_first,
      "INSERT INTO t VALUES ('after the failover'); "
      "SELECT inet_server_port() || ' ' || string_agg(v, ',' ORDER BY v) FROM t",
      {{"PGPASSFILE", passfile}});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, absl::StrCat(standby.port(), " after the failover,before the crash"));
}

TEST(PostgresClusterTest, RestartKeepsThePortAndEveryCommit) {
  absl::StatusOr<std::unique_ptr<PostgresCluster>> started = PostgresCluster::StartPrimary();
  ASSERT_TRUE(started.ok()) << started.status();
  PostgresCluster& db = **started;
  const uint16_t port = db.port();
  ASSERT_TRUE(db.Sql("CREATE TABLE t (v int); INSERT INTO t VALUES (1)").ok());

  ASSERT_TRUE(db.Stop().ok());
  EXPECT_THAT(db.server_processes(), IsEmpty());
  EXPECT_FALSE(db.Sql("SELECT 1").ok());
  ASSERT_TRUE(db.Restart().ok());
  EXPECT_EQ(db.port(), port);
  ASSERT_TRUE(db.Sql("INSERT INTO t VALUES (2)").ok());

  ASSERT_TRUE(db.Kill().ok());
  EXPECT_THAT(db.server_processes(), IsEmpty());
  ASSERT_TRUE(db.Restart().ok());  // crash recovery
  EXPECT_EQ(db.Sql("SELECT string_agg(v::text, ',' ORDER BY v) FROM t").value_or(""), "1,2");
}

}  // namespace
}  // namespace apptrust::testing
