// The stapled OCSP response a TLS server sends (our own DER walk, not
// OpenSSL's: ocsp_staple.h). Input: one byte giving the length of the leaf's
// serial (0..20), that many serial bytes, then the response's DER.
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/ocsp_staple.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t serial_size = data[0] % 21;
  if (size < 1 + serial_size) return 0;
  const absl::Span<const uint8_t> serial(data + 1, serial_size);
  const absl::Span<const uint8_t> der(data + 1 + serial_size, size - 1 - serial_size);
  const apptrust::v1::Revocation revocation =
      apptrust::probe::RevocationFromOcspStaple(der, serial);
  APPTRUST_FUZZ_CHECK(revocation == apptrust::v1::REVOCATION_UNKNOWN ||
                      revocation == apptrust::v1::REVOCATION_GOOD ||
                      revocation == apptrust::v1::REVOCATION_REVOKED);
  return 0;
}
