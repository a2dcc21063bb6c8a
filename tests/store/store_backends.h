// The databases a store process under test runs on: an SQLite file, or a
// database of its own on a real PostgreSQL 15 shared by the test binary
// (tests/support/postgres_cluster.h). Process tests are parameterised over
// both, so that the PostgreSQL store passes the very tests the SQLite one
// does.
#ifndef APPTRUST_TESTS_STORE_STORE_BACKENDS_H_
#define APPTRUST_TESTS_STORE_STORE_BACKENDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/services.h"
#include "tests/support/subprocess.h"

namespace apptrust::testing {

enum class StoreBackend { kSqlite, kPostgres };

// Test names and failure messages say "Sqlite" or "Postgres".
void PrintTo(StoreBackend backend, std::ostream* out);

// --db and the other flags a store needs for one database.
struct StoreDatabase {
  std::string db;
  std::vector<std::string> flags;
};

// A new empty database: a file under `dir` (SQLite), or a new database on
// SharedPostgres() with a password file under `dir`.
StoreDatabase NewStoreDatabase(StoreBackend backend, const TempDir& dir);

// The PostgreSQL server of this test binary, started on first use.
PostgresCluster& SharedPostgres();

// A new empty database owned by the apptrust role on SharedPostgres();
// returns its URI (no password in it).
std::string NewPostgresDatabase();

// For INSTANTIATE_TEST_SUITE_P: "Sqlite", "Postgres".
std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info);

// The flags for a store on `uri` (a database of `cluster`): the URI and a
// password file written under `dir`.
StoreDatabase PostgresDatabase(const PostgresCluster& cluster, const std::string& uri,
                               const TempDir& dir);

// Keeps `service` for the rest of the test binary and stops it when the
// tests end (a global test environment's TearDown): a store shared by a
// suite must not outlive the binary that started it.
RunningService* KeepUntilTestsEnd(RunningService service);

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_STORE_STORE_BACKENDS_H_
