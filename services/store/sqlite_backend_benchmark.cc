// Prints throughput figures for SqliteBackend on a temporary file: puts and
// conditional suspensions (each a durable, fsynced transaction) and point
// reads, from 1 and from N threads. A program that prints figures, not a test:
// nothing here asserts on time.
//
//   sqlite_backend_benchmark [threads=8] [operations per thread=500]
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "services/store/sqlite_backend.h"

namespace {

using apptrust::store::SqliteBackend;

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

// Runs `body(thread, i)` threads × per_thread times and prints operations/s.
template <typename Body>
void Measure(const char* what, int threads, int per_thread, Body body) {
  std::vector<std::thread> workers;
  int failures = 0;
  std::vector<int> failed(threads, 0);
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        if (!body(t, i)) ++failed[t];
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const absl::Duration elapsed = absl::Now() - start;
  for (int f : failed) failures += f;
  const double ops = static_cast<double>(threads) * per_thread;
  std::printf("%-34s threads=%-3d ops=%-6.0f %9.0f ops/s  mean %8.1f us/op  failures=%d\n", what,
              threads, ops, ops / absl::ToDoubleSeconds(elapsed),
              absl::ToDoubleMicroseconds(elapsed) / ops * threads, failures);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 8;
  const int per_thread = argc > 2 ? std::atoi(argv[2]) : 500;
  std::string dir_template = (std::filesystem::temp_directory_path() / "store_bench_XXXXXX");
  const std::string dir = mkdtemp(dir_template.data());
  auto backend = SqliteBackend::Open(dir + "/bench.db");
  if (!backend.ok()) {
    std::fprintf(stderr, "open: %s\n", backend.status().ToString().c_str());
    return 1;
  }
  SqliteBackend& db = **backend;
  std::printf("SqliteBackend on %s (WAL, synchronous=FULL)\n", dir.c_str());
  for (int n : {1, threads}) {
    const std::string prefix = absl::StrCat("t", n, "-");
    Measure("PutGrant (create)", n, per_thread, [&](int t, int i) {
      return db.PutGrant(MakeGrant(absl::StrCat(prefix, t, "-", i)), absl::Now()).ok();
    });
    Measure("SuspendGrant (conditional)", n, per_thread, [&](int t, int i) {
      apptrust::v1::Suspension suspension;
      suspension.set_suspension_id(absl::StrCat(prefix, t, "-", i, "-s"));
      return db.SuspendGrant("bench", absl::StrCat(prefix, t, "-", i), 1, suspension, absl::Now())
          .ok();
    });
    Measure("GetGrant", n, per_thread * 4, [&](int t, int i) {
      return db.GetGrant("bench", absl::StrCat(prefix, t, "-", i % per_thread)).ok();
    });
  }
  backend->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
