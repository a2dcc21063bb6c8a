// SqliteBackend on real temporary files: opening (fresh directory, empty file,
// reopening, files that are not databases, schemas from the future) and the
// semantics every GrantBackend keeps (grant_backend.h).
#include "services/store/sqlite_backend.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
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

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return TimeUtil::TimestampToMicroseconds(ts);
}

class SqliteBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = SqliteBackend::Open(dir_.File("store.db"));
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
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0)).ok());
  EXPECT_EQ(QueryFile(path, "PRAGMA user_version"), std::to_string(LatestSchemaVersion()));
}

TEST(SqliteBackendOpenTest, ReopeningKeepsGrantsSuspensionsAndSchema) {
  TempDirectory dir;
  const std::string path = dir.File("store.db");
  {
    auto backend = SqliteBackend::Open(path);
    ASSERT_TRUE(backend.ok()) << backend.status();
    ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g1"), At(0)).ok());
    ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g2"), At(0)).ok());
    ASSERT_TRUE((*backend)->SuspendGrant("t", "g2", 1, MakeSuspension("s2", At(5)), At(5)).ok());
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
  ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0)).ok());
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
}

// --- PutGrant --------------------------------------------------------------

TEST_F(SqliteBackendTest, PutCreatesAnActiveGrantAtVersionOne) {
  Grant request = MakeGrant("t", "g");
  request.set_state(v1::GRANT_STATE_SUSPENDED);  // server-set: ignored
  request.set_version(42);
  request.mutable_suspension()->set_suspension_id("ignored");
  auto put = backend_->PutGrant(request, At(10));
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
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(10)).ok());
  Grant again = MakeGrant("t", "g");
  again.mutable_identity()->set_organization_name("New Name Ltd");
  auto put = backend_->PutGrant(again, At(20));
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
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0)).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(1)), At(1)).ok());
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(2));
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
  auto again = backend_->SuspendGrant("t", "g", 3, MakeSuspension("s2", At(3)), At(3));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->newly_suspended);
  EXPECT_EQ(again->grant.suspension().suspension_id(), "s2");
}

// --- GetGrant ---------------------------------------------------------------

TEST_F(SqliteBackendTest, GetIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("tenant-a", "g"), At(0)).ok());
  EXPECT_EQ(backend_->GetGrant("tenant-b", "g").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetGrant("tenant-a", "other").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(backend_->GetGrant("tenant-a", "g").ok());
}

TEST_F(SqliteBackendTest, SameGrantIdInTwoTenantsAreTwoGrants) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g", "client-a"), At(0)).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("b", "g", "client-b"), At(0)).ok());
  ASSERT_TRUE(backend_->SuspendGrant("a", "g", 1, MakeSuspension("s", At(1)), At(1)).ok());
  auto b = backend_->GetGrant("b", "g");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->client_id(), "client-b");
  EXPECT_EQ(b->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(b->version(), 1);
}

// --- SuspendGrant -----------------------------------------------------------

TEST_F(SqliteBackendTest, SuspendMovesAnActiveGrantAtTheExpectedVersion) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g", "client-7"), At(0)).ok());
  Suspension suspension = MakeSuspension("s1", At(5));
  auto result = backend_->SuspendGrant("t", "g", 1, suspension, At(6));
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
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0)).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(1)).ok());  // version 2
  auto result = backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(2)), At(2));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("version 2"));
  auto got = backend_->GetGrant("t", "g");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(backend_->GetSuspension("s1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteBackendTest, SuspendingASuspendedGrantReturnsTheExistingSuspension) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0)).ok());
  auto first = backend_->SuspendGrant("t", "g", 1, MakeSuspension("first", At(1)), At(1));
  ASSERT_TRUE(first.ok());
  // A second replica read version 1 too, and proposes another suspension.
  auto second = backend_->SuspendGrant("t", "g", 1, MakeSuspension("second", At(2)), At(2));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->newly_suspended);
  EXPECT_EQ(second->grant.suspension().suspension_id(), "first");
  EXPECT_EQ(second->grant.suspension().error_uri(), first->grant.suspension().error_uri());
  EXPECT_EQ(second->grant.version(), 2);
  // Whatever version it names.
  auto third = backend_->SuspendGrant("t", "g", 7, MakeSuspension("third", At(3)), At(3));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->grant.suspension().suspension_id(), "first");
  EXPECT_EQ(backend_->GetSuspension("second").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteBackendTest, SuspendIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g"), At(0)).ok());
  auto result = backend_->SuspendGrant("b", "g", 1, MakeSuspension("s", At(1)), At(1));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  auto got = backend_->GetGrant("a", "g");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
}

TEST_F(SqliteBackendTest, SuspensionIdInUseIsRefusedAndNothingChanges) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g1"), At(0)).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g2"), At(0)).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g1", 1, MakeSuspension("dup", At(1)), At(1)).ok());
  auto result = backend_->SuspendGrant("t", "g2", 1, MakeSuspension("dup", At(2)), At(2));
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
  EXPECT_EQ(
      backend_->SuspendGrant("t", "nope", 1, MakeSuspension("s", At(0)), At(0)).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetSuspension("s").status().code(), absl::StatusCode::kNotFound);
}

// --- DeleteGrant ------------------------------------------------------------

TEST_F(SqliteBackendTest, DeleteRemovesTheGrantAndItsSuspensions) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0)).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g", 1, MakeSuspension("s", At(1)), At(1)).ok());
  auto deleted = backend_->DeleteGrant("t", "g");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(backend_->GetGrant("t", "g").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetSuspension("s").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->DeleteGrant("t", "g").status().code(), absl::StatusCode::kNotFound);
  // A re-created grant starts over.
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(2));
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->grant.version(), 1);
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_UNSPECIFIED);
}

TEST_F(SqliteBackendTest, DeleteIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g"), At(0)).ok());
  EXPECT_EQ(backend_->DeleteGrant("b", "g").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(backend_->GetGrant("a", "g").ok());
}

// --- ListGrants and CountGrants ----------------------------------------------

TEST_F(SqliteBackendTest, ListIsOrderedByGrantIdPagedAndScoped) {
  for (const char* id : {"g3", "g1", "g5", "g2", "g4"}) {
    ASSERT_TRUE(
        backend_->PutGrant(MakeGrant("t", id, id == std::string("g2") ? "c2" : "c1"), At(0)).ok());
  }
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("other", "g0"), At(0)).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g4", 1, MakeSuspension("s4", At(1)), At(1)).ok());

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
    ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(0)).ok());
  }
  ASSERT_TRUE(backend_->SuspendGrant("t", "g1", 1, MakeSuspension("s1", At(1)), At(1)).ok());
  ASSERT_TRUE(backend_->SuspendGrant("t", "g2", 1, MakeSuspension("s2", At(1)), At(1)).ok());
  ASSERT_TRUE(backend_->DeleteGrant("t", "g3").ok());
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
        auto put = backend_->PutGrant(MakeGrant("t", id), At(i));
        if (!put.ok()) errors[t].push_back(put.status().ToString());
        auto got = backend_->GetGrant("t", absl::StrCat("g-", (t + 1) % kThreads, "-", i));
        if (!got.ok() && got.status().code() != absl::StatusCode::kNotFound) {
          errors[t].push_back(got.status().ToString());
        }
        if (i % 2 == 0) {
          auto suspended =
              backend_->SuspendGrant("t", id, 1, MakeSuspension(id + "-s", At(i)), At(i));
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
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0)).ok());
  // A foreign connection (think: the sqlite3 CLI) holds the write lock while
  // the store writes; the busy timeout makes the store wait instead of failing.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("store.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::thread releaser([other] {
    absl::SleepFor(absl::Milliseconds(300));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(1));
  releaser.join();
  sqlite3_close(other);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->grant.version(), 2);
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
  auto put = (*backend)->PutGrant(MakeGrant("t", "g"), At(1));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable);
  // The writer is usable again once the lock is gone.
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(2)).ok());
}

}  // namespace
}  // namespace apptrust::store
