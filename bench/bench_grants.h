// The grants the store benchmarks read and write, and their bulk loading.
//
// A store benchmark needs a million grants already stored; writing them
// through PutGrant (one durable commit each) would take hours, so they are
// written straight into the store's tables: the same columns the backends
// write, and in grant_proto the serialized apptrust.v1.Grant that PutGrant
// would have stored for a new grant (state ACTIVE, version 1, created_at =
// updated_at). Grant i is BenchGrantId(i) of tenant kBenchTenant, so a reader
// can pick a random existing key without a list.
//
// Each loader expects the store's schema to exist already (open the backend
// once first: it applies the migrations) and the table to hold no bench
// grant.
#ifndef APPTRUST_BENCH_BENCH_GRANTS_H_
#define APPTRUST_BENCH_BENCH_GRANTS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::bench {

inline constexpr char kBenchTenant[] = "bench";

// "g<i>".
std::string BenchGrantId(int i);

// A grant as a client sends it to PutGrant (no state, version or times).
apptrust::v1::Grant MakeBenchGrant(const std::string& grant_id);

// What the store keeps for grant `i` first written at `now`.
apptrust::v1::Grant StoredBenchGrant(int i, absl::Time now);

// Inserts grants 0..count-1 into the SQLite store file at `path` in one
// transaction.
absl::Status BulkLoadSqlite(const std::string& path, int count);
// The same with grant i made by `make(i, now)` (a stored ACTIVE grant at
// version 1, created and updated at `now`).
absl::Status BulkLoadSqlite(const std::string& path, int count,
                            const std::function<apptrust::v1::Grant(int, absl::Time)>& make);

// Inserts grants 0..count-1 into a PostgreSQL store with one COPY, as the
// client of `uri` (a libpq URI) with `password`, then VACUUM ANALYZE the
// table so the measured reads find it as a long-lived database would be.
absl::Status BulkLoadPostgres(const std::string& uri, const std::string& password, int count);

}  // namespace apptrust::bench

#endif  // APPTRUST_BENCH_BENCH_GRANTS_H_
