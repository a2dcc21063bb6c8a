// apptrust-bench-store-world: two real apptrust-store processes holding the
// same --grants grants, one on SQLite and one on PostgreSQL, for measuring
// the store's gRPC API on both in one run (bench/run drives
// apptrust-loadgen --rpc=get_grant|put_grant against them).
//
// PostgreSQL 15 runs as a throw-away server (tests/support/postgres_cluster.h:
// the `postgres` user when run as root, loopback, a data directory under
// TMPDIR) with production durability (fsync = on, synchronous_commit = on)
// and pg_stat_statements loaded, so the run can say where the server's time
// went. The SQLite file lives in --sqlite_dir (default: under TMPDIR too),
// so both stores fsync to the same disk.
//
// Both databases are bulk-loaded (bench/bench_grants.h) before the stores
// start; figures go to stdout as "figure <name> <value>", the addresses to
// --out as KEY=VALUE lines. On SIGTERM or SIGINT it prints the server's
// statement and WAL statistics for the time the stores served, then stops.
//
// A program that prints figures, not a test: nothing asserts on time.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_grants.h"
#include "bench/world_process.h"
#include "services/store/postgres_backend.h"
#include "services/store/sqlite_backend.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/services.h"
#include "tests/support/subprocess.h"

ABSL_FLAG(std::string, out, "", "File to write KEY=VALUE lines to once both stores serve");
ABSL_FLAG(int, grants, 1000000, "Grants bulk-loaded into each database");
ABSL_FLAG(int, pg_pool_size, 16, "--db_pool_size of the PostgreSQL store");
ABSL_FLAG(std::string, sqlite_dir, "", "Directory for the SQLite file (default: a temp dir)");

namespace {

using apptrust::testing::PostgresCluster;
using apptrust::testing::TempDir;

[[noreturn]] void Fail(const absl::Status& status) {
  apptrust::bench::ExitWithError("apptrust-bench-store-world", status);
}

std::string Seconds(absl::Time since) {
  return absl::StrFormat("%.1f", absl::ToDoubleSeconds(absl::Now() - since));
}

// What the server spent its time on while the stores served: the statements
// by total time, and how many WAL flushes the commits needed.
void PrintServerStatistics(PostgresCluster& cluster) {
  auto statements = cluster.Sql(
      "SELECT format('%s calls, %s ms executing (%s ms mean), %s ms planning (%s ms mean), %s"
      " rows: %s', calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3),"
      " round(total_plan_time::numeric, 1), round(mean_plan_time::numeric, 3), rows,"
      " regexp_replace(query, '\\s+', ' ', 'g'))"
      " FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 15");
  std::printf("pg_stat_statements (top 15 by execution and planning time):\n%s\n",
              statements.ok() ? statements->c_str() : statements.status().ToString().c_str());
  auto wal = cluster.Sql(
      "SELECT format('wal_records %s, wal_bytes %s, wal_write %s, wal_sync %s,"
      " wal_sync_time %s ms, wal_write_time %s ms', wal_records, wal_bytes, wal_write,"
      " wal_sync, round(wal_sync_time::numeric, 1), round(wal_write_time::numeric, 1))"
      " FROM pg_stat_wal");
  std::printf("pg_stat_wal: %s\n", wal.ok() ? wal->c_str() : wal.status().ToString().c_str());
  auto commits = cluster.Sql(
      "SELECT format('xact_commit %s, xact_rollback %s, blks_hit %s, blks_read %s', xact_commit,"
      " xact_rollback, blks_hit, blks_read) FROM pg_stat_database WHERE datname = 'apptrust'");
  std::printf("pg_stat_database: %s\n",
              commits.ok() ? commits->c_str() : commits.status().ToString().c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  apptrust::bench::StopSignals stop_signals;  // before any thread starts
  const int grants = absl::GetFlag(FLAGS_grants);

  TempDir dir;
  const std::string sqlite_dir =
      absl::GetFlag(FLAGS_sqlite_dir).empty() ? dir.path() : absl::GetFlag(FLAGS_sqlite_dir);
  const std::string sqlite_path = sqlite_dir + "/store-bench.db";
  std::filesystem::remove(sqlite_path);

  // SQLite first, alone on the machine.
  {
    const absl::Time began = absl::Now();
    auto schema = apptrust::store::SqliteBackend::Open(sqlite_path);
    if (!schema.ok()) Fail(schema.status());
    schema->reset();
    if (absl::Status loaded = apptrust::bench::BulkLoadSqlite(sqlite_path, grants); !loaded.ok()) {
      Fail(loaded);
    }
    apptrust::bench::PrintFigure("sqlite_bulk_load_seconds", Seconds(began));
    apptrust::bench::PrintFigure(
        "sqlite_file_mb",
        absl::StrFormat("%.1f",
                        static_cast<double>(std::filesystem::file_size(sqlite_path)) / (1 << 20)));
  }

  apptrust::testing::PostgresOptions pg_options;  // fsync, synchronous_commit: on
  pg_options.settings = {"shared_preload_libraries = 'pg_stat_statements'",
                         "pg_stat_statements.track_planning = on", "track_wal_io_timing = on",
                         "max_connections = 200"};
  auto cluster = PostgresCluster::StartPrimary(pg_options);
  if (!cluster.ok()) Fail(cluster.status());
  PostgresCluster& pg = **cluster;
  if (auto created = pg.Sql("CREATE EXTENSION pg_stat_statements"); !created.ok()) {
    Fail(created.status());
  }
  {
    const absl::Time began = absl::Now();
    apptrust::store::PostgresOptions options;
    options.uri = pg.uri();
    options.password = pg.password();
    options.pool_size = 1;
    auto schema = apptrust::store::PostgresBackend::Open(options, absl::Now() + absl::Seconds(60));
    if (!schema.ok()) Fail(schema.status());
    schema->reset();
    if (absl::Status loaded = apptrust::bench::BulkLoadPostgres(pg.uri(), pg.password(), grants);
        !loaded.ok()) {
      Fail(loaded);
    }
    // The load's WAL is written out now, not during the measurements.
    if (auto checkpoint = pg.Sql("CHECKPOINT", "postgres"); !checkpoint.ok()) {
      Fail(checkpoint.status());
    }
    apptrust::bench::PrintFigure("postgres_bulk_load_seconds", Seconds(began));
    auto size = pg.Sql(
        "SELECT round(pg_total_relation_size('grants') / 1048576.0, 1) || ' MB total, table ' ||"
        " round(pg_relation_size('grants') / 1048576.0, 1) || ' MB'");
    apptrust::bench::PrintFigure("postgres_grants_size",
                                 size.ok() ? *size : size.status().ToString());
    auto settings = pg.Sql(
        "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name"
        " IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', "
        "'full_page_writes',"
        " 'commit_delay', 'max_connections', 'server_version')");
    apptrust::bench::PrintFigure("postgres_settings",
                                 settings.ok() ? *settings : settings.status().ToString());
  }

  const std::string password_file = dir.File("db-password");
  std::ofstream(password_file) << pg.password() << "\n";
  auto sqlite_store = apptrust::testing::StartStore(sqlite_path, {"--log_level=warning"});
  if (!sqlite_store.ok()) Fail(sqlite_store.status());
  auto pg_store = apptrust::testing::StartStore(
      pg.uri(),
      {"--db_password_file=" + password_file,
       absl::StrCat("--db_pool_size=", absl::GetFlag(FLAGS_pg_pool_size)), "--log_level=warning"});
  if (!pg_store.ok()) Fail(pg_store.status());
  if (!apptrust::testing::WaitServing(sqlite_store->channel) ||
      !apptrust::testing::WaitServing(pg_store->channel)) {
    Fail(absl::UnavailableError("a store is not serving"));
  }
  // The statistics printed at the end cover the measurements only.
  if (auto reset = pg.Sql("SELECT pg_stat_statements_reset(); SELECT pg_stat_reset_shared('wal');"
                          " SELECT pg_stat_reset()");
      !reset.ok()) {
    Fail(reset.status());
  }

  apptrust::bench::WriteReadyFile(
      absl::GetFlag(FLAGS_out),
      absl::StrCat("STORE_SQLITE=", sqlite_store->grpc_address, "\n", "STORE_SQLITE_PID=",
                   sqlite_store->process->pid(), "\n", "STORE_PG=", pg_store->grpc_address, "\n",
                   "STORE_PG_PID=", pg_store->process->pid(), "\n",
                   "PG_POSTMASTER_PID=", pg.postmaster_pid(), "\n",
                   "PG_SOCKET_DIR=", pg.socket_dir(), "\n", "PG_PORT=", pg.port(), "\n"));
  std::printf("apptrust-bench-store-world: ready\n");
  std::fflush(stdout);
  stop_signals.Wait();
  PrintServerStatistics(pg);
  return 0;
}
