// How a webhook delivery is signed, so an app developer's endpoint can tell
// AppTrust's deliveries from anyone else's and refuse replays.
//
// The signed string is `<timestamp>.<body>`: the Unix time in seconds sent in
// the AppTrust-Timestamp header, a dot, and the exact request body. The
// signature is HMAC-SHA256 keyed with the endpoint's secret, sent as
// `AppTrust-Signature: v1=<64 lower-case hex digits>`. Because the timestamp
// is signed, a captured delivery replayed with a fresh timestamp fails, and a
// receiver that also refuses timestamps older than a few minutes refuses the
// unchanged replay too. "v1=" names the scheme so a later one can be sent
// beside it during a migration.
#ifndef APPTRUST_COMMON_WEBHOOK_WEBHOOK_SIGNATURE_H_
#define APPTRUST_COMMON_WEBHOOK_WEBHOOK_SIGNATURE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace apptrust::webhook {

inline constexpr char kEventIdHeader[] = "AppTrust-Event-Id";
inline constexpr char kTimestampHeader[] = "AppTrust-Timestamp";
inline constexpr char kSignatureHeader[] = "AppTrust-Signature";

// Lower-case hex HMAC-SHA256(secret, "<unix_seconds>.<body>").
std::string Sign(absl::string_view secret, int64_t unix_seconds, absl::string_view body);

// The AppTrust-Signature header value: "v1=" + Sign(...).
std::string SignatureHeaderValue(absl::string_view secret, int64_t unix_seconds,
                                 absl::string_view body);

// Whether `header_value` (an AppTrust-Signature value) is the v1 signature
// of `timestamp` (the AppTrust-Timestamp value, verbatim) and `body` under
// `secret`. Compares in constant time. Does not judge the timestamp's age:
// that needs the receiver's clock.
bool VerifySignature(absl::string_view secret, absl::string_view timestamp, absl::string_view body,
                     absl::string_view header_value);

}  // namespace apptrust::webhook

#endif  // APPTRUST_COMMON_WEBHOOK_WEBHOOK_SIGNATURE_H_
