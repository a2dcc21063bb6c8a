// Request validation for the FingerprintStore RPCs.
//
// Every check returns INVALID_ARGUMENT with a message that starts with the
// field's path in the request, e.g. "grant.tenant_id: must not be empty", so a
// caller can tell which field to fix without reading server logs. The id
// formats are common/ids/id_format.h's: printable ASCII for tenant, grant and
// client ids; URL-safe characters for the suspension ids a caller chooses
// (reads by suspension id accept any printable id, so rows written before
// the rule still answer). A grant's redirect_uri must parse as
// net::ParseRedirectUri parses it.
#ifndef APPTRUST_SERVICES_STORE_VALIDATION_H_
#define APPTRUST_SERVICES_STORE_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/store.pb.h"

namespace apptrust::store {

// The largest grant PutGrant accepts, serialized. Every grant is read on every
// refresh, often many in one BatchGetGrants answer, so one grant's size must
// not be able to fail other grants' reads. A fingerprint the probe builds is
// bounded far below this (common/probe/fingerprint_limits.h).
inline constexpr size_t kMaxGrantBytes = 256 * 1024;
// The largest suspension SuspendGrant accepts, serialized (findings'
// details are bounded by the policy; this is the backstop).
inline constexpr size_t kMaxSuspensionBytes = 128 * 1024;
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

absl::Status ValidatePutGrant(const apptrust::v1::PutGrantRequest& request);
absl::Status ValidateGetGrant(const apptrust::v1::GetGrantRequest& request);
// 1..kMaxBatchGetGrants requests, each valid and each (tenant_id,
// grant_id) once: a key named many times would be read and answered many
// times (one 1 MB grant named 1,000 times cost the store 2 GiB). Errors name
// requests[i].
inline constexpr int kMaxBatchGetGrants = 1000;
absl::Status ValidateBatchGetGrants(const apptrust::v1::BatchGetGrantsRequest& request);
// expected_version must be at least 1 (versions start at 1). The suspension's
// suspension_id may be empty (the store assigns one) or a valid suspension id
// (ids::ValidateSuspensionId); its tenant_id and
// grant_id, when set, must equal the request's.
absl::Status ValidateSuspendGrant(const apptrust::v1::SuspendGrantRequest& request);
absl::Status ValidateGetSuspension(const apptrust::v1::GetSuspensionRequest& request);
absl::Status ValidateDeleteGrant(const apptrust::v1::DeleteGrantRequest& request);
// page_size must not be negative; sizes above kMaxPageSize are capped, not
// refused. The page token is checked by page_token.h.
absl::Status ValidateListGrants(const apptrust::v1::ListGrantsRequest& request);

// tenant_id is required (entries are listed per tenant only), grant_id is an
// optional filter; page_size as for ListGrants. The page token is checked by
// page_token.h.
absl::Status ValidateListAuditEntries(const apptrust::v1::ListAuditEntriesRequest& request);

// 0 → kDefaultPageSize; above kMaxPageSize → kMaxPageSize.
// Sweep support. Lease names and holders are ids; a lease lasts 1 s to 1 h.
// A sweep write holds 1..kMaxSweepResults results, each naming a tenant,
// client and a known status, with a pass start time.
inline constexpr int kMaxSweepResults = 1000;
absl::Status ValidateAcquireLease(const apptrust::v1::AcquireLeaseRequest& request);
absl::Status ValidateListActiveApps(const apptrust::v1::ListActiveAppsRequest& request);
absl::Status ValidatePutSweepResults(const apptrust::v1::PutSweepResultsRequest& request);
absl::Status ValidateListSweepResults(const apptrust::v1::ListSweepResultsRequest& request);

int EffectivePageSize(int requested);

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_VALIDATION_H_
