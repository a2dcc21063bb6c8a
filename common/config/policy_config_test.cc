#include "common/config/policy_config.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "common/config/effective_policy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(PolicyConfigTest, EmptyPathAndEmptyTextMeanDefaults) {
  auto from_path = LoadPolicyConfig("");
  ASSERT_TRUE(from_path.ok()) << from_path.status();
  auto from_text = ParsePolicyConfigText("", "policy.textproto");
  ASSERT_TRUE(from_text.ok()) << from_text.status();

  EffectivePolicy p = ResolvePolicy(*from_text, "any-tenant");
  EXPECT_EQ(p.profile, v1::PROFILE_DISPLAYED);
  EXPECT_EQ(p.enforcement, v1::ENFORCEMENT_ENFORCE);
  EXPECT_EQ(p.txt_key, "cerner-client-id");
  EXPECT_EQ(p.expiring_soon, absl::Hours(24 * 14));
  EXPECT_THAT(p.personas_in_scope, ElementsAre(v1::PERSONA_PATIENT));
  EXPECT_EQ(p.on_probe_failure, v1::PROBE_FAILURE_STALE_OK);
  EXPECT_EQ(p.max_staleness, absl::Hours(12));
  EXPECT_EQ(p.error_base_url, "http://127.0.0.1:8080");
  EXPECT_EQ(p.support_contact, "");
  EXPECT_EQ(p.manage_url, "");
}

TEST(PolicyConfigTest, UnknownProfileNamePointsAtLineAndColumn) {
  auto config = ParsePolicyConfigText(
      "# comment\n"
      "enforcement: ENFORCEMENT_SHADOW\n"
      "profile: PROFILE_LAX\n",
      "policy.textproto");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), StartsWith("policy.textproto:3:10: "));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("PROFILE_LAX"));
}

TEST(PolicyConfigTest, SyntaxErrorAndUnknownFieldPointAtTheLine) {
  auto bad_syntax = ParsePolicyConfigText("profile: PROFILE_STRICT\ntxt_key \"x\"\n", "p.txt");
  ASSERT_FALSE(bad_syntax.ok());
  EXPECT_THAT(std::string(bad_syntax.status().message()), StartsWith("p.txt:2:"));

  auto unknown = ParsePolicyConfigText("\n\n  profil: PROFILE_STRICT\n", "p.txt");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), StartsWith("p.txt:3:"));
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("profil"));
}

TEST(PolicyConfigTest, NumericUnknownEnumIsRefused) {
  auto config = ParsePolicyConfigText("profile: 7\n", "p.txt");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("p.txt:1:"));
}

struct BadValue {
  const char* text;
  const char* expected_prefix;  // position + field
};

class PolicyConfigValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(PolicyConfigValueTest, IsRefusedWithPosition) {
  auto config = ParsePolicyConfigText(GetParam().text, "policy.textproto");
  ASSERT_FALSE(config.ok()) << GetParam().text;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), StartsWith(GetParam().expected_prefix));
}

INSTANTIATE_TEST_SUITE_P(
    Values, PolicyConfigValueTest,
    ::testing::Values(
        BadValue{"error_base_url: \"ftp://x.example\"", "policy.textproto:1:1: error_base_url"},
        BadValue{"error_base_url: \"apptrust.example.org\"",
                 "policy.textproto:1:1: error_base_url"},
        BadValue{"error_base_url: \"https://x.example/?a=b\"",
                 "policy.textproto:1:1: error_base_url"},
        BadValue{"error_base_url: \"https://x.example/#top\"",
                 "policy.textproto:1:1: error_base_url"},
        BadValue{"error_base_url: \"https://x.example/a b\"",
                 "policy.textproto:1:1: error_base_url"},
        BadValue{"error_base_url: \"https://\"", "policy.textproto:1:1: error_base_url"},
        BadValue{"expiring_soon { seconds: -1 }", "policy.textproto:1:1: expiring_soon"},
        BadValue{"\nmax_staleness { seconds: 43201 }", "policy.textproto:2:1: max_staleness"},
        BadValue{"txt_key: \"a=b\"", "policy.textproto:1:1: txt_key"},
        BadValue{"personas_in_scope: PERSONA_UNSPECIFIED",
                 "policy.textproto:1:1: personas_in_scope"},
        BadValue{"manage_url: \"javascript:alert(1)\"", "policy.textproto:1:1: manage_url"},
        BadValue{"support_contact_text { key: \"Spanish\" value: \"Llame\" }",
                 "policy.textproto:1:1: support_contact_text"},
        BadValue{"tenants { key: \"acme\" value {\n  display_name: \"Acme\"\n"
                 "  support_contact_text { key: \"es_MX\" value: \"x\" } } }",
                 "policy.textproto:3:3: tenants[\"acme\"].support_contact_text"},
        BadValue{"tenants { key: \"acme\" value {\n  profile: PROFILE_STRICT\n"
                 "  manage_url: \"mailto:x@y\" } }",
                 "policy.textproto:3:3: tenants[\"acme\"].manage_url"}));

// Webhooks: the position of the offending field inside its webhooks entry.
INSTANTIATE_TEST_SUITE_P(
    Webhooks, PolicyConfigValueTest,
    ::testing::Values(
        BadValue{"tenants { key: \"acme\" value { webhooks {\n"
                 "  id: \"dev\"\n  url: \"http://hooks.example/x\"\n  secret_file: \"/s\" } } }",
                 "policy.textproto:3:3: tenants[\"acme\"].webhooks[0].url"},
        BadValue{"tenants { key: \"acme\" value { webhooks {\n"
                 "  id: \"dev\"\n  url: \"https://hooks.example/x#f\"\n  secret_file: \"/s\" } } }",
                 "policy.textproto:3:3: tenants[\"acme\"].webhooks[0].url"},
        BadValue{"tenants { key: \"acme\" value { webhooks {\n"
                 "  id: \"dev\"\n  url: \"hooks.example\"\n  secret_file: \"/s\" } } }",
                 "policy.textproto:3:3: tenants[\"acme\"].webhooks[0].url"},
        BadValue{
            "tenants { key: \"acme\" value { webhooks {\n"
            "  id: \"has space\"\n  url: \"https://hooks.example/x\"\n  secret_file: \"/s\" } } }",
            "policy.textproto:2:3: tenants[\"acme\"].webhooks[0].id"},
        BadValue{"tenants { key: \"acme\" value { webhooks {\n"
                 "  id: \"dev\"\n  url: \"https://hooks.example/x\" } } }",
                 "policy.textproto:1:31: tenants[\"acme\"].webhooks[0].secret_file"},
        BadValue{"tenants { key: \"acme\" value {\n"
                 "  webhooks { id: \"dev\" url: \"https://a.example/\" secret_file: \"/s\" }\n"
                 "  webhooks { id: \"dev\" url: \"https://b.example/\" secret_file: \"/s\" } } }",
                 "policy.textproto:3:14: tenants[\"acme\"].webhooks[1].id"},
        BadValue{"tenants { key: \"acme\" value { webhooks {\n"
                 "  id: \"dev\" url: \"https://a.example/\" secret_file: \"/s\"\n"
                 "  client_ids: \"app\"\n  client_ids: \"app\" } } }",
                 "policy.textproto:3:3: tenants[\"acme\"].webhooks[0].client_ids"}));

TEST(PolicyConfigTest, WebhookWithQueryAndClientIdsIsAccepted) {
  auto config = ParsePolicyConfigText(
      "tenants { key: \"acme\" value { webhooks {\n"
      "  id: \"acme-dev_1.x\" url: \"https://hooks.example/apptrust?key=abc\"\n"
      "  secret_file: \"/etc/apptrust/acme.secret\" client_ids: \"app-1\" } } }",
      "policy.textproto");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tenants().at("acme").webhooks(0).client_ids(0), "app-1");
}

TEST(PolicyConfigTest, MaxStalenessOfExactly12HoursIsAccepted) {
  auto config = ParsePolicyConfigText("max_staleness { seconds: 43200 }", "p");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(ResolvePolicy(*config, "").max_staleness, absl::Hours(12));
}

constexpr char kFullConfig[] = R"pb(
  profile: PROFILE_STRICT
  enforcement: ENFORCEMENT_SHADOW
  txt_key: "example-client-id"
  expiring_soon { seconds: 86400 }
  personas_in_scope: [ PERSONA_PATIENT, PERSONA_PROVIDER ]
  on_probe_failure: PROBE_FAILURE_SUSPEND
  max_staleness { seconds: 3600 }
  error_base_url: "https://apptrust.example.org/"
  support_contact: "help@example.org"
  manage_url: "https://ehr.example.org/manage"
  tenants {
    key: "acme"
    value {
      profile: PROFILE_SECURITY
      on_probe_failure: PROBE_FAILURE_ALLOW
      support_contact: "acme support, +1 555 0100"
    }
  }
  tenants {
    key: "beta"
    value {
      enforcement: ENFORCEMENT_ENFORCE
      personas_in_scope: PERSONA_SYSTEM
      manage_url: "https://beta.example.org/apps"
    }
  }
)pb";

TEST(PolicyConfigTest, TopLevelValuesApplyToUnknownTenants) {
  auto config = ParsePolicyConfigText(kFullConfig, "policy.textproto");
  ASSERT_TRUE(config.ok()) << config.status();
  EffectivePolicy p = ResolvePolicy(*config, "unknown");
  EXPECT_EQ(p.profile, v1::PROFILE_STRICT);
  EXPECT_EQ(p.enforcement, v1::ENFORCEMENT_SHADOW);
  EXPECT_EQ(p.txt_key, "example-client-id");
  EXPECT_EQ(p.expiring_soon, absl::Hours(24));
  EXPECT_THAT(p.personas_in_scope, ElementsAre(v1::PERSONA_PATIENT, v1::PERSONA_PROVIDER));
  EXPECT_EQ(p.on_probe_failure, v1::PROBE_FAILURE_SUSPEND);
  EXPECT_EQ(p.max_staleness, absl::Hours(1));
  EXPECT_EQ(p.error_base_url, "https://apptrust.example.org");  // trailing slash dropped
  EXPECT_EQ(p.support_contact, "help@example.org");
  EXPECT_EQ(p.manage_url, "https://ehr.example.org/manage");
}

TEST(PolicyConfigTest, TenantOverridesAndInheritsUnsetFields) {
  auto config = ParsePolicyConfigText(kFullConfig, "policy.textproto");
  ASSERT_TRUE(config.ok()) << config.status();

  EffectivePolicy acme = ResolvePolicy(*config, "acme");
  EXPECT_EQ(acme.profile, v1::PROFILE_SECURITY);
  EXPECT_EQ(acme.enforcement, v1::ENFORCEMENT_SHADOW);  // inherited
  EXPECT_THAT(acme.personas_in_scope, ElementsAre(v1::PERSONA_PATIENT, v1::PERSONA_PROVIDER));
  EXPECT_EQ(acme.on_probe_failure, v1::PROBE_FAILURE_ALLOW);
  EXPECT_EQ(acme.support_contact, "acme support, +1 555 0100");
  EXPECT_EQ(acme.manage_url, "https://ehr.example.org/manage");  // inherited

  EffectivePolicy beta = ResolvePolicy(*config, "beta");
  EXPECT_EQ(beta.profile, v1::PROFILE_STRICT);  // inherited
  EXPECT_EQ(beta.enforcement, v1::ENFORCEMENT_ENFORCE);
  EXPECT_THAT(beta.personas_in_scope, ElementsAre(v1::PERSONA_SYSTEM));
  EXPECT_EQ(beta.on_probe_failure, v1::PROBE_FAILURE_SUSPEND);  // inherited
  EXPECT_EQ(beta.support_contact, "help@example.org");          // inherited
  EXPECT_EQ(beta.manage_url, "https://beta.example.org/apps");
}

TEST(PolicyConfigTest, InScopeTreatsUnspecifiedPersonaAsPatient) {
  EffectivePolicy p;  // defaults: patient only
  EXPECT_TRUE(InScope(p, v1::PERSONA_PATIENT));
  EXPECT_TRUE(InScope(p, v1::PERSONA_UNSPECIFIED));
  EXPECT_FALSE(InScope(p, v1::PERSONA_PROVIDER));
  EXPECT_FALSE(InScope(p, v1::PERSONA_SYSTEM));
  p.personas_in_scope = {v1::PERSONA_SYSTEM};
  EXPECT_FALSE(InScope(p, v1::PERSONA_UNSPECIFIED));
  EXPECT_TRUE(InScope(p, v1::PERSONA_SYSTEM));
}

TEST(PolicyConfigTest, StaleAllowanceOnlyUnderStaleOk) {
  EffectivePolicy p;
  p.max_staleness = absl::Hours(3);
  EXPECT_EQ(StaleAllowance(p), absl::Hours(3));
  p.on_probe_failure = v1::PROBE_FAILURE_ALLOW;
  EXPECT_EQ(StaleAllowance(p), absl::ZeroDuration());
  p.on_probe_failure = v1::PROBE_FAILURE_SUSPEND;
  EXPECT_EQ(StaleAllowance(p), absl::ZeroDuration());
}

TEST(PolicyConfigTest, LoadsFromFileAndReportsMissingFile) {
  std::string path = ::testing::TempDir() + "/policy_config_test.textproto";
  {
    std::ofstream out(path);
    out << "profile: PROFILE_SECURITY\n";
  }
  auto config = LoadPolicyConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->profile(), v1::PROFILE_SECURITY);
  {
    std::ofstream out(path);
    out << "\n\nprofile: PROFILE_LAX\n";
  }
  auto bad = LoadPolicyConfig(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), StartsWith(path + ":3:10: "));
  std::remove(path.c_str());

  auto missing = LoadPolicyConfig(path + ".missing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(PolicyConfigTest, ValidateWorksOnConfigsBuiltInCode) {
  v1::PolicyConfig config;
  EXPECT_TRUE(ValidatePolicyConfig(config).ok());
  (*config.mutable_tenants())["t"].set_manage_url("not a url");
  absl::Status status = ValidatePolicyConfig(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("tenants[\"t\"].manage_url: "));
}

}  // namespace
}  // namespace apptrust::config
