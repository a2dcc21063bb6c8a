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
#include "services/store/sqlite_backend.h"
#include "sqlite3.h"

ABSL_FLAG(std::string, db, "", "SQLite file to create (must not exist)");
ABSL_FLAG(int, grants, 1000000, "Grants bulk-loaded before measuring");
ABSL_FLAG(int, threads, 8, "Threads for the GetGrant and the concurrent PutGrant figures");
ABSL_FLAG(int, gets, 200000, "GetGrant calls per measurement (split over threads)");
ABSL_FLAG(int, puts, 1000, "PutGrant calls per measurement (split over threads)");
ABSL_FLAG(int, writers, 64, "Threads for the PutGrant figure at high concurrency");

namespace {

using apptrust::store::SqliteBackend;
using apptrust::store::SqliteWriteStats;

apptrust::v1::Grant MakeGrant(const std::string& id) {
  apptrust::v1::Grant grant;
  grant.set_tenant_id("bench");
  grant.set_grant_id(id);
  grant.set_client_id("client");
  grant.set_redirect_uri("https://app.example.com/callback");
  grant.mutable_identity()->set_domain("example.com");
  grant.mutable_fingerprint()->set_host("app.example.com");
  grant.mutable_fingerprint()->mutable_tls()->set_leaf_sha256(std::string(64, 'a'));
  return grant;
}

std::string GrantId(int i) { return absl::StrCat("g", i); }

bool Check(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) {
    return true;
  }
  std::fprintf(stderr, "apptrust-store-bench: %s: %s\n", what, sqlite3_errmsg(db));
  return false;
}

bool BulkLoad(const std::string& path, int count) {
  sqlite3* db = nullptr;
  if (!Check(sqlite3_open(path.c_str(), &db), db, "open")) {
    return false;
  }
  bool ok = Check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
  sqlite3_stmt* insert = nullptr;
  ok = ok && Check(sqlite3_prepare_v2(db,
                                      "INSERT INTO grants (tenant_id, grant_id, client_id, state, "
                                      "version, created_at_us, updated_at_us, grant_proto) "
                                      "VALUES ('bench', ?1, 'client', ?2, 1, ?3, ?3, ?4)",
                                      -1, &insert, nullptr),
                   db, "prepare");
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  for (int i = 0; ok && i < count; ++i) {
    const std::string id = GrantId(i);
    apptrust::v1::Grant grant = MakeGrant(id);
    grant.set_state(apptrust::v1::GRANT_STATE_ACTIVE);
    grant.set_version(1);
    const std::string blob = grant.SerializeAsString();
    sqlite3_bind_text(insert, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(insert, 2, apptrust::v1::GRANT_STATE_ACTIVE);
    sqlite3_bind_int64(insert, 3, now_us);
    sqlite3_bind_blob(insert, 4, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    ok = Check(sqlite3_step(insert), db, "insert");
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  ok = ok && Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  sqlite3_close(db);
  return ok;
}

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
  if (!BulkLoad(path, grants)) {
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
        .GetGrant("bench", GrantId(static_cast<int>(random() % grants)), absl::InfiniteFuture())
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
          .PutGrant(MakeGrant(absl::StrCat(prefix, t, "-", i)), absl::Now(), {"bench", ""},
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
