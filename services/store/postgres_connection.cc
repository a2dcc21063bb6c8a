#include "services/store/postgres_connection.h"

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace apptrust::store {
namespace {

// libpq's messages end in a newline and may span lines; one line for logs.
std::string OneLine(absl::string_view message) {
  std::string line(absl::StripAsciiWhitespace(message));
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

uint64_t BigEndian(absl::string_view bytes) {
  uint64_t value = 0;
  for (unsigned char byte : bytes) value = (value << 8) | byte;
  return value;
}

}  // namespace

absl::string_view PgResult::Bytes(int row, int column) const {
  return absl::string_view(PQgetvalue(result_.get(), row, column),
                           static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

int64_t PgResult::Int(int row, int column) const {
  const absl::string_view bytes = Bytes(row, column);
  const uint64_t raw = BigEndian(bytes);
  switch (bytes.size()) {
    case 2:
      return static_cast<int16_t>(raw);
    case 4:
      return static_cast<int32_t>(raw);
    default:
      return static_cast<int64_t>(raw);
  }
}

int64_t PgResult::AffectedRows() const {
  int64_t rows = 0;
  if (!result_ || !absl::SimpleAtoi(PQcmdTuples(result_.get()), &rows)) return 0;
  return rows;
}

absl::Status PgResultError(const PGresult* result, bool* broken) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string message =
      OneLine(PQresultErrorMessage(result) ? PQresultErrorMessage(result) : "");
  // An error libpq made itself (no SQLSTATE): the connection failed.
  if (state == nullptr) {
    *broken = true;
    return absl::UnavailableError(absl::StrCat("database connection failed: ", message));
  }
  const absl::string_view code(state);
  const std::string text = absl::StrCat(message, " (SQLSTATE ", code, ")");
  if (absl::StartsWith(code, "08") || absl::StartsWith(code, "57P") || code == "25006" ||
      absl::StartsWith(code, "53")) {
    // A lost connection, a server shutting down or restarting, a primary
    // that became a standby, a server out of resources: another connection
    // (perhaps to another host) may succeed.
    *broken = true;
    return absl::UnavailableError(absl::StrCat("database unavailable: ", text));
  }
  if (code == "40001" || code == "40P01") return absl::AbortedError(text);
  if (code == "57014") {
    return absl::DeadlineExceededError(absl::StrCat("database statement timed out: ", text));
  }
  if (code == "23505") return absl::AlreadyExistsError(text);
  if (absl::StartsWith(code, "22")) return absl::InvalidArgumentError(text);
  return absl::InternalError(absl::StrCat("database error: ", text));
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectOptions& options,
                                                                    absl::Time deadline) {
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : options.keywords) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("out of memory for a connection");
  auto connection = std::unique_ptr<PgConnection>(new PgConnection(conn));
  if (PQstatus(conn) == CONNECTION_BAD) {
    return absl::FailedPreconditionError(
        absl::StrCat("bad connection string: ", OneLine(PQerrorMessage(conn))));
  }
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (polling != PGRES_POLLING_OK) {
    if (polling == PGRES_POLLING_FAILED) {
      const std::string message = OneLine(PQerrorMessage(conn));
      // Wrong credentials or database: retrying will not help.
      if (absl::StrContains(message, "password authentication failed") ||
          absl::StrContains(message, "no password supplied") ||
          absl::StrContains(message, "SSL error: certificate verify failed") ||
          absl::StrContains(message, "server certificate for")) {
        return absl::FailedPreconditionError(absl::StrCat("cannot connect: ", message));
      }
      return absl::UnavailableError(absl::StrCat("cannot connect: ", message));
    }
    absl::Status ready = connection->Wait(polling == PGRES_POLLING_WRITING, deadline);
    if (!ready.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot connect: ", ready.message()));
    }
    polling = PQconnectPoll(conn);
  }
  if (PQsetnonblocking(conn, 1) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot make the connection non-blocking: ", OneLine(PQerrorMessage(conn))));
  }
  PQsetNoticeReceiver(conn, &PgConnection::OnNotice, connection.get());
  return connection;
}

PgConnection::PgConnection(PGconn* conn) : conn_(conn) {}

PgConnection::~PgConnection() { PQfinish(conn_); }

void PgConnection::OnNotice(void* self, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr && std::strcmp(severity, "WARNING") == 0) {
    static_cast<PgConnection*>(self)->warnings_.push_back(OneLine(PQresultErrorMessage(notice)));
  }
}

bool PgConnection::in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

std::string PgConnection::server() const {
  return absl::StrCat(PQhost(conn_) ? PQhost(conn_) : "", ":", PQport(conn_) ? PQport(conn_) : "");
}

absl::Status PgConnection::Broken(absl::Status status) {
  broken_ = true;
  return status;
}

absl::Status PgConnection::Wait(bool write, absl::Time deadline) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return absl::UnavailableError("the connection has no socket");
  pollfd entry{fd, static_cast<int16_t>(POLLIN | (write ? POLLOUT : 0)), 0};
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("the database did not answer by the call's deadline");
    }
    const int64_t millis = left == absl::InfiniteDuration()
                               ? -1
                               : absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
    const int ready = poll(&entry, 1, static_cast<int>(std::min<int64_t>(millis, 1 << 30)));
    if (ready > 0) return absl::OkStatus();
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
  }
}

absl::Status PgConnection::Flush(absl::Time deadline) {
  while (true) {
    const int pending = PQflush(conn_);
    if (pending == 0) return absl::OkStatus();
    if (pending < 0) {
      return absl::UnavailableError(
          absl::StrCat("database connection failed: ", OneLine(PQerrorMessage(conn_))));
    }
    if (absl::Status ready = Wait(/*write=*/true, deadline); !ready.ok()) return ready;
    // Reading what arrived keeps the server from blocking on its own output.
    if (PQconsumeInput(conn_) == 0) {
      return absl::UnavailableError(
          absl::StrCat("database connection failed: ", OneLine(PQerrorMessage(conn_))));
    }
  }
}

absl::StatusOr<PGresult*> PgConnection::NextResult(absl::Time deadline) {
  while (PQisBusy(conn_) == 1) {
    if (absl::Status ready = Wait(/*write=*/false, deadline); !ready.ok()) return ready;
    if (PQconsumeInput(conn_) == 0) {
      return absl::UnavailableError(
          absl::StrCat("database connection failed: ", OneLine(PQerrorMessage(conn_))));
    }
  }
  return PQgetResult(conn_);
}

absl::Status PgConnection::Prepare(
    const std::vector<std::pair<std::string, std::string>>& name_and_sql, absl::Time deadline) {
  if (PQenterPipelineMode(conn_) != 1) {
    return Broken(absl::InternalError("cannot enter pipeline mode"));
  }
  for (const auto& [name, sql] : name_and_sql) {
    if (PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr) != 1) {
      return Broken(absl::UnavailableError(
          absl::StrCat("database connection failed: ", OneLine(PQerrorMessage(conn_)))));
    }
  }
  absl::Status status = absl::OkStatus();
  if (PQpipelineSync(conn_) != 1) {
    return Broken(absl::UnavailableError("database connection failed during prepare"));
  }
  if (absl::Status flushed = Flush(deadline); !flushed.ok()) return Broken(flushed);
  for (size_t i = 0; i <= name_and_sql.size(); ++i) {
    auto result = NextResult(deadline);
    if (!result.ok()) return Broken(result.status());
    PgResult owned(*result);
    const ExecStatusType type = PQresultStatus(*result);
    if (type == PGRES_PIPELINE_SYNC) break;
    if (type == PGRES_FATAL_ERROR && status.ok()) {
      bool broken = false;
      status = PgResultError(*result, &broken);
      status = absl::Status(
          status.code(), absl::StrCat("preparing ", name_and_sql[i].first, ": ", status.message()));
      if (broken) broken_ = true;
    }
    // Each command's results end with a null.
    auto end = NextResult(deadline);
    if (!end.ok()) return Broken(end.status());
    PgResult ignored(*end);
  }
  if (PQexitPipelineMode(conn_) != 1) {
    return Broken(absl::InternalError("cannot leave pipeline mode"));
  }
  return status;
}

absl::StatusOr<std::vector<PgResult>> PgConnection::Run(const std::vector<PgCommand>& commands,
                                                        absl::Time deadline, bool commits) {
  // A failure once the COMMIT may have reached the server leaves its outcome
  // unknown: the caller must not be told it failed, nor that it succeeded.
  auto unknown = [&](const absl::Status& cause) {
    broken_ = true;
    if (!commits) return cause;
    return absl::UnavailableError(
        absl::StrCat("the outcome of the commit is unknown: ", cause.message()));
  };
  if (!healthy()) return absl::UnavailableError("the database connection is broken");
  warnings_.clear();
  if (PQenterPipelineMode(conn_) != 1) {
    return Broken(absl::InternalError("cannot enter pipeline mode"));
  }
  for (const PgCommand& command : commands) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const PgParam& param : command.params) {
      values.push_back(param.null ? nullptr : param.value.data());
      lengths.push_back(static_cast<int>(param.value.size()));
      formats.push_back(param.binary ? 1 : 0);
    }
    const int n = static_cast<int>(values.size());
    const int sent = command.name.empty()
                         ? PQsendQueryParams(conn_, command.sql.c_str(), n, nullptr, values.data(),
                                             lengths.data(), formats.data(), /*resultFormat=*/1)
                         : PQsendQueryPrepared(conn_, command.name.c_str(), n, values.data(),
                                               lengths.data(), formats.data(), /*resultFormat=*/1);
    if (sent != 1) {
      return Broken(absl::UnavailableError(
          absl::StrCat("database connection failed: ", OneLine(PQerrorMessage(conn_)))));
    }
  }
  if (PQpipelineSync(conn_) != 1) {
    return Broken(absl::UnavailableError("database connection failed while sending"));
  }
  if (absl::Status flushed = Flush(deadline); !flushed.ok()) return unknown(flushed);

  std::vector<PgResult> results;
  results.reserve(commands.size());
  absl::Status first_error = absl::OkStatus();
  for (size_t i = 0; i < commands.size(); ++i) {
    auto result = NextResult(deadline);
    if (!result.ok()) return unknown(result.status());
    if (*result == nullptr) return unknown(absl::UnavailableError("a result is missing"));
    const ExecStatusType type = PQresultStatus(*result);
    if (type == PGRES_FATAL_ERROR && first_error.ok()) {
      bool broken = false;
      first_error = PgResultError(*result, &broken);
      if (broken) {
        PQclear(*result);
        return unknown(first_error);
      }
    }
    results.emplace_back(*result);
    auto end = NextResult(deadline);
    if (!end.ok()) return unknown(end.status());
    if (*end != nullptr) {
      PQclear(*end);
      return Broken(absl::InternalError("a command returned more than one result"));
    }
  }
  auto sync = NextResult(deadline);
  if (!sync.ok()) return unknown(sync.status());
  PgResult sync_result(*sync);
  if (*sync == nullptr || PQresultStatus(*sync) != PGRES_PIPELINE_SYNC) {
    return Broken(absl::InternalError("the pipeline did not end where expected"));
  }
  if (PQexitPipelineMode(conn_) != 1) {
    return Broken(absl::InternalError(
        absl::StrCat("cannot leave pipeline mode: ", OneLine(PQerrorMessage(conn_)))));
  }
  if (!first_error.ok()) return first_error;
  if (commits && !warnings_.empty()) {
    // PostgreSQL reports a commit whose synchronous-replication wait was
    // cancelled as committed, with a WARNING: the standby may not have it.
    broken_ = true;
    return absl::UnavailableError(
        absl::StrCat("the outcome of the commit is unknown: the server warned: ", warnings_[0]));
  }
  return results;
}

}  // namespace apptrust::store
