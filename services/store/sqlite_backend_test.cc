// SqliteBackend on real temporary files: opening (fresh directory, empty file,
// reopening, files that are not databases, schemas from the future), the
// semantics every GrantBackend keeps (grant_backend.h), and group commit
// (concurrent writes sharing a COMMIT, each behaving as if alone).
#include "services/store/sqlite_backend.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <latch>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/store/audit_sweeper.h"
#include "services/store/sqlite_schema.h"

namespace apptrust::store {
namespace {

using apptrust::v1::Grant;
using apptrust::v1::Suspension;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sqlite_backend_XXXXXX");
    path_ = mkdtemp(pattern.data());
  }
  ~TempDirectory() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs one query on the file with the plain sqlite3 API, returning column 0
// of the first row as text.
std::string QueryFile(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string result = "<error>";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    } else if (rc == SQLITE_DONE) {
      result = "";
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

Grant MakeGrant(const std::string& tenant, const std::string& grant_id,
                const std::string& client = "client-1") {
  Grant grant;
  grant.set_tenant_id(tenant);
  grant.set_grant_id(grant_id);
  grant.set_client_id(client);
  grant.set_redirect_uri("https://app.example.com/callback");
  grant.set_persona(v1::PERSONA_PATIENT);
  grant.set_application_name("Example App");
  grant.mutable_identity()->set_domain("example.com");
  grant.mutable_identity()->set_organization_name("Example Inc");
  grant.mutable_fingerprint()->set_host("app.example.com");
  grant.mutable_fingerprint()->mutable_tls()->set_leaf_sha256("aa");
  return grant;
}

Suspension MakeSuspension(const std::string& id, absl::Time at) {
  Suspension suspension;
  suspension.set_suspension_id(id);
  suspension.set_error_uri(absl::StrCat("https://apptrust.example/errors/x/instances/", id));
  suspension.set_reason(v1::REASON_TLS_CERT_EXPIRED);
  *suspension.mutable_suspended_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(at));
  auto* finding = suspension.add_findings();
  finding->set_reason(v1::REASON_TLS_CERT_EXPIRED);
  finding->set_suspends(true);
  return suspension;
}

absl::Time At(int seconds) { return absl::FromUnixSeconds(1'800'000'000 + seconds); }

// Who the tests' writes are audited as.
const AuditContext kAudit{"spiffe://test/backend-test", "req-1"};

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return TimeUtil::TimestampToMicroseconds(ts);
}

// Holds SQLite's write lock from a connection of its own, as another process
// would, until Release(): the store's writes queue up behind it meanwhile.
// That makes batches deterministic: a test waits until the writes it started
// are all queued (WaitForPendingWrites), then releases the lock.
class ForeignWriteLock {
 public:
  explicit ForeignWriteLock(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ~ForeignWriteLock() {
    Release();
    sqlite3_close(db_);
  }
  ForeignWriteLock(const ForeignWriteLock&) = delete;
  ForeignWriteLock& operator=(const ForeignWriteLock&) = delete;

  void Release() {
    if (held_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    held_ = false;
  }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = true;
};

// Waits until `count` write calls are queued or running in `backend`; false
// if they never are (a generous deadline, not a timing assumption).
bool WaitForPendingWrites(const SqliteBackend& backend, int64_t count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (backend.write_stats().pending_writes < count) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Long enough that a write queued behind a ForeignWriteLock never times out
// while the test gathers the others.
SqliteOptions PatientOptions() {
  SqliteOptions options;
  options.busy_timeout = absl::Seconds(50);
  return options;
}

class SqliteBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = SqliteBackend::Open(dir_.File("store.db"), PatientOptions());
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = std::move(*backend);
  }

  TempDirectory dir_;
  std::unique_ptr<SqliteBackend> backend_;
};

// --- Opening -------------------------------------------------------------

TEST(SqliteBackendOpenTest, CreatesMissingDirectoriesAndMigratesToLatestSchema) {
  TempDirectory dir;
  const std::string path = dir.File("a/b/c/store.db");
  {
    auto backend = SqliteBackend::Open(path);
    ASSERT_TRUE(backend.ok()) << backend.status();
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(QueryFile(path, "PRAGMA user_version"), std::to_string(LatestSchemaVersion()));
  EXPECT_EQ(QueryFile(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryFile(path, "SELECT name FROM sqlite_master WHERE name = 'suspensions'"),
            "suspensions");
}

TEST(SqliteBackendOpenTest, MigratesAnEmptyExistingFile) {
  TempDirectory dir;
  const std::string path = dir.File("empty.db");
  std::ofstream(path).close();
  ASSERT_EQ(std::filesystem::file_size(path), 0u);
  auto backend = SqliteBackend::Open(path);
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  EXPECT_EQ(QueryFile(path, "PRAGMA user_version"), std::to_string(LatestSchemaVersion()));
}

TEST(SqliteBackendOpenTest, ReopeningKeepsGrantsSuspensionsAndSchema) {
  TempDirectory dir;
  const std::string path = dir.File("store.db");
  {
    auto backend = SqliteBackend::Open(path);
    ASSERT_TRUE(backend.ok()) << backend.status();
    ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g1"), At(0), kAudit).ok());
    ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g2"), At(0), kAudit).ok());
    ASSERT_TRUE(
        (*backend)->SuspendGrant("t", "g2", 1, MakeSuspension("s2", At(5)), At(5), kAudit).ok());
  }
  auto backend = SqliteBackend::Open(path);
  ASSERT_TRUE(backend.ok()) << backend.status();
  auto g1 = (*backend)->GetGrant("t", "g1");
  ASSERT_TRUE(g1.ok()) << g1.status();
  EXPECT_EQ(g1->version(), 1);
  auto g2 = (*backend)->GetGrant("t", "g2");
  ASSERT_TRUE(g2.ok()) << g2.status();
  EXPECT_EQ(g2->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(g2->suspension().suspension_id(), "s2");
  EXPECT_EQ(QueryFile(path, "PRAGMA user_version"), std::to_string(LatestSchemaVersion()));
}

TEST(SqliteBackendOpenTest, RefusesAFileThatIsNotADatabase) {
  TempDirectory dir;
  const std::string path = dir.File("notes.txt");
  {
    std::ofstream out(path);
    for (int i = 0; i < 200; ++i) out << "these are notes, not an SQLite database\n";
  }
  auto backend = SqliteBackend::Open(path);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("not an SQLite database"));
}

TEST(SqliteBackendOpenTest, RefusesASchemaNewerThanTheBinary) {
  TempDirectory dir;
  const std::string path = dir.File("future.db");
  QueryFile(path, "PRAGMA user_version = 999");  // creates the file
  auto backend = SqliteBackend::Open(path);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("newer than this binary"));
}

TEST(SqliteBackendOpenTest, NamesTheDirectoryWhenItCannotBeCreated) {
  TempDirectory dir;
  std::ofstream(dir.File("plain-file")).close();
  auto backend = SqliteBackend::Open(dir.File("plain-file/sub/store.db"));
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("cannot create directory"));
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("plain-file/sub"));
}

TEST(SqliteBackendOpenTest, RefusesAWriteProtectedFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  TempDirectory dir;
  const std::string path = dir.File("ro.db");
  { ASSERT_TRUE(SqliteBackend::Open(path).ok()); }
  ASSERT_EQ(chmod(path.c_str(), 0444), 0);
  auto backend = SqliteBackend::Open(path);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("not writable"));
}

TEST(SqliteBackendOpenTest, SetsFullSynchronousOnTheWriter) {
  // synchronous is per connection; the only way to observe it is through a
  // write that survives, which the durability test does. Here: WAL files exist
  // while the backend is open (the WAL is in use).
  TempDirectory dir;
  const std::string path = dir.File("store.db");
  auto backend = SqliteBackend::Open(path);
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
}

// --- PutGrant --------------------------------------------------------------

TEST_F(SqliteBackendTest, PutCreatesAnActiveGrantAtVersionOne) {
  Grant request = MakeGrant("t", "g");
  request.set_state(v1::GRANT_STATE_SUSPENDED);  // server-set: ignored
  request.set_version(42);
  request.mutable_suspension()->set_suspension_id("ignored");
  auto put = backend_->PutGrant(request, At(10), kAudit);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_UNSPECIFIED);
  EXPECT_EQ(put->grant.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(put->grant.version(), 1);
  EXPECT_FALSE(put->grant.has_suspension());
  EXPECT_EQ(Micros(put->grant.created_at()), absl::ToUnixMicros(At(10)));
  EXPECT_EQ(Micros(put->grant.updated_at()), absl::ToUnixMicros(At(10)));

  auto got = backend_->GetGrant("t", "g");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), put->grant.SerializeAsString());
  EXPECT_EQ(got->identity().organization_name(), "Example Inc");
}

TEST_F(SqliteBackendTest, PutReplacesKeepingCreatedAtAndIncrementingVersion) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(10), kAudit).ok());
  Grant again = MakeGrant("t", "g");
  again.mutable_identity()->set_organization_name("New Name Ltd");
  auto put = backend_->PutGrant(again, At(20), kAudit);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(put->grant.version(), 2);
  EXPECT_EQ(Micros(put->grant.created_at()), absl::ToUnixMicros(At(10)));
  EXPECT_EQ(Micros(put->grant.updated_at()), absl::ToUnixMicros(At(20)));
  auto got = backend_->GetGrant("t", "g");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->identity().organization_name(), "New Name Ltd");
  EXPECT_EQ(got->version(), 2);
}

TEST_F(SqliteBackendTest, PutOnASuspendedGrantReactivatesItAndKeepsTheOldSuspension) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(1)), At(1), kAudit).ok());
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(2), kAudit);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(put->grant.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(put->grant.version(), 3);
  auto got = backend_->GetGrant("t", "g");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_FALSE(got->has_suspension());
  // The old error_uri still explains itself.
  EXPECT_TRUE(backend_->GetSuspension("s1").ok());
  // And the grant can be suspended again, at its new version.
  auto again = backend_->SuspendGrant("t", "g", 3, MakeSuspension("s2", At(3)), At(3), kAudit);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->newly_suspended);
  EXPECT_EQ(again->grant.suspension().suspension_id(), "s2");
}

// --- GetGrant ---------------------------------------------------------------

TEST_F(SqliteBackendTest, GetIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("tenant-a", "g"), At(0), kAudit).ok());
  EXPECT_EQ(backend_->GetGrant("tenant-b", "g").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetGrant("tenant-a", "other").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(backend_->GetGrant("tenant-a", "g").ok());
}

TEST_F(SqliteBackendTest, SameGrantIdInTwoTenantsAreTwoGrants) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g", "client-a"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("b", "g", "client-b"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->SuspendGrant("a", "g", 1, MakeSuspension("s", At(1)), At(1), kAudit).ok());
  auto b = backend_->GetGrant("b", "g");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->client_id(), "client-b");
  EXPECT_EQ(b->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(b->version(), 1);
}

// --- SuspendGrant -----------------------------------------------------------

TEST_F(SqliteBackendTest, SuspendMovesAnActiveGrantAtTheExpectedVersion) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g", "client-7"), At(0), kAudit).ok());
  Suspension suspension = MakeSuspension("s1", At(5));
  auto result = backend_->SuspendGrant("t", "g", 1, suspension, At(6), kAudit);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->newly_suspended);
  EXPECT_EQ(result->grant.state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(result->grant.version(), 2);
  EXPECT_EQ(Micros(result->grant.updated_at()), absl::ToUnixMicros(At(6)));
  const Suspension& stored = result->grant.suspension();
  EXPECT_EQ(stored.suspension_id(), "s1");
  EXPECT_EQ(stored.tenant_id(), "t");
  EXPECT_EQ(stored.grant_id(), "g");
  EXPECT_EQ(stored.client_id(), "client-7");
  EXPECT_EQ(stored.error_uri(), suspension.error_uri());
  EXPECT_EQ(Micros(stored.suspended_at()), absl::ToUnixMicros(At(5)));

  auto got = backend_->GetGrant("t", "g");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->SerializeAsString(), result->grant.SerializeAsString());
  auto by_id = backend_->GetSuspension("s1");
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->SerializeAsString(), stored.SerializeAsString());
}

TEST_F(SqliteBackendTest, SuspendWithAStaleVersionIsAPreconditionFailure) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(1), kAudit).ok());  // version 2
  auto result = backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(2)), At(2), kAudit);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("version 2"));
  auto got = backend_->GetGrant("t", "g");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(backend_->GetSuspension("s1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteBackendTest, SuspendingASuspendedGrantReturnsTheExistingSuspension) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  auto first = backend_->SuspendGrant("t", "g", 1, MakeSuspension("first", At(1)), At(1), kAudit);
  ASSERT_TRUE(first.ok());
  // A second replica read version 1 too, and proposes another suspension.
  auto second = backend_->SuspendGrant("t", "g", 1, MakeSuspension("second", At(2)), At(2), kAudit);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->newly_suspended);
  EXPECT_EQ(second->grant.suspension().suspension_id(), "first");
  EXPECT_EQ(second->grant.suspension().error_uri(), first->grant.suspension().error_uri());
  EXPECT_EQ(second->grant.version(), 2);
  // Whatever version it names.
  auto third = backend_->SuspendGrant("t", "g", 7, MakeSuspension("third", At(3)), At(3), kAudit);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->grant.suspension().suspension_id(), "first");
  EXPECT_EQ(backend_->GetSuspension("second").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteBackendTest, SuspendIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g"), At(0), kAudit).ok());
  auto result = backend_->SuspendGrant("b", "g", 1, MakeSuspension("s", At(1)), At(1), kAudit);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  auto got = backend_->GetGrant("a", "g");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
}

TEST_F(SqliteBackendTest, SuspensionIdInUseIsRefusedAndNothingChanges) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g1"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g2"), At(0), kAudit).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g1", 1, MakeSuspension("dup", At(1)), At(1), kAudit).ok());
  auto result = backend_->SuspendGrant("t", "g2", 1, MakeSuspension("dup", At(2)), At(2), kAudit);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("suspension.suspension_id"));
  auto g2 = backend_->GetGrant("t", "g2");
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(g2->version(), 1);
  auto dup = backend_->GetSuspension("dup");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->grant_id(), "g1");
}

TEST_F(SqliteBackendTest, SuspendUnknownGrantIsNotFound) {
  EXPECT_EQ(backend_->SuspendGrant("t", "nope", 1, MakeSuspension("s", At(0)), At(0), kAudit)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetSuspension("s").status().code(), absl::StatusCode::kNotFound);
}

// --- DeleteGrant ------------------------------------------------------------

TEST_F(SqliteBackendTest, DeleteRemovesTheGrantAndItsSuspensions) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g", 1, MakeSuspension("s", At(1)), At(1), kAudit).ok());
  auto deleted = backend_->DeleteGrant("t", "g", At(0), kAudit);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(backend_->GetGrant("t", "g").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetSuspension("s").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->DeleteGrant("t", "g", At(0), kAudit).status().code(),
            absl::StatusCode::kNotFound);
  // A re-created grant starts over.
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(2), kAudit);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->grant.version(), 1);
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_UNSPECIFIED);
}

TEST_F(SqliteBackendTest, DeleteIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g"), At(0), kAudit).ok());
  EXPECT_EQ(backend_->DeleteGrant("b", "g", At(0), kAudit).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(backend_->GetGrant("a", "g").ok());
}

// --- ListGrants and CountGrants ----------------------------------------------

TEST_F(SqliteBackendTest, ListIsOrderedByGrantIdPagedAndScoped) {
  for (const char* id : {"g3", "g1", "g5", "g2", "g4"}) {
    ASSERT_TRUE(
        backend_->PutGrant(MakeGrant("t", id, id == std::string("g2") ? "c2" : "c1"), At(0), kAudit)
            .ok());
  }
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("other", "g0"), At(0), kAudit).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g4", 1, MakeSuspension("s4", At(1)), At(1), kAudit).ok());

  ListGrantsQuery query;
  query.tenant_id = "t";
  query.limit = 2;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto result = backend_->ListGrants(query);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const Grant& grant : result->grants) {
      seen.push_back(grant.grant_id());
      EXPECT_EQ(grant.tenant_id(), "t");
      if (grant.grant_id() == "g4") {
        EXPECT_EQ(grant.suspension().suspension_id(), "s4");
      }
    }
    if (!result->more) break;
    query.after_grant_id = result->grants.back().grant_id();
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("g1", "g2", "g3", "g4", "g5"));

  ListGrantsQuery by_client;
  by_client.tenant_id = "t";
  by_client.client_id = "c2";
  auto only = backend_->ListGrants(by_client);
  ASSERT_TRUE(only.ok());
  ASSERT_EQ(only->grants.size(), 1u);
  EXPECT_EQ(only->grants[0].grant_id(), "g2");
  EXPECT_FALSE(only->more);

  ListGrantsQuery exact;
  exact.tenant_id = "t";
  exact.limit = 5;
  auto all = backend_->ListGrants(exact);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->grants.size(), 5u);
  EXPECT_FALSE(all->more);
}

TEST_F(SqliteBackendTest, CountsGrantsByState) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(0), kAudit).ok());
  }
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g1", 1, MakeSuspension("s1", At(1)), At(1), kAudit).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g2", 1, MakeSuspension("s2", At(1)), At(1), kAudit).ok());
  ASSERT_TRUE(backend_->DeleteGrant("t", "g3", At(0), kAudit).ok());
  auto counts = backend_->CountGrants();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->active, 2);
  EXPECT_EQ(counts->suspended, 2);
}

// --- Concurrency --------------------------------------------------------------

TEST_F(SqliteBackendTest, ConcurrentWritersAndReadersNeverFail) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::thread> threads;
  std::vector<std::string> errors[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrCat("g-", t, "-", i);
        auto put = backend_->PutGrant(MakeGrant("t", id), At(i), kAudit);
        if (!put.ok()) errors[t].push_back(put.status().ToString());
        auto got = backend_->GetGrant("t", absl::StrCat("g-", (t + 1) % kThreads, "-", i));
        if (!got.ok() && got.status().code() != absl::StatusCode::kNotFound) {
          errors[t].push_back(got.status().ToString());
        }
        if (i % 2 == 0) {
          auto suspended =
              backend_->SuspendGrant("t", id, 1, MakeSuspension(id + "-s", At(i)), At(i), kAudit);
          if (!suspended.ok()) errors[t].push_back(suspended.status().ToString());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_THAT(errors[t], ::testing::IsEmpty());
  auto counts = backend_->CountGrants();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->active + counts->suspended, kThreads * kPerThread);
  EXPECT_EQ(counts->suspended, kThreads * kPerThread / 2);
}

TEST_F(SqliteBackendTest, AnotherProcessHoldingTheLockBrieflyIsWaitedFor) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  // A foreign connection (think: the sqlite3 CLI) holds the write lock while
  // the store writes; the busy timeout makes the store wait instead of failing.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("store.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::thread releaser([other] {
    absl::SleepFor(absl::Milliseconds(300));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(1), kAudit);
  releaser.join();
  sqlite3_close(other);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->grant.version(), 2);
}

// --- Group commit ---------------------------------------------------------------

TEST_F(SqliteBackendTest, ALoneWriterCommitsEachWriteByItself) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(1), kAudit).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g", 2, MakeSuspension("s", At(2)), At(2), kAudit).ok());
  // Failed writes commit nothing.
  EXPECT_EQ(backend_->DeleteGrant("t", "missing", At(0), kAudit).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->SuspendGrant("t", "other", 1, MakeSuspension("s2", At(3)), At(3), kAudit)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  const SqliteWriteStats stats = backend_->write_stats();
  EXPECT_EQ(stats.committed_writes, 3);
  EXPECT_EQ(stats.commits, 3);
  EXPECT_EQ(stats.pending_writes, 0);
}

TEST_F(SqliteBackendTest, ManyConcurrentWritersAllSucceedAndSurviveReopening) {
  constexpr int kThreads = 32;
  constexpr int kPerThread = 50;
  constexpr int kSharedPerThread = 5;  // puts of one grant every thread re-puts
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<std::string> errors[kThreads];
  std::vector<int64_t> shared_versions[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        auto put = backend_->PutGrant(MakeGrant("t", absl::StrCat("g-", t, "-", i)), At(i), kAudit);
        if (!put.ok()) {
          errors[t].push_back(put.status().ToString());
        } else if (put->grant.version() != 1) {
          errors[t].push_back(absl::StrCat("g-", t, "-", i, " at version ", put->grant.version()));
        }
        if (i % (kPerThread / kSharedPerThread) == 0) {
          auto shared = backend_->PutGrant(MakeGrant("t", "shared"), At(i), kAudit);
          if (shared.ok()) {
            shared_versions[t].push_back(shared->grant.version());
          } else {
            errors[t].push_back(shared.status().ToString());
          }
        }
      }
      // A re-put of this thread's first grant.
      auto again = backend_->PutGrant(MakeGrant("t", absl::StrCat("g-", t, "-0")), At(100), kAudit);
      if (!again.ok() || again->grant.version() != 2) {
        errors[t].push_back(absl::StrCat("re-put of g-", t, "-0: ", again.status().ToString()));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_THAT(errors[t], ::testing::IsEmpty());

  // Every put of the shared grant saw all the ones before it: versions 1..N,
  // each returned once.
  std::vector<int64_t> versions;
  for (const auto& of_thread : shared_versions) {
    versions.insert(versions.end(), of_thread.begin(), of_thread.end());
  }
  std::sort(versions.begin(), versions.end());
  std::vector<int64_t> expected(size_t{kThreads} * kSharedPerThread);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(versions, expected);

  const SqliteWriteStats stats = backend_->write_stats();
  EXPECT_EQ(stats.committed_writes, kThreads * (kPerThread + kSharedPerThread + 1));
  EXPECT_LE(stats.commits, stats.committed_writes);
  EXPECT_EQ(stats.pending_writes, 0);

  auto check = [&](SqliteBackend& backend) {
    std::vector<std::string> wrong;
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrCat("g-", t, "-", i);
        auto got = backend.GetGrant("t", id);
        const int64_t want = i == 0 ? 2 : 1;
        if (!got.ok() || got->version() != want) {
          wrong.push_back(absl::StrCat(
              id, ": ",
              got.ok() ? absl::StrCat("version ", got->version()) : got.status().ToString()));
        }
      }
    }
    EXPECT_THAT(wrong, ::testing::IsEmpty());
    auto shared = backend.GetGrant("t", "shared");
    ASSERT_TRUE(shared.ok()) << shared.status();
    EXPECT_EQ(shared->version(), kThreads * kSharedPerThread);
    auto counts = backend.CountGrants();
    ASSERT_TRUE(counts.ok()) << counts.status();
    EXPECT_EQ(counts->active, kThreads * kPerThread + 1);
  };
  check(*backend_);
  backend_.reset();
  auto reopened = SqliteBackend::Open(dir_.File("store.db"));
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  check(**reopened);
}

TEST_F(SqliteBackendTest, ConcurrentWritersShareCommits) {
  constexpr int kWriters = 32;
  ForeignWriteLock lock(dir_.File("store.db"));
  std::latch start(kWriters);
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      start.arrive_and_wait();
      results[w] = backend_->PutGrant(MakeGrant("t", absl::StrCat("g", w)), At(w), kAudit).status();
    });
  }
  // The first leader waits for the lock with whatever was queued when it
  // took its batch; the writes queued behind it go in the next batch.
  const bool all_queued = WaitForPendingWrites(*backend_, kWriters);
  lock.Release();
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(all_queued);
  for (int w = 0; w < kWriters; ++w) EXPECT_TRUE(results[w].ok()) << w << ": " << results[w];
  const SqliteWriteStats stats = backend_->write_stats();
  EXPECT_EQ(stats.committed_writes, kWriters);
  EXPECT_LE(stats.commits, 2);
  EXPECT_LT(stats.commits, stats.committed_writes);
}

TEST_F(SqliteBackendTest, AFailedWriteLeavesTheOthersOfItsBatchCommitted) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "victim"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "to-suspend"), At(0), kAudit).ok());
  const SqliteWriteStats before = backend_->write_stats();

  ForeignWriteLock lock(dir_.File("store.db"));
  // A first write leads a batch of its own and waits for the lock, so that
  // all the writes below queue behind it and form the next batch together.
  absl::Status plug;
  std::thread leader(
      [&] { plug = backend_->PutGrant(MakeGrant("t", "plug"), At(1), kAudit).status(); });
  const bool leader_queued = WaitForPendingWrites(*backend_, 1);

  constexpr int kWriters = 16;
  std::latch start(kWriters);
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      start.arrive_and_wait();
      switch (w) {
        case 0:  // a stale version
          results[w] =
              backend_
                  ->SuspendGrant("t", "victim", 7, MakeSuspension("s-stale", At(2)), At(2), kAudit)
                  .status();
          break;
        case 1:
          results[w] = backend_->DeleteGrant("t", "missing", At(0), kAudit).status();
          break;
        case 2:
          results[w] =
              backend_
                  ->SuspendGrant("t", "to-suspend", 1, MakeSuspension("s-ok", At(2)), At(2), kAudit)
                  .status();
          break;
        default:
          results[w] =
              backend_->PutGrant(MakeGrant("t", absl::StrCat("new", w)), At(2), kAudit).status();
      }
    });
  }
  const bool all_queued = WaitForPendingWrites(*backend_, 1 + kWriters);
  lock.Release();
  leader.join();
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(leader_queued);
  ASSERT_TRUE(all_queued);

  EXPECT_TRUE(plug.ok()) << plug;
  EXPECT_EQ(results[0].code(), absl::StatusCode::kFailedPrecondition) << results[0];
  EXPECT_EQ(results[1].code(), absl::StatusCode::kNotFound) << results[1];
  for (int w = 2; w < kWriters; ++w) EXPECT_TRUE(results[w].ok()) << w << ": " << results[w];
  // One commit for the leader's write, one for the batch of all the others,
  // the failed ones included.
  const SqliteWriteStats after = backend_->write_stats();
  EXPECT_EQ(after.commits - before.commits, 2);
  EXPECT_EQ(after.committed_writes - before.committed_writes, 1 + kWriters - 2);

  auto victim = backend_->GetGrant("t", "victim");
  ASSERT_TRUE(victim.ok()) << victim.status();
  EXPECT_EQ(victim->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(victim->version(), 1);
  EXPECT_EQ(backend_->GetSuspension("s-stale").status().code(), absl::StatusCode::kNotFound);
  auto suspended = backend_->GetGrant("t", "to-suspend");
  ASSERT_TRUE(suspended.ok()) << suspended.status();
  EXPECT_EQ(suspended->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(suspended->version(), 2);
  EXPECT_EQ(suspended->suspension().suspension_id(), "s-ok");
  for (int w = 3; w < kWriters; ++w) {
    auto got = backend_->GetGrant("t", absl::StrCat("new", w));
    ASSERT_TRUE(got.ok()) << w << ": " << got.status();
    EXPECT_EQ(got->version(), 1);
  }
  EXPECT_TRUE(backend_->GetGrant("t", "plug").ok());
}

TEST(SqliteBackendBusyTest, ALockHeldPastTheTimeoutFailsEveryQueuedWrite) {
  TempDirectory dir;
  SqliteOptions options;
  options.busy_timeout = absl::Milliseconds(100);
  auto backend = SqliteBackend::Open(dir.File("store.db"), options);
  ASSERT_TRUE(backend.ok()) << backend.status();
  constexpr int kWriters = 8;
  std::vector<absl::Status> results(kWriters);
  {
    // Held until every write has returned: each batch's BEGIN times out.
    ForeignWriteLock lock(dir.File("store.db"));
    std::latch start(kWriters);
    std::vector<std::thread> writers;
    writers.reserve(kWriters);
    writers.reserve(kWriters);
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        start.arrive_and_wait();
        results[w] =
            (*backend)->PutGrant(MakeGrant("t", absl::StrCat("g", w)), At(w), kAudit).status();
      });
    }
    for (auto& writer : writers) writer.join();
  }
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(results[w].code(), absl::StatusCode::kUnavailable) << w << ": " << results[w];
    EXPECT_EQ((*backend)->GetGrant("t", absl::StrCat("g", w)).status().code(),
              absl::StatusCode::kNotFound);
  }
  const SqliteWriteStats stats = (*backend)->write_stats();
  EXPECT_EQ(stats.committed_writes, 0);
  EXPECT_EQ(stats.commits, 0);
  EXPECT_EQ(stats.pending_writes, 0);
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g0"), At(9), kAudit).ok());
}

TEST(SqliteBackendBusyTest, ALockHeldPastTheTimeoutIsUnavailableNotLocked) {
  TempDirectory dir;
  SqliteOptions options;
  options.busy_timeout = absl::Milliseconds(100);
  auto backend = SqliteBackend::Open(dir.File("store.db"), options);
  ASSERT_TRUE(backend.ok()) << backend.status();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("store.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto put = (*backend)->PutGrant(MakeGrant("t", "g"), At(1), kAudit);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable);
  // The writer is usable again once the lock is gone.
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(2), kAudit).ok());
}

// --- Audit log ----------------------------------------------------------------

std::vector<v1::AuditEntry> AllAuditEntries(SqliteBackend& backend, const std::string& tenant,
                                            const std::string& grant_id = "") {
  AuditQuery query;
  query.tenant_id = tenant;
  query.grant_id = grant_id;
  query.limit = 1000;
  auto page = backend.ListAuditEntries(query);
  EXPECT_TRUE(page.ok()) << page.status();
  if (!page.ok()) return {};
  EXPECT_FALSE(page->more);
  return page->entries;
}

TEST_F(SqliteBackendTest, EveryStateChangeLeavesExactlyOneAuditEntry) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g", "client-7"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g", "client-7"), At(1), kAudit).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g", 2, MakeSuspension("s1", At(2)), At(2), kAudit).ok());
  // No change, no entry: an idempotent suspend, a version conflict, unknown
  // grants.
  auto again = backend_->SuspendGrant("t", "g", 3, MakeSuspension("s2", At(3)), At(3), kAudit);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->newly_suspended);
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "h"), At(3), kAudit).ok());
  EXPECT_EQ(backend_->SuspendGrant("t", "h", 7, MakeSuspension("s3", At(3)), At(3), kAudit)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(backend_->DeleteGrant("t", "missing", At(3), kAudit).status().code(),
            absl::StatusCode::kNotFound);
  const AuditContext operator_call{"spiffe://test/operator", ""};
  ASSERT_TRUE(backend_->DeleteGrant("t", "g", At(4), operator_call).ok());

  // Kept after the delete, in order, with what each change did.
  const std::vector<v1::AuditEntry> entries = AllAuditEntries(*backend_, "t", "g");
  ASSERT_EQ(entries.size(), 4u);
  const v1::AuditAction kActions[] = {v1::AUDIT_ACTION_ENROLLED, v1::AUDIT_ACTION_REAPPROVED,
                                      v1::AUDIT_ACTION_SUSPENDED, v1::AUDIT_ACTION_DELETED};
  const int64_t kBefore[] = {0, 1, 2, 3};
  const int64_t kAfter[] = {1, 2, 3, 0};
  const int kAt[] = {0, 1, 2, 4};
  for (size_t i = 0; i < entries.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(entries[i].action(), kActions[i]);
    EXPECT_EQ(entries[i].version_before(), kBefore[i]);
    EXPECT_EQ(entries[i].version_after(), kAfter[i]);
    EXPECT_EQ(entries[i].tenant_id(), "t");
    EXPECT_EQ(entries[i].grant_id(), "g");
    EXPECT_EQ(entries[i].client_id(), "client-7");
    EXPECT_EQ(Micros(entries[i].time()), absl::ToUnixMicros(At(kAt[i])));
    if (i > 0) {
      EXPECT_GT(entries[i].seq(), entries[i - 1].seq());
    }
  }
  EXPECT_EQ(entries[0].caller(), "spiffe://test/backend-test");
  EXPECT_EQ(entries[0].request_id(), "req-1");
  EXPECT_EQ(entries[0].state_before(), v1::GRANT_STATE_UNSPECIFIED);
  EXPECT_EQ(entries[0].state_after(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(entries[1].state_before(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(entries[2].state_after(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(entries[2].suspension_id(), "s1");
  EXPECT_EQ(entries[2].reason(), v1::REASON_TLS_CERT_EXPIRED);
  ASSERT_EQ(entries[2].findings_size(), 1);
  EXPECT_EQ(entries[2].findings(0).reason(), v1::REASON_TLS_CERT_EXPIRED);
  EXPECT_TRUE(entries[2].findings(0).suspends());
  EXPECT_EQ(entries[3].state_before(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(entries[3].state_after(), v1::GRANT_STATE_UNSPECIFIED);
  EXPECT_EQ(entries[3].suspension_id(), "s1");
  EXPECT_EQ(entries[3].caller(), "spiffe://test/operator");
  EXPECT_EQ(entries[3].request_id(), "");

  // The tenant's listing holds h's enrollment too; another tenant sees none.
  EXPECT_EQ(AllAuditEntries(*backend_, "t").size(), 5u);
  EXPECT_THAT(AllAuditEntries(*backend_, "other"), ::testing::IsEmpty());
}

TEST_F(SqliteBackendTest, ReapprovalSaysWhichSuspensionItEnded) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(1)), At(1), kAudit).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(2), kAudit).ok());
  const std::vector<v1::AuditEntry> entries = AllAuditEntries(*backend_, "t", "g");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].action(), v1::AUDIT_ACTION_REAPPROVED);
  EXPECT_EQ(entries[2].state_before(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(entries[2].state_after(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(entries[2].suspension_id(), "s1");
  EXPECT_EQ(entries[2].findings_size(), 0);
}

// The entry is written in the savepoint of its change: when it cannot be
// written, the change is rolled back too, and the other writes of the same
// group-commit batch are untouched (they commit with their own entries).
TEST_F(SqliteBackendTest, AChangeWhoseAuditEntryFailsIsRolledBackAloneInItsBatch) {
  const std::string path = dir_.File("store.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_log"
                           " WHEN NEW.grant_id = 'poison' BEGIN SELECT RAISE(ABORT, 'no'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  ForeignWriteLock lock(path);
  // "plug" leads a batch of its own and waits for the lock, so that the
  // three after it queue behind it and form the next batch together.
  const std::vector<std::string> ids = {"plug", "before", "poison", "after"};
  std::vector<absl::Status> results(ids.size());
  std::vector<std::thread> writers;
  for (size_t i = 0; i < ids.size(); ++i) {
    writers.emplace_back([&, i] {
      results[i] = backend_->PutGrant(MakeGrant("t", ids[i]), At(0), kAudit).status();
    });
    // Queued in this order.
    ASSERT_TRUE(WaitForPendingWrites(*backend_, static_cast<int64_t>(i + 1)));
  }
  lock.Release();
  for (auto& writer : writers) writer.join();
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_TRUE(results[1].ok()) << results[1];
  EXPECT_FALSE(results[2].ok());
  EXPECT_TRUE(results[3].ok()) << results[3];
  EXPECT_EQ(backend_->write_stats().commits, 2);
  EXPECT_EQ(backend_->GetGrant("t", "poison").status().code(), absl::StatusCode::kNotFound);
  const std::vector<v1::AuditEntry> entries = AllAuditEntries(*backend_, "t");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].grant_id(), "plug");
  EXPECT_EQ(entries[1].grant_id(), "before");
  EXPECT_EQ(entries[2].grant_id(), "after");
}

TEST_F(SqliteBackendTest, PruningRemovesOnlyExpiredEntriesOldestFirstInBoundedBatches) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(i), kAudit).ok());
  }
  // Entries at 0..4 s; before 3 s: three are expired, removed two at a time.
  auto first = backend_->PruneAuditEntries(At(3), 2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 2);
  std::vector<v1::AuditEntry> left = AllAuditEntries(*backend_, "t");
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].grant_id(), "g2");
  auto second = backend_->PruneAuditEntries(At(3), 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 1);
  EXPECT_EQ(AllAuditEntries(*backend_, "t").size(), 2u);
  // Grants are not the audit log's to remove.
  auto counts = backend_->CountGrants();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->active, 5);
  // A new entry never reuses a pruned seq.
  const int64_t last_seq = AllAuditEntries(*backend_, "t").back().seq();
  ASSERT_TRUE(backend_->PruneAuditEntries(At(100), 10).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "new"), At(101), kAudit).ok());
  EXPECT_GT(AllAuditEntries(*backend_, "t").back().seq(), last_seq);
}

TEST_F(SqliteBackendTest, TheSweeperRemovesEverythingPastRetentionBatchByBatch) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(i), kAudit).ok());
  }
  AuditSweeperOptions options;
  options.retention = absl::Seconds(10);
  options.batch = 2;
  options.clock = [] { return At(15); };  // everything before 5 s has expired
  AuditSweeper sweeper(backend_.get(), options);
  auto removed = sweeper.SweepOnce();
  ASSERT_TRUE(removed.ok()) << removed.status();
  // Removed by this call or by the sweeper's own first pass meanwhile.
  const std::vector<v1::AuditEntry> left = AllAuditEntries(*backend_, "t");
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].grant_id(), "g5");
  EXPECT_EQ(left[1].grant_id(), "g6");
}

}  // namespace
}  // namespace apptrust::store
