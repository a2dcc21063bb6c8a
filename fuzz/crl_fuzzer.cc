// A CRL as a CA's distribution point serves it, with the certificate it is
// checked for (crl.h; OpenSSL's DER parsers plus our reading of the result).
// Input: two bytes giving the length L of a certificate's DER, those L
// bytes, then the CRL's DER. The certificate stands in for both the leaf
// (its distribution points, its serial) and the issuer (the signature).
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/probe/crl.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t cert_size = (size_t{data[0]} << 8) | data[1];
  if (size < 2 + cert_size) return 0;
  const uint8_t* cert_der = data + 2;
  apptrust::probe::X509Ptr cert(
      d2i_X509(nullptr, &cert_der, static_cast<long>(cert_size)));  // NOLINT(runtime/int)
  const absl::string_view crl_der(reinterpret_cast<const char*>(data + 2 + cert_size),
                                  size - 2 - cert_size);
  if (cert != nullptr) {
    for (const std::string& url : apptrust::probe::HttpCrlDistributionPoints(cert.get())) {
      APPTRUST_FUZZ_CHECK(absl::StartsWithIgnoreCase(url, "http://"));
    }
    (void)apptrust::probe::IsShortLived(cert.get());
  }
  auto crl = apptrust::probe::ParseCrl(crl_der);
  if (!crl.ok()) return 0;
  (void)apptrust::probe::CrlNextUpdate(crl->get());
  if (cert != nullptr) {
    (void)apptrust::probe::CrlListsSerial(crl->get(), cert.get());
    (void)apptrust::probe::VerifyCrl(crl->get(), cert.get(), absl::FromUnixSeconds(1'800'000'000));
  }
  return 0;
}
