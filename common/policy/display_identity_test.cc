#include "common/policy/display_identity.h"

#include "gtest/gtest.h"

namespace apptrust::policy {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1795867200);  // 2026-11-28T12:00:00Z

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

v1::Fingerprint TrustedOv() {
  v1::Fingerprint fp;
  fp.set_host("app.example.com");
  fp.set_domain("example.com");
  v1::TlsFingerprint& tls = *fp.mutable_tls();
  tls.set_present(true);
  tls.set_outcome(v1::PROBE_OUTCOME_OK);
  tls.set_validation_level(v1::VALIDATION_LEVEL_OV);
  tls.set_chain_trusted(true);
  tls.set_hostname_matches(true);
  tls.set_subject_organization("Example Health Inc");
  tls.set_subject_country("US");
  tls.set_subject_state("MO");
  tls.set_subject_locality("Kansas City");
  *tls.mutable_not_before() = Ts(kNow - absl::Hours(24));
  *tls.mutable_not_after() = Ts(kNow + absl::Hours(24));
  fp.mutable_dns()->set_client_id_txt_present(true);
  return fp;
}

TEST(DisplayIdentityTest, TrustedOvWithTxtIsIdentified) {
  v1::DisplayIdentity id = ComputeIdentity(TrustedOv(), "Example App", false, kNow);
  EXPECT_EQ(id.application_name(), "Example App");
  EXPECT_EQ(id.organization_name(), "Example Health Inc");
  EXPECT_EQ(id.organization_location(), "US, MO, Kansas City");
  EXPECT_EQ(id.domain(), "example.com");
  EXPECT_EQ(id.label(), v1::LABEL_IDENTIFIED);
}

// The domain stays in A-labels (compared, unspoofable); the U-label form is
// added for people to read.
TEST(DisplayIdentityTest, InternationalDomainIsShownInBothForms) {
  v1::Fingerprint fp = TrustedOv();
  fp.set_host("app.xn--bcher-klinik-dlb.example");
  fp.set_domain("xn--bcher-klinik-dlb.example");
  v1::DisplayIdentity id = ComputeIdentity(fp, "Example App", false, kNow);
  EXPECT_EQ(id.domain(), "xn--bcher-klinik-dlb.example");
  EXPECT_EQ(id.domain_unicode(),
            "b\xc3\xbc"
            "cher-klinik.example");
  EXPECT_EQ(ComputeIdentity(TrustedOv(), "", false, kNow).domain_unicode(), "example.com");
}

TEST(DisplayIdentityTest, EvCountsLikeOv) {
  v1::Fingerprint fp = TrustedOv();
  fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_EV);
  EXPECT_EQ(ComputeIdentity(fp, "A", false, kNow).label(), v1::LABEL_IDENTIFIED);
}

TEST(DisplayIdentityTest, LocationSkipsEmptyParts) {
  v1::Fingerprint fp = TrustedOv();
  fp.mutable_tls()->clear_subject_state();
  EXPECT_EQ(ComputeIdentity(fp, "A", false, kNow).organization_location(), "US, Kansas City");
  fp.mutable_tls()->clear_subject_country();
  fp.mutable_tls()->clear_subject_locality();
  EXPECT_EQ(ComputeIdentity(fp, "A", false, kNow).organization_location(), "");
}

// Each of these alone leaves only the domain to be shown.
TEST(DisplayIdentityTest, WithoutTrustedOrganizationCertificateOnlyTheDomainIsShown) {
  std::vector<std::pair<const char*, void (*)(v1::Fingerprint&)>> cases = {
      {"DV",
       [](v1::Fingerprint& fp) {
         fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_DV);
       }},
      {"IV",
       [](v1::Fingerprint& fp) {
         fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_IV);
       }},
      {"untrusted", [](v1::Fingerprint& fp) { fp.mutable_tls()->set_chain_trusted(false); }},
      {"wrong host", [](v1::Fingerprint& fp) { fp.mutable_tls()->set_hostname_matches(false); }},
      {"expired",
       [](v1::Fingerprint& fp) {
         *fp.mutable_tls()->mutable_not_after() = Ts(kNow - absl::Seconds(1));
       }},
      {"not yet valid",
       [](v1::Fingerprint& fp) {
         *fp.mutable_tls()->mutable_not_before() = Ts(kNow + absl::Seconds(1));
       }},
      {"no TLS", [](v1::Fingerprint& fp) { fp.clear_tls(); }},
  };
  for (const auto& [name, change] : cases) {
    v1::Fingerprint fp = TrustedOv();
    change(fp);
    v1::DisplayIdentity id = ComputeIdentity(fp, "Example App", false, kNow);
    EXPECT_EQ(id.application_name(), "") << name;
    EXPECT_EQ(id.organization_name(), "") << name;
    EXPECT_EQ(id.organization_location(), "") << name;
    EXPECT_EQ(id.domain(), "example.com") << name;
    EXPECT_EQ(id.label(), v1::LABEL_UNKNOWN_APP) << name;
  }
}

TEST(DisplayIdentityTest, NoTxtEntryMeansUnknownAppButNamesStillShown) {
  v1::Fingerprint fp = TrustedOv();
  fp.mutable_dns()->set_client_id_txt_present(false);
  v1::DisplayIdentity id = ComputeIdentity(fp, "Example App", false, kNow);
  EXPECT_EQ(id.label(), v1::LABEL_UNKNOWN_APP);
  EXPECT_EQ(id.organization_name(), "Example Health Inc");
  EXPECT_EQ(id.application_name(), "Example App");
}

TEST(DisplayIdentityTest, ValidatedWinsTheLabelButNotTheNames) {
  v1::Fingerprint fp = TrustedOv();
  EXPECT_EQ(ComputeIdentity(fp, "A", true, kNow).label(), v1::LABEL_VALIDATED);
  fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_DV);
  v1::DisplayIdentity id = ComputeIdentity(fp, "A", true, kNow);
  EXPECT_EQ(id.label(), v1::LABEL_VALIDATED);
  EXPECT_EQ(id.application_name(), "");
  EXPECT_EQ(id.organization_name(), "");
}

TEST(DisplayIdentityTest, ClaimedIdentityIgnoresTrustAndDates) {
  v1::Fingerprint fp = TrustedOv();
  fp.mutable_tls()->set_chain_trusted(false);
  *fp.mutable_tls()->mutable_not_after() = Ts(kNow - absl::Hours(1));
  EXPECT_EQ(ComputeIdentity(fp, "A", false, kNow).organization_name(), "");
  v1::DisplayIdentity claimed = ClaimedIdentity(fp, "A", false);
  EXPECT_EQ(claimed.organization_name(), "Example Health Inc");
  EXPECT_EQ(claimed.label(), v1::LABEL_IDENTIFIED);
  fp.mutable_tls()->set_validation_level(v1::VALIDATION_LEVEL_DV);
  EXPECT_EQ(ClaimedIdentity(fp, "A", false).organization_name(), "");
}

}  // namespace
}  // namespace apptrust::policy
