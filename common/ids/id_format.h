// What AppTrust accepts as an id, in one place for both services.
//
// Ids (tenant, client, grant) are opaque to AppTrust: they come from the
// gateway and are 1 to 256 bytes of printable ASCII (0x20-0x7E). They appear
// in logs, SQL keys and page tokens, and the byte-wise order of grant ids is
// the ListGrants order.
//
// Suspension ids are stricter because each is the last path segment of a
// public error_uri and the explanation page looks it up from there: 1 to 128
// bytes of RFC 3986 unreserved characters ([A-Za-z0-9._~-]), and not a
// dot-segment ("." or ".."), so the segment needs no escaping and no id can be
// stored that the page cannot serve.
//
// Refusals are INVALID_ARGUMENT whose message starts with the field's path in
// the request ("grant.grant_id: must not be empty").
#ifndef APPTRUST_COMMON_IDS_ID_FORMAT_H_
#define APPTRUST_COMMON_IDS_ID_FORMAT_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace apptrust::ids {

inline constexpr size_t kMaxIdBytes = 256;
inline constexpr size_t kMaxSuspensionIdBytes = 128;

absl::Status ValidateId(absl::string_view field, absl::string_view value);

absl::Status ValidateSuspensionId(absl::string_view field, absl::string_view value);
bool IsValidSuspensionId(absl::string_view value);

}  // namespace apptrust::ids

#endif  // APPTRUST_COMMON_IDS_ID_FORMAT_H_
