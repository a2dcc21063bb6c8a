#include "services/decision/web/explanation_page.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logging/json_log.h"
#include "common/policy/display_identity.h"
#include "common/policy/error_uri.h"
#include "common/time/proto_time.h"
#include "common/time/time_format.h"

namespace apptrust::web {
namespace {

using policy::ErrorUrn;

// One stylesheet for every page. Colours keep WCAG AA contrast on white
// (body text 16:1, muted text 8:1, link/button blue 6.4:1); long ids and URLs
// wrap instead of widening the page on a 360 px phone.
constexpr absl::string_view kStyle = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f3f4f6;color:#1b1b1b;overflow-wrap:anywhere;
font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:46rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid #cfd4db;border-radius:.5rem;padding:1rem 1.25rem;
margin:0 0 1rem}
.alert{border-top:.35rem solid #b3261e}
.eyebrow{margin:0;color:#4a4f57;font-size:.9rem;font-weight:600;text-transform:uppercase;
letter-spacing:.04em}
h1{font-size:1.6rem;line-height:1.25;margin:.25rem 0 .75rem}
h2{font-size:1.2rem;line-height:1.3;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:1.25rem 0 .4rem}
.card>h2:first-child{margin-top:0}
p,ul,ol,dl{margin:0 0 .75rem}
ul,ol{padding-left:1.25rem}
li{margin:.25rem 0}
dt{font-weight:600}
dd{margin:0 0 .5rem}
a{color:#0b57d0}
.button{display:inline-block;background:#0b57d0;color:#fff;font-weight:600;text-decoration:none;
padding:.8rem 1.25rem;border-radius:.4rem;margin:.25rem 0 .5rem;max-width:100%}
.button:hover,.button:focus{background:#0842a0;color:#fff}
a:focus,.button:focus{outline:3px solid #e37400;outline-offset:2px}
.reason{font-size:1.1rem;font-weight:600}
.muted{color:#4a4f57}
.dev{font-size:.95rem}
code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em;
background:#eceff3;border-radius:.2rem;padding:0 .2rem;overflow-wrap:anywhere;
word-break:break-word}
)css";

std::string Text(absl::string_view text) { return HtmlEscape(text); }

std::string ReasonCode(v1::Reason reason) {
  const std::string& name = v1::Reason_Name(reason);
  return name.empty() ? absl::StrCat("REASON_", static_cast<int>(reason)) : name;
}

std::string Rfc3339(const google::protobuf::Timestamp& time) {
  if (timeconv::IsUnset(time)) return "";
  return timeconv::FormatRfc3339(timeconv::FromProto(time));
}

bool IsHttpUrl(absl::string_view url) {
  const std::string lower = absl::AsciiStrToLower(url);
  if (!absl::StartsWith(lower, "https://") && !absl::StartsWith(lower, "http://")) return false;
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '"' || c == '<' || c == '>' || c == '\\') {
      return false;
    }
  }
  return true;
}

bool IsEmailAddress(absl::string_view text) {
  const size_t at = text.find('@');
  if (at == 0 || at == absl::string_view::npos || text.find('@', at + 1) != absl::string_view::npos)
    return false;
  if (text.find('.', at) == absl::string_view::npos) return false;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '"' || c == '<' || c == '>' || c == ':' ||
        c == '/' || c == '\\' || c == '?' || c == '&') {
      return false;
    }
  }
  return true;
}

// The findings a patient is told about: the suspending ones (there is always
// one on a real suspension); all of them if none is marked.
std::vector<const v1::Finding*> PatientFindings(const v1::Suspension& suspension) {
  std::vector<const v1::Finding*> out;
  for (const v1::Finding& finding : suspension.findings()) {
    if (finding.suspends()) out.push_back(&finding);
  }
  if (out.empty()) {
    for (const v1::Finding& finding : suspension.findings()) out.push_back(&finding);
  }
  return out;
}

std::string PatientSentence(const v1::Finding& finding) {
  if (!finding.message().empty()) return finding.message();
  return "The app's website no longer matches what it showed when you approved the app.";
}

// What the patient calls the app: its name when shown at approval, else the
// website domain.
std::string AppDisplayName(const v1::Suspension& suspension) {
  const v1::DisplayIdentity& identity = suspension.identity();
  if (!identity.application_name().empty()) return identity.application_name();
  if (!identity.domain().empty()) return identity.domain();
  return "The app";
}

std::string TxtRecordName(const v1::Suspension& suspension) {
  return suspension.identity().domain().empty() ? "<your registrable domain>"
                                                : suspension.identity().domain();
}

std::string TxtRecordValue(const v1::Suspension& suspension, const TenantContact& contact) {
  return absl::StrCat(contact.txt_key.empty() ? config::kDefaultTxtKey : contact.txt_key, "=",
                      suspension.client_id());
}

const std::vector<std::string>& CertificateExpectations() {
  static const auto* const kExpectations = new std::vector<std::string>{
      "Issued by a publicly trusted certificate authority (never self-signed), with the "
      "complete chain served.",
      "Organization Validated (OV) or Extended Validation (EV), not Domain Validated (DV): "
      "only OV/EV certificates let patients see your organization's name and location.",
      "Valid today: not expired and not before its start date. Renew it before it expires.",
      "Issued for the exact host name of the redirect URI (RFC 6125) and not revoked.",
      "Served with TLS 1.2 or newer on port 443.",
      "The same organization name and location as when patients approved the app: a change "
      "means every patient has to approve the app again.",
  };
  return *kExpectations;
}

void AppendDocumentStart(std::string& out, absl::string_view title) {
  absl::StrAppend(&out,
                  "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"referrer\" content=\"no-referrer\">\n"
                  "<meta name=\"robots\" content=\"noindex\">\n<title>",
                  Text(title), "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n<main>\n");
}

void AppendDocumentEnd(std::string& out) { out += "</main>\n</body>\n</html>\n"; }

void AppendDefinition(std::string& out, absl::string_view term, absl::string_view html_value) {
  absl::StrAppend(&out, "<dt>", Text(term), "</dt><dd>", html_value, "</dd>\n");
}

std::string Code(absl::string_view text) { return absl::StrCat("<code>", Text(text), "</code>"); }

std::string SimplePage(absl::string_view title, absl::string_view heading,
                       std::vector<std::string> paragraphs) {
  std::string out;
  AppendDocumentStart(out, title);
  absl::StrAppend(&out,
                  "<section class=\"card alert\">\n<p class=\"eyebrow\">Health record "
                  "access</p>\n<h1>",
                  Text(heading), "</h1>\n");
  for (const std::string& paragraph : paragraphs) {
    absl::StrAppend(&out, "<p>", Text(paragraph), "</p>\n");
  }
  out += "</section>\n";
  AppendDocumentEnd(out);
  return out;
}

void AppendJsonField(std::string& out, absl::string_view key, absl::string_view value,
                     bool comma = true) {
  if (comma) out.push_back(',');
  logging::AppendJsonString(out, key);
  out.push_back(':');
  logging::AppendJsonString(out, value);
}

std::string SimpleJson(absl::string_view status, absl::string_view message) {
  std::string out = "{";
  AppendJsonField(out, "status", status, false);
  AppendJsonField(out, "message", message);
  out += "}\n";
  return out;
}

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string FormatPatientTime(const google::protobuf::Timestamp& time) {
  if (timeconv::IsUnset(time)) return "";
  const absl::Time t = timeconv::FromProto(time);
  return absl::StrCat(timeconv::FormatHumanDate(t), " at ",
                      absl::FormatTime("%H:%M", t, absl::UTCTimeZone()), " UTC");
}

std::string RenderExplanationHtml(const v1::Suspension& suspension, const TenantContact& contact) {
  const v1::DisplayIdentity& identity = suspension.identity();
  const std::string app = AppDisplayName(suspension);
  const std::string when = FormatPatientTime(suspension.suspended_at());
  std::string out;
  AppendDocumentStart(out, absl::StrCat("App access paused: ", app));

  // For the patient.
  absl::StrAppend(&out, "<section class=\"card alert\" aria-labelledby=\"title\">\n",
                  "<p class=\"eyebrow\">Health record access</p>\n",
                  "<h1 id=\"title\">This app&#39;s access to your health record is paused</h1>\n",
                  "<p>For your protection, <strong>", Text(app),
                  "</strong> can no longer get new information from your health record. "
                  "The app&#39;s website changed since you approved the app, so we cannot be "
                  "sure it is still the app you approved. Your health record itself has not "
                  "changed.</p>\n");

  out += "<h2>Why</h2>\n<ul>\n";
  for (const v1::Finding* finding : PatientFindings(suspension)) {
    absl::StrAppend(&out, "<li class=\"reason\">", Text(PatientSentence(*finding)), "</li>\n");
  }
  if (suspension.findings().empty()) {
    absl::StrAppend(&out, "<li class=\"reason\">",
                    Text(suspension.error_description().empty()
                             ? "The app's website no longer matches what it showed when you "
                               "approved the app."
                             : suspension.error_description()),
                    "</li>\n");
  }
  out += "</ul>\n";

  out += "<h2>What you can do</h2>\n";
  out +=
      "<p>If you still use and trust this app, review it and approve it again. If you no "
      "longer use it, or anything about it looks wrong, remove it.</p>\n";
  if (IsHttpUrl(contact.manage_url)) {
    absl::StrAppend(&out, "<p><a class=\"button\" href=\"", Text(contact.manage_url),
                    "\" target=\"_blank\" rel=\"noopener noreferrer\">Review or remove this app"
                    "</a></p>\n<p class=\"muted\">This opens the page where you manage the apps "
                    "connected to your health record.");
  } else {
    out +=
        "<p>Sign in to your health record and open the list of connected apps to approve or "
        "remove this app.";
  }
  out +=
      " Until you approve the app again, it cannot get new information from your health "
      "record.</p>\n";

  out += "<h2>Which app</h2>\n<dl>\n";
  if (!identity.application_name().empty()) {
    AppendDefinition(out, "App", Text(identity.application_name()));
  }
  AppendDefinition(out, "Website",
                   identity.domain().empty() ? "Not recorded" : Text(identity.domain()));
  if (!identity.organization_name().empty()) {
    AppendDefinition(out, "Organization", Text(identity.organization_name()));
  }
  if (!identity.organization_location().empty()) {
    AppendDefinition(out, "Location", Text(identity.organization_location()));
  }
  if (!policy::LabelDisplayName(identity.label()).empty()) {
    AppendDefinition(out, "Shown when you approved it as",
                     Text(policy::LabelDisplayName(identity.label())));
  }
  out += "</dl>\n";

  absl::StrAppend(&out, "<h2>When</h2>\n<p>",
                  when.empty() ? std::string("The time was not recorded.")
                               : absl::StrCat("Paused on ", Text(when), "."),
                  "</p>\n");

  out += "<h2>Who to contact</h2>\n<p>";
  if (contact.support_contact.empty()) {
    out += "If you have questions, contact the support team of your health care organization.";
  } else if (IsHttpUrl(contact.support_contact)) {
    absl::StrAppend(&out, "If you have questions, contact support: <a href=\"",
                    Text(contact.support_contact),
                    "\" target=\"_blank\" rel=\"noopener "
                    "noreferrer\">",
                    Text(contact.support_contact), "</a>.");
  } else if (IsEmailAddress(contact.support_contact)) {
    absl::StrAppend(&out, "If you have questions, contact support: <a href=\"mailto:",
                    Text(contact.support_contact), "\">", Text(contact.support_contact), "</a>.");
  } else {
    absl::StrAppend(&out, "If you have questions, contact support: ", Text(contact.support_contact),
                    ".");
  }
  out += " Mention the reference number below.</p>\n";
  absl::StrAppend(&out, "<p class=\"muted\">Reference number: ", Code(suspension.suspension_id()),
                  "</p>\n</section>\n");

  // For the developer and support staff.
  out +=
      "<section class=\"card dev\" aria-labelledby=\"dev\">\n"
      "<h2 id=\"dev\">For the app&#39;s developer and support staff</h2>\n<dl>\n";
  AppendDefinition(out, "Suspension id", Code(suspension.suspension_id()));
  AppendDefinition(out, "Error", Code(ErrorUrn(suspension.reason())));
  AppendDefinition(out, "Primary reason", Code(ReasonCode(suspension.reason())));
  if (!suspension.error_description().empty()) {
    AppendDefinition(out, "error_description", Text(suspension.error_description()));
  }
  AppendDefinition(out, "Client id", Code(suspension.client_id()));
  AppendDefinition(out, "Tenant", Code(suspension.tenant_id()));
  if (!suspension.redirect_uri().empty()) {
    AppendDefinition(out, "Redirect URI", Code(suspension.redirect_uri()));
  }
  const std::string suspended_at = Rfc3339(suspension.suspended_at());
  AppendDefinition(out, "Suspended at",
                   suspended_at.empty() ? std::string("not recorded") : Code(suspended_at));
  out += "</dl>\n";

  out += "<h3>What changed</h3>\n";
  if (suspension.findings().empty()) {
    out += "<p>No findings were recorded.</p>\n";
  } else {
    out += "<ul>\n";
    for (const v1::Finding& finding : suspension.findings()) {
      absl::StrAppend(&out, "<li>", Code(ReasonCode(finding.reason())),
                      finding.suspends() ? " (suspends)" : " (informational)", ": ",
                      Text(finding.message()));
      if (!finding.detail().empty()) {
        absl::StrAppend(&out, "<br>Detail: ", Code(finding.detail()));
      }
      out += "</li>\n";
    }
    out += "</ul>\n";
  }

  out += "<h3>How to check your site</h3>\n";
  absl::StrAppend(&out, "<p>DNS: publish a TXT record at your registrable domain (eTLD+1) ",
                  Code(TxtRecordName(suspension)), " holding ",
                  Code(TxtRecordValue(suspension, contact)),
                  ". Several apps on one domain publish one entry each (separate TXT records or "
                  "separate strings). Check it with ",
                  Code(absl::StrCat("dig +short TXT ", TxtRecordName(suspension))), ".</p>\n");
  out += "<p>TLS certificate of the redirect URI&#39;s host:</p>\n<ul>\n";
  for (const std::string& expectation : CertificateExpectations()) {
    absl::StrAppend(&out, "<li>", Text(expectation), "</li>\n");
  }
  out +=
      "</ul>\n<p>Fixing the site does not lift this suspension by itself: the patient has to "
      "approve the app again. Changes to certificates or TXT records may take up to 12 hours "
      "to be recognized.</p>\n</section>\n";
  AppendDocumentEnd(out);
  return out;
}

std::string RenderExplanationJson(const v1::Suspension& suspension, const TenantContact& contact) {
  const v1::DisplayIdentity& identity = suspension.identity();
  std::string out = "{";
  AppendJsonField(out, "status", "suspended", false);
  AppendJsonField(out, "suspension_id", suspension.suspension_id());
  AppendJsonField(out, "tenant_id", suspension.tenant_id());
  AppendJsonField(out, "client_id", suspension.client_id());
  AppendJsonField(out, "error", ErrorUrn(suspension.reason()));
  AppendJsonField(out, "reason", ReasonCode(suspension.reason()));
  AppendJsonField(out, "suspended_at", Rfc3339(suspension.suspended_at()));
  AppendJsonField(out, "error_description", suspension.error_description());
  AppendJsonField(out, "redirect_uri", suspension.redirect_uri());
  out += ",\"app\":{";
  AppendJsonField(out, "application_name", identity.application_name(), false);
  AppendJsonField(out, "organization_name", identity.organization_name());
  AppendJsonField(out, "organization_location", identity.organization_location());
  AppendJsonField(out, "domain", identity.domain());
  AppendJsonField(out, "label", v1::Label_Name(identity.label()));
  out += "},\"findings\":[";
  bool first = true;
  for (const v1::Finding& finding : suspension.findings()) {
    if (!first) out.push_back(',');
    first = false;
    out += "{";
    AppendJsonField(out, "reason", ReasonCode(finding.reason()), false);
    absl::StrAppend(&out, ",\"suspends\":", finding.suspends() ? "true" : "false");
    AppendJsonField(out, "message", finding.message());
    AppendJsonField(out, "detail", finding.detail());
    out += "}";
  }
  out += "],\"what_to_do\":{";
  AppendJsonField(out, "manage_url", IsHttpUrl(contact.manage_url) ? contact.manage_url : "",
                  false);
  AppendJsonField(out, "support_contact", contact.support_contact);
  out += "},\"site_checks\":{";
  AppendJsonField(out, "txt_record_name", TxtRecordName(suspension), false);
  AppendJsonField(out, "txt_record_value", TxtRecordValue(suspension, contact));
  out += ",\"certificate\":[";
  first = true;
  for (const std::string& expectation : CertificateExpectations()) {
    if (!first) out.push_back(',');
    first = false;
    logging::AppendJsonString(out, expectation);
  }
  out += "]}}\n";
  return out;
}

std::string RenderNotFoundHtml() {
  return SimplePage("Page not found", "We could not find this page",
                    {"This link does not lead to a paused app. It may be mistyped, incomplete, "
                     "or not meant for this site.",
                     "If an app sent you here, open the app again and follow its link, or "
                     "contact the support team of your health care organization."});
}

std::string RenderNotFoundJson() { return SimpleJson("not_found", "No such suspension."); }

std::string RenderUnavailableHtml() {
  return SimplePage("Temporarily unavailable", "This page is temporarily unavailable",
                    {"We cannot show the details right now. Please try again in a few minutes.",
                     "Your health record is not affected."});
}

std::string RenderUnavailableJson() {
  return SimpleJson("unavailable", "The suspension store cannot be reached; try again later.");
}

std::string RenderMethodNotAllowedHtml() {
  return SimplePage("Method not allowed", "This page can only be viewed",
                    {"Open the link in a web browser."});
}

std::string RenderMethodNotAllowedJson() {
  return SimpleJson("method_not_allowed", "Only GET and HEAD are allowed.");
}

}  // namespace apptrust::web
