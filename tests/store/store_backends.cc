#include "tests/store/store_backends.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace apptrust::testing {

PostgresCluster& SharedPostgres() {
  // Destroyed when the test binary exits: the server stops and its directory
  // goes (stores started on it are static too, made later, so gone first).
  static std::unique_ptr<PostgresCluster> cluster = [] {
    auto started = PostgresCluster::StartPrimary();
    if (!started.ok()) {
      std::fprintf(stderr, "cannot start PostgreSQL: %s\n", started.status().ToString().c_str());
      std::abort();
    }
    return std::move(*started);
  }();
  return *cluster;
}

StoreDatabase PostgresDatabase(const PostgresCluster& cluster, const std::string& uri,
                               const TempDir& dir) {
  static int files = 0;
  const std::string password_file = dir.File(absl::StrCat("db-password-", ++files));
  std::ofstream(password_file) << cluster.password() << "\n";
  return {uri, {"--db_password_file=" + password_file}};
}

std::string NewPostgresDatabase() {
  static int databases = 0;
  PostgresCluster& cluster = SharedPostgres();
  const std::string name = absl::StrCat("store_", ++databases);
  auto created = cluster.Sql(absl::StrCat("CREATE DATABASE ", name, " OWNER apptrust"), "postgres");
  EXPECT_TRUE(created.ok()) << created.status();
  return absl::StrCat("postgresql://apptrust@", cluster.host_port(), "/", name);
}

StoreDatabase NewStoreDatabase(StoreBackend backend, const TempDir& dir) {
  static int files = 0;
  if (backend == StoreBackend::kSqlite) {
    return {dir.File(absl::StrCat("var/store-", ++files, ".db")), {}};
  }
  return PostgresDatabase(SharedPostgres(), NewPostgresDatabase(), dir);
}

void PrintTo(StoreBackend backend, std::ostream* out) {
  *out << (backend == StoreBackend::kSqlite ? "Sqlite" : "Postgres");
}

namespace {

class KeptServices : public ::testing::Environment {
 public:
  RunningService* Keep(RunningService service) {
    services_.push_back(std::make_unique<RunningService>(std::move(service)));
    return services_.back().get();
  }
  void TearDown() override { services_.clear(); }

 private:
  std::vector<std::unique_ptr<RunningService>> services_;
};

}  // namespace

RunningService* KeepUntilTestsEnd(RunningService service) {
  // gtest owns and tears down the environment before the binary exits.
  static KeptServices* kept =
      static_cast<KeptServices*>(::testing::AddGlobalTestEnvironment(new KeptServices()));
  return kept->Keep(std::move(service));
}

std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param == StoreBackend::kSqlite ? "Sqlite" : "Postgres";
}

}  // namespace apptrust::testing
