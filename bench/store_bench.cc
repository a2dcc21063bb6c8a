// apptrust-store-bench: GetGrant and PutGrant rates of the SqliteBackend with
// many grants already stored. The grants are bulk-loaded in one SQL
// transaction (loading a million through PutGrant, one fsync each, would take
// hours), then the backend reopens the file and the timed operations go
// through its public API: random GetGrant from T threads, and PutGrant of new
// grants (each durable before it returns, as in production) from 1 thread, T
// threads and W writers. Concurrent PutGrants share COMMITs (the backend's
// group commit): the last lines say how many writes each COMMIT carried.
//
//   apptrust-store-bench --db=PATH --grants=1000000 --threads=8
//       --gets=200000 --puts=1000 --writers=64
//
// A program that prints figures, not a test: nothing asserts on time.
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_grants.h"
#include "services/store/sqlite_backend.h"

ABSL_FLAG(std::string, db, "", "SQLite file to create (must not exist)");
ABSL_FLAG(int, grants, 1000000, "Grants bulk-loaded before measuring");
ABSL_FLAG(int, threads, 8, "Threads for the GetGrant and the concurrent PutGrant figures");
ABSL_FLAG(int, gets, 200000, "GetGrant calls per measurement (split over threads)");
ABSL_FLAG(int, puts, 1000, "PutGrant calls per measurement (split over threads)");
ABSL_FLAG(int, writers, 64, "Threads for the PutGrant figure at high concurrency");

namespace {

using apptrust::bench::BenchGrantId;
using apptrust::bench::MakeBenchGrant;
using apptrust::store::SqliteBackend;
using apptrust::store::SqliteWriteStats;

// Runs body(thread, i) for `total` operations split over `threads`; prints
// and returns operations/s.
template <typename Body>
double Measure(const char* what, int threads, int total, Body body) {
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  const int per_thread = total / threads;
  const absl::Time start = absl::Now();
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        if (!body(t, i)) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double ops = static_cast<double>(per_thread) * threads;
  std::printf("%-30s threads=%-3d ops=%-8.0f %10.0f ops/s  failures=%d\n", what, threads, ops,
              ops / seconds, failures.load());
  return ops / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string path = absl::GetFlag(FLAGS_db);
  const int grants = absl::GetFlag(FLAGS_grants);
  const int threads = absl::GetFlag(FLAGS_threads);
  if (path.empty()) {
    std::fprintf(stderr, "apptrust-store-bench: --db is required\n");
    return 2;
  }
  {
    auto created = SqliteBackend::Open(path);  // creates the schema
    if (!created.ok()) {
      std::fprintf(stderr, "apptrust-store-bench: %s\n", created.status().ToString().c_str());
      return 1;
    }
  }
  const absl::Time load_start = absl::Now();
  if (absl::Status loaded = apptrust::bench::BulkLoadSqlite(path, grants); !loaded.ok()) {
    std::fprintf(stderr, "apptrust-store-bench: %s\n", loaded.ToString().c_str());
    return 1;
  }
  std::printf("bulk-loaded %d grants in %.1f s\n", grants,
              absl::ToDoubleSeconds(absl::Now() - load_start));

  auto backend = SqliteBackend::Open(path);
  if (!backend.ok()) {
    std::fprintf(stderr, "apptrust-store-bench: %s\n", backend.status().ToString().c_str());
    return 1;
  }
  SqliteBackend& db = **backend;
  auto random_get = [&](int t, int i) {
    thread_local std::mt19937 random(static_cast<unsigned>(t + 1));
    return db
        .GetGrant(apptrust::bench::kBenchTenant, BenchGrantId(static_cast<int>(random() % grants)),
                  absl::InfiniteFuture())
        .ok();
  };
  const int gets = absl::GetFlag(FLAGS_gets);
  const int puts = absl::GetFlag(FLAGS_puts);
  Measure("GetGrant random", 1, gets / 4, random_get);
  Measure("GetGrant random", threads, gets, random_get);
  // Writes per COMMIT of each PutGrant figure, printed after them all.
  std::vector<std::pair<int, double>> writes_per_commit;
  auto measure_puts = [&](const char* what, int put_threads, int total, const char* prefix) {
    const SqliteWriteStats before = db.write_stats();
    Measure(what, put_threads, total, [&](int t, int i) {
      return db
          .PutGrant(MakeBenchGrant(absl::StrCat(prefix, t, "-", i)), absl::Now(), {"bench", ""},
                    absl::InfiniteFuture())
          .ok();
    });
    const SqliteWriteStats after = db.write_stats();
    const int64_t commits = after.commits - before.commits;
    writes_per_commit.emplace_back(
        put_threads, commits == 0
                         ? 0.0
                         : static_cast<double>(after.committed_writes - before.committed_writes) /
                               static_cast<double>(commits));
  };
  measure_puts("PutGrant new (durable)", 1, puts / 4, "new1-");
  measure_puts("PutGrant new (durable)", threads, puts, "newN-");
  measure_puts("PutGrant new (durable) many", absl::GetFlag(FLAGS_writers), puts, "newW-");
  for (const auto& [put_threads, ratio] : writes_per_commit) {
    std::printf("%-30s threads=%-3d %.1f\n", "PutGrant writes per commit", put_threads, ratio);
  }
  return 0;
}
