// Checks of DecisionService requests before any work is done. A bad request
// gets INVALID_ARGUMENT whose message starts with the field's name, e.g.
// "grant_id: must not be empty", so the gateway's developers see at once what
// to fix. Nothing of a rejected request is stored or probed. Ids follow
// common/ids/id_format.h; a redirect URI is checked here for presence and
// size, and by net::ParseRedirectUri (in the Decider) for everything else.
#ifndef APPTRUST_SERVICES_DECISION_REQUEST_VALIDATION_H_
#define APPTRUST_SERVICES_DECISION_REQUEST_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/decision.pb.h"

namespace apptrust::decision {

absl::Status ValidateEnroll(const v1::EnrollRequest& request);
absl::Status ValidateCheckRefresh(const v1::CheckRefreshRequest& request);
absl::Status ValidateInspect(const v1::InspectRequest& request);

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_REQUEST_VALIDATION_H_
