// Certificate facts from the DER chain a TLS server sends: any server can send
// any bytes that OpenSSL accepts as certificates, and DescribeCertificateChain
// then reads subjects, SANs, policies, serials and verifies the chain.
//
// Input: the host asked for on the first line, then the DER certificates one
// after another (leaf first, as on the wire). The last certificate read is
// also put into the trust store, so that verification gets past "no trusted
// root" and the trusted-chain paths are explored too. Inputs that hold no
// certificate OpenSSL can read are dropped: those never reach our code.
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/certificate_facts.h"
#include "fuzz/fuzz_input.h"

namespace {

struct ChainFree {
  void operator()(STACK_OF(X509) * chain) const { sk_X509_pop_free(chain, X509_free); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace probe = apptrust::probe;
  const std::vector<std::string> fields = apptrust::fuzz::SplitFields(data, size, 2);
  const std::string& der = fields[1];

  std::unique_ptr<STACK_OF(X509), ChainFree> chain(sk_X509_new_null());
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* const end = cursor + der.size();
  while (cursor < end && sk_X509_num(chain.get()) < 10) {
    X509* cert = d2i_X509(nullptr, &cursor, end - cursor);
    if (cert == nullptr) break;
    sk_X509_push(chain.get(), cert);
  }
  if (sk_X509_num(chain.get()) == 0) return 0;

  probe::X509StorePtr trust(X509_STORE_new());
  X509_STORE_add_cert(trust.get(), sk_X509_value(chain.get(), sk_X509_num(chain.get()) - 1));

  probe::ChainContext context;
  context.host = fields[0];
  context.host_is_ip_literal =
      !context.host.empty() &&
      context.host.find_first_not_of("0123456789.:abcdef") == std::string::npos;
  context.now = absl::FromUnixSeconds(1790000000);  // fixed: a run must be repeatable

  apptrust::v1::TlsFingerprint fingerprint;
  probe::DescribeCertificateChain(chain.get(), trust.get(), context, &fingerprint);
  APPTRUST_FUZZ_CHECK(fingerprint.leaf_sha256().size() == 64);
  probe::SerialBytes(sk_X509_value(chain.get(), 0));
  // The fingerprint is stored as a protobuf: its strings must serialize.
  std::string bytes;
  APPTRUST_FUZZ_CHECK(fingerprint.SerializeToString(&bytes));
  return 0;
}
