// Turns an app's OAuth redirect URI into the probe target: which host and
// port to observe, and which domain (eTLD+1) holds its TXT record.
//
// Parsing follows RFC 3986 (uriparser); internationalised host names are
// converted to A-labels (libidn2, UTS #46 non-transitional), lower-cased, and
// a trailing dot is dropped, so that every spelling of one host maps to one
// Target (and one cache entry). The port defaults to 443 for https and 80 for
// http. http URIs and IP-literal hosts are accepted: they are observed as far
// as possible (no TLS for http, no DNS or TXT for IP literals) and the policy
// reports what is missing; they are not input errors.
//
// Every rejection is INVALID_ARGUMENT with a message that names the problem
// ("redirect_uri: ..."): missing or empty host, userinfo, an unsupported
// scheme, a host over 253 bytes or with an invalid label, control characters,
// a malformed port.
#ifndef APPTRUST_COMMON_NET_REDIRECT_URI_H_
#define APPTRUST_COMMON_NET_REDIRECT_URI_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/probe/prober.h"

namespace apptrust::net {

absl::StatusOr<probe::Target> ParseRedirectUri(absl::string_view uri);

// Normalises a bare host name the same way (A-labels, lower case, no trailing
// dot, label rules). IP literals are returned in canonical textual form
// (IPv6 without brackets). Used by ParseRedirectUri and by tools.
absl::StatusOr<std::string> NormalizeHost(absl::string_view host);

}  // namespace apptrust::net

#endif  // APPTRUST_COMMON_NET_REDIRECT_URI_H_
