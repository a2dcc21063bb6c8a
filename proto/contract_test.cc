// The generated code of the API contract compiles, and its messages survive
// the wire format and the text format that policy.textproto is written in.
#include "apptrust/v1/decision.pb.h"
#include "apptrust/v1/policy.pb.h"
#include "apptrust/v1/store.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace apptrust::v1 {
namespace {

TEST(ContractTest, GrantRoundTripsThroughTheWireFormat) {
  Grant grant;
  grant.set_tenant_id("tenant-a");
  grant.set_grant_id("grant-1");
  grant.set_client_id("client-1");
  grant.set_redirect_uri("https://app.examplehealth.com/callback");
  grant.set_persona(PERSONA_PATIENT);
  grant.set_state(GRANT_STATE_SUSPENDED);
  grant.set_version(3);
  grant.mutable_identity()->set_label(LABEL_IDENTIFIED);
  grant.mutable_identity()->set_organization_location("US, MO, Kansas City");
  TlsFingerprint* tls = grant.mutable_fingerprint()->mutable_tls();
  tls->set_validation_level(VALIDATION_LEVEL_OV);
  tls->set_leaf_sha256(std::string(64, 'a'));
  tls->mutable_not_after()->set_seconds(1800000000);
  grant.mutable_fingerprint()->mutable_dns()->add_txt_values("cerner-client-id=client-1");
  Finding* finding = grant.mutable_suspension()->add_findings();
  finding->set_reason(REASON_TLS_CERT_EXPIRED);
  finding->set_suspends(true);

  Grant parsed;
  ASSERT_TRUE(parsed.ParseFromString(grant.SerializeAsString()));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(grant, parsed));
  EXPECT_EQ(parsed.suspension().findings(0).reason(), REASON_TLS_CERT_EXPIRED);
}

TEST(ContractTest, PolicyConfigParsesFromTextFormat) {
  constexpr char kText[] = R"pb(
    profile: PROFILE_STRICT
    enforcement: ENFORCEMENT_SHADOW
    txt_key: "example-client-id"
    expiring_soon { seconds: 604800 }
    personas_in_scope: PERSONA_PATIENT
    personas_in_scope: PERSONA_PROVIDER
    on_probe_failure: PROBE_FAILURE_SUSPEND
    max_staleness { seconds: 3600 }
    error_base_url: "https://apptrust.example.org"
    tenants {
      key: "hospital-a"
      value { profile: PROFILE_SECURITY support_contact: "help@hospital-a.example" }
    }
  )pb";
  PolicyConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kText, &config));
  EXPECT_EQ(config.profile(), PROFILE_STRICT);
  EXPECT_EQ(config.enforcement(), ENFORCEMENT_SHADOW);
  EXPECT_EQ(config.personas_in_scope_size(), 2);
  EXPECT_EQ(config.expiring_soon().seconds(), 604800);
  ASSERT_EQ(config.tenants().count("hospital-a"), 1u);
  EXPECT_EQ(config.tenants().at("hospital-a").profile(), PROFILE_SECURITY);

  PolicyConfig unknown;
  EXPECT_FALSE(google::protobuf::TextFormat::ParseFromString("profile: PROFILE_LAX", &unknown));
}

TEST(ContractTest, EveryContractReasonExists) {
  for (const char* name : {"REASON_TLS_CERT_EXPIRED",
                           "REASON_TLS_CERT_NOT_YET_VALID",
                           "REASON_TLS_CHAIN_UNTRUSTED",
                           "REASON_TLS_HOSTNAME_MISMATCH",
                           "REASON_TLS_PROTOCOL_OUTDATED",
                           "REASON_TLS_CERT_REVOKED",
                           "REASON_TLS_UNAVAILABLE",
                           "REASON_IDENTITY_CHANGED",
                           "REASON_VALIDATION_DOWNGRADED",
                           "REASON_DNS_TXT_MISSING",
                           "REASON_DNS_DOMAIN_NOT_FOUND",
                           "REASON_REDIRECT_DOMAIN_CHANGED",
                           "REASON_ADDRESS_NOT_ALLOWED",
                           "REASON_ALREADY_SUSPENDED",
                           "REASON_CERTIFICATE_CHANGED",
                           "REASON_KEY_CHANGED",
                           "REASON_DNS_TXT_CHANGED",
                           "REASON_PROBE_FAILED",
                           "REASON_CERT_EXPIRING_SOON",
                           "REASON_NON_STANDARD_PORT",
                           "REASON_DV_CERTIFICATE",
                           "REASON_TXT_RECORD_ABSENT",
                           "REASON_NO_TLS",
                           "REASON_ADDRESSES_CHANGED"}) {
    Reason reason;
    EXPECT_TRUE(Reason_Parse(name, &reason)) << name;
  }
}

}  // namespace
}  // namespace apptrust::v1
