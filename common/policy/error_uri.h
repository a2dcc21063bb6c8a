// The OAuth error fields a suspended refresh returns (DESIGN.md §4): the
// error URN naming the primary reason, the `error_uri` that points at the
// explanation page, and the patient-readable `error_description`. The
// gateway copies them verbatim into its RFC 6749 §5.2 error response, so
// their character sets are guaranteed here:
// - error_uri: only %x21 / %x23-5B / %x5D-7E (no space, '"' or '\'), given a
//   base URL that holds only those characters (ValidatePolicyConfig checks);
// - error_description: only %x20-21 / %x23-5B / %x5D-7E; anything else
//   (non-ASCII names from certificates, the arrows of finding details) is
//   transliterated or dropped.
// Everything is a pure function of its inputs: the same suspension always
// yields the same error_uri.
#ifndef APPTRUST_COMMON_POLICY_ERROR_URI_H_
#define APPTRUST_COMMON_POLICY_ERROR_URI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::policy {

// REASON_TLS_CERT_EXPIRED → "tls-cert-expired".
std::string ReasonSlug(v1::Reason reason);

// The inverse of ReasonSlug; NOT_FOUND for a slug naming no reason.
absl::StatusOr<v1::Reason> ReasonFromSlug(absl::string_view slug);

// "urn:apptrust:error:refresh-suspended:tls-cert-expired".
std::string ErrorUrn(v1::Reason reason);

// "{base}/errors/{urn}/instances/{suspension_id}?client={client_id}&tenant={tenant_id}"
// with the URN and the suspension id percent-encoded as path segments (the
// URN's ':' stays readable) and the query values percent-encoded. Trailing
// slashes of `base` are ignored.
std::string BuildErrorUri(absl::string_view base, v1::Reason reason,
                          absl::string_view suspension_id, absl::string_view client_id,
                          absl::string_view tenant_id);

// What the explanation page reads back from a request path.
struct ErrorPath {
  v1::Reason reason = v1::REASON_UNSPECIFIED;
  std::string suspension_id;
};

// Parses ".../errors/{urn}/instances/{suspension_id}" (a query string, if
// any, is ignored; any prefix before "/errors/" is allowed, so the base URL
// may have a path). INVALID_ARGUMENT for anything else, including an URN of
// another namespace or an unknown reason.
absl::StatusOr<ErrorPath> ParseErrorPath(absl::string_view path);

// A patient-readable error_description for suspending `findings` (their
// messages, suspending ones first, at most three), in the RFC 6749 charset.
std::string ErrorDescription(const std::vector<v1::Finding>& findings);

// `text` reduced to the RFC 6749 error_description charset: common accented
// Latin letters and typographic punctuation transliterated ("é" → "e",
// "→" → "->", curly quotes → "'"), '"' → "'", '\' → '/', control characters
// → space, other characters dropped; runs of spaces collapsed. Input is
// UTF-8; invalid bytes are dropped.
std::string ToErrorDescriptionCharset(absl::string_view text);

}  // namespace apptrust::policy

#endif  // APPTRUST_COMMON_POLICY_ERROR_URI_H_
