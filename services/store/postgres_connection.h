// PgConnection: one libpq connection to PostgreSQL, driven without blocking.
//
// libpq itself, behind thin RAII wrappers (libpqxx in Debian 12 is
// blocking-only). Every call takes a deadline: the socket is put in
// non-blocking mode and the calling thread waits on it with poll() only until
// the deadline, so a dead, silent or switched-over server costs a caller at
// most its own deadline, never a thread stuck in a blocking read. A call whose
// deadline passes sends the server a cancel request and marks the connection
// broken (its pool drops it): its state is unknown.
//
// Commands go out as one pipeline (libpq's pipeline mode): a batch of
// prepared statements costs one round trip, whatever its length. Parameters
// are sent as text or binary bytes; results come back in binary form (a
// bigint as 8 big-endian bytes, text and bytea as their bytes).
//
// Errors are absl::Status values classified for the store's callers:
//   UNAVAILABLE       the connection failed (SQLSTATE class 08, 57P0x, a
//                     demoted primary's 25006, 53xxx) or the outcome of a
//                     COMMIT is unknown; the connection is broken.
//   ABORTED           a serialization failure or deadlock (40001, 40P01):
//                     the transaction may be retried.
//   DEADLINE_EXCEEDED the call's deadline passed, or the server cancelled the
//                     statement at statement_timeout (57014).
//   ALREADY_EXISTS    a unique constraint (23505).
//   INVALID_ARGUMENT  data the server refused (class 22, e.g. bytes that are
//                     not UTF-8 in a text column).
//   INTERNAL          anything else (a bug, a schema mismatch).
// Messages carry the server's text and SQLSTATE, never the password.
#ifndef APPTRUST_SERVICES_STORE_POSTGRES_CONNECTION_H_
#define APPTRUST_SERVICES_STORE_POSTGRES_CONNECTION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace apptrust::store {

// Owns a PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}

  int rows() const { return result_ ? PQntuples(result_.get()) : 0; }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) == 1; }
  // The column's bytes (binary format): text and bytea as stored.
  absl::string_view Bytes(int row, int column) const;
  // A bigint, integer or smallint column.
  int64_t Int(int row, int column) const;
  // The command tag's row count ("UPDATE 1" → 1), for INSERT/UPDATE/DELETE.
  int64_t AffectedRows() const;

 private:
  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

// One parameter of a statement: NULL, text, or binary bytes (bytea).
struct PgParam {
  static PgParam Null() { return PgParam{}; }
  static PgParam Text(absl::string_view text) { return PgParam{std::string(text), false, false}; }
  static PgParam Int(int64_t value) { return PgParam{std::to_string(value), false, false}; }
  static PgParam Bytes(std::string bytes) { return PgParam{std::move(bytes), true, false}; }

  std::string value;
  bool binary = false;
  bool null = true;
};

// One command of a pipeline: a statement prepared with Prepare() (by name),
// or, when `name` is empty, plain SQL text with parameters.
struct PgCommand {
  std::string name;
  std::string sql;
  std::vector<PgParam> params;
};

struct PgConnectOptions {
  // libpq connection keywords and values (expand_dbname: "dbname" may be a
  // URI, multi-host lists included). The password, when given, is one of
  // them and never leaves this struct.
  std::vector<std::pair<std::string, std::string>> keywords;
};

class PgConnection {
 public:
  // Connects (every host of a multi-host URI in turn, as libpq does) by the
  // deadline. UNAVAILABLE when no host accepted, FAILED_PRECONDITION for an
  // authentication failure or a bad connection string.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const PgConnectOptions& options,
                                                               absl::Time deadline);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Prepares statements for the whole session, in one round trip.
  absl::Status Prepare(const std::vector<std::pair<std::string, std::string>>& name_and_sql,
                       absl::Time deadline);

  // Sends `commands` as one pipeline and returns one result per command. The
  // first failing command decides the status (the server skips the rest).
  // When `commits` is true the batch ends a transaction: a connection lost
  // before its answers arrived, or a WARNING from the server while it ran (a
  // cancelled synchronous-replication wait: PostgreSQL still reports the
  // commit), is UNAVAILABLE with "outcome unknown" — never success.
  absl::StatusOr<std::vector<PgResult>> Run(const std::vector<PgCommand>& commands,
                                            absl::Time deadline, bool commits = false);

  // False once the connection failed, timed out or was dropped by the
  // server; a pool discards it.
  bool healthy() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }
  // True while a transaction is open (or failed and not yet rolled back).
  bool in_transaction() const;
  // "host:port" of the server this connection reached.
  std::string server() const;

 private:
  explicit PgConnection(PGconn* conn);
  // Waits until the socket is readable (and writable when `write`), or the
  // deadline passes.
  absl::Status Wait(bool write, absl::Time deadline);
  absl::Status Flush(absl::Time deadline);
  // Reads the next result of the pipeline; nullptr between commands.
  absl::StatusOr<PGresult*> NextResult(absl::Time deadline);
  // Marks the connection broken and returns `status`.
  absl::Status Broken(absl::Status status);
  void Cancel();
  static void OnNotice(void* self, const PGresult* notice);

  PGconn* conn_;
  bool broken_ = false;
  // WARNINGs the server sent while the current batch ran.
  std::vector<std::string> warnings_;
};

// The status for a failed result (by its SQLSTATE); `broken` is set when the
// connection must not be used again.
absl::Status PgResultError(const PGresult* result, bool* broken);

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_POSTGRES_CONNECTION_H_
