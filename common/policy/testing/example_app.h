// The app most policy and decision tests start from: what the TLS probe
// observes of https://app.example.com with an OV certificate for "Example
// Health Inc" (US, MO, Kansas City), issued 60 days before `now` and valid
// for another 300, over TLS 1.3, chain trusted, hostname matching. One
// definition, so the policy's table and the Decider's table judge the same
// certificate.
#ifndef APPTRUST_COMMON_POLICY_TESTING_EXAMPLE_APP_H_
#define APPTRUST_COMMON_POLICY_TESTING_EXAMPLE_APP_H_

#include <string>

#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/time/proto_time.h"

namespace apptrust::testing {

inline v1::TlsFingerprint ExampleHealthOvTls(absl::Time now) {
  v1::TlsFingerprint tls;
  tls.set_outcome(v1::PROBE_OUTCOME_OK);
  tls.set_present(true);
  tls.set_protocol_version("TLSv1.3");
  tls.set_tls12_or_newer(true);
  tls.set_leaf_sha256(std::string(64, 'a'));
  tls.set_spki_sha256(std::string(64, 'b'));
  tls.set_subject_organization("Example Health Inc");
  tls.set_subject_locality("Kansas City");
  tls.set_subject_state("MO");
  tls.set_subject_country("US");
  tls.set_subject_common_name("app.example.com");
  tls.add_subject_alt_names("app.example.com");
  tls.set_issuer("CN=Test OV CA,O=Test PKI");
  tls.set_serial("0A1B");
  *tls.mutable_not_before() = timeconv::ToProto(now - absl::Hours(24 * 60));
  *tls.mutable_not_after() = timeconv::ToProto(now + absl::Hours(24 * 300));
  tls.set_validation_level(v1::VALIDATION_LEVEL_OV);
  tls.set_chain_trusted(true);
  tls.set_hostname_matches(true);
  tls.set_revocation(v1::REVOCATION_GOOD);
  return tls;
}

}  // namespace apptrust::testing

#endif  // APPTRUST_COMMON_POLICY_TESTING_EXAMPLE_APP_H_
