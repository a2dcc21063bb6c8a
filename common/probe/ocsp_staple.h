// Reads the certificate status out of a stapled OCSP response (RFC 6960).
//
// Written as a small DER walk rather than with OpenSSL's OCSP_* API because
// BoringSSL has no OCSP parser and the probe must build against both. The
// response is matched to the leaf by serial number; its signature is NOT
// verified (the probe reports what the server stapled: a server stapling
// "revoked" for its own certificate is reason enough to stop trusting it,
// and a forged "good" is no worse than no staple — revocation is one signal
// among those the policy weighs). Anything that cannot be judged —
// malformed, unsuccessful response, no entry for this serial, status
// "unknown" — is REVOCATION_UNKNOWN.
#ifndef APPTRUST_COMMON_PROBE_OCSP_STAPLE_H_
#define APPTRUST_COMMON_PROBE_OCSP_STAPLE_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::probe {

// `leaf_serial`: the leaf's serial number as unsigned big-endian bytes.
v1::Revocation RevocationFromOcspStaple(absl::Span<const uint8_t> der,
                                        absl::Span<const uint8_t> leaf_serial);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_OCSP_STAPLE_H_
