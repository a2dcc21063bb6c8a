// Certificate revocation lists (RFC 5280 §5) as the probe uses them: where a
// leaf says its CRL is (HTTP distribution points), which certificate of the
// observed chain issued the leaf, and whether a fetched CRL is that issuer's,
// current, and lists the leaf. Pure functions over parsed certificates; no
// I/O. Uses only API that OpenSSL 3 and BoringSSL share.
//
// Scope: a full CRL signed directly by the leaf's issuer (what the Baseline
// Requirements prescribe). Indirect CRLs, delta CRLs and CRLs signed by a
// separate CRL-signing key are not verified and so count as unverifiable.
#ifndef APPTRUST_COMMON_PROBE_CRL_H_
#define APPTRUST_COMMON_PROBE_CRL_H_

#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace apptrust::probe {

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

struct X509CrlDeleter {
  void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlDeleter>;

// A new reference to `cert` (nullptr stays nullptr).
X509Ptr ShareCertificate(X509* cert);

// The http:// URIs among the leaf's CRL distribution points (fullName
// entries), in the certificate's order. Other schemes (ldap:, https:) are
// left out: the Baseline Requirements publish CRLs over plain HTTP, and a
// CRL needs no transport security since its signature is verified.
std::vector<std::string> HttpCrlDistributionPoints(X509* leaf);

// Valid for 7 days or less (notAfter - notBefore): such certificates need no
// revocation information (Baseline Requirements §4.9.7, "short-lived").
inline constexpr absl::Duration kShortLivedValidity = absl::Hours(7 * 24);
bool IsShortLived(X509* leaf);

// The certificate among `chain` (as the peer sent it) whose subject is the
// leaf's issuer and whose key verifies the leaf's signature; nullptr if the
// peer did not send it.
X509* FindIssuer(STACK_OF(X509) * chain, X509* leaf);

// A CRL as served over HTTP: DER (RFC 5280 §4.2.1.13). INVALID_ARGUMENT when
// it does not parse.
absl::StatusOr<X509CrlPtr> ParseCrl(absl::string_view der);

// OK when `crl` is `issuer`'s (issuer name), its signature verifies with
// `issuer`'s key, thisUpdate <= now and now < nextUpdate (a CRL without
// nextUpdate is refused: it cannot be known to be current). Otherwise
// FAILED_PRECONDITION saying which check failed.
absl::Status VerifyCrl(X509_CRL* crl, X509* issuer, absl::Time now);

// nextUpdate (nullopt when absent or malformed).
std::optional<absl::Time> CrlNextUpdate(X509_CRL* crl);

// Whether `crl` lists `leaf`'s serial number. Does not verify anything:
// call VerifyCrl first.
bool CrlListsSerial(X509_CRL* crl, X509* leaf);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_CRL_H_
