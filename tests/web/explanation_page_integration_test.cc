// The page behind error_uri against the real processes: apptrust-store holds a
// suspended grant, apptrust-decision serves its error_uri over HTTP. Checks
// status, security headers, escaping and the facts on the page, the JSON
// variant, the 404 cases (no oracle about other tenants) and the 503 when the
// store is gone.
#include <signal.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/policy/error_uri.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/web/suspended_grant_fixture.h"

namespace apptrust::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPolicy[] = R"pb(
  support_contact: "help@apptrust.example"
  tenants {
    key: "tenant-north"
    value {
      display_name: "North Health"
      support_contact: "North Health help desk, 555-0100"
      support_contact_text { key: "es" value: "Llame a North Health al 555-0100." }
      manage_url: "https://north.example/patient/apps"
    }
  }
)pb";

void ExpectSecurityHeaders(const HttpResponse& response) {
  EXPECT_EQ(response.Header("content-security-policy"),
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  EXPECT_EQ(response.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(response.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(response.Header("cache-control"), "no-store");
}

// The target (path + query) of an error_uri on the fixture's listener.
std::string TargetOf(const std::string& error_uri) {
  auto split = SplitHttpUrl(error_uri);
  EXPECT_TRUE(split.ok()) << split.status();
  return split.ok() ? split->second : "";
}

class ExplanationPageIntegrationTest : public ::testing::Test {
 protected:
  // One store + decision pair for the read-only tests of this suite.
  static void SetUpTestSuite() {
    TempDir* policy_dir = new TempDir();
    policy_dir_ = policy_dir;
    const std::string policy_path = policy_dir->File("policy.textproto");
    ASSERT_TRUE(WriteFile(policy_path, kPolicy).ok());
    auto fixture = SuspendedGrantFixture::Start({"--policy=" + policy_path});
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = fixture->release();
    auto north = fixture_->Suspend(ExpiredCertificateSpec());
    ASSERT_TRUE(north.ok()) << north.status();
    north_ = new v1::Suspension(*north);
    SuspensionSpec south_spec = ExpiredCertificateSpec();
    south_spec.tenant_id = "tenant-south";
    south_spec.grant_id = "grant-south-1";
    auto south = fixture_->Suspend(south_spec);
    ASSERT_TRUE(south.ok()) << south.status();
    south_ = new v1::Suspension(*south);
  }
  static void TearDownTestSuite() {
    delete fixture_;
    delete north_;
    delete south_;
    delete policy_dir_;
  }
  void SetUp() override {
    ASSERT_NE(fixture_, nullptr);
    ASSERT_NE(north_, nullptr);
    ASSERT_NE(south_, nullptr);
  }

  static HttpResponse Get(const std::string& target,
                          std::vector<std::pair<std::string, std::string>> headers = {},
                          const std::string& method = "GET") {
    auto response = HttpRequest(fixture_->web_address(), method, target, headers);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : HttpResponse{};
  }

  // A path to `suspension` with a different reason's URN.
  static std::string WithUrnOf(const v1::Suspension& suspension, v1::Reason reason) {
    return TargetOf(policy::BuildErrorUri(fixture_->web_base_url(), reason,
                                          suspension.suspension_id(), suspension.client_id(),
                                          suspension.tenant_id()));
  }

  static TempDir* policy_dir_;
  static SuspendedGrantFixture* fixture_;
  static v1::Suspension* north_;
  static v1::Suspension* south_;
};

TempDir* ExplanationPageIntegrationTest::policy_dir_ = nullptr;
SuspendedGrantFixture* ExplanationPageIntegrationTest::fixture_ = nullptr;
v1::Suspension* ExplanationPageIntegrationTest::north_ = nullptr;
v1::Suspension* ExplanationPageIntegrationTest::south_ = nullptr;

TEST_F(ExplanationPageIntegrationTest, ErrorUriPointsAtTheWebListener) {
  EXPECT_THAT(north_->error_uri(), StartsWith(fixture_->web_base_url() + "/errors/"));
  EXPECT_THAT(north_->error_uri(), HasSubstr(north_->suspension_id()));
}

TEST_F(ExplanationPageIntegrationTest, ServesThePatientPageWithEveryFact) {
  const HttpResponse response = Get(TargetOf(north_->error_uri()), {{"Accept", "text/html"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("content-type"), "text/html; charset=utf-8");
  ExpectSecurityHeaders(response);
  const std::string& html = response.body;
  EXPECT_THAT(html, HasSubstr("<html lang=\"en\">"));
  // The organization name is an XSS attempt: it must arrive as text.
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  // For the patient: which app, why, what to do, whom to contact.
  EXPECT_THAT(html, HasSubstr("access to your health record is paused"));
  EXPECT_THAT(html, HasSubstr("Heart Helper"));
  EXPECT_THAT(html, HasSubstr("heart-helper.example"));
  EXPECT_THAT(html, HasSubstr("US, MO, Kansas City"));
  EXPECT_THAT(html, HasSubstr(absl::StrReplaceAll(kExpiredSentence, {{"'", "&#39;"}})));
  EXPECT_THAT(html, HasSubstr("href=\"https://north.example/patient/apps\" target=\"_blank\""));
  EXPECT_THAT(html, HasSubstr("North Health help desk, 555-0100"));
  EXPECT_THAT(html, HasSubstr("Paused on "));
  // For developers: ids, codes, details, how to check the site.
  EXPECT_THAT(html, HasSubstr(north_->suspension_id()));
  EXPECT_THAT(html, HasSubstr("REASON_TLS_CERT_EXPIRED"));
  EXPECT_THAT(html, HasSubstr("REASON_TXT_RECORD_ABSENT"));
  EXPECT_THAT(html, HasSubstr("urn:apptrust:error:refresh-suspended:tls-cert-expired"));
  EXPECT_THAT(html, HasSubstr("not_after: 2026-11-01T00:00:00Z"));
  EXPECT_THAT(html, HasSubstr(absl::StrCat("cerner-client-id=", kLongClientId)));
  EXPECT_THAT(html, HasSubstr("TLS 1.2 or newer"));
  // The grant id is the gateway's handle; the page does not publish it.
  EXPECT_THAT(html, Not(HasSubstr("grant-0001")));
}

TEST_F(ExplanationPageIntegrationTest, SpanishWithTheTenantsOwnWords) {
  const HttpResponse response =
      Get(TargetOf(north_->error_uri()), {{"Accept-Language", "es-US,es;q=0.9,en;q=0.8"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("content-language"), "es");
  EXPECT_THAT(response.body, HasSubstr("<html lang=\"es\">"));
  EXPECT_THAT(response.body, HasSubstr("North Health: acceso a su expediente médico"));
  EXPECT_THAT(response.body, HasSubstr("Llame a North Health al 555-0100."));
  EXPECT_THAT(response.body, HasSubstr("caducó el 1 de noviembre de 2026"));
}

TEST_F(ExplanationPageIntegrationTest, OtherTenantsGetTheirOwnContact) {
  const HttpResponse response = Get(TargetOf(south_->error_uri()));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.body, HasSubstr("mailto:help@apptrust.example"));
  EXPECT_THAT(response.body, Not(HasSubstr("north.example")));
}

TEST_F(ExplanationPageIntegrationTest, JsonVariantCarriesTheSameFacts) {
  const HttpResponse response =
      Get(TargetOf(north_->error_uri()), {{"Accept", "application/json"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("content-type"), "application/json; charset=utf-8");
  ExpectSecurityHeaders(response);
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(response.body, &json).ok())
      << response.body;
  const auto& f = json.fields();
  EXPECT_EQ(f.at("suspension_id").string_value(), north_->suspension_id());
  EXPECT_EQ(f.at("tenant_id").string_value(), "tenant-north");
  EXPECT_EQ(f.at("client_id").string_value(), kLongClientId);
  EXPECT_EQ(f.at("reason").string_value(), "REASON_TLS_CERT_EXPIRED");
  EXPECT_EQ(f.at("error").string_value(), "urn:apptrust:error:refresh-suspended:tls-cert-expired");
  const auto& app = f.at("app").struct_value().fields();
  EXPECT_EQ(app.at("organization_name").string_value(), "<script>alert(1)</script>");
  EXPECT_EQ(app.at("domain").string_value(), "heart-helper.example");
  const auto& findings = f.at("findings").list_value().values();
  ASSERT_EQ(findings.size(), 2);
  EXPECT_EQ(findings[0].struct_value().fields().at("message").string_value(), kExpiredSentence);
  const auto& todo = f.at("what_to_do").struct_value().fields();
  EXPECT_EQ(todo.at("manage_url").string_value(), "https://north.example/patient/apps");
  EXPECT_EQ(todo.at("support_contact").string_value(), "North Health help desk, 555-0100");
}

TEST_F(ExplanationPageIntegrationTest, HeadIsAllowedOtherMethodsAre405) {
  const HttpResponse head = Get(TargetOf(north_->error_uri()), {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  ExpectSecurityHeaders(head);
  const HttpResponse post = Get(TargetOf(north_->error_uri()), {{"Content-Length", "0"}}, "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("allow"), "GET, HEAD");
  ExpectSecurityHeaders(post);
}

TEST_F(ExplanationPageIntegrationTest, NotFoundCasesAreIndistinguishable) {
  const std::string unknown_id = TargetOf(
      policy::BuildErrorUri(fixture_->web_base_url(), v1::REASON_TLS_CERT_EXPIRED,
                            "00000000000000000000000000000000", kLongClientId, "tenant-north"));
  // South's real suspension, asked for as if it were North's.
  const std::string other_tenant =
      TargetOf(policy::BuildErrorUri(fixture_->web_base_url(), v1::REASON_TLS_CERT_EXPIRED,
                                     south_->suspension_id(), south_->client_id(), "tenant-north"));
  const std::string wrong_client =
      TargetOf(policy::BuildErrorUri(fixture_->web_base_url(), v1::REASON_TLS_CERT_EXPIRED,
                                     north_->suspension_id(), "client-other", "tenant-north"));
  const std::string wrong_urn = WithUrnOf(*north_, v1::REASON_DNS_TXT_MISSING);
  const std::string malformed_id = absl::StrCat(
      "/errors/urn%3Aapptrust%3Aerror%3Arefresh-suspended%3Atls-cert-expired/instances/",
      "%3Cscript%3E?client=", kLongClientId, "&tenant=tenant-north");

  const HttpResponse reference = Get(unknown_id);
  EXPECT_EQ(reference.status, 404);
  EXPECT_THAT(reference.body, HasSubstr("We could not find this page"));
  ExpectSecurityHeaders(reference);
  for (const std::string& target : {other_tenant, wrong_client, wrong_urn, malformed_id}) {
    const HttpResponse response = Get(target);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(response.body, reference.body) << target;
    ExpectSecurityHeaders(response);
  }
  const HttpResponse json = Get(other_tenant, {{"Accept", "application/json"}});
  EXPECT_EQ(json.status, 404);
  EXPECT_THAT(json.body, HasSubstr("\"not_found\""));
}

TEST(ExplanationPageStoreDownTest, AnswersServiceUnavailableWhenTheStoreIsGone) {
  auto fixture = SuspendedGrantFixture::Start();
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  auto suspension = (*fixture)->Suspend(ExpiredCertificateSpec());
  ASSERT_TRUE(suspension.ok()) << suspension.status();
  const std::string target = TargetOf(suspension->error_uri());
  auto before = HttpRequest((*fixture)->web_address(), "GET", target);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->status, 200);

  (*fixture)->store().process->Signal(SIGKILL);
  ASSERT_TRUE((*fixture)->store().process->Wait(absl::Seconds(10)).ok());

  auto after = HttpRequest((*fixture)->web_address(), "GET", target);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status, 503);
  EXPECT_EQ(after->Header("content-type"), "text/html; charset=utf-8");
  EXPECT_THAT(after->body, HasSubstr("try again"));
  EXPECT_THAT(after->body, Not(HasSubstr(suspension->suspension_id())));
  ExpectSecurityHeaders(*after);
  auto json =
      HttpRequest((*fixture)->web_address(), "GET", target, {{"Accept", "application/json"}});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->status, 503);
  EXPECT_THAT(json->body, HasSubstr("\"unavailable\""));
}

}  // namespace
}  // namespace apptrust::testing
