#include "bench/bench_grants.h"

#include <cstdint>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"
#include "libpq-fe.h"
#include "sqlite3.h"

namespace apptrust::bench {
namespace {

namespace v1 = apptrust::v1;

absl::Status SqliteError(sqlite3* db, const char* what) {
  return absl::InternalError(absl::StrCat("SQLite ", what, ": ", sqlite3_errmsg(db)));
}

struct PgConnDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

absl::Status PgError(PGconn* connection, const char* what) {
  return absl::InternalError(absl::StrCat("PostgreSQL ", what, ": ", PQerrorMessage(connection)));
}

absl::Status PgCommand(PGconn* connection, const char* sql) {
  PgResultPtr result(PQexec(connection, sql));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return PgError(connection, sql);
  }
  return absl::OkStatus();
}

// The stores keep times in microseconds.
absl::Time NowMicros() { return absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())); }

}  // namespace

std::string BenchGrantId(int i) { return absl::StrCat("g", i); }

v1::Grant MakeBenchGrant(const std::string& grant_id) {
  v1::Grant grant;
  grant.set_tenant_id(kBenchTenant);
  grant.set_grant_id(grant_id);
  grant.set_client_id("client");
  grant.set_redirect_uri("https://app.example.com/callback");
  grant.mutable_identity()->set_domain("example.com");
  grant.mutable_fingerprint()->set_host("app.example.com");
  grant.mutable_fingerprint()->mutable_tls()->set_leaf_sha256(std::string(64, 'a'));
  return grant;
}

v1::Grant StoredBenchGrant(int i, absl::Time now) {
  v1::Grant grant = MakeBenchGrant(BenchGrantId(i));
  grant.set_state(v1::GRANT_STATE_ACTIVE);
  grant.set_version(1);
  *grant.mutable_created_at() = apptrust::timeconv::ToProto(now);
  *grant.mutable_updated_at() = apptrust::timeconv::ToProto(now);
  return grant;
}

absl::Status BulkLoadSqlite(const std::string& path, int count) {
  return BulkLoadSqlite(path, count, StoredBenchGrant);
}

absl::Status BulkLoadSqlite(const std::string& path, int count,
                            const std::function<v1::Grant(int, absl::Time)>& make) {
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open(path.c_str(), &raw);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  if (opened != SQLITE_OK) return SqliteError(raw, "open");
  if (sqlite3_exec(db.get(), "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db.get(), "BEGIN");
  }
  sqlite3_stmt* raw_insert = nullptr;
  if (sqlite3_prepare_v2(db.get(),
                         "INSERT INTO grants (tenant_id, grant_id, client_id, state, version,"
                         " created_at_us, updated_at_us, grant_proto)"
                         " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?6)",
                         -1, &raw_insert, nullptr) != SQLITE_OK) {
    return SqliteError(db.get(), "prepare");
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> insert(raw_insert, sqlite3_finalize);
  const absl::Time now = NowMicros();
  for (int i = 0; i < count; ++i) {
    const v1::Grant grant = make(i, now);
    const std::string blob = grant.SerializeAsString();
    sqlite3_bind_text(insert.get(), 1, grant.tenant_id().data(),
                      static_cast<int>(grant.tenant_id().size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(insert.get(), 2, grant.grant_id().data(),
                      static_cast<int>(grant.grant_id().size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(insert.get(), 3, grant.client_id().data(),
                      static_cast<int>(grant.client_id().size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(insert.get(), 4, grant.state());
    sqlite3_bind_int64(insert.get(), 5, absl::ToUnixMicros(now));
    sqlite3_bind_blob(insert.get(), 6, blob.data(), static_cast<int>(blob.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) return SqliteError(db.get(), "insert");
    sqlite3_reset(insert.get());
  }
  if (sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db.get(), "COMMIT");
  }
  return absl::OkStatus();
}

absl::Status BulkLoadPostgres(const std::string& uri, const std::string& password, int count) {
  const char* const keys[] = {"dbname", "password", nullptr};
  const char* const values[] = {uri.c_str(), password.c_str(), nullptr};
  std::unique_ptr<PGconn, PgConnDeleter> connection(
      PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (PQstatus(connection.get()) != CONNECTION_OK) return PgError(connection.get(), "connect");
  {
    PgResultPtr started(PQexec(connection.get(),
                               "COPY grants (tenant_id, grant_id, client_id, state, version,"
                               " created_at_us, updated_at_us, suspension_id, grant_proto)"
                               " FROM STDIN"));
    if (PQresultStatus(started.get()) != PGRES_COPY_IN) return PgError(connection.get(), "COPY");
  }
  // COPY's text format: tab-separated, \N for NULL, bytea as \\x<hex> (the
  // backslash doubled for COPY's own escaping). Ids are plain ASCII.
  const absl::Time now = NowMicros();
  const std::string now_us = absl::StrCat(absl::ToUnixMicros(now));
  std::string chunk;
  for (int i = 0; i < count; ++i) {
    const v1::Grant grant = StoredBenchGrant(i, now);
    absl::StrAppend(&chunk, grant.tenant_id(), "\t", grant.grant_id(), "\t", grant.client_id(),
                    "\t", static_cast<int>(grant.state()), "\t1\t", now_us, "\t", now_us,
                    "\t\\N\t\\\\x", absl::BytesToHexString(grant.SerializeAsString()), "\n");
    if (chunk.size() >= (1 << 20) || i + 1 == count) {
      if (PQputCopyData(connection.get(), chunk.data(), static_cast<int>(chunk.size())) != 1) {
        return PgError(connection.get(), "COPY data");
      }
      chunk.clear();
    }
  }
  if (PQputCopyEnd(connection.get(), nullptr) != 1) return PgError(connection.get(), "COPY end");
  PgResultPtr copied(PQgetResult(connection.get()));
  if (PQresultStatus(copied.get()) != PGRES_COMMAND_OK) {
    return PgError(connection.get(), "COPY");
  }
  while (PgResultPtr rest{PQgetResult(connection.get())}) {
  }
  return PgCommand(connection.get(), "VACUUM ANALYZE grants");
}

}  // namespace apptrust::bench
