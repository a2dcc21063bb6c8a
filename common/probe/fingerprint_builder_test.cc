#include "common/probe/fingerprint_builder.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::probe {
namespace {

using ::testing::ElementsAre;

Target AppTarget() {
  Target t;
  t.scheme = "https";
  t.host = "app.examplehealth.test";
  t.port = 443;
  t.domain = "examplehealth.test";
  return t;
}

TEST(FingerprintBuilderTest, CopiesTargetTlsAndDns) {
  EndpointObservation endpoint;
  endpoint.addresses = {"::1", "127.0.0.1"};
  endpoint.address_outcome = v1::PROBE_OUTCOME_OK;
  endpoint.tls.set_present(true);
  endpoint.tls.set_subject_organization("Example Health");
  endpoint.observed_at = absl::FromUnixSeconds(2000);
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.entries = {"cerner-client-id=zz", "cerner-client-id=abc"};
  txt.observed_at = absl::FromUnixSeconds(1000);

  v1::Fingerprint fp = BuildFingerprint(AppTarget(), endpoint, txt, "abc", "cerner-client-id");
  EXPECT_EQ(fp.host(), "app.examplehealth.test");
  EXPECT_EQ(fp.port(), 443u);
  EXPECT_EQ(fp.domain(), "examplehealth.test");
  EXPECT_EQ(fp.scheme(), "https");
  EXPECT_FALSE(fp.host_is_ip_literal());
  EXPECT_EQ(fp.tls().subject_organization(), "Example Health");
  EXPECT_THAT(fp.dns().addresses(), ElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(fp.dns().txt_values(), ElementsAre("cerner-client-id=abc", "cerner-client-id=zz"));
  EXPECT_TRUE(fp.dns().client_id_txt_present());
  EXPECT_EQ(fp.dns().address_outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(fp.dns().txt_outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(fp.captured_at().seconds(), 1000);
}

TEST(FingerprintBuilderTest, ClientIdMustMatchExactly) {
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.entries = {"cerner-client-id=abcd"};
  EndpointObservation endpoint;
  endpoint.observed_at = absl::FromUnixSeconds(5);
  EXPECT_FALSE(BuildFingerprint(AppTarget(), endpoint, txt, "abc", "cerner-client-id")
                   .dns()
                   .client_id_txt_present());
  EXPECT_FALSE(BuildFingerprint(AppTarget(), endpoint, txt, "", "cerner-client-id")
                   .dns()
                   .client_id_txt_present());
  // Unset TXT time is ignored for captured_at.
  EXPECT_EQ(BuildFingerprint(AppTarget(), endpoint, txt, "abc", "cerner-client-id")
                .captured_at()
                .seconds(),
            5);
}

TEST(FingerprintBuilderTest, CarriesRefusalsAndErrors) {
  EndpointObservation endpoint;
  endpoint.addresses = {"127.0.0.1"};
  endpoint.refused_addresses = {"127.0.0.1"};
  endpoint.address_outcome = v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED;
  endpoint.address_error = "every address is refused";
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_NXDOMAIN;
  txt.error = "TXT examplehealth.test: Domain name not found";
  v1::Fingerprint fp = BuildFingerprint(AppTarget(), endpoint, txt, "abc", "cerner-client-id");
  EXPECT_THAT(fp.dns().refused_addresses(), ElementsAre("127.0.0.1"));
  EXPECT_EQ(fp.dns().address_outcome(), v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED);
  EXPECT_EQ(fp.dns().txt_outcome(), v1::PROBE_OUTCOME_NXDOMAIN);
  EXPECT_EQ(fp.dns().error(),
            "every address is refused; TXT examplehealth.test: Domain name not found");
  EXPECT_FALSE(fp.has_captured_at());
}

TEST(FingerprintBuilderTest, ClientEntryKeyIgnoresCaseClientIdDoesNot) {
  EXPECT_TRUE(HasClientEntry({"cerner-client-id=app-1"}, "app-1", "cerner-client-id"));
  EXPECT_TRUE(HasClientEntry({"Cerner-Client-ID=app-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id=app-10"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id=APP-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"other-key=app-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id"}, "app-1", "cerner-client-id"));
}

TEST(FingerprintBuilderTest, UnsetTimesAreIgnored) {
  const absl::Time t = absl::FromUnixSeconds(1800000000);
  EndpointObservation endpoint;
  endpoint.observed_at = t;
  TxtObservation txt;  // observed_at unset
  txt.outcome = v1::PROBE_OUTCOME_NOT_APPLICABLE;
  v1::Fingerprint fp = BuildFingerprint(Target{}, endpoint, txt, "a", "k");
  EXPECT_EQ(fp.captured_at().seconds(), absl::ToUnixSeconds(t));
  v1::Fingerprint none =
      BuildFingerprint(Target{}, EndpointObservation{}, TxtObservation{}, "a", "k");
  EXPECT_FALSE(none.has_captured_at());
}

// Bytes that are not UTF-8 never reach a proto string: a fingerprint with
// one would not parse at the store, and the grant could never be suspended.
TEST(FingerprintBuilderTest, EveryStringIsValidUtf8AndTheClientIsMatchedOnRawBytes) {
  EndpointObservation endpoint;
  endpoint.observed_at = absl::FromUnixSeconds(5);
  endpoint.tls.set_subject_organization("Acme\xFF\xFE");
  endpoint.tls.add_subject_alt_names("x\xFF.example.test");
  endpoint.address_error = "A x\xC3: no answer";
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.entries = {
      "cerner-client-id=\xFF\xFE"
      "abc",
      "cerner-client-id=ok"};
  txt.observed_at = absl::FromUnixSeconds(5);

  v1::Fingerprint fp = BuildFingerprint(AppTarget(), endpoint, txt, "ok", "cerner-client-id");
  EXPECT_THAT(fp.dns().txt_values(),
              ElementsAre("cerner-client-id=\\xFF\\xFEabc", "cerner-client-id=ok"));
  EXPECT_TRUE(fp.dns().client_id_txt_present());
  EXPECT_EQ(fp.tls().subject_organization(), "Acme\\xFF\\xFE");
  EXPECT_THAT(fp.tls().subject_alt_names(), ElementsAre("x\\xFF.example.test"));
  EXPECT_EQ(fp.dns().error(), "A x\\xC3: no answer");
  v1::Fingerprint parsed;
  ASSERT_TRUE(parsed.ParseFromString(fp.SerializeAsString()));

  // The escaped text of an entry is not the raw entry: "\xFFabc" published
  // as bytes does not count as the client "\\xFFabc" written out.
  EXPECT_FALSE(BuildFingerprint(AppTarget(), endpoint, txt, "\\xFF\\xFEabc", "cerner-client-id")
                   .dns()
                   .client_id_txt_present());
}

}  // namespace
}  // namespace apptrust::probe
