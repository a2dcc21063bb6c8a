// SqliteConnection: one sqlite3 connection with its prepared statements, and
// the mapping of SQLite result codes to absl::Status.
//
// A connection is used by one thread at a time (SqliteBackend hands them out
// from a pool or under its writer mutex), so it is opened with
// SQLITE_OPEN_NOMUTEX and carries no lock of its own. Statements are prepared
// once per connection and cached by their SQL text; a Statement handle resets
// the statement and clears its bindings when it goes out of scope, so a cached
// statement never holds a read transaction open between uses.
//
// Status mapping (what callers may rely on): SQLITE_BUSY/LOCKED after the
// busy timeout, I/O errors and a full disk are UNAVAILABLE (retryable; the
// message says "database busy", never SQLite's bare "database is locked");
// NOTADB and CORRUPT are DATA_LOSS; READONLY/PERM/CANTOPEN are
// FAILED_PRECONDITION; a constraint violation is ALREADY_EXISTS (backends turn
// it into their own error before it leaves them); anything else INTERNAL.
#ifndef APPTRUST_SERVICES_STORE_SQLITE_CONNECTION_H_
#define APPTRUST_SERVICES_STORE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace apptrust::store {

// Status for a result code of `db` (its sqlite3_errmsg adds the detail).
absl::Status SqliteStatus(sqlite3* db, int code, absl::string_view context);

// A prepared statement in use. Binding indexes are 1-based (SQLite's), column
// indexes 0-based. Not copyable; resets the statement when destroyed.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void BindText(int index, absl::string_view value);
  void BindBlob(int index, absl::string_view value);
  void BindInt(int index, int64_t value);
  void BindNull(int index);

  // True when a row is available, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps to completion, for statements that return no rows.
  absl::Status Run();

  bool ColumnIsNull(int column) const;
  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  // Valid until the next Step() or the end of this Statement.
  absl::string_view ColumnBlob(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteConnection {
 public:
  // `flags` are sqlite3_open_v2 flags (SQLITE_OPEN_NOMUTEX is added). Sets
  // the busy timeout. The connection does not check that the file is a
  // database: the first statement does.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path, int flags,
                                                                absl::Duration busy_timeout);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more statements without results.
  absl::Status Exec(absl::string_view sql);
  // The cached prepared statement for `sql`, reset and ready to bind.
  absl::StatusOr<std::unique_ptr<Statement>> Prepare(const std::string& sql);
  // Single-value queries ("PRAGMA user_version", "PRAGMA journal_mode=WAL").
  absl::StatusOr<int64_t> QueryInt(const std::string& sql);
  absl::StatusOr<std::string> QueryText(const std::string& sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const;
  bool read_only() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_SQLITE_CONNECTION_H_
