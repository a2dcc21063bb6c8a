// The authorization rules as a table: who may call what, and which policy
// files are refused at start.
#include "common/server/authorization_policy.h"

#include "apptrust/v1/decision.pb.h"
#include "apptrust/v1/store.pb.h"
#include "gtest/gtest.h"

namespace apptrust::server {
namespace {

constexpr char kPolicy[] = R"pb(
  rules {
    identities: "spiffe://h.example/ns/gateway/sa/gw"
    methods: "/apptrust.v1.DecisionService/*"
  }
  rules {
    identities: "spiffe://h.example/ns/operators/*"
    identities: "ops.h.example"
    methods: "/apptrust.v1.FingerprintStore/GetGrant"
    methods: "/apptrust.v1.FingerprintStore/DeleteGrant"
  }
)pb";

TEST(AuthorizationPolicyTest, AllowsExactlyWhatARuleLists) {
  auto policy = AuthorizationPolicy::Parse(kPolicy, "authz.textproto");
  ASSERT_TRUE(policy.ok()) << policy.status();
  struct Case {
    const char* identity;
    const char* method;
    bool allowed;
  };
  for (const Case& c : std::vector<Case>{
           {"spiffe://h.example/ns/gateway/sa/gw", "/apptrust.v1.DecisionService/CheckRefresh",
            true},
           {"spiffe://h.example/ns/gateway/sa/gw", "/apptrust.v1.FingerprintStore/GetGrant", false},
           // A longer identity is not the exact one.
           {"spiffe://h.example/ns/gateway/sa/gw2", "/apptrust.v1.DecisionService/Enroll", false},
           {"spiffe://h.example/ns/operators/sa/alice", "/apptrust.v1.FingerprintStore/DeleteGrant",
            true},
           {"spiffe://h.example/ns/operators/sa/alice", "/apptrust.v1.FingerprintStore/PutGrant",
            false},
           {"ops.h.example", "/apptrust.v1.FingerprintStore/GetGrant", true},
           // The service prefix needs the slash: no FingerprintStoreAdmin.
           {"spiffe://h.example/ns/gateway/sa/gw", "/apptrust.v1.DecisionServiceAdmin/X", false},
           // Health is open to every caller that completed the handshake.
           {"spiffe://anyone.example/x", "/grpc.health.v1.Health/Check", true},
           // No identity: no rule matches.
           {"", "/apptrust.v1.DecisionService/CheckRefresh", false},
       }) {
    const absl::Status status = policy->Check(c.identity, c.method);
    EXPECT_EQ(status.ok(), c.allowed) << c.identity << " " << c.method << ": " << status;
    if (!c.allowed) {
      EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
      EXPECT_NE(status.message().find(c.method), std::string::npos) << status;
      EXPECT_NE(status.message().find(c.identity), std::string::npos) << status;
    }
  }
}

TEST(AuthorizationPolicyTest, AStarAloneAdmitsEveryIdentifiedCaller) {
  auto policy = AuthorizationPolicy::Parse(
      R"pb(rules { identities: "*" methods: "/apptrust.v1.FingerprintStore/GetGrant" })pb", "p");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->Check("x.example", "/apptrust.v1.FingerprintStore/GetGrant").ok());
  EXPECT_FALSE(policy->Check("", "/apptrust.v1.FingerprintStore/GetGrant").ok());
}

TEST(AuthorizationPolicyTest, EmptyPolicyDeniesEverythingButHealth) {
  auto policy = AuthorizationPolicy::Parse("", "p");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_FALSE(policy->Check("a.example", "/apptrust.v1.DecisionService/Enroll").ok());
  EXPECT_TRUE(policy->Check("a.example", "/grpc.health.v1.Health/Watch").ok());
}

TEST(AuthorizationPolicyTest, RefusesMistakesNamingTheField) {
  // Methods are checked against the services this binary links (as
  // apptrust-decision links DecisionService).
  ASSERT_NE(v1::EnrollRequest::descriptor(), nullptr);
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"rules { methods: \"/apptrust.v1.DecisionService/*\" }", "rules[0].identities"},
           {"rules { identities: \"a\" }", "rules[0].methods"},
           {"rules { identities: \"a*b\" methods: \"/apptrust.v1.DecisionService/*\" }",
            "rules[0].identities[0]"},
           {"rules { identities: \"a\" methods: \"apptrust.v1.DecisionService/Enroll\" }",
            "rules[0].methods[0]"},
           {"rules { identities: \"a\" methods: \"/apptrust.v1.DecisionService/Enrol\" }",
            "has no method Enrol"},
           {"rules { identities: \"a\" methods: \"/apptrust.v1.DecisionService/En*\" }",
            "rules[0].methods[0]"},
           {"rules { identity: \"a\" }", "p:1:"},
           // A prefix that does not end at a segment would admit
           // ".../ns/operators-evil/...".
           {"rules { identities: \"spiffe://h.example/ns/operators*\" "
            "methods: \"/apptrust.v1.DecisionService/*\" }",
            "must follow '/' or '.'"},
       }) {
    auto policy = AuthorizationPolicy::Parse(c.text, "p");
    ASSERT_FALSE(policy.ok()) << c.text;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(policy.status().message().find(c.expected), std::string::npos)
        << c.text << " → " << policy.status();
  }
}

// The deployment's policy loads, with every method it names known, and says
// what docs/OPERATING.md says it does.
TEST(AuthorizationPolicyTest, TheDeployedPolicyLoadsAndSeparatesTheCallers) {
  ASSERT_NE(v1::EnrollRequest::descriptor(), nullptr);
  ASSERT_NE(v1::GetGrantRequest::descriptor(), nullptr);
  auto policy = AuthorizationPolicy::Load(APPTRUST_DEPLOY_AUTHZ_POLICY);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const std::string gateway = "spiffe://hospital.example/ns/gateway/sa/token-gateway";
  const std::string decision = "spiffe://hospital.example/ns/apptrust/sa/decision";
  const std::string operator_id = "spiffe://hospital.example/ns/operators/sa/alice";
  EXPECT_TRUE(policy->Check(gateway, "/apptrust.v1.DecisionService/CheckRefresh").ok());
  EXPECT_FALSE(policy->Check(gateway, "/apptrust.v1.FingerprintStore/GetGrant").ok());
  EXPECT_TRUE(policy->Check(decision, "/apptrust.v1.FingerprintStore/SuspendGrant").ok());
  EXPECT_FALSE(policy->Check(decision, "/apptrust.v1.FingerprintStore/DeleteGrant").ok());
  EXPECT_FALSE(policy->Check(decision, "/apptrust.v1.DecisionService/Enroll").ok());
  EXPECT_TRUE(policy->Check(operator_id, "/apptrust.v1.FingerprintStore/DeleteGrant").ok());
  EXPECT_FALSE(policy->Check(operator_id, "/apptrust.v1.FingerprintStore/PutGrant").ok());
}

}  // namespace
}  // namespace apptrust::server
