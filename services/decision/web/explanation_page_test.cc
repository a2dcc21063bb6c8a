#include "services/decision/web/explanation_page.h"

#include <string>
#include <utility>

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

TenantContact Contact(std::string support_contact = "help@hospital.example",
                      std::string manage_url = "https://ehr.example.org/manage/apps") {
  TenantContact contact;
  contact.support_contact = std::move(support_contact);
  contact.manage_url = std::move(manage_url);
  return contact;
}

google::protobuf::Struct ParseJson(const std::string& json) {
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return parsed;
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
  const size_t informational = html.find("does not say which organization runs it");
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
      RenderExplanationHtml(s, Contact(kScript, "https://x.example/\"><script>"));
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
    const std::string html = RenderExplanationHtml(ExpiredCertSuspension(), Contact("", url));
    EXPECT_THAT(html, Not(HasSubstr("class=\"button\""))) << url;
    EXPECT_THAT(html, HasSubstr("list of connected apps")) << url;
    if (*url != '\0') {
      EXPECT_THAT(html, Not(HasSubstr(url))) << url;
    }
  }
}

TEST(RenderExplanationHtmlTest, SupportContactAsUrlTextOrNothing) {
  EXPECT_THAT(
      RenderExplanationHtml(ExpiredCertSuspension(), Contact("https://help.example.org/apps", "")),
      HasSubstr("<a href=\"https://help.example.org/apps\" target=\"_blank\""));
  EXPECT_THAT(
      RenderExplanationHtml(ExpiredCertSuspension(), Contact("Call 555-0100 (Mon-Fri)", "")),
      HasSubstr("Support: Call 555-0100 (Mon-Fri)"));
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

TEST(FormatPatientTimeTest, EachLanguageWritesDatesItsWay) {
  google::protobuf::Timestamp time;
  time.set_seconds(1795876500);
  EXPECT_EQ(FormatPatientTime(time, Language::kSpanish), "28 de noviembre de 2026 a las 14:35 UTC");
  EXPECT_EQ(FormatPatientDate(absl::FromUnixSeconds(1767225600), Language::kSpanish),
            "1 de enero de 2026");
  EXPECT_EQ(FormatPatientDate(absl::FromUnixSeconds(1767225600), Language::kEnglish),
            "1 January 2026");
}

TEST(RenderExplanationHtmlTest, SpanishPage) {
  const std::string html =
      RenderExplanationHtml(ExpiredCertSuspension(), Contact(), Language::kSpanish);
  EXPECT_THAT(html, HasSubstr("<html lang=\"es\">"));
  EXPECT_THAT(html,
              HasSubstr("<h1 id=\"title\">El acceso de esta aplicación a su expediente médico "
                        "está en pausa</h1>"));
  EXPECT_THAT(html, HasSubstr("Para su protección, <strong>Heart Helper</strong>"));
  EXPECT_THAT(html, HasSubstr("El certificado de seguridad del sitio web caducó el 1 de "
                              "noviembre de 2026."));
  EXPECT_THAT(html, HasSubstr("En pausa desde el 28 de noviembre de 2026 a las 14:35 UTC."));
  EXPECT_THAT(html, HasSubstr(">Revisar o eliminar esta aplicación</a>"));
  EXPECT_THAT(html, HasSubstr("<dd>Identificada</dd>"));
  // The OAuth error_description stays English, and says so to the browser.
  EXPECT_THAT(html, HasSubstr("<dd lang=\"en\">The app&#39;s website certificate expired; "
                              "approve the app again.</dd>"));
  // Ids, codes and the RFC 3339 time are the same in every language.
  EXPECT_THAT(html, HasSubstr("REASON_TLS_CERT_EXPIRED"));
  EXPECT_THAT(html, HasSubstr("2026-11-28T14:35:00Z"));
}

// The visible words of a page, without what is data or marked English:
// <style>, <code>, elements with lang="en", and every tag.
std::string VisibleWordsOutsideEnglishParts(std::string html) {
  auto erase_between = [&](const std::string& open, const std::string& close) {
    for (size_t at = html.find(open); at != std::string::npos; at = html.find(open, at)) {
      const size_t end = html.find(close, at);
      ASSERT_NE(end, std::string::npos) << open;
      html.erase(at, end + close.size() - at);
    }
  };
  erase_between("<style>", "</style>");
  erase_between("<code>", "</code>");
  erase_between("<dd lang=\"en\">", "</dd>");
  erase_between("<a href=\"?client", "</a>");  // the language links name their languages
  erase_between("<", ">");
  return " " + html + " ";
}

v1::Suspension EveryKindOfFinding() {
  v1::Suspension s = ExpiredCertSuspension();
  s.clear_findings();
  const google::protobuf::EnumDescriptor* reasons = v1::Reason_descriptor();
  for (int i = 0; i < reasons->value_count(); ++i) {
    v1::Finding* finding = s.add_findings();
    finding->set_reason(static_cast<v1::Reason>(reasons->value(i)->number()));
    finding->set_suspends(i % 2 == 0);
    finding->set_message("An English sentence from the policy.");
  }
  return s;
}

TEST(RenderExplanationHtmlTest, NoEnglishLeftOnTheSpanishPage) {
  TenantContact contact = Contact();
  contact.display_name = "Salud Norte";
  for (const v1::Suspension& suspension : {ExpiredCertSuspension(), EveryKindOfFinding()}) {
    for (const TenantContact& each : {contact, Contact("", "")}) {
      const std::string words = VisibleWordsOutsideEnglishParts(
          RenderExplanationHtml(suspension, each, Language::kSpanish));
      for (const char* english :
           {" the ", " The ", " your ", " you ", " and ", " is ", " of ", " to ", " app ", "This ",
            "Detail", "Why", "When", "Support", "suspends", "informational", "English sentence"}) {
        EXPECT_THAT(words, Not(HasSubstr(english))) << words;
      }
    }
  }
  for (const std::string& page :
       {RenderNotFoundHtml(Language::kSpanish), RenderUnavailableHtml(Language::kSpanish),
        RenderMethodNotAllowedHtml(Language::kSpanish)}) {
    const std::string words = VisibleWordsOutsideEnglishParts(page);
    for (const char* english : {" the ", " your ", " you ", " and ", " to ", "This "}) {
      EXPECT_THAT(words, Not(HasSubstr(english))) << words;
    }
  }
}

TEST(RenderExplanationHtmlTest, EveryReasonHasAPatientSentence) {
  const std::string html = RenderExplanationHtml(EveryKindOfFinding(), Contact());
  EXPECT_THAT(html, Not(HasSubstr("An English sentence from the policy.")));
  EXPECT_THAT(html, HasSubstr("The website&#39;s encryption key changed."));
  EXPECT_THAT(html, HasSubstr("The website uses an unusual network port."));
}

TEST(RenderExplanationHtmlTest, CertificateDatesComeFromTheDetailInTheLanguagesForm) {
  v1::Suspension s = ExpiredCertSuspension();
  v1::Finding* first = s.mutable_findings(0);
  first->set_reason(v1::REASON_TLS_CERT_NOT_YET_VALID);
  first->set_detail("not_before: 2027-01-15T00:00:00Z; more");
  EXPECT_THAT(RenderExplanationHtml(s, Contact()),
              HasSubstr("is not valid until 15 January 2027."));
  EXPECT_THAT(RenderExplanationHtml(s, Contact(), Language::kSpanish),
              HasSubstr("no es válido hasta el 15 de enero de 2027."));
  // A detail the page cannot read leaves the sentence without a date.
  for (const char* detail : {"not_before: soon", "not_after: 2027-01-15T00:00:00Z", "",
                             "not_before:2027-01-15T00:00:00Z"}) {
    first->set_detail(detail);
    EXPECT_THAT(RenderExplanationHtml(s, Contact()),
                HasSubstr("The website&#39;s security certificate is not valid yet."))
        << detail;
  }
}

TEST(RenderExplanationHtmlTest, LanguageLinksKeepTheQueryAndMarkTheCurrentOne) {
  v1::Suspension s = ExpiredCertSuspension();
  s.set_client_id("a&b\"<c d");
  const std::string html = RenderExplanationHtml(s, Contact(), Language::kSpanish);
  EXPECT_THAT(html, HasSubstr("<nav aria-label=\"Idioma\">"));
  EXPECT_THAT(html,
              HasSubstr("<a href=\"?client=a%26b%22%3Cc%20d&amp;tenant=tenant-a&amp;lang=en\" "
                        "hreflang=\"en\" lang=\"en\">English</a>"));
  EXPECT_THAT(html,
              HasSubstr("<a href=\"?client=a%26b%22%3Cc%20d&amp;tenant=tenant-a&amp;lang=es\" "
                        "hreflang=\"es\" lang=\"es\" aria-current=\"true\">Español</a>"));
}

TEST(RenderExplanationHtmlTest, TenantWording) {
  TenantContact contact = Contact("https://help.north.example", "");
  contact.display_name = "North <Health>";
  contact.support_contact_text = {{"en", "Call 555-0100, 8am-6pm."},
                                  {"es", "Llame al 555-0100, de 8 a 18 h."}};
  const std::string english = RenderExplanationHtml(ExpiredCertSuspension(), contact);
  EXPECT_THAT(english, HasSubstr("North &lt;Health&gt;: health record access"));
  EXPECT_THAT(english, HasSubstr("Call 555-0100, 8am-6pm. Mention the reference number"));
  EXPECT_THAT(english, Not(HasSubstr("Llame")));
  const std::string spanish =
      RenderExplanationHtml(ExpiredCertSuspension(), contact, Language::kSpanish);
  EXPECT_THAT(spanish, HasSubstr("North &lt;Health&gt;: acceso a su expediente médico"));
  EXPECT_THAT(spanish, HasSubstr("Llame al 555-0100, de 8 a 18 h. Mencione"));
  EXPECT_THAT(spanish, HasSubstr("Asistencia: <a href=\"https://help.north.example\""));

  // Without a Spanish text the English one is shown, marked as English.
  contact.support_contact_text.erase("es");
  EXPECT_THAT(RenderExplanationHtml(ExpiredCertSuspension(), contact, Language::kSpanish),
              HasSubstr("<span lang=\"en\">Call 555-0100, 8am-6pm.</span>"));
  // Without any text the display name goes into the generic sentence.
  contact.support_contact_text.clear();
  EXPECT_THAT(RenderExplanationHtml(ExpiredCertSuspension(), contact, Language::kSpanish),
              HasSubstr("equipo de asistencia de North &lt;Health&gt;."));
  // Hostile texts render as text.
  contact.support_contact_text = {{"es", kScript}};
  const std::string hostile =
      RenderExplanationHtml(ExpiredCertSuspension(), contact, Language::kSpanish);
  EXPECT_THAT(hostile, Not(HasSubstr("<script")));
  EXPECT_THAT(hostile, HasSubstr(kEscapedScript));
}

TEST(RenderExplanationJsonTest, HumanTextsInTheLanguageOAuthTextsInEnglish) {
  TenantContact contact = Contact();
  contact.display_name = "Salud Norte";
  contact.support_contact_text = {{"es", "Llame al 555-0100."}};
  const google::protobuf::Struct json =
      ParseJson(RenderExplanationJson(ExpiredCertSuspension(), contact, Language::kSpanish));
  const auto& f = json.fields();
  EXPECT_EQ(f.at("lang").string_value(), "es");
  EXPECT_EQ(f.at("title").string_value(),
            "El acceso de esta aplicación a su expediente médico está en pausa");
  EXPECT_EQ(f.at("error_description").string_value(),
            "The app's website certificate expired; approve the app again.");
  EXPECT_EQ(f.at("error").string_value(), "urn:apptrust:error:refresh-suspended:tls-cert-expired");
  EXPECT_EQ(
      f.at("findings").list_value().values(0).struct_value().fields().at("message").string_value(),
      "El certificado de seguridad del sitio web caducó el 1 de noviembre de 2026.");
  const auto& todo = f.at("what_to_do").struct_value().fields();
  EXPECT_EQ(todo.at("organization").string_value(), "Salud Norte");
  EXPECT_EQ(todo.at("support_contact_text").string_value(), "Llame al 555-0100.");
  EXPECT_THAT(todo.at("advice").string_value(), HasSubstr("apruébela de nuevo"));
  EXPECT_THAT(f.at("site_checks")
                  .struct_value()
                  .fields()
                  .at("certificate")
                  .list_value()
                  .values(4)
                  .string_value(),
              HasSubstr("TLS 1.2 o posterior"));
  const google::protobuf::Struct not_found = ParseJson(RenderNotFoundJson(Language::kSpanish));
  EXPECT_EQ(not_found.fields().at("status").string_value(), "not_found");
  EXPECT_EQ(not_found.fields().at("message").string_value(), "No existe esa suspensión.");
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
