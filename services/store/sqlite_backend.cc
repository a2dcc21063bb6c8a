#include "services/store/sqlite_backend.h"

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/store/change_log.h"
#include "services/store/sqlite_schema.h"

namespace apptrust::store {
namespace {

using apptrust::v1::Grant;
using apptrust::v1::GrantState;
using apptrust::v1::Suspension;
using google::protobuf::util::TimeUtil;

// Writes one leader commits at most: bounds how long the callers of a batch
// wait for its last write.

constexpr char kSelectGrant[] =
    "SELECT g.grant_proto, s.suspension_proto FROM grants g"
    " LEFT JOIN suspensions s ON s.suspension_id = g.suspension_id"
    " WHERE g.tenant_id = ?1 AND g.grant_id = ?2";
constexpr char kSelectGrantKeys[] =
    "SELECT state, version, created_at_us FROM grants WHERE tenant_id = ?1 AND grant_id = ?2";
constexpr char kUpsertGrant[] =
    "INSERT INTO grants (tenant_id, grant_id, client_id, state, version, created_at_us,"
    " updated_at_us, suspension_id, grant_proto) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)"
    " ON CONFLICT (tenant_id, grant_id) DO UPDATE SET client_id = excluded.client_id,"
    " state = excluded.state, version = excluded.version, updated_at_us = excluded.updated_at_us,"
    " suspension_id = NULL, grant_proto = excluded.grant_proto";
constexpr char kInsertSuspension[] =
    "INSERT INTO suspensions (suspension_id, tenant_id, grant_id, suspended_at_us,"
    " suspension_proto) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kSuspendGrant[] =
    "UPDATE grants SET state = ?3, version = ?4, updated_at_us = ?5, suspension_id = ?6,"
    " grant_proto = ?7 WHERE tenant_id = ?1 AND grant_id = ?2";
constexpr char kSelectSuspension[] =
    "SELECT suspension_proto FROM suspensions WHERE suspension_id = ?1";
constexpr char kDeleteSuspensions[] =
    "DELETE FROM suspensions WHERE tenant_id = ?1 AND grant_id = ?2";
constexpr char kDeleteGrant[] = "DELETE FROM grants WHERE tenant_id = ?1 AND grant_id = ?2";
constexpr char kListGrants[] =
    "SELECT g.grant_proto, s.suspension_proto FROM grants g"
    " LEFT JOIN suspensions s ON s.suspension_id = g.suspension_id"
    " WHERE g.tenant_id = ?1 AND g.grant_id > ?2 ORDER BY g.grant_id LIMIT ?3";
constexpr char kListGrantsOfClient[] =
    "SELECT g.grant_proto, s.suspension_proto FROM grants g"
    " LEFT JOIN suspensions s ON s.suspension_id = g.suspension_id"
    " WHERE g.tenant_id = ?1 AND g.client_id = ?4 AND g.grant_id > ?2"
    " ORDER BY g.grant_id LIMIT ?3";
constexpr char kCountGrants[] = "SELECT state, COUNT(*) FROM grants GROUP BY state";
// What an audit entry needs of a grant before the change.
constexpr char kSelectGrantAuditKeys[] =
    "SELECT client_id, state, version, suspension_id FROM grants"
    " WHERE tenant_id = ?1 AND grant_id = ?2";
constexpr char kInsertAuditEntry[] =
    "INSERT INTO audit_log (time_us, tenant_id, grant_id, client_id, action, caller,"
    " version_before, version_after, state_before, state_after, suspension_id, request_id,"
    " details_proto) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
constexpr char kAuditColumns[] =
    "SELECT seq, time_us, tenant_id, grant_id, client_id, action, caller, version_before,"
    " version_after, state_before, state_after, suspension_id, request_id, details_proto"
    " FROM audit_log";
// The oldest first, so an interrupted sweep leaves no hole in what is kept.
constexpr char kPruneAuditEntries[] =
    "DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE time_us < ?1"
    " ORDER BY time_us, seq LIMIT ?2)";

// The change log (grant_changes): the next revision is one above the highest
// ever handed out (sqlite_sequence survives pruning). The writer is single,
// so revisions commit in order.
constexpr char kNextRevision[] =
    "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'grant_changes'), 0) + 1";
constexpr char kInsertChange[] =
    "INSERT INTO grant_changes (revision, time_us, tenant_id, grant_id, grant_proto)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kReadChanges[] =
    "SELECT revision, time_us, tenant_id, grant_id, grant_proto FROM grant_changes"
    " WHERE revision > ?1 ORDER BY revision LIMIT ?2";
constexpr char kChangeLogState[] =
    "SELECT store_id, pruned_through,"
    " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'grant_changes'), 0)"
    " FROM store_identity";
// The oldest first; pruned_through then says where a reader may resume.
constexpr char kPruneChanges[] =
    "DELETE FROM grant_changes WHERE revision IN (SELECT revision FROM grant_changes"
    " WHERE time_us < ?1 OR revision <= ?2 ORDER BY revision LIMIT ?3) RETURNING revision";
constexpr char kSetPrunedThrough[] =
    "UPDATE store_identity SET pruned_through = MAX(pruned_through, ?1)";

// The sweep. A lease is taken when free, expired, or renewed by its holder;
// the epoch moves on whenever the holding changes.
constexpr char kAcquireLease[] =
    "INSERT INTO leases (name, holder, epoch, expires_at_us) VALUES (?1, ?2, 1, ?3)"
    " ON CONFLICT (name) DO UPDATE SET"
    " epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_at_us > ?4"
    " THEN leases.epoch ELSE leases.epoch + 1 END,"
    " holder = excluded.holder, expires_at_us = excluded.expires_at_us"
    " WHERE leases.holder = excluded.holder OR leases.expires_at_us <= ?4";
constexpr char kSelectLease[] = "SELECT holder, epoch, expires_at_us FROM leases WHERE name = ?1";
// SQLite takes the bare grant_proto from the row that gave MAX().
constexpr char kListActiveApps[] =
    "SELECT tenant_id, client_id, COUNT(*), MAX(updated_at_us), grant_proto FROM grants"
    " WHERE state = ?5 AND (tenant_id, client_id) > (?1, ?2) AND (?4 = '' OR tenant_id = ?4)"
    " GROUP BY tenant_id, client_id ORDER BY tenant_id, client_id LIMIT ?3";
constexpr char kUpsertSweepResult[] =
    "INSERT OR REPLACE INTO sweep_results (tenant_id, client_id, status, pass_started_at_us,"
    " result_proto) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kRemoveOldSweepResults[] = "DELETE FROM sweep_results WHERE pass_started_at_us < ?1";
constexpr char kListSweepResults[] =
    "SELECT result_proto FROM sweep_results WHERE (tenant_id, client_id) > (?1, ?2)"
    " AND (?4 = '' OR tenant_id = ?4) AND (?5 = 0 OR status IN (?6, ?7))"
    " ORDER BY tenant_id, client_id LIMIT ?3";

// A grant as an audit entry sees it before a change.
struct AuditGrantKeys {
  std::string client_id;
  GrantState state = v1::GRANT_STATE_UNSPECIFIED;
  int64_t version = 0;
  std::string suspension_id;
};

// The grant's audit keys, or nullopt when the tenant has no such grant.
absl::StatusOr<std::optional<AuditGrantKeys>> SelectAuditKeys(SqliteConnection& db,
                                                              absl::string_view tenant_id,
                                                              absl::string_view grant_id) {
  auto select = db.Prepare(kSelectGrantAuditKeys);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, tenant_id);
  (*select)->BindText(2, grant_id);
  auto row = (*select)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  AuditGrantKeys keys;
  keys.client_id = (*select)->ColumnText(0);
  keys.state = static_cast<GrantState>((*select)->ColumnInt(1));
  keys.version = (*select)->ColumnInt(2);
  if (!(*select)->ColumnIsNull(3)) keys.suspension_id = (*select)->ColumnText(3);
  return keys;
}

// Appends `entry` (its seq is assigned here) on `db`, inside the caller's
// transaction: the entry commits or rolls back with the change it records.
absl::Status AppendAuditEntry(SqliteConnection& db, const v1::AuditEntry& entry,
                              const AuditContext& audit) {
  v1::AuditEntry details;
  details.set_reason(entry.reason());
  *details.mutable_findings() = entry.findings();
  auto insert = db.Prepare(kInsertAuditEntry);
  if (!insert.ok()) return insert.status();
  (*insert)->BindInt(1, TimeUtil::TimestampToMicroseconds(entry.time()));
  (*insert)->BindText(2, entry.tenant_id());
  (*insert)->BindText(3, entry.grant_id());
  (*insert)->BindText(4, entry.client_id());
  (*insert)->BindInt(5, entry.action());
  (*insert)->BindText(6, audit.caller);
  (*insert)->BindInt(7, entry.version_before());
  (*insert)->BindInt(8, entry.version_after());
  (*insert)->BindInt(9, entry.state_before());
  (*insert)->BindInt(10, entry.state_after());
  if (entry.suspension_id().empty()) {
    (*insert)->BindNull(11);
  } else {
    (*insert)->BindText(11, entry.suspension_id());
  }
  if (audit.request_id.empty()) {
    (*insert)->BindNull(12);
  } else {
    (*insert)->BindText(12, audit.request_id);
  }
  (*insert)->BindBlob(13, details.SerializeAsString());
  return (*insert)->Run();
}

absl::StatusOr<int64_t> NextRevision(SqliteConnection& db) { return db.QueryInt(kNextRevision); }

// Appends the change at `revision` inside the caller's transaction; `grant`
// is the grant after it (null: deleted).
absl::Status AppendChange(SqliteConnection& db, int64_t revision, absl::Time now,
                          absl::string_view tenant_id, absl::string_view grant_id,
                          const Grant* grant) {
  auto insert = db.Prepare(kInsertChange);
  if (!insert.ok()) return insert.status();
  (*insert)->BindInt(1, revision);
  (*insert)->BindInt(2, absl::ToUnixMicros(now));
  (*insert)->BindText(3, tenant_id);
  (*insert)->BindText(4, grant_id);
  if (grant == nullptr) {
    (*insert)->BindNull(5);
  } else {
    (*insert)->BindBlob(5, grant->SerializeAsString());
  }
  return (*insert)->Run();
}

// Reads a row of kReadChanges.
absl::StatusOr<v1::GrantChange> ChangeFromRow(const Statement& row) {
  v1::GrantChange change;
  change.set_revision(row.ColumnInt(0));
  *change.mutable_time() = TimeUtil::MicrosecondsToTimestamp(row.ColumnInt(1));
  change.set_tenant_id(row.ColumnText(2));
  change.set_grant_id(row.ColumnText(3));
  if (row.ColumnIsNull(4)) {
    change.set_deleted(true);
  } else if (!change.mutable_grant()->ParseFromString(std::string(row.ColumnBlob(4)))) {
    return absl::DataLossError("stored change does not parse");
  }
  return change;
}

// Reads a row of kAuditColumns.
absl::StatusOr<v1::AuditEntry> AuditEntryFromRow(const Statement& row) {
  v1::AuditEntry entry;
  if (!entry.ParseFromString(std::string(row.ColumnBlob(13)))) {
    return absl::DataLossError("stored audit entry does not parse");
  }
  entry.set_seq(row.ColumnInt(0));
  *entry.mutable_time() = TimeUtil::MicrosecondsToTimestamp(row.ColumnInt(1));
  entry.set_tenant_id(row.ColumnText(2));
  entry.set_grant_id(row.ColumnText(3));
  entry.set_client_id(row.ColumnText(4));
  entry.set_action(static_cast<v1::AuditAction>(row.ColumnInt(5)));
  entry.set_caller(row.ColumnText(6));
  entry.set_version_before(row.ColumnInt(7));
  entry.set_version_after(row.ColumnInt(8));
  entry.set_state_before(static_cast<GrantState>(row.ColumnInt(9)));
  entry.set_state_after(static_cast<GrantState>(row.ColumnInt(10)));
  if (!row.ColumnIsNull(11)) entry.set_suspension_id(row.ColumnText(11));
  if (!row.ColumnIsNull(12)) entry.set_request_id(row.ColumnText(12));
  return entry;
}

google::protobuf::Timestamp ToProto(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

// Reads a (grant_proto, suspension_proto) row: the grant with its suspension.
absl::StatusOr<Grant> GrantFromRow(const Statement& row) {
  Grant grant;
  if (!grant.ParseFromString(std::string(row.ColumnBlob(0)))) {
    return absl::DataLossError("stored grant does not parse");
  }
  if (!row.ColumnIsNull(1)) {
    if (!grant.mutable_suspension()->ParseFromString(std::string(row.ColumnBlob(1)))) {
      return absl::DataLossError("stored suspension does not parse");
    }
  }
  return grant;
}

absl::StatusOr<Grant> SelectGrant(SqliteConnection& connection, absl::string_view tenant_id,
                                  absl::string_view grant_id) {
  auto select = connection.Prepare(kSelectGrant);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, tenant_id);
  (*select)->BindText(2, grant_id);
  auto row = (*select)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("grant ", grant_id, " not found"));
  return GrantFromRow(**select);
}

// Makes `path`'s directory, so that a fresh deployment needs no setup step.
absl::Status CreateParentDirectory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return absl::OkStatus();
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create directory ", parent.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

// Names the file in an error from opening it.
absl::Status About(const std::string& path, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kDataLoss) {
    return absl::DataLossError(
        absl::StrCat(path, " is not an SQLite database (or is corrupt): ", status.message()));
  }
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

}  // namespace

// A reader connection borrowed from the pool, returned when the lease ends.
class SqliteBackend::ReaderLease {
 public:
  static absl::StatusOr<ReaderLease> Take(SqliteBackend* backend) {
    auto reader = backend->TakeReader();
    if (!reader.ok()) return reader.status();
    return ReaderLease(backend, std::move(*reader));
  }
  ReaderLease(ReaderLease&& other) = default;
  ~ReaderLease() {
    if (reader_ != nullptr) backend_->ReturnReader(std::move(reader_));
  }
  SqliteConnection& operator*() { return *reader_; }

 private:
  ReaderLease(SqliteBackend* backend, std::unique_ptr<SqliteConnection> reader)
      : backend_(backend), reader_(std::move(reader)) {}
  SqliteBackend* backend_;
  std::unique_ptr<SqliteConnection> reader_;
};

absl::StatusOr<std::unique_ptr<SqliteBackend>> SqliteBackend::Open(const std::string& path,
                                                                   SqliteOptions options) {
  if (path.empty()) return absl::InvalidArgumentError("the database path is empty");
  if (absl::Status status = CreateParentDirectory(path); !status.ok()) return status;

  auto writer = SqliteConnection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                       options.busy_timeout);
  if (!writer.ok()) return About(path, writer.status());
  // SQLite silently falls back to read-only when the file is write-protected.
  if ((*writer)->read_only()) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not writable"));
  }
  // The first statement reads the header: a file that is not a database fails
  // here with NOTADB.
  auto journal_mode = (*writer)->QueryText("PRAGMA journal_mode = WAL");
  if (!journal_mode.ok()) return About(path, journal_mode.status());
  if (absl::AsciiStrToLower(*journal_mode) != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot switch to WAL mode (journal_mode is ", *journal_mode,
                     "); is its directory writable?"));
  }
  if (absl::Status status = (*writer)->Exec("PRAGMA synchronous = FULL"); !status.ok()) {
    return About(path, status);
  }
  if (absl::Status status = Migrate(**writer); !status.ok()) return About(path, status);

  auto backend =
      std::unique_ptr<SqliteBackend>(new SqliteBackend(path, options, std::move(*writer)));
  // Fail at start-up, not at the first read, when readers cannot open.
  auto reader = backend->TakeReader();
  if (!reader.ok()) return About(path, reader.status());
  backend->ReturnReader(std::move(*reader));
  return backend;
}

SqliteBackend::SqliteBackend(std::string path, SqliteOptions options,
                             std::unique_ptr<SqliteConnection> writer)
    : path_(std::move(path)), options_(options), writer_(std::move(writer), options_.on_commit) {}

SqliteBackend::~SqliteBackend() = default;

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteBackend::OpenReader() {
  auto reader = SqliteConnection::Open(path_, SQLITE_OPEN_READWRITE, options_.busy_timeout);
  if (!reader.ok()) return reader.status();
  if (absl::Status status = (*reader)->Exec("PRAGMA query_only = ON"); !status.ok()) {
    return status;
  }
  return reader;
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteBackend::TakeReader() {
  {
    absl::MutexLock lock(&readers_mutex_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<SqliteConnection> reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
  }
  return OpenReader();
}

void SqliteBackend::ReturnReader(std::unique_ptr<SqliteConnection> reader) {
  absl::MutexLock lock(&readers_mutex_);
  if (static_cast<int>(idle_readers_.size()) < options_.max_idle_readers) {
    idle_readers_.push_back(std::move(reader));
  }
}

SqliteWriteStats SqliteBackend::write_stats() const { return writer_.stats(); }

absl::StatusOr<PutGrantResult> SqliteBackend::PutGrant(const Grant& grant, absl::Time now,
                                                       const AuditContext& audit, absl::Time) {
  return writer_.Transaction([&](SqliteConnection& db) -> absl::StatusOr<PutGrantResult> {
    auto before = SelectAuditKeys(db, grant.tenant_id(), grant.grant_id());
    if (!before.ok()) return before.status();
    PutGrantResult result;
    result.grant = grant;
    Grant& stored = result.grant;
    stored.clear_suspension();
    stored.set_state(v1::GRANT_STATE_ACTIVE);
    *stored.mutable_updated_at() = ToProto(now);
    int64_t created_at_us = absl::ToUnixMicros(now);
    int64_t version = 1;
    {
      auto keys = db.Prepare(kSelectGrantKeys);
      if (!keys.ok()) return keys.status();
      (*keys)->BindText(1, grant.tenant_id());
      (*keys)->BindText(2, grant.grant_id());
      auto row = (*keys)->Step();
      if (!row.ok()) return row.status();
      if (*row) {
        result.previous_state = static_cast<GrantState>((*keys)->ColumnInt(0));
        version = (*keys)->ColumnInt(1) + 1;
        created_at_us = (*keys)->ColumnInt(2);
      }
    }
    stored.set_version(version);
    *stored.mutable_created_at() = TimeUtil::MicrosecondsToTimestamp(created_at_us);
    auto revision = NextRevision(db);
    if (!revision.ok()) return revision.status();
    stored.set_revision(*revision);

    auto upsert = db.Prepare(kUpsertGrant);
    if (!upsert.ok()) return upsert.status();
    (*upsert)->BindText(1, stored.tenant_id());
    (*upsert)->BindText(2, stored.grant_id());
    (*upsert)->BindText(3, stored.client_id());
    (*upsert)->BindInt(4, stored.state());
    (*upsert)->BindInt(5, stored.version());
    (*upsert)->BindInt(6, created_at_us);
    (*upsert)->BindInt(7, absl::ToUnixMicros(now));
    (*upsert)->BindBlob(8, stored.SerializeAsString());
    if (absl::Status status = (*upsert)->Run(); !status.ok()) return status;

    v1::AuditEntry entry;
    *entry.mutable_time() = ToProto(now);
    entry.set_tenant_id(stored.tenant_id());
    entry.set_grant_id(stored.grant_id());
    entry.set_client_id(stored.client_id());
    entry.set_action(before->has_value() ? v1::AUDIT_ACTION_REAPPROVED : v1::AUDIT_ACTION_ENROLLED);
    if (before->has_value()) {
      entry.set_version_before((*before)->version);
      entry.set_state_before((*before)->state);
      // Re-approval ends the suspension, if any: say which.
      entry.set_suspension_id((*before)->suspension_id);
    }
    entry.set_version_after(stored.version());
    entry.set_state_after(stored.state());
    if (absl::Status status = AppendAuditEntry(db, entry, audit); !status.ok()) return status;
    if (absl::Status status =
            AppendChange(db, *revision, now, stored.tenant_id(), stored.grant_id(), &stored);
        !status.ok()) {
      return status;
    }
    return result;
  });
}

absl::StatusOr<Grant> SqliteBackend::GetGrant(absl::string_view tenant_id,
                                              absl::string_view grant_id, absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  return SelectGrant(**reader, tenant_id, grant_id);
}

absl::StatusOr<std::vector<absl::StatusOr<Grant>>> SqliteBackend::GetGrants(
    const std::vector<GrantKey>& keys, absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  std::vector<absl::StatusOr<Grant>> grants;
  grants.reserve(keys.size());
  for (const GrantKey& key : keys) {
    auto grant = SelectGrant(**reader, key.tenant_id, key.grant_id);
    if (!grant.ok() && grant.status().code() != absl::StatusCode::kNotFound) {
      return grant.status();
    }
    grants.push_back(std::move(grant));
  }
  return grants;
}

absl::StatusOr<SuspendGrantResult> SqliteBackend::SuspendGrant(
    absl::string_view tenant_id, absl::string_view grant_id, int64_t expected_version,
    const Suspension& suspension, absl::Time now, const AuditContext& audit, absl::Time) {
  return writer_.Transaction([&](SqliteConnection& db) -> absl::StatusOr<SuspendGrantResult> {
    auto current = SelectGrant(db, tenant_id, grant_id);
    if (!current.ok()) return current.status();
    SuspendGrantResult result;
    if (current->state() == v1::GRANT_STATE_SUSPENDED) {
      // Another caller won: its suspension stands, whatever this one asked.
      result.grant = std::move(*current);
      return result;
    }
    if (current->version() != expected_version) {
      return absl::FailedPreconditionError(
          absl::StrCat("grant ", grant_id, " is at version ", current->version(),
                       ", not expected_version ", expected_version));
    }
    Suspension stored_suspension = suspension;
    stored_suspension.set_tenant_id(std::string(tenant_id));
    stored_suspension.set_grant_id(std::string(grant_id));
    stored_suspension.set_client_id(current->client_id());

    auto insert = db.Prepare(kInsertSuspension);
    if (!insert.ok()) return insert.status();
    (*insert)->BindText(1, stored_suspension.suspension_id());
    (*insert)->BindText(2, tenant_id);
    (*insert)->BindText(3, grant_id);
    (*insert)->BindInt(4, TimeUtil::TimestampToMicroseconds(stored_suspension.suspended_at()));
    (*insert)->BindBlob(5, stored_suspension.SerializeAsString());
    if (absl::Status status = (*insert)->Run(); !status.ok()) {
      if (status.code() == absl::StatusCode::kAlreadyExists) {
        return absl::InvalidArgumentError(
            "suspension.suspension_id: already used by another suspension");
      }
      return status;
    }

    Grant& stored = result.grant;
    stored = std::move(*current);
    stored.clear_suspension();
    stored.set_state(v1::GRANT_STATE_SUSPENDED);
    stored.set_version(expected_version + 1);
    *stored.mutable_updated_at() = ToProto(now);
    auto revision = NextRevision(db);
    if (!revision.ok()) return revision.status();
    stored.set_revision(*revision);
    auto update = db.Prepare(kSuspendGrant);
    if (!update.ok()) return update.status();
    (*update)->BindText(1, tenant_id);
    (*update)->BindText(2, grant_id);
    (*update)->BindInt(3, stored.state());
    (*update)->BindInt(4, stored.version());
    (*update)->BindInt(5, absl::ToUnixMicros(now));
    (*update)->BindText(6, stored_suspension.suspension_id());
    (*update)->BindBlob(7, stored.SerializeAsString());
    if (absl::Status status = (*update)->Run(); !status.ok()) return status;

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
    if (absl::Status status = AppendAuditEntry(db, entry, audit); !status.ok()) return status;
    *stored.mutable_suspension() = std::move(stored_suspension);
    if (absl::Status status = AppendChange(db, *revision, now, tenant_id, grant_id, &stored);
        !status.ok()) {
      return status;
    }
    result.newly_suspended = true;
    return result;
  });
}

absl::StatusOr<Suspension> SqliteBackend::GetSuspension(absl::string_view suspension_id,
                                                        absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  auto select = (**reader).Prepare(kSelectSuspension);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, suspension_id);
  auto row = (*select)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("suspension ", suspension_id, " not found"));
  Suspension suspension;
  if (!suspension.ParseFromString(std::string((*select)->ColumnBlob(0)))) {
    return absl::DataLossError("stored suspension does not parse");
  }
  return suspension;
}

absl::StatusOr<DeleteGrantResult> SqliteBackend::DeleteGrant(absl::string_view tenant_id,
                                                             absl::string_view grant_id,
                                                             absl::Time now,
                                                             const AuditContext& audit,
                                                             absl::Time) {
  return writer_.Transaction([&](SqliteConnection& db) -> absl::StatusOr<DeleteGrantResult> {
    DeleteGrantResult result;
    GrantState& previous = result.previous_state;
    {
      auto keys = db.Prepare(kSelectGrantKeys);
      if (!keys.ok()) return keys.status();
      (*keys)->BindText(1, tenant_id);
      (*keys)->BindText(2, grant_id);
      auto row = (*keys)->Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::NotFoundError(absl::StrCat("grant ", grant_id, " not found"));
      previous = static_cast<GrantState>((*keys)->ColumnInt(0));
    }
    auto before = SelectAuditKeys(db, tenant_id, grant_id);
    if (!before.ok()) return before.status();
    if (!before->has_value()) return absl::InternalError("grant vanished inside its transaction");
    for (const char* sql : {kDeleteSuspensions, kDeleteGrant}) {
      auto remove = db.Prepare(sql);
      if (!remove.ok()) return remove.status();
      (*remove)->BindText(1, tenant_id);
      (*remove)->BindText(2, grant_id);
      if (absl::Status status = (*remove)->Run(); !status.ok()) return status;
    }
    v1::AuditEntry entry;
    *entry.mutable_time() = ToProto(now);
    entry.set_tenant_id(std::string(tenant_id));
    entry.set_grant_id(std::string(grant_id));
    entry.set_client_id((*before)->client_id);
    entry.set_action(v1::AUDIT_ACTION_DELETED);
    entry.set_version_before((*before)->version);
    entry.set_state_before((*before)->state);
    entry.set_suspension_id((*before)->suspension_id);
    if (absl::Status status = AppendAuditEntry(db, entry, audit); !status.ok()) return status;
    auto revision = NextRevision(db);
    if (!revision.ok()) return revision.status();
    result.revision = *revision;
    if (absl::Status status = AppendChange(db, *revision, now, tenant_id, grant_id, nullptr);
        !status.ok()) {
      return status;
    }
    return result;
  });
}

absl::StatusOr<GrantPage> SqliteBackend::ListGrants(const ListGrantsQuery& query, absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  const bool by_client = !query.client_id.empty();
  auto select = (**reader).Prepare(by_client ? kListGrantsOfClient : kListGrants);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, query.tenant_id);
  (*select)->BindText(2, query.after_grant_id);
  // One row more than asked tells whether another page follows.
  (*select)->BindInt(3, int64_t{query.limit} + 1);
  if (by_client) (*select)->BindText(4, query.client_id);
  GrantPage page;
  while (true) {
    auto row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.grants.size()) == query.limit) {
      page.more = true;
      break;
    }
    auto grant = GrantFromRow(**select);
    if (!grant.ok()) return grant.status();
    page.grants.push_back(std::move(*grant));
  }
  return page;
}

absl::StatusOr<GrantCounts> SqliteBackend::CountGrants(absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  auto select = (**reader).Prepare(kCountGrants);
  if (!select.ok()) return select.status();
  GrantCounts counts;
  while (true) {
    auto row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const int64_t state = (*select)->ColumnInt(0);
    if (state == v1::GRANT_STATE_ACTIVE) counts.active = (*select)->ColumnInt(1);
    if (state == v1::GRANT_STATE_SUSPENDED) counts.suspended = (*select)->ColumnInt(1);
  }
  return counts;
}

absl::StatusOr<AuditPage> SqliteBackend::ListAuditEntries(const AuditQuery& query, absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  const bool by_grant = !query.grant_id.empty();
  const std::string sql =
      absl::StrCat(kAuditColumns, " WHERE tenant_id = ?1 AND seq > ?2",
                   by_grant ? " AND grant_id = ?4" : "", " ORDER BY seq LIMIT ?3");
  auto select = (**reader).Prepare(sql);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, query.tenant_id);
  (*select)->BindInt(2, query.after_seq);
  // One row more than asked tells whether another page follows.
  (*select)->BindInt(3, int64_t{query.limit} + 1);
  if (by_grant) (*select)->BindText(4, query.grant_id);
  AuditPage page;
  while (true) {
    auto row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.entries.size()) == query.limit) {
      page.more = true;
      break;
    }
    auto entry = AuditEntryFromRow(**select);
    if (!entry.ok()) return entry.status();
    page.entries.push_back(std::move(*entry));
  }
  return page;
}

absl::StatusOr<int64_t> SqliteBackend::PruneAuditEntries(absl::Time before, int max_entries,
                                                         absl::Time) {
  if (max_entries < 1) return absl::InvalidArgumentError("max_entries must be at least 1");
  // Through the writer's queue like any write: the sweep never contends for
  // SQLite's lock with the grant writes, and waits its turn behind them.
  return writer_.Transaction([&](SqliteConnection& db) -> absl::StatusOr<int64_t> {
    auto prune = db.Prepare(kPruneAuditEntries);
    if (!prune.ok()) return prune.status();
    (*prune)->BindInt(1, absl::ToUnixMicros(before));
    (*prune)->BindInt(2, max_entries);
    if (absl::Status status = (*prune)->Run(); !status.ok()) return status;
    return db.changes();
  });
}

absl::StatusOr<ChangeLogState> SqliteBackend::GetChangeLogState(absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  auto select = (**reader).Prepare(kChangeLogState);
  if (!select.ok()) return select.status();
  auto row = (*select)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::DataLossError("the database has no store_identity row");
  ChangeLogState state;
  state.store_id = (*select)->ColumnText(0);
  state.oldest_resumable = (*select)->ColumnInt(1);
  // One writer, committing in revision order: everything handed out and
  // visible here has committed.
  state.revision = (*select)->ColumnInt(2);
  state.allocated = state.revision;
  return state;
}

absl::StatusOr<ChangePage> SqliteBackend::ReadChanges(int64_t after_revision, int limit,
                                                      absl::Time) {
  if (limit < 1) return absl::InvalidArgumentError("limit must be at least 1");
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  // One read transaction: the rows and the bounds agree.
  if (absl::Status status = (**reader).Exec("BEGIN"); !status.ok()) return status;
  struct EndRead {
    SqliteConnection& db;
    ~EndRead() { (void)db.Exec("COMMIT"); }
  } end_read{**reader};
  auto select = (**reader).Prepare(kChangeLogState);
  if (!select.ok()) return select.status();
  auto row = (*select)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::DataLossError("the database has no store_identity row");
  const int64_t pruned_through = (*select)->ColumnInt(1);
  const int64_t current = (*select)->ColumnInt(2);
  if (absl::Status status = CheckResumable(after_revision, pruned_through, current); !status.ok()) {
    return status;
  }
  auto changes = (**reader).Prepare(kReadChanges);
  if (!changes.ok()) return changes.status();
  (*changes)->BindInt(1, after_revision);
  (*changes)->BindInt(2, int64_t{limit} + 1);
  ChangePage page;
  page.revision = current;
  page.allocated = current;
  while (true) {
    auto next = (*changes)->Step();
    if (!next.ok()) return next.status();
    if (!*next) break;
    if (static_cast<int>(page.changes.size()) == limit) {
      page.more = true;
      page.revision = page.changes.back().revision();
      break;
    }
    auto change = ChangeFromRow(**changes);
    if (!change.ok()) return change.status();
    page.changes.push_back(std::move(*change));
  }
  return page;
}

absl::StatusOr<int64_t> SqliteBackend::PruneChanges(absl::Time before, int64_t keep_revisions,
                                                    int max_changes, absl::Time) {
  if (max_changes < 1) return absl::InvalidArgumentError("max_changes must be at least 1");
  if (keep_revisions < 0) return absl::InvalidArgumentError("keep_revisions must not be negative");
  return writer_.Transaction([&](SqliteConnection& db) -> absl::StatusOr<int64_t> {
    auto newest = db.QueryInt(kNextRevision);
    if (!newest.ok()) return newest.status();
    auto prune = db.Prepare(kPruneChanges);
    if (!prune.ok()) return prune.status();
    (*prune)->BindInt(1, absl::ToUnixMicros(before));
    (*prune)->BindInt(2, *newest - 1 - keep_revisions);
    (*prune)->BindInt(3, max_changes);
    int64_t removed = 0;
    int64_t highest = 0;
    while (true) {
      auto row = (*prune)->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      ++removed;
      highest = std::max(highest, (*prune)->ColumnInt(0));
    }
    if (removed == 0) return removed;
    auto mark = db.Prepare(kSetPrunedThrough);
    if (!mark.ok()) return mark.status();
    (*mark)->BindInt(1, highest);
    if (absl::Status status = (*mark)->Run(); !status.ok()) return status;
    return removed;
  });
}

absl::StatusOr<LeaseState> SqliteBackend::AcquireLease(absl::string_view name,
                                                       absl::string_view holder, absl::Duration ttl,
                                                       absl::Time now, absl::Time) {
  return writer_.Transaction([&](SqliteConnection& db) -> absl::StatusOr<LeaseState> {
    auto acquire = db.Prepare(kAcquireLease);
    if (!acquire.ok()) return acquire.status();
    (*acquire)->BindText(1, name);
    (*acquire)->BindText(2, holder);
    (*acquire)->BindInt(3, absl::ToUnixMicros(now + ttl));
    (*acquire)->BindInt(4, absl::ToUnixMicros(now));
    if (absl::Status status = (*acquire)->Run(); !status.ok()) return status;
    auto select = db.Prepare(kSelectLease);
    if (!select.ok()) return select.status();
    (*select)->BindText(1, name);
    auto row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::InternalError("lease row missing after its upsert");
    LeaseState state;
    state.holder = (*select)->ColumnText(0);
    state.epoch = (*select)->ColumnInt(1);
    state.expires_at = absl::FromUnixMicros((*select)->ColumnInt(2));
    state.granted = state.holder == holder && state.expires_at > now;
    return state;
  });
}

absl::StatusOr<ActiveAppPage> SqliteBackend::ListActiveApps(const ActiveAppsQuery& query,
                                                            absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  auto select = (**reader).Prepare(kListActiveApps);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, query.after.tenant_id);
  (*select)->BindText(2, query.after.client_id);
  (*select)->BindInt(3, int64_t{query.limit} + 1);
  (*select)->BindText(4, query.tenant_id);
  (*select)->BindInt(5, v1::GRANT_STATE_ACTIVE);
  ActiveAppPage page;
  while (true) {
    auto row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.apps.size()) == query.limit) {
      page.more = true;
      break;
    }
    v1::ActiveApp app;
    app.set_tenant_id((*select)->ColumnText(0));
    app.set_client_id((*select)->ColumnText(1));
    app.set_active_grants((*select)->ColumnInt(2));
    if (!app.mutable_representative()->ParseFromString(std::string((*select)->ColumnBlob(4)))) {
      return absl::DataLossError("stored grant does not parse");
    }
    page.apps.push_back(std::move(app));
  }
  return page;
}

absl::StatusOr<int64_t> SqliteBackend::PutSweepResults(const SweepWrite& write, absl::Time now,
                                                       absl::Time) {
  return writer_.Transaction([&](SqliteConnection& db) -> absl::StatusOr<int64_t> {
    auto lease = db.Prepare(kSelectLease);
    if (!lease.ok()) return lease.status();
    (*lease)->BindText(1, write.lease_name);
    auto row = (*lease)->Step();
    if (!row.ok()) return row.status();
    if (!*row || (*lease)->ColumnText(0) != write.holder || (*lease)->ColumnInt(1) != write.epoch ||
        absl::FromUnixMicros((*lease)->ColumnInt(2)) <= now) {
      return absl::FailedPreconditionError(absl::StrCat(
          "lease ", write.lease_name, " is not held by ", write.holder, " at epoch ", write.epoch));
    }
    const int64_t pass_started_us = absl::ToUnixMicros(write.pass_started_at);
    for (const v1::SweepResult& result : write.results) {
      v1::SweepResult stored = result;
      stored.set_swept_by(write.holder);
      *stored.mutable_pass_started_at() = ToProto(write.pass_started_at);
      auto upsert = db.Prepare(kUpsertSweepResult);
      if (!upsert.ok()) return upsert.status();
      (*upsert)->BindText(1, stored.tenant_id());
      (*upsert)->BindText(2, stored.client_id());
      (*upsert)->BindInt(3, stored.status());
      (*upsert)->BindInt(4, pass_started_us);
      (*upsert)->BindBlob(5, stored.SerializeAsString());
      if (absl::Status status = (*upsert)->Run(); !status.ok()) return status;
    }
    if (!write.pass_complete) return int64_t{0};
    auto remove = db.Prepare(kRemoveOldSweepResults);
    if (!remove.ok()) return remove.status();
    (*remove)->BindInt(1, pass_started_us);
    if (absl::Status status = (*remove)->Run(); !status.ok()) return status;
    return db.changes();
  });
}

absl::StatusOr<SweepResultPage> SqliteBackend::ListSweepResults(const SweepResultsQuery& query,
                                                                absl::Time) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  auto select = (**reader).Prepare(kListSweepResults);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, query.after.tenant_id);
  (*select)->BindText(2, query.after.client_id);
  (*select)->BindInt(3, int64_t{query.limit} + 1);
  (*select)->BindText(4, query.tenant_id);
  (*select)->BindInt(5, query.at_risk_only ? 1 : 0);
  (*select)->BindInt(6, v1::SWEEP_STATUS_WOULD_SUSPEND);
  (*select)->BindInt(7, v1::SWEEP_STATUS_WILL_SUSPEND_SOON);
  SweepResultPage page;
  while (true) {
    auto row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.results.size()) == query.limit) {
      page.more = true;
      break;
    }
    v1::SweepResult result;
    if (!result.ParseFromString(std::string((*select)->ColumnBlob(0)))) {
      return absl::DataLossError("stored sweep result does not parse");
    }
    page.results.push_back(std::move(result));
  }
  return page;
}

absl::Status SqliteBackend::CheckReachable(absl::Time) {
  // An open file stays reachable; a read proves it still answers.
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  return (**reader).QueryInt("SELECT 1").status();
}

absl::Status SqliteBackend::ForEachGrant(const std::function<bool(const Grant&)>& visit) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  auto select = (**reader).Prepare(
      "SELECT g.grant_proto, s.suspension_proto FROM grants g"
      " LEFT JOIN suspensions s ON s.suspension_id = g.suspension_id"
      " ORDER BY g.tenant_id, g.grant_id");
  if (!select.ok()) return select.status();
  while (true) {
    auto row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    auto grant = GrantFromRow(**select);
    if (!grant.ok()) return grant.status();
    if (!visit(*grant)) return absl::OkStatus();
  }
}

absl::Status SqliteBackend::ForEachSuspension(const std::function<bool(const Suspension&)>& visit) {
  auto reader = ReaderLease::Take(this);
  if (!reader.ok()) return reader.status();
  auto select =
      (**reader).Prepare("SELECT suspension_proto FROM suspensions ORDER BY suspension_id");
  if (!select.ok()) return select.status();
  while (true) {
    auto row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    Suspension suspension;
    if (!suspension.ParseFromString(std::string((*select)->ColumnBlob(0)))) {
      return absl::DataLossError("stored suspension does not parse");
    }
    if (!visit(suspension)) return absl::OkStatus();
  }
}

}  // namespace apptrust::store
