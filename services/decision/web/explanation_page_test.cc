#include "services/decision/web/explanation_page.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace apptrust::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kScript[] = "<script>alert(1)</script>";
constexpr char kEscapedScript[] = "&lt;script&gt;alert(1)&lt;/script&gt;";

v1::Suspension ExpiredCertSuspension() {
  v1::Suspension s;
  s.set_suspension_id("sus_0123456789abcdefghijklmnopqrstuvwxyz");
  s.set_tenant_id("tenant-a");
  s.set_grant_id("grant-secret-17");
  s.set_client_id("client-42");
  s.set_reason(v1::REASON_TLS_CERT_EXPIRED);
  s.set_error_description("The app's website certificate expired; approve the app again.");
  s.set_redirect_uri("https://app.example.com/callback");
  s.mutable_suspended_at()->set_seconds(1795876500);  // 2026-11-28T14:35:00Z
  v1::DisplayIdentity* identity = s.mutable_identity();
  identity->set_application_name("Heart Helper");
  identity->set_organization_name("Example Health Apps, Inc.");
  identity->set_organization_location("US, MO, Kansas City");
  identity->set_domain("example.com");
  identity->set_label(v1::LABEL_IDENTIFIED);
  v1::Finding* expired = s.add_findings();
  expired->set_reason(v1::REASON_TLS_CERT_EXPIRED);
  expired->set_suspends(true);
  expired->set_message("The website's security certificate expired on 1 November 2026.");
  expired->set_detail("not_after: 2026-11-01T00:00:00Z");
  v1::Finding* soon = s.add_findings();
  soon->set_reason(v1::REASON_DV_CERTIFICATE);
  soon->set_suspends(false);
  soon->set_message("The website uses a domain-validated certificate.");
  soon->set_detail("validation_level: DV");
  return s;
}

TenantContact Contact() {
  return TenantContact{"help@hospital.example", "https://ehr.example.org/manage/apps"};
}

TEST(HtmlEscapeTest, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("Kansas City → Zürich"), "Kansas City → Zürich");
}

TEST(FormatPatientTimeTest, PlainDateAndTimeInUtc) {
  google::protobuf::Timestamp time;
  time.set_seconds(1795876500);
  EXPECT_EQ(FormatPatientTime(time), "28 November 2026 at 14:35 UTC");
  time.set_seconds(1793491200);  // 2026-11-01T00:00:00Z
  EXPECT_EQ(FormatPatientTime(time), "1 November 2026 at 00:00 UTC");
  EXPECT_EQ(FormatPatientTime(google::protobuf::Timestamp()), "");
}

TEST(RenderExplanationHtmlTest, TellsThePatientWhatHappenedAndWhatToDo) {
  const std::string html = RenderExplanationHtml(ExpiredCertSuspension(), Contact());
  EXPECT_THAT(html, HasSubstr("<html lang=\"en\">"));
  EXPECT_THAT(html, HasSubstr("<meta name=\"viewport\""));
  EXPECT_THAT(html, HasSubstr("<h1"));
  EXPECT_THAT(html, HasSubstr("access to your health record"));
  EXPECT_THAT(html, HasSubstr("For your protection"));
  // Which app.
  EXPECT_THAT(html, HasSubstr("Heart Helper"));
  EXPECT_THAT(html, HasSubstr("example.com"));
  EXPECT_THAT(html, HasSubstr("Example Health Apps, Inc."));
  EXPECT_THAT(html, HasSubstr("US, MO, Kansas City"));
  EXPECT_THAT(html, HasSubstr("Identified"));
  // When.
  EXPECT_THAT(html, HasSubstr("28 November 2026 at 14:35 UTC"));
  // Why: the suspending finding's sentence (apostrophe escaped).
  EXPECT_THAT(html,
              HasSubstr("The website&#39;s security certificate expired on 1 November 2026."));
  // What to do: a button to the manage page, in a separate window.
  EXPECT_THAT(html, HasSubstr("<a class=\"button\" href=\"https://ehr.example.org/manage/apps\" "
                              "target=\"_blank\" rel=\"noopener noreferrer\">"));
  // Whom to contact.
  EXPECT_THAT(html, HasSubstr("<a href=\"mailto:help@hospital.example\">"));
}

TEST(RenderExplanationHtmlTest, InformationalFindingsAreForDevelopersOnly) {
  const std::string html = RenderExplanationHtml(ExpiredCertSuspension(), Contact());
  const size_t developer_part = html.find("For the app&#39;s developer");
  ASSERT_NE(developer_part, std::string::npos);
  const size_t informational = html.find("domain-validated certificate");
  ASSERT_NE(informational, std::string::npos);
  EXPECT_GT(informational, developer_part);
  EXPECT_LT(html.find("security certificate expired"), developer_part);
}

TEST(RenderExplanationHtmlTest, GivesDevelopersIdsCodesDetailsAndSiteChecks) {
  const std::string html = RenderExplanationHtml(ExpiredCertSuspension(), Contact());
  EXPECT_THAT(html, HasSubstr("sus_0123456789abcdefghijklmnopqrstuvwxyz"));
  EXPECT_THAT(html, HasSubstr("REASON_TLS_CERT_EXPIRED"));
  EXPECT_THAT(html, HasSubstr("REASON_DV_CERTIFICATE"));
  EXPECT_THAT(html, HasSubstr("urn:apptrust:error:refresh-suspended:tls-cert-expired"));
  EXPECT_THAT(html, HasSubstr("not_after: 2026-11-01T00:00:00Z"));
  EXPECT_THAT(html, HasSubstr("client-42"));
  EXPECT_THAT(html, HasSubstr("2026-11-28T14:35:00Z"));
  EXPECT_THAT(html, HasSubstr("https://app.example.com/callback"));
  EXPECT_THAT(html, HasSubstr("<code>cerner-client-id=client-42</code>"));
  EXPECT_THAT(html, HasSubstr("dig +short TXT example.com"));
  EXPECT_THAT(html, HasSubstr("TLS 1.2 or newer"));
  EXPECT_THAT(html, HasSubstr("Organization Validated (OV) or Extended Validation (EV)"));
  EXPECT_THAT(html, HasSubstr("publicly trusted"));
  // The grant id is the gateway's handle, not something to publish.
  EXPECT_THAT(html, Not(HasSubstr("grant-secret-17")));
}

TEST(RenderExplanationHtmlTest, LoadsNothingAndRunsNothing) {
  const std::string html = RenderExplanationHtml(ExpiredCertSuspension(), Contact());
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<iframe")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, HasSubstr("overflow-wrap:anywhere"));
}

TEST(RenderExplanationHtmlTest, EscapesEveryStoredValue) {
  v1::Suspension s = ExpiredCertSuspension();
  s.set_suspension_id(kScript);
  s.set_tenant_id(kScript);
  s.set_client_id(kScript);
  s.set_error_description(kScript);
  s.set_redirect_uri(kScript);
  s.mutable_identity()->set_application_name(kScript);
  s.mutable_identity()->set_organization_name(kScript);
  s.mutable_identity()->set_organization_location(kScript);
  s.mutable_identity()->set_domain(kScript);
  for (v1::Finding& finding : *s.mutable_findings()) {
    finding.set_message(kScript);
    finding.set_detail(kScript);
  }
  const std::string html =
      RenderExplanationHtml(s, TenantContact{kScript, "https://x.example/\"><script>"});
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("\"><")));
  EXPECT_THAT(html, HasSubstr(kEscapedScript));
}

TEST(RenderExplanationHtmlTest, OrganizationNameWithMarkupRendersAsText) {
  v1::Suspension s = ExpiredCertSuspension();
  s.mutable_identity()->set_organization_name(kScript);
  const std::string html = RenderExplanationHtml(s, Contact());
  EXPECT_THAT(html, HasSubstr(absl::StrCat("<dd>", kEscapedScript, "</dd>")));
}

TEST(RenderExplanationHtmlTest, OnlyHttpManageUrlsBecomeAButton) {
  for (const char* url : {"javascript:alert(1)", "data:text/html,hi", "//evil.example", ""}) {
    const std::string html = RenderExplanationHtml(ExpiredCertSuspension(), TenantContact{"", url});
    EXPECT_THAT(html, Not(HasSubstr("class=\"button\""))) << url;
    EXPECT_THAT(html, HasSubstr("list of connected apps")) << url;
    if (*url != '\0') {
      EXPECT_THAT(html, Not(HasSubstr(url))) << url;
    }
  }
}

TEST(RenderExplanationHtmlTest, SupportContactAsUrlTextOrNothing) {
  EXPECT_THAT(RenderExplanationHtml(ExpiredCertSuspension(),
                                    TenantContact{"https://help.example.org/apps", ""}),
              HasSubstr("<a href=\"https://help.example.org/apps\" target=\"_blank\""));
  EXPECT_THAT(
      RenderExplanationHtml(ExpiredCertSuspension(), TenantContact{"Call 555-0100 (Mon-Fri)", ""}),
      HasSubstr("contact support: Call 555-0100 (Mon-Fri)."));
  EXPECT_THAT(RenderExplanationHtml(ExpiredCertSuspension(), TenantContact{}),
              HasSubstr("contact the support team of your health care organization"));
}

TEST(RenderExplanationHtmlTest, TxtRecordUsesTheConfiguredKey) {
  TenantContact contact = Contact();
  contact.txt_key = "acme-client-id";
  EXPECT_THAT(RenderExplanationHtml(ExpiredCertSuspension(), contact),
              HasSubstr("<code>acme-client-id=client-42</code>"));
}

TEST(RenderExplanationHtmlTest, UnknownAppShowsTheDomain) {
  v1::Suspension s = ExpiredCertSuspension();
  s.mutable_identity()->clear_application_name();
  s.mutable_identity()->clear_organization_name();
  s.mutable_identity()->clear_organization_location();
  s.mutable_identity()->set_label(v1::LABEL_UNKNOWN_APP);
  const std::string html = RenderExplanationHtml(s, Contact());
  EXPECT_THAT(html, HasSubstr("<strong>example.com</strong>"));
  EXPECT_THAT(html, HasSubstr("Unknown App"));
  EXPECT_THAT(html, Not(HasSubstr("<dt>Organization</dt>")));
}

google::protobuf::Struct ParseJson(const std::string& json) {
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return parsed;
}

TEST(RenderExplanationJsonTest, CarriesTheSameFacts) {
  const google::protobuf::Struct json =
      ParseJson(RenderExplanationJson(ExpiredCertSuspension(), Contact()));
  const auto& f = json.fields();
  EXPECT_EQ(f.at("status").string_value(), "suspended");
  EXPECT_EQ(f.at("suspension_id").string_value(), "sus_0123456789abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(f.at("tenant_id").string_value(), "tenant-a");
  EXPECT_EQ(f.at("client_id").string_value(), "client-42");
  EXPECT_EQ(f.at("error").string_value(), "urn:apptrust:error:refresh-suspended:tls-cert-expired");
  EXPECT_EQ(f.at("reason").string_value(), "REASON_TLS_CERT_EXPIRED");
  EXPECT_EQ(f.at("suspended_at").string_value(), "2026-11-28T14:35:00Z");
  EXPECT_EQ(f.at("redirect_uri").string_value(), "https://app.example.com/callback");
  const auto& app = f.at("app").struct_value().fields();
  EXPECT_EQ(app.at("application_name").string_value(), "Heart Helper");
  EXPECT_EQ(app.at("organization_name").string_value(), "Example Health Apps, Inc.");
  EXPECT_EQ(app.at("organization_location").string_value(), "US, MO, Kansas City");
  EXPECT_EQ(app.at("domain").string_value(), "example.com");
  EXPECT_EQ(app.at("label").string_value(), "LABEL_IDENTIFIED");
  const auto& findings = f.at("findings").list_value().values();
  ASSERT_EQ(findings.size(), 2);
  const auto& first = findings[0].struct_value().fields();
  EXPECT_EQ(first.at("reason").string_value(), "REASON_TLS_CERT_EXPIRED");
  EXPECT_TRUE(first.at("suspends").bool_value());
  EXPECT_EQ(first.at("message").string_value(),
            "The website's security certificate expired on 1 November 2026.");
  EXPECT_EQ(first.at("detail").string_value(), "not_after: 2026-11-01T00:00:00Z");
  EXPECT_FALSE(findings[1].struct_value().fields().at("suspends").bool_value());
  const auto& todo = f.at("what_to_do").struct_value().fields();
  EXPECT_EQ(todo.at("manage_url").string_value(), "https://ehr.example.org/manage/apps");
  EXPECT_EQ(todo.at("support_contact").string_value(), "help@hospital.example");
  const auto& checks = f.at("site_checks").struct_value().fields();
  EXPECT_EQ(checks.at("txt_record_name").string_value(), "example.com");
  EXPECT_EQ(checks.at("txt_record_value").string_value(), "cerner-client-id=client-42");
  EXPECT_GE(checks.at("certificate").list_value().values_size(), 4);
  EXPECT_EQ(f.count("grant_id"), 0u);
}

TEST(RenderExplanationJsonTest, HostileValuesStayValidJson) {
  v1::Suspension s = ExpiredCertSuspension();
  s.mutable_identity()->set_organization_name("\"quoted\"\\ \n\t\x01 <script>");
  const google::protobuf::Struct json = ParseJson(RenderExplanationJson(s, Contact()));
  EXPECT_EQ(json.fields().at("app").struct_value().fields().at("organization_name").string_value(),
            "\"quoted\"\\ \n\t\x01 <script>");
}

TEST(ErrorPagesTest, NotFoundSaysSoAndNothingMore) {
  const std::string html = RenderNotFoundHtml();
  EXPECT_THAT(html, HasSubstr("<html lang=\"en\">"));
  EXPECT_THAT(html, HasSubstr("We could not find this page"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_EQ(ParseJson(RenderNotFoundJson()).fields().at("status").string_value(), "not_found");
}

TEST(ErrorPagesTest, UnavailableSaysTryAgainLater) {
  const std::string html = RenderUnavailableHtml();
  EXPECT_THAT(html, HasSubstr("<html lang=\"en\">"));
  EXPECT_THAT(html, HasSubstr("try again in a few minutes"));
  EXPECT_EQ(ParseJson(RenderUnavailableJson()).fields().at("status").string_value(), "unavailable");
  EXPECT_EQ(ParseJson(RenderMethodNotAllowedJson()).fields().at("status").string_value(),
            "method_not_allowed");
  EXPECT_THAT(RenderMethodNotAllowedHtml(), HasSubstr("<h1>"));
}

}  // namespace
}  // namespace apptrust::web
