#include "services/store/validation.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "apptrust/v1/types.pb.h"
#include "common/ids/id_format.h"
#include "common/net/redirect_uri.h"

namespace apptrust::store {
namespace {

using ids::ValidateId;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// Optional ids: empty is fine, anything else must be a valid id.
absl::Status ValidateOptionalId(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  return ValidateId(field, value);
}

absl::Status ValidateTenantAndGrant(absl::string_view tenant_id, absl::string_view grant_id) {
  if (absl::Status status = ValidateId("tenant_id", tenant_id); !status.ok()) return status;
  return ValidateId("grant_id", grant_id);
}

}  // namespace

absl::Status ValidatePutGrant(const apptrust::v1::PutGrantRequest& request) {
  if (!request.has_grant()) return Invalid("grant", "must be set");
  const apptrust::v1::Grant& grant = request.grant();
  for (const auto& [field, value] :
       {std::pair<absl::string_view, absl::string_view>{"grant.tenant_id", grant.tenant_id()},
        {"grant.grant_id", grant.grant_id()},
        {"grant.client_id", grant.client_id()}}) {
    if (absl::Status status = ValidateId(field, value); !status.ok()) return status;
  }
  if (!apptrust::v1::Persona_IsValid(grant.persona())) {
    return Invalid("grant.persona", absl::StrCat("unknown value ", grant.persona()));
  }
  // The decision service probes what this URI names on every refresh: one
  // that does not parse now would fail every later CheckRefresh instead.
  if (absl::StatusOr<net::Target> target = net::ParseRedirectUri(grant.redirect_uri());
      !target.ok()) {
    return absl::Status(target.status().code(),
                        absl::StrCat("grant.redirect_uri: ", target.status().message()));
  }
  if (const size_t bytes = grant.ByteSizeLong(); bytes > kMaxGrantBytes) {
    // Name the part that is big: almost always the fingerprint.
    const size_t fingerprint = grant.fingerprint().ByteSizeLong();
    return Invalid(fingerprint * 2 > bytes ? "grant.fingerprint" : "grant",
                   absl::StrCat("the grant is ", bytes, " bytes serialized (the fingerprint ",
                                fingerprint, "); at most ", kMaxGrantBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateGetGrant(const apptrust::v1::GetGrantRequest& request) {
  return ValidateTenantAndGrant(request.tenant_id(), request.grant_id());
}

absl::Status ValidateBatchGetGrants(const apptrust::v1::BatchGetGrantsRequest& request) {
  if (request.requests().empty()) return Invalid("requests", "must not be empty");
  if (request.requests_size() > kMaxBatchGetGrants) {
    return Invalid("requests", absl::StrCat("at most ", kMaxBatchGetGrants, " per call, got ",
                                            request.requests_size()));
  }
  absl::flat_hash_map<std::pair<absl::string_view, absl::string_view>, int> seen;
  for (int i = 0; i < request.requests_size(); ++i) {
    const apptrust::v1::GetGrantRequest& one = request.requests(i);
    if (absl::Status status = ValidateGetGrant(one); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("requests[", i, "].", status.message()));
    }
    auto [it, inserted] = seen.try_emplace(
        std::make_pair(absl::string_view(one.tenant_id()), absl::string_view(one.grant_id())), i);
    if (!inserted) {
      return Invalid(
          absl::StrCat("requests[", i, "]"),
          absl::StrCat("names the same grant as requests[", it->second, "]; name each grant once"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSuspendGrant(const apptrust::v1::SuspendGrantRequest& request) {
  if (absl::Status status = ValidateTenantAndGrant(request.tenant_id(), request.grant_id());
      !status.ok()) {
    return status;
  }
  if (request.expected_version() < 1) {
    return Invalid("expected_version",
                   absl::StrCat("must be at least 1 (the version of the grant read), got ",
                                request.expected_version()));
  }
  const apptrust::v1::Suspension& suspension = request.suspension();
  // Empty: the store assigns one. Otherwise it becomes a path segment of the
  // public error_uri, so it must be one the explanation page can serve.
  if (!suspension.suspension_id().empty()) {
    if (absl::Status status =
            ids::ValidateSuspensionId("suspension.suspension_id", suspension.suspension_id());
        !status.ok()) {
      return status;
    }
  }
  if (!suspension.tenant_id().empty() && suspension.tenant_id() != request.tenant_id()) {
    return Invalid("suspension.tenant_id", "must be empty or equal tenant_id");
  }
  if (!suspension.grant_id().empty() && suspension.grant_id() != request.grant_id()) {
    return Invalid("suspension.grant_id", "must be empty or equal grant_id");
  }
  if (const size_t bytes = suspension.ByteSizeLong(); bytes > kMaxSuspensionBytes) {
    return Invalid("suspension",
                   absl::StrCat("is ", bytes, " bytes serialized; at most ", kMaxSuspensionBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateGetSuspension(const apptrust::v1::GetSuspensionRequest& request) {
  if (absl::Status status = ValidateId("suspension_id", request.suspension_id()); !status.ok()) {
    return status;
  }
  return ValidateOptionalId("tenant_id", request.tenant_id());
}

absl::Status ValidateDeleteGrant(const apptrust::v1::DeleteGrantRequest& request) {
  return ValidateTenantAndGrant(request.tenant_id(), request.grant_id());
}

absl::Status ValidateListGrants(const apptrust::v1::ListGrantsRequest& request) {
  if (absl::Status status = ValidateId("tenant_id", request.tenant_id()); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateOptionalId("client_id", request.client_id()); !status.ok()) {
    return status;
  }
  if (request.page_size() < 0) {
    return Invalid("page_size", absl::StrCat("must not be negative, got ", request.page_size()));
  }
  return absl::OkStatus();
}

absl::Status ValidateListAuditEntries(const apptrust::v1::ListAuditEntriesRequest& request) {
  if (absl::Status status = ValidateId("tenant_id", request.tenant_id()); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateOptionalId("grant_id", request.grant_id()); !status.ok()) {
    return status;
  }
  if (request.page_size() < 0) {
    return Invalid("page_size", absl::StrCat("must not be negative, got ", request.page_size()));
  }
  return absl::OkStatus();
}

absl::Status ValidateAcquireLease(const apptrust::v1::AcquireLeaseRequest& request) {
  if (absl::Status status = ValidateId("name", request.name()); !status.ok()) return status;
  if (absl::Status status = ValidateId("holder", request.holder()); !status.ok()) return status;
  if (!request.has_ttl()) return Invalid("ttl", "must be set");
  const int64_t seconds = request.ttl().seconds();
  if (seconds < 1 || seconds > 3600 || request.ttl().nanos() < 0 ||
      request.ttl().nanos() >= 1000000000 || (seconds == 3600 && request.ttl().nanos() > 0)) {
    return Invalid("ttl", "must be from 1s to 1h");
  }
  return absl::OkStatus();
}

absl::Status ValidateListActiveApps(const apptrust::v1::ListActiveAppsRequest& request) {
  if (absl::Status status = ValidateOptionalId("tenant_id", request.tenant_id()); !status.ok()) {
    return status;
  }
  if (request.page_size() < 0) {
    return Invalid("page_size", absl::StrCat("must not be negative, got ", request.page_size()));
  }
  return absl::OkStatus();
}

absl::Status ValidatePutSweepResults(const apptrust::v1::PutSweepResultsRequest& request) {
  if (absl::Status status = ValidateId("lease_name", request.lease_name()); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateId("holder", request.holder()); !status.ok()) return status;
  if (request.epoch() < 1) return Invalid("epoch", "must be at least 1");
  if (!request.has_pass_started_at()) return Invalid("pass_started_at", "must be set");
  if (request.results_size() > kMaxSweepResults) {
    return Invalid("results", absl::StrCat("at most ", kMaxSweepResults, " per call, got ",
                                           request.results_size()));
  }
  for (int i = 0; i < request.results_size(); ++i) {
    const apptrust::v1::SweepResult& result = request.results(i);
    const std::string field = absl::StrCat("results[", i, "]");
    if (absl::Status status = ValidateId(absl::StrCat(field, ".tenant_id"), result.tenant_id());
        !status.ok()) {
      return status;
    }
    if (absl::Status status = ValidateId(absl::StrCat(field, ".client_id"), result.client_id());
        !status.ok()) {
      return status;
    }
    if (result.status() == apptrust::v1::SWEEP_STATUS_UNSPECIFIED ||
        !apptrust::v1::SweepStatus_IsValid(result.status())) {
      return Invalid(absl::StrCat(field, ".status"),
                     absl::StrCat("unknown value ", result.status()));
    }
    if (result.active_grants() < 0) {
      return Invalid(absl::StrCat(field, ".active_grants"), "must not be negative");
    }
    if (result.ByteSizeLong() > kMaxGrantBytes) {
      return Invalid(field, absl::StrCat("at most ", kMaxGrantBytes, " bytes serialized"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateListSweepResults(const apptrust::v1::ListSweepResultsRequest& request) {
  if (absl::Status status = ValidateOptionalId("tenant_id", request.tenant_id()); !status.ok()) {
    return status;
  }
  if (request.page_size() < 0) {
    return Invalid("page_size", absl::StrCat("must not be negative, got ", request.page_size()));
  }
  return absl::OkStatus();
}

int EffectivePageSize(int requested) {
  if (requested <= 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

}  // namespace apptrust::store
