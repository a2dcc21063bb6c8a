// Checks of DecisionService requests before any work is done. A bad request
// gets INVALID_ARGUMENT whose message starts with the field's name, e.g.
// "grant_id: must not be empty", so the gateway's developers see at once what
// to fix. Nothing of a rejected request is stored or probed.
#ifndef APPTRUST_SERVICES_DECISION_REQUEST_VALIDATION_H_
#define APPTRUST_SERVICES_DECISION_REQUEST_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/decision.pb.h"

namespace apptrust::decision {

// Ids (tenant, client, grant): non-empty, at most 256 bytes, printable ASCII.
absl::Status ValidateId(absl::string_view field, absl::string_view value);

absl::Status ValidateEnroll(const v1::EnrollRequest& request);
absl::Status ValidateCheckRefresh(const v1::CheckRefreshRequest& request);
absl::Status ValidateInspect(const v1::InspectRequest& request);

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_REQUEST_VALIDATION_H_
