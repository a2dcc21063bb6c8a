#include "services/store/backend_copy.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace apptrust::store {

std::string CopyCounts::ToString() const {
  return absl::StrCat("grants: ", grants_read, " read, ", grants_written, " written, ", grants_kept,
                      " kept (same or newer version there); suspensions: ", suspensions_read,
                      " read, ", suspensions_written, " written, ", suspensions_kept,
                      " kept (already there)");
}

absl::StatusOr<CopyCounts> CopySqliteToPostgres(SqliteBackend& from, PostgresBackend& to,
                                                absl::Duration per_write_timeout) {
  CopyCounts counts;
  absl::Status failed = absl::OkStatus();
  // Suspensions first: a copied SUSPENDED grant's error_uri then resolves at
  // once, even while the copy runs.
  absl::Status listed = from.ForEachSuspension([&](const v1::Suspension& suspension) {
    ++counts.suspensions_read;
    auto written = to.ImportSuspension(suspension, absl::Now() + per_write_timeout);
    if (!written.ok()) {
      failed = written.status();
      return false;
    }
    ++(*written ? counts.suspensions_written : counts.suspensions_kept);
    return true;
  });
  if (!listed.ok()) return listed;
  if (!failed.ok()) return failed;
  listed = from.ForEachGrant([&](const v1::Grant& grant) {
    ++counts.grants_read;
    auto written = to.ImportGrant(grant, absl::Now() + per_write_timeout);
    if (!written.ok()) {
      failed = written.status();
      return false;
    }
    ++(*written ? counts.grants_written : counts.grants_kept);
    return true;
  });
  if (!listed.ok()) return listed;
  if (!failed.ok()) return failed;
  return counts;
}

}  // namespace apptrust::store
