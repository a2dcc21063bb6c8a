#include "services/store/postgres_backend.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/text/utf8.h"
#include "common/time/proto_time.h"
#include "google/protobuf/util/time_util.h"
#include "services/store/change_log.h"
#include "services/store/postgres_schema.h"

namespace apptrust::store {
namespace {

using apptrust::v1::Grant;
using apptrust::v1::GrantState;
using apptrust::v1::Suspension;
using google::protobuf::util::TimeUtil;
using timeconv::ToProto;

// Prepared on every connection (PgPool's setup), used by name.
constexpr char kSetTimeout[] = "set_timeout";
constexpr char kSetLocalTimeout[] = "set_local_timeout";
constexpr char kSelectGrant[] = "select_grant";
constexpr char kLockGrant[] = "lock_grant";
constexpr char kInsertGrant[] = "insert_grant";
constexpr char kReplaceGrant[] = "replace_grant";
constexpr char kInsertSuspension[] = "insert_suspension";
constexpr char kSuspendGrant[] = "suspend_grant";
constexpr char kSelectSuspension[] = "select_suspension";
constexpr char kDeleteSuspensions[] = "delete_suspensions";
constexpr char kDeleteGrant[] = "delete_grant";
constexpr char kListGrants[] = "list_grants";
constexpr char kListGrantsOfClient[] = "list_grants_of_client";
constexpr char kCountGrants[] = "count_grants";
constexpr char kInsertAudit[] = "insert_audit";
constexpr char kListAudit[] = "list_audit";
constexpr char kListAuditOfGrant[] = "list_audit_of_grant";
constexpr char kPruneAudit[] = "prune_audit";
constexpr char kImportGrant[] = "import_grant";
constexpr char kImportSuspension[] = "import_suspension";
constexpr char kTakeXid[] = "take_xid";
constexpr char kNextRevision[] = "next_revision";
constexpr char kInsertChange[] = "insert_change";
constexpr char kRevisionsHandedOut[] = "revisions_handed_out";
constexpr char kSnapshot[] = "snapshot";
constexpr char kReadChanges[] = "read_changes";
constexpr char kStoreIdentity[] = "store_identity";
constexpr char kPruneChanges[] = "prune_changes";
constexpr char kAcquireLease[] = "acquire_lease";
constexpr char kSelectLease[] = "select_lease";
constexpr char kLockLease[] = "lock_lease";
constexpr char kListActiveApps[] = "list_active_apps";
constexpr char kUpsertSweepResult[] = "upsert_sweep_result";
constexpr char kRemoveOldSweepResults[] = "remove_old_sweep_results";
constexpr char kListSweepResults[] = "list_sweep_results";

constexpr char kAuditColumns[] =
    "SELECT seq, time_us, tenant_id, grant_id, client_id, action, caller, version_before,"
    " version_after, state_before, state_after, suspension_id, request_id, details_proto"
    " FROM audit_log";

const std::vector<std::pair<std::string, std::string>>& Statements() {
  static const auto* statements = new std::vector<std::pair<std::string, std::string>>{
      {kSetTimeout, "SELECT set_config('statement_timeout', $1, false)"},
      {kSetLocalTimeout, "SELECT set_config('statement_timeout', $1, true)"},
      {kSelectGrant,
       "SELECT g.grant_proto, s.suspension_proto FROM grants g"
       " LEFT JOIN suspensions s ON s.suspension_id = g.suspension_id"
       " WHERE g.tenant_id = $1 AND g.grant_id = $2"},
      {kLockGrant,
       "SELECT client_id, state, version, created_at_us, suspension_id, grant_proto FROM grants"
       " WHERE tenant_id = $1 AND grant_id = $2 FOR UPDATE"},
      {kInsertGrant,
       "INSERT INTO grants (tenant_id, grant_id, client_id, state, version, created_at_us,"
       " updated_at_us, suspension_id, grant_proto) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)"},
      {kReplaceGrant,
       "UPDATE grants SET client_id = $3, state = $4, version = $5, updated_at_us = $6,"
       " suspension_id = NULL, grant_proto = $7 WHERE tenant_id = $1 AND grant_id = $2"},
      {kInsertSuspension,
       "INSERT INTO suspensions (suspension_id, tenant_id, grant_id, suspended_at_us,"
       " suspension_proto) VALUES ($1, $2, $3, $4, $5)"},
      {kSuspendGrant,
       "UPDATE grants SET state = $3, version = $4, updated_at_us = $5, suspension_id = $6,"
       " grant_proto = $7 WHERE tenant_id = $1 AND grant_id = $2"},
      {kSelectSuspension, "SELECT suspension_proto FROM suspensions WHERE suspension_id = $1"},
      {kDeleteSuspensions, "DELETE FROM suspensions WHERE tenant_id = $1 AND grant_id = $2"},
      {kDeleteGrant, "DELETE FROM grants WHERE tenant_id = $1 AND grant_id = $2"},
      {kListGrants,
       "SELECT g.grant_proto, s.suspension_proto FROM grants g"
       " LEFT JOIN suspensions s ON s.suspension_id = g.suspension_id"
       " WHERE g.tenant_id = $1 AND g.grant_id > $2 ORDER BY g.grant_id LIMIT $3"},
      {kListGrantsOfClient,
       "SELECT g.grant_proto, s.suspension_proto FROM grants g"
       " LEFT JOIN suspensions s ON s.suspension_id = g.suspension_id"
       " WHERE g.tenant_id = $1 AND g.grant_id > $2 AND g.client_id = $4"
       " ORDER BY g.grant_id LIMIT $3"},
      {kCountGrants, "SELECT state, COUNT(*)::BIGINT FROM grants GROUP BY state"},
      // The sweep: see sqlite_backend.cc's statements of the same names.
      {kAcquireLease,
       "INSERT INTO leases (name, holder, epoch, expires_at_us) VALUES ($1, $2, 1, $3)"
       " ON CONFLICT (name) DO UPDATE SET"
       " epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_at_us > $4"
       " THEN leases.epoch ELSE leases.epoch + 1 END,"
       " holder = excluded.holder, expires_at_us = excluded.expires_at_us"
       " WHERE leases.holder = excluded.holder OR leases.expires_at_us <= $4"},
      {kSelectLease, "SELECT holder, epoch, expires_at_us FROM leases WHERE name = $1"},
      {kLockLease, "SELECT holder, epoch, expires_at_us FROM leases WHERE name = $1 FOR SHARE"},
      {kListActiveApps,
       "SELECT tenant_id, client_id, COUNT(*)::BIGINT,"
       " (array_agg(grant_proto ORDER BY updated_at_us DESC, grant_id DESC))[1] FROM grants"
       " WHERE state = $5 AND (tenant_id, client_id) > ($1, $2) AND ($4 = '' OR tenant_id = $4)"
       " GROUP BY tenant_id, client_id ORDER BY tenant_id, client_id LIMIT $3"},
      {kUpsertSweepResult,
       "INSERT INTO sweep_results (tenant_id, client_id, status, pass_started_at_us,"
       " result_proto) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, client_id) DO UPDATE"
       " SET status = excluded.status, pass_started_at_us = excluded.pass_started_at_us,"
       " result_proto = excluded.result_proto"},
      {kRemoveOldSweepResults, "DELETE FROM sweep_results WHERE pass_started_at_us < $1"},
      {kListSweepResults,
       "SELECT result_proto FROM sweep_results WHERE (tenant_id, client_id) > ($1, $2)"
       " AND ($4 = '' OR tenant_id = $4) AND ($5 = 0 OR status IN ($6, $7))"
       " ORDER BY tenant_id, client_id LIMIT $3"},
      {kInsertAudit,
       "INSERT INTO audit_log (time_us, tenant_id, grant_id, client_id, action, caller,"
       " version_before, version_after, state_before, state_after, suspension_id, request_id,"
       " details_proto) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"},
      {kListAudit,
       absl::StrCat(kAuditColumns, " WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")},
      {kListAuditOfGrant, absl::StrCat(kAuditColumns,
                                       " WHERE tenant_id = $1 AND seq > $2 AND grant_id = $4"
                                       " ORDER BY seq LIMIT $3")},
      // The oldest first, so an interrupted sweep leaves no hole in what is
      // kept.
      {kPruneAudit,
       "DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE time_us < $1"
       " ORDER BY time_us, seq LIMIT $2)"},
      // Copies in a grant unless one at the same or a newer version is there.
      {kImportGrant,
       "INSERT INTO grants (tenant_id, grant_id, client_id, state, version, created_at_us,"
       " updated_at_us, suspension_id, grant_proto) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
       " ON CONFLICT (tenant_id, grant_id) DO UPDATE SET client_id = excluded.client_id,"
       " state = excluded.state, version = excluded.version,"
       " created_at_us = excluded.created_at_us, updated_at_us = excluded.updated_at_us,"
       " suspension_id = excluded.suspension_id, grant_proto = excluded.grant_proto"
       " WHERE grants.version < excluded.version"},
      {kImportSuspension,
       "INSERT INTO suspensions (suspension_id, tenant_id, grant_id, suspended_at_us,"
       " suspension_proto) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (suspension_id) DO NOTHING"},
      // The change log. A write takes its xid, then its revision (under the
      // grant's lock): so a transaction holding a revision not yet committed
      // is always in the xip list of a snapshot taken after the sequence
      // handed that revision out (see PostgresBackend::Observe).
      {kTakeXid, "SELECT pg_current_xact_id()::text"},
      {kNextRevision, "SELECT nextval('grant_change_revisions')"},
      {kInsertChange,
       "INSERT INTO grant_changes (revision, time_us, tenant_id, grant_id, grant_proto)"
       " VALUES ($1, $2, $3, $4, $5)"},
      {kRevisionsHandedOut,
       "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM grant_change_revisions"},
      {kSnapshot, "SELECT pg_current_snapshot()::text"},
      {kReadChanges,
       "SELECT revision, time_us, tenant_id, grant_id, grant_proto FROM grant_changes"
       " WHERE revision > $1 AND revision <= $2 ORDER BY revision LIMIT $3"},
      {kStoreIdentity, "SELECT store_id, pruned_through FROM store_identity"},
      // The oldest first, only below the committed bound ($4), and the
      // resume bound moved in the same statement.
      {kPruneChanges,
       "WITH removed AS (DELETE FROM grant_changes WHERE revision IN (SELECT revision FROM"
       " grant_changes WHERE (time_us < $1 OR revision <= $2) AND revision <= $4"
       " ORDER BY revision LIMIT $3) RETURNING revision)"
       " UPDATE store_identity SET pruned_through = GREATEST(pruned_through,"
       " (SELECT COALESCE(MAX(revision), 0) FROM removed))"
       " RETURNING (SELECT COUNT(*) FROM removed)"},
  };
  return *statements;
}

PgCommand Prepared(const char* name, std::vector<PgParam> params) {
  return PgCommand{name, "", std::move(params)};
}

// PostgreSQL text holds valid UTF-8 without NUL; the audit's caller and
// request id come from the network.
std::string Storable(absl::string_view text) {
  std::string valid = text::ToValidUtf8(text);
  valid.erase(std::remove(valid.begin(), valid.end(), '\0'), valid.end());
  return valid;
}

// Reads a (grant_proto, suspension_proto) row: the grant with its suspension.
absl::StatusOr<Grant> GrantFromRow(const PgResult& result, int row) {
  Grant grant;
  if (!grant.ParseFromString(std::string(result.Bytes(row, 0)))) {
    return absl::DataLossError("stored grant does not parse");
  }
  if (!result.IsNull(row, 1)) {
    if (!grant.mutable_suspension()->ParseFromString(std::string(result.Bytes(row, 1)))) {
      return absl::DataLossError("stored suspension does not parse");
    }
  }
  return grant;
}

absl::StatusOr<v1::AuditEntry> AuditEntryFromRow(const PgResult& result, int row) {
  v1::AuditEntry entry;
  if (!entry.ParseFromString(std::string(result.Bytes(row, 13)))) {
    return absl::DataLossError("stored audit entry does not parse");
  }
  entry.set_seq(result.Int(row, 0));
  *entry.mutable_time() = TimeUtil::MicrosecondsToTimestamp(result.Int(row, 1));
  entry.set_tenant_id(std::string(result.Bytes(row, 2)));
  entry.set_grant_id(std::string(result.Bytes(row, 3)));
  entry.set_client_id(std::string(result.Bytes(row, 4)));
  entry.set_action(static_cast<v1::AuditAction>(result.Int(row, 5)));
  entry.set_caller(std::string(result.Bytes(row, 6)));
  entry.set_version_before(result.Int(row, 7));
  entry.set_version_after(result.Int(row, 8));
  entry.set_state_before(static_cast<GrantState>(result.Int(row, 9)));
  entry.set_state_after(static_cast<GrantState>(result.Int(row, 10)));
  if (!result.IsNull(row, 11)) entry.set_suspension_id(std::string(result.Bytes(row, 11)));
  if (!result.IsNull(row, 12)) entry.set_request_id(std::string(result.Bytes(row, 12)));
  return entry;
}

PgCommand AuditInsert(const v1::AuditEntry& entry, const AuditContext& audit) {
  v1::AuditEntry details;
  details.set_reason(entry.reason());
  *details.mutable_findings() = entry.findings();
  return Prepared(
      kInsertAudit,
      {PgParam::Int(TimeUtil::TimestampToMicroseconds(entry.time())),
       PgParam::Text(entry.tenant_id()), PgParam::Text(entry.grant_id()),
       PgParam::Text(entry.client_id()), PgParam::Int(entry.action()),
       PgParam::Text(Storable(audit.caller)), PgParam::Int(entry.version_before()),
       PgParam::Int(entry.version_after()), PgParam::Int(entry.state_before()),
       PgParam::Int(entry.state_after()),
       entry.suspension_id().empty() ? PgParam::Null() : PgParam::Text(entry.suspension_id()),
       audit.request_id.empty() ? PgParam::Null() : PgParam::Text(Storable(audit.request_id)),
       PgParam::Bytes(details.SerializeAsString())});
}

PgCommand ChangeInsert(int64_t revision, absl::Time now, absl::string_view tenant_id,
                       absl::string_view grant_id, const Grant* grant) {
  return Prepared(kInsertChange, {PgParam::Int(revision), PgParam::Int(absl::ToUnixMicros(now)),
                                  PgParam::Text(tenant_id), PgParam::Text(grant_id),
                                  grant == nullptr ? PgParam::Null()
                                                   : PgParam::Bytes(grant->SerializeAsString())});
}

// What a write runs first: the grant's lock, then its xid and its revision.
std::vector<PgCommand> LockAndTakeRevision(absl::string_view tenant_id,
                                           absl::string_view grant_id) {
  return {Prepared(kLockGrant, {PgParam::Text(tenant_id), PgParam::Text(grant_id)}),
          Prepared(kTakeXid, {}), Prepared(kNextRevision, {})};
}

absl::StatusOr<v1::GrantChange> ChangeFromRow(const PgResult& result, int row) {
  v1::GrantChange change;
  change.set_revision(result.Int(row, 0));
  *change.mutable_time() = TimeUtil::MicrosecondsToTimestamp(result.Int(row, 1));
  change.set_tenant_id(std::string(result.Bytes(row, 2)));
  change.set_grant_id(std::string(result.Bytes(row, 3)));
  if (result.IsNull(row, 4)) {
    change.set_deleted(true);
  } else if (!change.mutable_grant()->ParseFromString(std::string(result.Bytes(row, 4)))) {
    return absl::DataLossError("stored change does not parse");
  }
  return change;
}

// A grant's row as a write sees it under its lock.
struct LockedGrant {
  std::string client_id;
  GrantState state = v1::GRANT_STATE_UNSPECIFIED;
  int64_t version = 0;
  int64_t created_at_us = 0;
  std::string suspension_id;
  std::string grant_proto;
};

std::optional<LockedGrant> LockedFromResult(const PgResult& result) {
  if (result.rows() == 0) return std::nullopt;
  LockedGrant locked;
  locked.client_id = std::string(result.Bytes(0, 0));
  locked.state = static_cast<GrantState>(result.Int(0, 1));
  locked.version = result.Int(0, 2);
  locked.created_at_us = result.Int(0, 3);
  if (!result.IsNull(0, 4)) locked.suspension_id = std::string(result.Bytes(0, 4));
  locked.grant_proto = std::string(result.Bytes(0, 5));
  return locked;
}

// Refuses a URI the store cannot use safely; says whether it already names
// target_session_attrs.
absl::StatusOr<bool> CheckUri(const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? std::string(error) : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return absl::InvalidArgumentError(absl::StrCat("not a PostgreSQL URI: ", message));
  }
  absl::Status status = absl::OkStatus();
  bool names_session_attrs = false;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const absl::string_view keyword(option->keyword);
    const absl::string_view value(option->val);
    if (keyword == "password" && !value.empty()) {
      status = absl::InvalidArgumentError(
          "must not carry a password (it would show in process listings and logs); use "
          "--db_password_file, PGPASSFILE or PGPASSWORD");
    }
    if (keyword == "target_session_attrs") {
      names_session_attrs = true;
      if (value != "read-write" && value != "primary") {
        status = absl::InvalidArgumentError(absl::StrCat(
            "target_session_attrs=", value,
            " would let the store read or write a standby; use read-write (the default)"));
      }
    }
  }
  PQconninfoFree(options);
  if (!status.ok()) return status;
  return names_session_attrs;
}

}  // namespace

bool IsPostgresUri(absl::string_view db) {
  return absl::StartsWith(db, "postgresql://") || absl::StartsWith(db, "postgres://");
}

// One write transaction on a pooled connection: the first Run begins it (and
// sets the statement timeout), Commit ends it; an unfinished one is rolled
// back when the transaction object ends.
class PostgresBackend::Transaction {
 public:
  Transaction(PgConnection& connection, PgCommand timeout, absl::Time deadline)
      : connection_(connection), timeout_(std::move(timeout)), deadline_(deadline) {}
  ~Transaction() {
    if (connection_.healthy() && connection_.in_transaction()) {
      (void)connection_.Run({{"", "ROLLBACK", {}}}, deadline_ + absl::Seconds(1));
    }
  }

  absl::StatusOr<std::vector<PgResult>> Run(std::vector<PgCommand> commands) {
    return Send(std::move(commands), /*commits=*/false);
  }
  absl::StatusOr<std::vector<PgResult>> Commit(std::vector<PgCommand> commands) {
    commands.push_back({"", "COMMIT", {}});
    auto results = Send(std::move(commands), /*commits=*/true);
    if (results.ok()) results->pop_back();
    return results;
  }

 private:
  absl::StatusOr<std::vector<PgResult>> Send(std::vector<PgCommand> commands, bool commits) {
    size_t skip = 0;
    if (!begun_) {
      commands.insert(commands.begin(), {{"", "BEGIN", {}}, timeout_});
      skip = 2;
      begun_ = true;
    }
    auto results = connection_.Run(commands, deadline_, commits);
    if (!results.ok()) return results.status();
    results->erase(results->begin(), results->begin() + static_cast<std::ptrdiff_t>(skip));
    return results;
  }

  PgConnection& connection_;
  const PgCommand timeout_;
  const absl::Time deadline_;
  bool begun_ = false;
};

absl::StatusOr<std::unique_ptr<PostgresBackend>> PostgresBackend::Open(PostgresOptions options,
                                                                       absl::Time deadline) {
  if (!IsPostgresUri(options.uri)) {
    return absl::InvalidArgumentError("not a postgresql:// or postgres:// URI");
  }
  if (options.pool_size < 1) return absl::InvalidArgumentError("pool size must be at least 1");
  auto names_session_attrs = CheckUri(options.uri);
  if (!names_session_attrs.ok()) return names_session_attrs.status();

  PgPoolOptions pool;
  pool.size = options.pool_size;
  pool.connect_timeout = options.connect_timeout;
  pool.acquire_timeout = options.acquire_timeout;
  // Later keywords override the URI's: only what the URI may not decide.
  pool.connect.keywords.emplace_back("dbname", options.uri);
  pool.connect.keywords.emplace_back("application_name", "apptrust-store");
  if (!*names_session_attrs) {
    pool.connect.keywords.emplace_back("target_session_attrs", "read-write");
  }
  if (!options.password.empty()) pool.connect.keywords.emplace_back("password", options.password);
  pool.setup = [](PgConnection& connection, absl::Time deadline) -> absl::Status {
    auto set = connection.Run({{"", "SET plan_cache_mode = force_custom_plan", {}}}, deadline);
    // A server without the setting (a PostgreSQL-wire database) has no
    // generic plans to avoid either.
    if (!set.ok() && !absl::StrContains(set.status().message(), "42704")) return set.status();
    return connection.Prepare(Statements(), deadline);
  };

  auto backend =
      std::unique_ptr<PostgresBackend>(new PostgresBackend(std::move(options), std::move(pool)));
  // The first connection proves the URI, the password and the server; the
  // migration runs on it before any statement is prepared against tables
  // that may not exist yet.
  auto first = PgConnection::Connect(backend->connect_, deadline);
  if (!first.ok()) return first.status();
  if (absl::Status migrated = MigratePostgres(**first, deadline); !migrated.ok()) {
    return migrated;
  }
  if (absl::Status reachable = backend->CheckReachable(deadline); !reachable.ok()) {
    return reachable;
  }
  return backend;
}

PostgresBackend::PostgresBackend(PostgresOptions options, PgPoolOptions pool_options)
    : options_(std::move(options)),
      connect_(pool_options.connect),
      pool_(std::move(pool_options)) {}

PostgresBackend::~PostgresBackend() = default;

std::string PostgresBackend::TimeoutMillis(absl::Time deadline) const {
  // Rounded up to a coarse step: calls with the same budget then share one
  // value, which a connection sets once instead of with every read. The
  // client's own deadline (Bounded) stays exact.
  int64_t millis = absl::ToInt64Milliseconds(
      std::clamp(deadline - absl::Now(), absl::Milliseconds(1), options_.max_statement_timeout));
  const int64_t step = millis < 1000 ? 100 : 1000;
  millis = std::min((millis + step - 1) / step * step,
                    absl::ToInt64Milliseconds(options_.max_statement_timeout));
  return std::to_string(millis);
}

PgCommand PostgresBackend::TimeoutFor(absl::Time deadline, bool local) const {
  return Prepared(local ? kSetLocalTimeout : kSetTimeout, {PgParam::Text(TimeoutMillis(deadline))});
}

absl::Time PostgresBackend::Bounded(absl::Time deadline) const {
  return std::min(deadline, absl::Now() + options_.max_statement_timeout + absl::Seconds(1));
}

absl::StatusOr<std::vector<PgResult>> PostgresBackend::Read(std::vector<PgCommand> commands,
                                                            absl::Time deadline) {
  deadline = Bounded(deadline);
  auto connection = pool_.Acquire(deadline);
  if (!connection.ok()) return connection.status();
  const std::string timeout = TimeoutMillis(deadline);
  const bool set_timeout = (*connection)->session_timeout() != timeout;
  if (set_timeout) {
    commands.insert(commands.begin(), Prepared(kSetTimeout, {PgParam::Text(timeout)}));
  }
  // Unknown until the pipeline (one implicit transaction) has committed.
  (*connection)->set_session_timeout("");
  auto results = (*connection)->Run(commands, deadline);
  if (!results.ok()) return results.status();
  (*connection)->set_session_timeout(timeout);
  if (set_timeout) results->erase(results->begin());
  return results;
}

template <typename T, typename Body>
absl::StatusOr<T> PostgresBackend::Write(absl::Time deadline, Body body) {
  deadline = Bounded(deadline);
  absl::Duration pause = absl::Milliseconds(2);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<T> result = absl::UnknownError("not run");
    {
      auto connection = pool_.Acquire(deadline);
      if (!connection.ok()) return connection.status();
      Transaction transaction(**connection, TimeoutFor(deadline, /*local=*/true), deadline);
      result = body(transaction);
    }
    if (result.ok() && options_.on_commit) options_.on_commit(1);
    if (result.ok() || result.status().code() != absl::StatusCode::kAborted) return result;
    // Contention (a serialization failure, a deadlock, a lost race to create
    // a row): nothing was written; try again while the deadline allows.
    if (attempt == 8 || absl::Now() + pause >= deadline) {
      return absl::UnavailableError(
          absl::StrCat("the database kept reporting conflicts: ", result.status().message()));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(100));
  }
}

absl::StatusOr<PutGrantResult> PostgresBackend::PutGrant(const Grant& grant, absl::Time now,
                                                         const AuditContext& audit,
                                                         absl::Time deadline) {
  return Write<PutGrantResult>(deadline, [&](Transaction& tx) -> absl::StatusOr<PutGrantResult> {
    auto locked = tx.Run(LockAndTakeRevision(grant.tenant_id(), grant.grant_id()));
    if (!locked.ok()) return locked.status();
    const std::optional<LockedGrant> before = LockedFromResult((*locked)[0]);
    const int64_t revision = (*locked)[2].Int(0, 0);

    PutGrantResult result;
    result.grant = grant;
    Grant& stored = result.grant;
    stored.clear_suspension();
    stored.set_state(v1::GRANT_STATE_ACTIVE);
    *stored.mutable_updated_at() = ToProto(now);
    int64_t created_at_us = absl::ToUnixMicros(now);
    int64_t version = 1;
    if (before.has_value()) {
      result.previous_state = before->state;
      version = before->version + 1;
      created_at_us = before->created_at_us;
    }
    stored.set_version(version);
    *stored.mutable_created_at() = TimeUtil::MicrosecondsToTimestamp(created_at_us);
    stored.set_revision(revision);

    v1::AuditEntry entry;
    *entry.mutable_time() = ToProto(now);
    entry.set_tenant_id(stored.tenant_id());
    entry.set_grant_id(stored.grant_id());
    entry.set_client_id(stored.client_id());
    entry.set_action(before.has_value() ? v1::AUDIT_ACTION_REAPPROVED : v1::AUDIT_ACTION_ENROLLED);
    if (before.has_value()) {
      entry.set_version_before(before->version);
      entry.set_state_before(before->state);
      // Re-approval ends the suspension, if any: say which.
      entry.set_suspension_id(before->suspension_id);
    }
    entry.set_version_after(stored.version());
    entry.set_state_after(stored.state());

    PgCommand write =
        before.has_value()
            ? Prepared(kReplaceGrant,
                       {PgParam::Text(stored.tenant_id()), PgParam::Text(stored.grant_id()),
                        PgParam::Text(stored.client_id()), PgParam::Int(stored.state()),
                        PgParam::Int(version), PgParam::Int(absl::ToUnixMicros(now)),
                        PgParam::Bytes(stored.SerializeAsString())})
            : Prepared(kInsertGrant,
                       {PgParam::Text(stored.tenant_id()), PgParam::Text(stored.grant_id()),
                        PgParam::Text(stored.client_id()), PgParam::Int(stored.state()),
                        PgParam::Int(version), PgParam::Int(created_at_us),
                        PgParam::Int(absl::ToUnixMicros(now)),
                        PgParam::Bytes(stored.SerializeAsString())});
    auto committed =
        tx.Commit({std::move(write), AuditInsert(entry, audit),
                   ChangeInsert(revision, now, stored.tenant_id(), stored.grant_id(), &stored)});
    if (!committed.ok()) {
      // Another writer created the grant after our lock found nothing: the
      // retry finds and locks it.
      if (committed.status().code() == absl::StatusCode::kAlreadyExists) {
        return absl::AbortedError("the grant was created concurrently");
      }
      return committed.status();
    }
    return result;
  });
}

absl::StatusOr<Grant> PostgresBackend::GetGrant(absl::string_view tenant_id,
                                                absl::string_view grant_id, absl::Time deadline) {
  auto results =
      Read({Prepared(kSelectGrant, {PgParam::Text(tenant_id), PgParam::Text(grant_id)})}, deadline);
  if (!results.ok()) return results.status();
  if ((*results)[0].rows() == 0) {
    return absl::NotFoundError(absl::StrCat("grant ", grant_id, " not found"));
  }
  return GrantFromRow((*results)[0], 0);
}

absl::StatusOr<std::vector<absl::StatusOr<Grant>>> PostgresBackend::GetGrants(
    const std::vector<GrantKey>& keys, absl::Time deadline) {
  std::vector<PgCommand> commands;
  commands.reserve(keys.size());
  for (const GrantKey& key : keys) {
    commands.push_back(
        Prepared(kSelectGrant, {PgParam::Text(key.tenant_id), PgParam::Text(key.grant_id)}));
  }
  // One pipeline: one round trip for the whole batch.
  auto results = Read(std::move(commands), deadline);
  if (!results.ok()) return results.status();
  std::vector<absl::StatusOr<Grant>> grants;
  grants.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if ((*results)[i].rows() == 0) {
      grants.push_back(absl::NotFoundError(absl::StrCat("grant ", keys[i].grant_id, " not found")));
    } else {
      grants.push_back(GrantFromRow((*results)[i], 0));
    }
  }
  return grants;
}

absl::StatusOr<SuspendGrantResult> PostgresBackend::SuspendGrant(
    absl::string_view tenant_id, absl::string_view grant_id, int64_t expected_version,
    const Suspension& suspension, absl::Time now, const AuditContext& audit, absl::Time deadline) {
  return Write<SuspendGrantResult>(
      deadline, [&](Transaction& tx) -> absl::StatusOr<SuspendGrantResult> {
        auto locked = tx.Run(LockAndTakeRevision(tenant_id, grant_id));
        if (!locked.ok()) return locked.status();
        const std::optional<LockedGrant> current = LockedFromResult((*locked)[0]);
        const int64_t revision = (*locked)[2].Int(0, 0);
        if (!current.has_value()) {
          return absl::NotFoundError(absl::StrCat("grant ", grant_id, " not found"));
        }
        SuspendGrantResult result;
        Grant& stored = result.grant;
        if (!stored.ParseFromString(current->grant_proto)) {
          return absl::DataLossError("stored grant does not parse");
        }
        if (current->state == v1::GRANT_STATE_SUSPENDED) {
          // Another caller won: its suspension stands, whatever this one
          // asked. Read after the lock, so it is the committed winner's.
          auto existing =
              tx.Commit({Prepared(kSelectSuspension, {PgParam::Text(current->suspension_id)})});
          if (!existing.ok()) return existing.status();
          if ((*existing)[0].rows() == 0 || !stored.mutable_suspension()->ParseFromString(
                                                std::string((*existing)[0].Bytes(0, 0)))) {
            return absl::DataLossError("the suspension of a suspended grant is missing");
          }
          return result;
        }
        if (current->version != expected_version) {
          return absl::FailedPreconditionError(
              absl::StrCat("grant ", grant_id, " is at version ", current->version,
                           ", not expected_version ", expected_version));
        }
        Suspension stored_suspension = suspension;
        stored_suspension.set_tenant_id(std::string(tenant_id));
        stored_suspension.set_grant_id(std::string(grant_id));
        stored_suspension.set_client_id(current->client_id);

        stored.clear_suspension();
        stored.set_state(v1::GRANT_STATE_SUSPENDED);
        stored.set_version(expected_version + 1);
        *stored.mutable_updated_at() = ToProto(now);
        stored.set_revision(revision);
        Grant changed = stored;
        *changed.mutable_suspension() = stored_suspension;

        v1::AuditEntry entry;
        *entry.mutable_time() = ToProto(now);
        entry.set_tenant_id(std::string(tenant_id));
        entry.set_grant_id(std::string(grant_id));
        entry.set_client_id(stored.client_id());
        entry.set_action(v1::AUDIT_ACTION_SUSPENDED);
        entry.set_version_before(expected_version);
        entry.set_version_after(stored.version());
        entry.set_state_before(v1::GRANT_STATE_ACTIVE);
        entry.set_state_after(stored.state());
        entry.set_suspension_id(stored_suspension.suspension_id());
        entry.set_reason(stored_suspension.reason());
        *entry.mutable_findings() = stored_suspension.findings();

        auto committed = tx.Commit(
            {Prepared(kInsertSuspension, {PgParam::Text(stored_suspension.suspension_id()),
                                          PgParam::Text(tenant_id), PgParam::Text(grant_id),
                                          PgParam::Int(TimeUtil::TimestampToMicroseconds(
                                              stored_suspension.suspended_at())),
                                          PgParam::Bytes(stored_suspension.SerializeAsString())}),
             Prepared(kSuspendGrant, {PgParam::Text(tenant_id), PgParam::Text(grant_id),
                                      PgParam::Int(stored.state()), PgParam::Int(stored.version()),
                                      PgParam::Int(absl::ToUnixMicros(now)),
                                      PgParam::Text(stored_suspension.suspension_id()),
                                      PgParam::Bytes(stored.SerializeAsString())}),
             AuditInsert(entry, audit),
             ChangeInsert(revision, now, tenant_id, grant_id, &changed)});
        if (!committed.ok()) {
          if (committed.status().code() == absl::StatusCode::kAlreadyExists) {
            return absl::InvalidArgumentError(
                "suspension.suspension_id: already used by another suspension");
          }
          return committed.status();
        }
        *stored.mutable_suspension() = std::move(stored_suspension);
        result.newly_suspended = true;
        return result;
      });
}

absl::StatusOr<Suspension> PostgresBackend::GetSuspension(absl::string_view suspension_id,
                                                          absl::Time deadline) {
  auto results = Read({Prepared(kSelectSuspension, {PgParam::Text(suspension_id)})}, deadline);
  if (!results.ok()) return results.status();
  if ((*results)[0].rows() == 0) {
    return absl::NotFoundError(absl::StrCat("suspension ", suspension_id, " not found"));
  }
  Suspension suspension;
  if (!suspension.ParseFromString(std::string((*results)[0].Bytes(0, 0)))) {
    return absl::DataLossError("stored suspension does not parse");
  }
  return suspension;
}

absl::StatusOr<DeleteGrantResult> PostgresBackend::DeleteGrant(absl::string_view tenant_id,
                                                               absl::string_view grant_id,
                                                               absl::Time now,
                                                               const AuditContext& audit,
                                                               absl::Time deadline) {
  return Write<DeleteGrantResult>(
      deadline, [&](Transaction& tx) -> absl::StatusOr<DeleteGrantResult> {
        auto locked = tx.Run(LockAndTakeRevision(tenant_id, grant_id));
        if (!locked.ok()) return locked.status();
        DeleteGrantResult result;
        result.revision = (*locked)[2].Int(0, 0);
        const std::optional<LockedGrant> before = LockedFromResult((*locked)[0]);
        if (!before.has_value()) {
          return absl::NotFoundError(absl::StrCat("grant ", grant_id, " not found"));
        }
        v1::AuditEntry entry;
        *entry.mutable_time() = ToProto(now);
        entry.set_tenant_id(std::string(tenant_id));
        entry.set_grant_id(std::string(grant_id));
        entry.set_client_id(before->client_id);
        entry.set_action(v1::AUDIT_ACTION_DELETED);
        entry.set_version_before(before->version);
        entry.set_state_before(before->state);
        entry.set_suspension_id(before->suspension_id);
        auto committed = tx.Commit(
            {Prepared(kDeleteSuspensions, {PgParam::Text(tenant_id), PgParam::Text(grant_id)}),
             Prepared(kDeleteGrant, {PgParam::Text(tenant_id), PgParam::Text(grant_id)}),
             AuditInsert(entry, audit),
             ChangeInsert(result.revision, now, tenant_id, grant_id, nullptr)});
        if (!committed.ok()) return committed.status();
        result.previous_state = before->state;
        return result;
      });
}

absl::StatusOr<GrantPage> PostgresBackend::ListGrants(const ListGrantsQuery& query,
                                                      absl::Time deadline) {
  const bool by_client = !query.client_id.empty();
  std::vector<PgParam> params = {PgParam::Text(query.tenant_id),
                                 PgParam::Text(query.after_grant_id),
                                 // One row more than asked tells whether
                                 // another page follows.
                                 PgParam::Int(int64_t{query.limit} + 1)};
  if (by_client) params.push_back(PgParam::Text(query.client_id));
  auto results =
      Read({Prepared(by_client ? kListGrantsOfClient : kListGrants, std::move(params))}, deadline);
  if (!results.ok()) return results.status();
  const PgResult& rows = (*results)[0];
  GrantPage page;
  for (int row = 0; row < rows.rows(); ++row) {
    if (static_cast<int>(page.grants.size()) == query.limit) {
      page.more = true;
      break;
    }
    auto grant = GrantFromRow(rows, row);
    if (!grant.ok()) return grant.status();
    page.grants.push_back(std::move(*grant));
  }
  return page;
}

absl::StatusOr<GrantCounts> PostgresBackend::CountGrants(absl::Time deadline) {
  auto results = Read({Prepared(kCountGrants, {})}, deadline);
  if (!results.ok()) return results.status();
  const PgResult& rows = (*results)[0];
  GrantCounts counts;
  for (int row = 0; row < rows.rows(); ++row) {
    const int64_t state = rows.Int(row, 0);
    if (state == v1::GRANT_STATE_ACTIVE) counts.active = rows.Int(row, 1);
    if (state == v1::GRANT_STATE_SUSPENDED) counts.suspended = rows.Int(row, 1);
  }
  return counts;
}

absl::StatusOr<AuditPage> PostgresBackend::ListAuditEntries(const AuditQuery& query,
                                                            absl::Time deadline) {
  const bool by_grant = !query.grant_id.empty();
  std::vector<PgParam> params = {PgParam::Text(query.tenant_id), PgParam::Int(query.after_seq),
                                 PgParam::Int(int64_t{query.limit} + 1)};
  if (by_grant) params.push_back(PgParam::Text(query.grant_id));
  auto results =
      Read({Prepared(by_grant ? kListAuditOfGrant : kListAudit, std::move(params))}, deadline);
  if (!results.ok()) return results.status();
  const PgResult& rows = (*results)[0];
  AuditPage page;
  for (int row = 0; row < rows.rows(); ++row) {
    if (static_cast<int>(page.entries.size()) == query.limit) {
      page.more = true;
      break;
    }
    auto entry = AuditEntryFromRow(rows, row);
    if (!entry.ok()) return entry.status();
    page.entries.push_back(std::move(*entry));
  }
  return page;
}

absl::StatusOr<int64_t> PostgresBackend::PruneAuditEntries(absl::Time before, int max_entries,
                                                           absl::Time deadline) {
  if (max_entries < 1) return absl::InvalidArgumentError("max_entries must be at least 1");
  auto results = Read({Prepared(kPruneAudit, {PgParam::Int(absl::ToUnixMicros(before)),
                                              PgParam::Int(max_entries)})},
                      deadline);
  if (!results.ok()) return results.status();
  return (*results)[0].AffectedRows();
}

absl::StatusOr<PgSnapshot> PgSnapshot::Parse(absl::string_view text) {
  // "xmin:xmax:xip,xip,..." (pg_snapshot's text form).
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  PgSnapshot snapshot;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &snapshot.xmin) ||
      !absl::SimpleAtoi(parts[1], &snapshot.xmax)) {
    return absl::InternalError(absl::StrCat("unexpected snapshot from the server: ", text));
  }
  if (!parts[2].empty()) {
    for (absl::string_view xid : absl::StrSplit(parts[2], ',')) {
      uint64_t value = 0;
      if (!absl::SimpleAtoi(xid, &value)) {
        return absl::InternalError(absl::StrCat("unexpected snapshot from the server: ", text));
      }
      snapshot.xip.push_back(value);
    }
  }
  return snapshot;
}

bool PgSnapshot::Finished(uint64_t xid) const {
  if (xid < xmin) return true;
  if (xid >= xmax) return false;
  return std::find(xip.begin(), xip.end(), xid) == xip.end();
}

absl::StatusOr<PostgresBackend::Observation> PostgresBackend::Observe(absl::Time deadline) {
  Observation now;
  auto handed_out = Read({Prepared(kRevisionsHandedOut, {})}, deadline);
  if (!handed_out.ok()) return handed_out.status();
  now.handed_out = (*handed_out)[0].Int(0, 0);
  {
    absl::MutexLock lock(&watermark_mutex_);
    now.committed_through = committed_through_;
    if (now.handed_out <= committed_through_) return now;
  }
  // Something new since the mark. A transaction holding a revision up to
  // `handed_out` took its xid before that read, so below the xid this poll
  // takes now (its own, only as a bound: the poll writes nothing); the
  // snapshot then shows which xids below it were still running: its xip,
  // and everything from its xmax up (xmax is one past the latest completed
  // xid, not the next one to be assigned).
  auto results = Read({Prepared(kTakeXid, {}), Prepared(kSnapshot, {})}, deadline);
  if (!results.ok()) return results.status();
  PendingRevisions mine;
  mine.handed_out = now.handed_out;
  if (!absl::SimpleAtoi((*results)[0].Bytes(0, 0), &mine.bound_xid)) {
    return absl::InternalError("unexpected xid from the server");
  }
  auto snapshot = PgSnapshot::Parse((*results)[1].Bytes(0, 0));
  if (!snapshot.ok()) return snapshot.status();
  mine.snapshot = std::move(*snapshot);

  // Every transaction below the pending mark's bound that was running then
  // has finished by `later`.
  const auto settled = [](const PendingRevisions& pending, const PgSnapshot& later) {
    for (uint64_t xid : pending.snapshot.xip) {
      if (xid != pending.bound_xid && !later.Finished(xid)) return false;
    }
    if (later.xmax < pending.bound_xid) return false;
    for (uint64_t xid : later.xip) {
      if (xid >= pending.snapshot.xmax && xid < pending.bound_xid) return false;
    }
    return true;
  };
  absl::MutexLock lock(&watermark_mutex_);
  if (pending_.size() < kMaxPendingObservations) pending_.push_back(mine);
  for (const PendingRevisions& pending : pending_) {
    if (settled(pending, mine.snapshot)) {
      committed_through_ = std::max(committed_through_, pending.handed_out);
    }
  }
  const int64_t through = committed_through_;
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [through](const PendingRevisions& pending) {
                                  return pending.handed_out <= through;
                                }),
                 pending_.end());
  now.committed_through = committed_through_;
  return now;
}

absl::StatusOr<ChangeLogState> PostgresBackend::GetChangeLogState(absl::Time deadline) {
  auto observed = Observe(deadline);
  if (!observed.ok()) return observed.status();
  auto identity = Read({Prepared(kStoreIdentity, {})}, deadline);
  if (!identity.ok()) return identity.status();
  if ((*identity)[0].rows() != 1) return absl::DataLossError("store_identity must hold one row");
  ChangeLogState state;
  state.store_id = std::string((*identity)[0].Bytes(0, 0));
  state.oldest_resumable = (*identity)[0].Int(0, 1);
  state.revision = observed->committed_through;
  state.allocated = observed->handed_out;
  return state;
}

absl::StatusOr<ChangePage> PostgresBackend::ReadChanges(int64_t after_revision, int limit,
                                                        absl::Time deadline) {
  if (limit < 1) return absl::InvalidArgumentError("limit must be at least 1");
  auto observed = Observe(deadline);
  if (!observed.ok()) return observed.status();
  // The rows first, then the prune bound: a prune between the two shows in
  // the bound, never as a silent gap.
  auto results = Read({Prepared(kReadChanges, {PgParam::Int(after_revision),
                                               PgParam::Int(observed->committed_through),
                                               PgParam::Int(int64_t{limit} + 1)}),
                       Prepared(kStoreIdentity, {})},
                      deadline);
  if (!results.ok()) return results.status();
  const PgResult& rows = (*results)[0];
  const PgResult& identity = (*results)[1];
  if (identity.rows() != 1) return absl::DataLossError("store_identity must hold one row");
  if (absl::Status status =
          CheckResumable(after_revision, identity.Int(0, 1), observed->handed_out);
      !status.ok()) {
    return status;
  }
  ChangePage page;
  page.revision = std::max(after_revision, observed->committed_through);
  page.allocated = observed->handed_out;
  for (int row = 0; row < rows.rows(); ++row) {
    if (static_cast<int>(page.changes.size()) == limit) {
      page.more = true;
      page.revision = page.changes.back().revision();
      break;
    }
    auto change = ChangeFromRow(rows, row);
    if (!change.ok()) return change.status();
    page.changes.push_back(std::move(*change));
  }
  return page;
}

absl::StatusOr<int64_t> PostgresBackend::PruneChanges(absl::Time before, int64_t keep_revisions,
                                                      int max_changes, absl::Time deadline) {
  if (max_changes < 1) return absl::InvalidArgumentError("max_changes must be at least 1");
  if (keep_revisions < 0) return absl::InvalidArgumentError("keep_revisions must not be negative");
  auto observed = Observe(deadline);
  if (!observed.ok()) return observed.status();
  auto results = Read({Prepared(kPruneChanges, {PgParam::Int(absl::ToUnixMicros(before)),
                                                PgParam::Int(observed->handed_out - keep_revisions),
                                                PgParam::Int(max_changes),
                                                PgParam::Int(observed->committed_through)})},
                      deadline);
  if (!results.ok()) return results.status();
  return (*results)[0].Int(0, 0);
}

absl::StatusOr<LeaseState> PostgresBackend::AcquireLease(absl::string_view name,
                                                         absl::string_view holder,
                                                         absl::Duration ttl, absl::Time now,
                                                         absl::Time deadline) {
  return Write<LeaseState>(deadline, [&](Transaction& tx) -> absl::StatusOr<LeaseState> {
    auto results =
        tx.Commit({Prepared(kAcquireLease, {PgParam::Text(name), PgParam::Text(Storable(holder)),
                                            PgParam::Int(absl::ToUnixMicros(now + ttl)),
                                            PgParam::Int(absl::ToUnixMicros(now))}),
                   Prepared(kSelectLease, {PgParam::Text(name)})});
    if (!results.ok()) return results.status();
    const PgResult& rows = (*results)[1];
    if (rows.rows() == 0) return absl::InternalError("lease row missing after its upsert");
    LeaseState state;
    state.holder = std::string(rows.Bytes(0, 0));
    state.epoch = rows.Int(0, 1);
    state.expires_at = absl::FromUnixMicros(rows.Int(0, 2));
    state.granted = state.holder == holder && state.expires_at > now;
    return state;
  });
}

absl::StatusOr<ActiveAppPage> PostgresBackend::ListActiveApps(const ActiveAppsQuery& query,
                                                              absl::Time deadline) {
  auto results =
      Read({Prepared(kListActiveApps,
                     {PgParam::Text(query.after.tenant_id), PgParam::Text(query.after.client_id),
                      PgParam::Int(int64_t{query.limit} + 1), PgParam::Text(query.tenant_id),
                      PgParam::Int(v1::GRANT_STATE_ACTIVE)})},
           deadline);
  if (!results.ok()) return results.status();
  const PgResult& rows = (*results)[0];
  ActiveAppPage page;
  for (int row = 0; row < rows.rows(); ++row) {
    if (static_cast<int>(page.apps.size()) == query.limit) {
      page.more = true;
      break;
    }
    v1::ActiveApp app;
    app.set_tenant_id(std::string(rows.Bytes(row, 0)));
    app.set_client_id(std::string(rows.Bytes(row, 1)));
    app.set_active_grants(rows.Int(row, 2));
    if (!app.mutable_representative()->ParseFromString(std::string(rows.Bytes(row, 3)))) {
      return absl::DataLossError("stored grant does not parse");
    }
    page.apps.push_back(std::move(app));
  }
  return page;
}

absl::StatusOr<int64_t> PostgresBackend::PutSweepResults(const SweepWrite& write, absl::Time now,
                                                         absl::Time deadline) {
  return Write<int64_t>(deadline, [&](Transaction& tx) -> absl::StatusOr<int64_t> {
    // FOR SHARE: a takeover (which updates the row) waits for this write to
    // commit, and this write sees a takeover that committed first.
    auto lease = tx.Run({Prepared(kLockLease, {PgParam::Text(write.lease_name)})});
    if (!lease.ok()) return lease.status();
    const PgResult& rows = (*lease)[0];
    if (rows.rows() == 0 || rows.Bytes(0, 0) != write.holder || rows.Int(0, 1) != write.epoch ||
        absl::FromUnixMicros(rows.Int(0, 2)) <= now) {
      return absl::FailedPreconditionError(absl::StrCat(
          "lease ", write.lease_name, " is not held by ", write.holder, " at epoch ", write.epoch));
    }
    const int64_t pass_started_us = absl::ToUnixMicros(write.pass_started_at);
    std::vector<PgCommand> commands;
    for (const v1::SweepResult& result : write.results) {
      v1::SweepResult stored = result;
      stored.set_swept_by(write.holder);
      *stored.mutable_pass_started_at() = ToProto(write.pass_started_at);
      commands.push_back(Prepared(
          kUpsertSweepResult, {PgParam::Text(stored.tenant_id()), PgParam::Text(stored.client_id()),
                               PgParam::Int(stored.status()), PgParam::Int(pass_started_us),
                               PgParam::Bytes(stored.SerializeAsString())}));
    }
    if (write.pass_complete) {
      commands.push_back(Prepared(kRemoveOldSweepResults, {PgParam::Int(pass_started_us)}));
    }
    auto committed = tx.Commit(std::move(commands));
    if (!committed.ok()) return committed.status();
    return write.pass_complete ? committed->back().AffectedRows() : int64_t{0};
  });
}

absl::StatusOr<SweepResultPage> PostgresBackend::ListSweepResults(const SweepResultsQuery& query,
                                                                  absl::Time deadline) {
  auto results =
      Read({Prepared(kListSweepResults,
                     {PgParam::Text(query.after.tenant_id), PgParam::Text(query.after.client_id),
                      PgParam::Int(int64_t{query.limit} + 1), PgParam::Text(query.tenant_id),
                      PgParam::Int(query.at_risk_only ? 1 : 0),
                      PgParam::Int(v1::SWEEP_STATUS_WOULD_SUSPEND),
                      PgParam::Int(v1::SWEEP_STATUS_WILL_SUSPEND_SOON)})},
           deadline);
  if (!results.ok()) return results.status();
  const PgResult& rows = (*results)[0];
  SweepResultPage page;
  for (int row = 0; row < rows.rows(); ++row) {
    if (static_cast<int>(page.results.size()) == query.limit) {
      page.more = true;
      break;
    }
    v1::SweepResult result;
    if (!result.ParseFromString(std::string(rows.Bytes(row, 0)))) {
      return absl::DataLossError("stored sweep result does not parse");
    }
    page.results.push_back(std::move(result));
  }
  return page;
}

absl::Status PostgresBackend::CheckReachable(absl::Time deadline) {
  return Read({{"", "SELECT 1", {}}}, deadline).status();
}

absl::StatusOr<bool> PostgresBackend::ImportGrant(const Grant& grant, absl::Time deadline) {
  Grant row = grant;
  row.clear_suspension();
  // Revisions belong to the source database's change log, not this one's.
  row.clear_revision();
  const std::string suspension_id =
      grant.state() == v1::GRANT_STATE_SUSPENDED ? grant.suspension().suspension_id() : "";
  auto results =
      Read({Prepared(kImportGrant,
                     {PgParam::Text(grant.tenant_id()), PgParam::Text(grant.grant_id()),
                      PgParam::Text(grant.client_id()), PgParam::Int(grant.state()),
                      PgParam::Int(grant.version()),
                      PgParam::Int(TimeUtil::TimestampToMicroseconds(grant.created_at())),
                      PgParam::Int(TimeUtil::TimestampToMicroseconds(grant.updated_at())),
                      suspension_id.empty() ? PgParam::Null() : PgParam::Text(suspension_id),
                      PgParam::Bytes(row.SerializeAsString())})},
           deadline);
  if (!results.ok()) return results.status();
  return (*results)[0].AffectedRows() == 1;
}

absl::StatusOr<bool> PostgresBackend::ImportSuspension(const Suspension& suspension,
                                                       absl::Time deadline) {
  auto results =
      Read({Prepared(kImportSuspension,
                     {PgParam::Text(suspension.suspension_id()),
                      PgParam::Text(suspension.tenant_id()), PgParam::Text(suspension.grant_id()),
                      PgParam::Int(TimeUtil::TimestampToMicroseconds(suspension.suspended_at())),
                      PgParam::Bytes(suspension.SerializeAsString())})},
           deadline);
  if (!results.ok()) return results.status();
  return (*results)[0].AffectedRows() == 1;
}

}  // namespace apptrust::store
