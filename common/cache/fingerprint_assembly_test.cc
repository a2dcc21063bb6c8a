#include "common/cache/fingerprint_assembly.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::cache {
namespace {

using ::testing::ElementsAre;

const absl::Time kT = absl::FromUnixSeconds(1795867200);

TEST(FingerprintAssemblyTest, CombinesBothObservations) {
  probe::Target target{"https", "app.example.com", 8443, "example.com", false};
  probe::EndpointObservation endpoint;
  endpoint.addresses = {"2001:db8::1", "192.0.2.1", "192.0.2.1"};
  endpoint.refused_addresses = {"10.0.0.1"};
  endpoint.address_outcome = v1::PROBE_OUTCOME_OK;
  endpoint.tls.set_present(true);
  endpoint.tls.set_outcome(v1::PROBE_OUTCOME_OK);
  endpoint.tls.set_subject_organization("Example Health Inc");
  endpoint.observed_at = kT + absl::Seconds(2);
  probe::TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.entries = {"cerner-client-id=zeta", "Cerner-Client-Id=app-1", "cerner-client-id=zeta"};
  txt.observed_at = kT;

  v1::Fingerprint fp = AssembleFingerprint(target, endpoint, txt, "app-1", "cerner-client-id");
  EXPECT_EQ(fp.scheme(), "https");
  EXPECT_EQ(fp.host(), "app.example.com");
  EXPECT_EQ(fp.port(), 8443u);
  EXPECT_EQ(fp.domain(), "example.com");
  EXPECT_FALSE(fp.host_is_ip_literal());
  EXPECT_EQ(fp.tls().subject_organization(), "Example Health Inc");
  EXPECT_THAT(fp.dns().addresses(), ElementsAre("192.0.2.1", "2001:db8::1"));
  EXPECT_THAT(fp.dns().refused_addresses(), ElementsAre("10.0.0.1"));
  EXPECT_EQ(fp.dns().address_outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(fp.dns().txt_outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_THAT(fp.dns().txt_values(),
              ElementsAre("Cerner-Client-Id=app-1", "cerner-client-id=zeta"));
  EXPECT_TRUE(fp.dns().client_id_txt_present());
  EXPECT_EQ(fp.captured_at().seconds(), absl::ToUnixSeconds(kT));  // the older part
}

TEST(FingerprintAssemblyTest, ClientEntryMatchesTheClientIdExactly) {
  EXPECT_TRUE(HasClientEntry({"cerner-client-id=app-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id=app-10"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id=APP-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"other-key=app-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id"}, "app-1", "cerner-client-id"));
  probe::TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.entries = {"cerner-client-id="};
  v1::Fingerprint fp = AssembleFingerprint(probe::Target{}, probe::EndpointObservation{}, txt, "",
                                           "cerner-client-id");
  EXPECT_FALSE(fp.dns().client_id_txt_present());  // an empty client id never matches
}

TEST(FingerprintAssemblyTest, UnsetTimesAreIgnored) {
  probe::EndpointObservation endpoint;
  endpoint.observed_at = kT;
  probe::TxtObservation txt;  // observed_at unset (UnixEpoch)
  txt.outcome = v1::PROBE_OUTCOME_NOT_APPLICABLE;
  v1::Fingerprint fp = AssembleFingerprint(probe::Target{}, endpoint, txt, "a", "k");
  EXPECT_EQ(fp.captured_at().seconds(), absl::ToUnixSeconds(kT));
  v1::Fingerprint none = AssembleFingerprint(probe::Target{}, probe::EndpointObservation{},
                                             probe::TxtObservation{}, "a", "k");
  EXPECT_FALSE(none.has_captured_at());
}

}  // namespace
}  // namespace apptrust::cache
