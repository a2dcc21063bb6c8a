// What a peer's certificate chain says, as the TlsFingerprint fields the
// policy compares: leaf and SPKI SHA-256, subject O/L/ST/C/CN, DNS SANs,
// issuer, serial, validity, validation level (CA/Browser Forum policy OIDs),
// key type, whether the chain verifies to the trust store, whether the leaf
// matches the host (RFC 6125), and whether it is self-signed.
//
// Trust is decided at the probe's (injectable) clock but IGNORING validity
// dates, so an expired or not-yet-valid certificate from a trusted CA still
// has chain_trusted = true: expiry is the policy's call, from not_before /
// not_after, with its own finding. Uses only API that OpenSSL 3 and BoringSSL
// share.
#ifndef APPTRUST_COMMON_PROBE_CERTIFICATE_FACTS_H_
#define APPTRUST_COMMON_PROBE_CERTIFICATE_FACTS_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::probe {

struct X509StoreDeleter {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreDeleter>;

// Loads a PEM bundle file or a hashed certificate directory; "" = the system
// default (the distribution's CA bundle). INVALID_ARGUMENT names the path
// when nothing can be loaded from it.
absl::StatusOr<X509StorePtr> LoadTrustStore(const std::string& path);

struct ChainContext {
  std::string host;  // the name (or IP literal) the client asked for
  bool host_is_ip_literal = false;
  absl::Time now;  // for verification (dates themselves are ignored)
};

// Fills every certificate field of `out` (not outcome, protocol or peer
// address) from `chain` (leaf first, as the peer sent it). `trust` is only
// read. Requires a non-empty chain.
void DescribeCertificateChain(STACK_OF(X509) * chain, X509_STORE* trust,
                              const ChainContext& context, v1::TlsFingerprint* out);

// The leaf's serial as unsigned big-endian bytes (for OCSP matching).
std::string SerialBytes(X509* cert);

// An ASN1_TIME as absl::Time; nullopt when absent or malformed.
std::optional<absl::Time> Asn1TimeToTime(const ASN1_TIME* time);

// Lower-case hex of SHA-256 over `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_CERTIFICATE_FACTS_H_
