// End to end: the patient's path from a suspended refresh to the page. Enroll
// an app through the real decision service, let its certificate expire, call
// CheckRefresh, and follow the error_uri it returns to the page the same
// decision service serves (the suspension read back from the real store).
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/decision/web/explanation_page.h"
#include "tests/e2e/e2e_world.h"
#include "tests/support/http_client.h"

namespace apptrust::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ExplanationPageE2eTest, TheErrorUriOfASuspendedRefreshExplainsTheSuspension) {
  auto world = E2eWorld::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  auto app = (*world)->AddApp("pageexpired", ExampleHealthOv());
  ASSERT_TRUE(app.ok()) << app.status();
  auto decision = (*world)->Decision();
  ASSERT_TRUE(decision.ok()) << decision.status();
  auto web = (*decision)->process->WaitForListener("web");
  ASSERT_TRUE(web.ok()) << web.status();
  auto stub = v1::DecisionService::NewStub((*decision)->channel);

  v1::EnrollRequest enroll;
  enroll.set_tenant_id("tenant-a");
  enroll.set_client_id((*app)->client_id);
  enroll.set_grant_id("grant-page");
  enroll.set_redirect_uri((*app)->redirect_uri);
  enroll.set_application_name("Example Health App");
  enroll.set_persona(v1::PERSONA_PATIENT);
  v1::EnrollResponse enrolled;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    const grpc::Status status = stub->Enroll(&context, enroll, &enrolled);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  LeafOptions expired = ExampleHealthOv();
  expired.not_before = absl::Now() - absl::Hours(24 * 100);
  expired.not_after = absl::Now() - absl::Hours(24);
  ASSERT_TRUE((*world)->ServeCertificate(**app, expired).ok());

  v1::CheckRefreshRequest check;
  check.set_tenant_id("tenant-a");
  check.set_client_id((*app)->client_id);
  check.set_grant_id("grant-page");
  v1::CheckRefreshResponse refused;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    const grpc::Status status = stub->CheckRefresh(&context, check, &refused);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_EQ(refused.verdict(), v1::VERDICT_SUSPEND);
  std::string sentence;
  for (const v1::Finding& finding : refused.findings()) {
    if (finding.suspends() && finding.reason() == v1::REASON_TLS_CERT_EXPIRED) {
      sentence = finding.message();
    }
  }
  ASSERT_FALSE(sentence.empty());

  // The configured error_base_url is the default; the page is wherever
  // --web_listen bound, so follow the error_uri's path and query there.
  auto split = SplitHttpUrl(refused.error_uri());
  ASSERT_TRUE(split.ok()) << split.status();
  auto page = HttpRequest(*web, "GET", split->second);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->status, 200) << refused.error_uri() << "\n" << page->body;
  EXPECT_EQ(page->Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->Header("x-content-type-options"), "nosniff");
  EXPECT_THAT(page->Header("content-security-policy"), HasSubstr("default-src 'none'"));
  EXPECT_THAT(page->body, HasSubstr(web::HtmlEscape(sentence)));
  EXPECT_THAT(page->body, HasSubstr((*app)->domain));
  EXPECT_THAT(page->body, HasSubstr(refused.suspension_id()));
  EXPECT_THAT(page->body, HasSubstr("REASON_TLS_CERT_EXPIRED"));
  EXPECT_THAT(page->body, HasSubstr(absl::StrCat("cerner-client-id=", (*app)->client_id)));
  EXPECT_THAT(page->body, Not(HasSubstr("<script")));

  auto json = HttpRequest(*web, "GET", split->second, {{"Accept", "application/json"}});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->status, 200);
  EXPECT_THAT(json->body,
              HasSubstr(absl::StrCat("\"suspension_id\":\"", refused.suspension_id(), "\"")));

  // Another tenant asking for the same id learns nothing.
  std::string other_tenant = split->second;
  const size_t tenant_at = other_tenant.find("tenant=tenant-a");
  ASSERT_NE(tenant_at, std::string::npos) << other_tenant;
  other_tenant.replace(tenant_at, 15, "tenant=tenant-b");
  auto hidden = HttpRequest(*web, "GET", other_tenant);
  ASSERT_TRUE(hidden.ok()) << hidden.status();
  EXPECT_EQ(hidden->status, 404);
}

}  // namespace
}  // namespace apptrust::testing
