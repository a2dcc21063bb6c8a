// TEMPORARY adapter: the page needs the error URN of a reason and the parts of
// an error_uri path before common/policy/error_uri.h exists. Same format as
// DESIGN.md §4. Delete this file and switch to common/policy/error_uri.h once
// that lands (the names match).
#ifndef APPTRUST_SERVICES_DECISION_WEB_ERROR_URN_H_
#define APPTRUST_SERVICES_DECISION_WEB_ERROR_URN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::web::internal {

// "tls-cert-expired" for REASON_TLS_CERT_EXPIRED.
std::string ReasonSlug(v1::Reason reason);
// "urn:apptrust:error:refresh-suspended:tls-cert-expired".
std::string ErrorUrn(v1::Reason reason);

struct ErrorPath {
  std::string urn;            // percent-decoded
  std::string suspension_id;  // percent-decoded
};
// Splits "/errors/{urn}/instances/{id}" (query excluded); NotFound otherwise.
absl::StatusOr<ErrorPath> ParseErrorPath(absl::string_view path);

}  // namespace apptrust::web::internal

#endif  // APPTRUST_SERVICES_DECISION_WEB_ERROR_URN_H_
