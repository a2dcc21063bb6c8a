// Turns an app's OAuth redirect URI into the probe target: which host and
// port to observe, and which domain (eTLD+1) holds its TXT record.
//
// Redirect URIs are IRIs (RFC 3987) as apps register them: UTF-8 is accepted
// anywhere, and the IRI is mapped to a URI (RFC 3987 §3.1: non-ASCII bytes
// percent-encoded) before it is parsed by RFC 3986 rules (uriparser).
// Internationalised host names are converted to A-labels (libidn2: IDNA2008
// with the UTS #46 non-transitional mapping, so "faß.de" stays distinct from
// "fass.de"), lower-cased, and a trailing dot is dropped, so that every
// spelling of one host (U-labels, A-labels, percent-encoded UTF-8) maps to one
// Target (and one cache entry, one fingerprint). Non-ASCII in the path or
// query is accepted as it is: only the scheme, host and port matter here,
// and the grant keeps the text the app registered.
//
// The port defaults to 443 for https and 80 for http. http URIs and
// IP-literal hosts are accepted: they are observed as far as possible (no TLS
// for http, no DNS or TXT for IP literals) and the policy reports what is
// missing; they are not input errors.
//
// Every rejection is INVALID_ARGUMENT whose message says what is wrong but
// not which field: the caller prefixes the field's name exactly once
// ("redirect_uri: ...", "grant.redirect_uri: ..."). Refused: empty input,
// text that is not UTF-8, control characters (C0, DEL, C1), missing or empty
// host, userinfo, an unsupported scheme, a host over 253 bytes or with an
// invalid label (IDNA rules included), a malformed port. FAILED_PRECONDITION
// only when the Public Suffix List cannot be loaded (etld.h).
#ifndef APPTRUST_COMMON_NET_REDIRECT_URI_H_
#define APPTRUST_COMMON_NET_REDIRECT_URI_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/target.h"

namespace apptrust::net {

absl::StatusOr<Target> ParseRedirectUri(absl::string_view uri);

// Normalises a bare host name the same way (A-labels, lower case, no trailing
// dot, label rules). IP literals are returned in canonical textual form
// (IPv6 without brackets). Used by ParseRedirectUri and by tools.
absl::StatusOr<std::string> NormalizeHost(absl::string_view host);

// A normalised host or domain with its A-labels shown as U-labels
// ("xn--bcher-klinik-dlb.example" → "bücher-klinik.example"), for people to
// read. The input unchanged when it has no A-label or one does not decode.
// Never compare or look up with it: that is what the A-label form is for.
std::string HostForDisplay(absl::string_view host);

}  // namespace apptrust::net

#endif  // APPTRUST_COMMON_NET_REDIRECT_URI_H_
