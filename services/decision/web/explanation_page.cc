#include "services/decision/web/explanation_page.h"

#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/logging/json_log.h"
#include "common/net/percent_encoding.h"
#include "common/policy/error_uri.h"
#include "common/time/proto_time.h"
#include "common/time/time_format.h"
#include "services/decision/web/message_catalog.h"

namespace apptrust::web {
namespace {

using policy::ErrorUrn;
using Placeholders = std::initializer_list<std::pair<absl::string_view, absl::string_view>>;

// One stylesheet for every page. Colours keep WCAG AA contrast on white and
// on the grey page background (body text 16:1, muted text 8:1, link and
// button blue 6.4:1, the focus ring 16:1 against what surrounds it); long ids
// and URLs wrap instead of widening the page, down to 320 CSS px (WCAG
// 1.4.10); sizes are in rem, so text zooms with the browser.
constexpr absl::string_view kStyle = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f3f4f6;color:#1b1b1b;overflow-wrap:anywhere;
font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
nav,main{max-width:46rem;margin:0 auto;padding:0 1rem}
main{padding-bottom:1rem}
nav ul{list-style:none;margin:0;padding:.75rem 0 .5rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;
justify-content:flex-end}
nav li{margin:0}
nav a{display:inline-block;padding:.25rem .1rem}
nav a[aria-current]{font-weight:700;text-decoration:none;color:#1b1b1b}
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
a:focus,a:focus-visible{outline:3px solid #1b1b1b;outline-offset:3px}
.reason{font-size:1.1rem;font-weight:600}
.muted{color:#4a4f57}
.dev{font-size:.95rem}
code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em;
background:#eceff3;border-radius:.2rem;padding:0 .2rem;overflow-wrap:anywhere;
word-break:break-word}
)css";

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

// The date a certificate finding's detail names: the policy writes
// "not_after: <RFC 3339>" (or not_before), possibly followed by more.
std::optional<absl::Time> DetailDate(absl::string_view detail, absl::string_view field) {
  if (!absl::ConsumePrefix(&detail, field) || !absl::ConsumePrefix(&detail, ": ")) {
    return std::nullopt;
  }
  const absl::string_view value = detail.substr(0, detail.find_first_of(" ;"));
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, value, &time, &error)) return std::nullopt;
  return time;
}

// The page's words in one language, from its catalogue: as plain text (JSON)
// or escaped for HTML, with placeholders filled by the caller's values
// (plain values for plain text, markup for HTML).
class Words {
 public:
  explicit Words(Language language) : language_(language) {}

  Language language() const { return language_; }
  std::string Plain(absl::string_view key) const { return std::string(Translate(language_, key)); }
  std::string Html(absl::string_view key) const { return HtmlEscape(Translate(language_, key)); }
  std::string Plain(absl::string_view key, Placeholders values) const {
    return FillPlaceholders(Translate(language_, key), values);
  }
  std::string Html(absl::string_view key, Placeholders values) const {
    return FillPlaceholders(HtmlEscape(Translate(language_, key)), values);
  }

  // The patient's sentence for a finding (plain text).
  std::string FindingSentence(const v1::Finding& finding) const {
    const std::string key = ReasonKey(finding.reason());
    if (Translate(language_, key).empty()) return Plain("reason.generic");
    absl::string_view date_field;
    switch (finding.reason()) {
      case v1::REASON_TLS_CERT_EXPIRED:
      case v1::REASON_CERT_EXPIRING_SOON:
        date_field = "not_after";
        break;
      case v1::REASON_TLS_CERT_NOT_YET_VALID:
        date_field = "not_before";
        break;
      default:
        return Plain(key);
    }
    const std::optional<absl::Time> date = DetailDate(finding.detail(), date_field);
    if (!date) return Plain(key);
    return Plain(absl::StrCat(key, ".dated"), {{"date", FormatPatientDate(*date, language_)}});
  }

 private:
  Language language_;
};

// What the patient calls the app: its name when shown at approval, else the
// website domain.
std::string AppDisplayName(const v1::Suspension& suspension, const Words& words) {
  const v1::DisplayIdentity& identity = suspension.identity();
  if (!identity.application_name().empty()) return identity.application_name();
  if (!identity.domain().empty()) return identity.domain();
  return words.Plain("page.app_fallback");
}

std::string TxtRecordName(const v1::Suspension& suspension, const Words& words) {
  return suspension.identity().domain().empty() ? words.Plain("dev.dns_domain_placeholder")
                                                : suspension.identity().domain();
}

std::string TxtRecordValue(const v1::Suspension& suspension, const TenantContact& contact) {
  return absl::StrCat(contact.txt_key.empty() ? config::kDefaultTxtKey : contact.txt_key, "=",
                      suspension.client_id());
}

constexpr int kCertificateExpectations = 6;

std::string CertificateExpectation(const Words& words, int number) {
  return words.Plain(absl::StrCat("dev.cert.", number));
}

// The label as the patient read it at approval; "" for none.
std::string LabelText(v1::Label label, const Words& words) {
  std::string name = v1::Label_Name(label);
  absl::string_view bare = name;
  if (label == v1::LABEL_UNSPECIFIED || !absl::ConsumePrefix(&bare, "LABEL_")) return "";
  return words.Plain(absl::StrCat("label.", bare));
}

// The tenant's support text for the page's language; another language's
// (English first) when the tenant wrote none in it, with that language's tag.
struct SupportText {
  std::string text;
  std::optional<Language> other_language;
};

std::optional<SupportText> TenantSupportText(const TenantContact& contact, Language language) {
  auto lookup = [&](Language each) -> const std::string* {
    auto it = contact.support_contact_text.find(LanguageTag(each));
    return it == contact.support_contact_text.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const std::string* own = lookup(language)) return SupportText{*own, std::nullopt};
  for (const Language each : kLanguages) {
    if (const std::string* other = lookup(each)) return SupportText{*other, each};
  }
  return std::nullopt;
}

std::string LangAttribute(Language language) {
  return absl::StrCat(" lang=\"", LanguageTag(language), "\"");
}

void AppendDocumentStart(std::string& out, const Words& words, absl::string_view title) {
  absl::StrAppend(&out, "<!DOCTYPE html>\n<html", LangAttribute(words.language()),
                  ">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"referrer\" content=\"no-referrer\">\n"
                  "<meta name=\"robots\" content=\"noindex\">\n<title>",
                  HtmlEscape(title), "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n");
}

// Links to the same suspension in every language (`lang` query parameter).
// The link texts are each language's own name, marked with its language.
void AppendLanguageLinks(std::string& out, const Words& words, const v1::Suspension& suspension) {
  absl::StrAppend(&out, "<nav aria-label=\"", words.Html("language.nav"), "\">\n<ul>\n");
  for (const Language each : kLanguages) {
    const std::string href = absl::StrCat("?client=", net::PercentEncode(suspension.client_id()),
                                          "&tenant=", net::PercentEncode(suspension.tenant_id()),
                                          "&lang=", LanguageTag(each));
    absl::StrAppend(&out, "<li><a href=\"", HtmlEscape(href), "\" hreflang=\"", LanguageTag(each),
                    "\"", LangAttribute(each),
                    each == words.language() ? " aria-current=\"true\"" : "", ">",
                    HtmlEscape(Translate(each, "language.name")), "</a></li>\n");
  }
  out += "</ul>\n</nav>\n";
}

void AppendDocumentEnd(std::string& out) { out += "</main>\n</body>\n</html>\n"; }

void AppendDefinition(std::string& out, absl::string_view term_html, absl::string_view html_value,
                      absl::string_view attributes = "") {
  absl::StrAppend(&out, "<dt>", term_html, "</dt><dd", attributes, ">", html_value, "</dd>\n");
}

std::string Code(absl::string_view text) {
  return absl::StrCat("<code>", HtmlEscape(text), "</code>");
}

// A page of one heading and a few paragraphs: "<prefix>.title",
// "<prefix>.heading", "<prefix>.text.1" ... "<prefix>.text.<paragraphs>".
std::string SimplePage(const Words& words, absl::string_view prefix, int paragraphs) {
  std::string out;
  AppendDocumentStart(out, words, words.Plain(absl::StrCat(prefix, ".title")));
  absl::StrAppend(&out, "<main>\n<section class=\"card alert\">\n<p class=\"eyebrow\">",
                  words.Html("page.eyebrow"), "</p>\n<h1>",
                  words.Html(absl::StrCat(prefix, ".heading")), "</h1>\n");
  for (int i = 1; i <= paragraphs; ++i) {
    absl::StrAppend(&out, "<p>", words.Html(absl::StrCat(prefix, ".text.", i)), "</p>\n");
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

std::string SimpleJson(absl::string_view status, const Words& words, absl::string_view key) {
  std::string out = "{";
  AppendJsonField(out, "status", status, false);
  AppendJsonField(out, "lang", LanguageTag(words.language()));
  AppendJsonField(out, "message", words.Plain(key));
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

std::string FormatPatientDate(absl::Time time, Language language) {
  const absl::CivilDay day = absl::ToCivilDay(time, absl::UTCTimeZone());
  const std::string day_text = absl::StrCat(day.day());
  const std::string year_text = absl::StrCat(day.year());
  const Words words(language);
  return words.Plain("date.format", {{"day", day_text},
                                     {"month", words.Plain(absl::StrCat("month.", day.month()))},
                                     {"year", year_text}});
}

std::string FormatPatientTime(const google::protobuf::Timestamp& time, Language language) {
  if (timeconv::IsUnset(time)) return "";
  const absl::Time t = timeconv::FromProto(time);
  return Words(language).Plain("date.time",
                               {{"date", FormatPatientDate(t, language)},
                                {"time", absl::FormatTime("%H:%M", t, absl::UTCTimeZone())}});
}

std::string RenderExplanationHtml(const v1::Suspension& suspension, const TenantContact& contact,
                                  Language language) {
  const Words words(language);
  const v1::DisplayIdentity& identity = suspension.identity();
  const std::string app = AppDisplayName(suspension, words);
  const std::string when = FormatPatientTime(suspension.suspended_at(), language);
  // Stored English texts on a page in another language.
  const std::string english_part =
      language == Language::kEnglish ? "" : LangAttribute(Language::kEnglish);
  std::string out;
  AppendDocumentStart(out, words, words.Plain("page.title", {{"app", app}}));
  AppendLanguageLinks(out, words, suspension);
  out += "<main>\n";

  // For the patient.
  absl::StrAppend(
      &out, "<section class=\"card alert\" aria-labelledby=\"title\">\n<p class=\"eyebrow\">",
      contact.display_name.empty()
          ? words.Html("page.eyebrow")
          : words.Html("page.eyebrow_tenant", {{"tenant", HtmlEscape(contact.display_name)}}),
      "</p>\n<h1 id=\"title\">", words.Html("page.heading"), "</h1>\n<p>",
      words.Html("page.intro", {{"app", absl::StrCat("<strong>", HtmlEscape(app), "</strong>")}}),
      "</p>\n");

  absl::StrAppend(&out, "<h2>", words.Html("why.heading"), "</h2>\n<ul>\n");
  for (const v1::Finding* finding : PatientFindings(suspension)) {
    absl::StrAppend(&out, "<li class=\"reason\">", HtmlEscape(words.FindingSentence(*finding)),
                    "</li>\n");
  }
  if (suspension.findings().empty()) {
    absl::StrAppend(&out, "<li class=\"reason\">", HtmlEscape(words.FindingSentence(v1::Finding())),
                    "</li>\n");
  }
  out += "</ul>\n";

  absl::StrAppend(&out, "<h2>", words.Html("todo.heading"), "</h2>\n<p>", words.Html("todo.advice"),
                  "</p>\n");
  if (IsHttpUrl(contact.manage_url)) {
    absl::StrAppend(&out, "<p><a class=\"button\" href=\"", HtmlEscape(contact.manage_url),
                    "\" target=\"_blank\" rel=\"noopener noreferrer\">", words.Html("todo.button"),
                    "</a></p>\n<p class=\"muted\">", words.Html("todo.button_note"));
  } else {
    absl::StrAppend(&out, "<p>", words.Html("todo.no_manage_url"));
  }
  absl::StrAppend(&out, " ", words.Html("todo.until"), "</p>\n");

  absl::StrAppend(&out, "<h2>", words.Html("app.heading"), "</h2>\n<dl>\n");
  if (!identity.application_name().empty()) {
    AppendDefinition(out, words.Html("app.name"), HtmlEscape(identity.application_name()));
  }
  AppendDefinition(
      out, words.Html("app.website"),
      identity.domain().empty() ? words.Html("app.not_recorded") : HtmlEscape(identity.domain()));
  if (!identity.organization_name().empty()) {
    AppendDefinition(out, words.Html("app.organization"), HtmlEscape(identity.organization_name()));
  }
  if (!identity.organization_location().empty()) {
    AppendDefinition(out, words.Html("app.location"), HtmlEscape(identity.organization_location()));
  }
  if (const std::string label = LabelText(identity.label(), words); !label.empty()) {
    AppendDefinition(out, words.Html("app.label"), HtmlEscape(label));
  }
  out += "</dl>\n";

  absl::StrAppend(&out, "<h2>", words.Html("when.heading"), "</h2>\n<p>",
                  when.empty() ? words.Html("when.not_recorded")
                               : words.Html("when.paused_on", {{"time", HtmlEscape(when)}}),
                  "</p>\n");

  absl::StrAppend(&out, "<h2>", words.Html("contact.heading"), "</h2>\n<p>");
  if (const std::optional<SupportText> text = TenantSupportText(contact, language)) {
    if (text->other_language) {
      absl::StrAppend(&out, "<span", LangAttribute(*text->other_language), ">",
                      HtmlEscape(text->text), "</span>");
    } else {
      out += HtmlEscape(text->text);
    }
  } else if (!contact.display_name.empty()) {
    out += words.Html("contact.generic_tenant", {{"tenant", HtmlEscape(contact.display_name)}});
  } else {
    out += words.Html("contact.generic");
  }
  absl::StrAppend(&out, " ", words.Html("contact.mention"), "</p>\n");
  if (!contact.support_contact.empty()) {
    std::string shown = HtmlEscape(contact.support_contact);
    if (IsHttpUrl(contact.support_contact)) {
      shown = absl::StrCat("<a href=\"", shown, "\" target=\"_blank\" rel=\"noopener noreferrer\">",
                           shown, "</a>");
    } else if (IsEmailAddress(contact.support_contact)) {
      shown = absl::StrCat("<a href=\"mailto:", shown, "\">", shown, "</a>");
    }
    absl::StrAppend(&out, "<p>", words.Html("contact.support", {{"contact", shown}}), "</p>\n");
  }
  absl::StrAppend(&out, "<p class=\"muted\">",
                  words.Html("contact.reference", {{"id", Code(suspension.suspension_id())}}),
                  "</p>\n</section>\n");

  // For the developer and support staff.
  absl::StrAppend(&out, "<section class=\"card dev\" aria-labelledby=\"dev\">\n<h2 id=\"dev\">",
                  words.Html("dev.heading"), "</h2>\n<dl>\n");
  AppendDefinition(out, words.Html("dev.suspension_id"), Code(suspension.suspension_id()));
  AppendDefinition(out, words.Html("dev.error"), Code(ErrorUrn(suspension.reason())));
  AppendDefinition(out, words.Html("dev.primary_reason"), Code(ReasonCode(suspension.reason())));
  if (!suspension.error_description().empty()) {
    AppendDefinition(out, words.Html("dev.error_description"),
                     HtmlEscape(suspension.error_description()), english_part);
  }
  AppendDefinition(out, words.Html("dev.client_id"), Code(suspension.client_id()));
  AppendDefinition(out, words.Html("dev.tenant"), Code(suspension.tenant_id()));
  if (!suspension.redirect_uri().empty()) {
    AppendDefinition(out, words.Html("dev.redirect_uri"), Code(suspension.redirect_uri()));
  }
  const std::string suspended_at = Rfc3339(suspension.suspended_at());
  AppendDefinition(out, words.Html("dev.suspended_at"),
                   suspended_at.empty() ? words.Html("dev.not_recorded") : Code(suspended_at));
  out += "</dl>\n";

  absl::StrAppend(&out, "<h3>", words.Html("dev.changes"), "</h3>\n");
  if (suspension.findings().empty()) {
    absl::StrAppend(&out, "<p>", words.Html("dev.no_findings"), "</p>\n");
  } else {
    out += "<ul>\n";
    for (const v1::Finding& finding : suspension.findings()) {
      absl::StrAppend(
          &out, "<li>",
          words.Html("dev.finding", {{"code", Code(ReasonCode(finding.reason()))},
                                     {"kind", words.Html(finding.suspends() ? "dev.suspends"
                                                                            : "dev.informational")},
                                     {"sentence", HtmlEscape(words.FindingSentence(finding))}}));
      if (!finding.detail().empty()) {
        absl::StrAppend(&out, "<br>",
                        words.Html("dev.detail", {{"detail", Code(finding.detail())}}));
      }
      out += "</li>\n";
    }
    out += "</ul>\n";
  }

  const std::string txt_name = TxtRecordName(suspension, words);
  absl::StrAppend(
      &out, "<h3>", words.Html("dev.checks"), "</h3>\n<p>",
      words.Html("dev.dns", {{"name", Code(txt_name)},
                             {"value", Code(TxtRecordValue(suspension, contact))},
                             {"command", Code(absl::StrCat("dig +short TXT ", txt_name))}}),
      "</p>\n<p>", words.Html("dev.tls"), "</p>\n<ul>\n");
  for (int i = 1; i <= kCertificateExpectations; ++i) {
    absl::StrAppend(&out, "<li>", HtmlEscape(CertificateExpectation(words, i)), "</li>\n");
  }
  absl::StrAppend(&out, "</ul>\n<p>", words.Html("dev.closing"), "</p>\n</section>\n");
  AppendDocumentEnd(out);
  return out;
}

std::string RenderExplanationJson(const v1::Suspension& suspension, const TenantContact& contact,
                                  Language language) {
  const Words words(language);
  const v1::DisplayIdentity& identity = suspension.identity();
  std::string out = "{";
  AppendJsonField(out, "status", "suspended", false);
  AppendJsonField(out, "lang", LanguageTag(language));
  AppendJsonField(out, "title", words.Plain("page.heading"));
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
    AppendJsonField(out, "message", words.FindingSentence(finding));
    AppendJsonField(out, "detail", finding.detail());
    out += "}";
  }
  out += "],\"what_to_do\":{";
  AppendJsonField(out, "advice", words.Plain("todo.advice"), false);
  AppendJsonField(out, "manage_url", IsHttpUrl(contact.manage_url) ? contact.manage_url : "");
  AppendJsonField(out, "organization", contact.display_name);
  AppendJsonField(out, "support_contact", contact.support_contact);
  const std::optional<SupportText> support_text = TenantSupportText(contact, language);
  AppendJsonField(out, "support_contact_text", support_text ? support_text->text : "");
  out += "},\"site_checks\":{";
  AppendJsonField(out, "txt_record_name", TxtRecordName(suspension, words), false);
  AppendJsonField(out, "txt_record_value", TxtRecordValue(suspension, contact));
  out += ",\"certificate\":[";
  for (int i = 1; i <= kCertificateExpectations; ++i) {
    if (i > 1) out.push_back(',');
    logging::AppendJsonString(out, CertificateExpectation(words, i));
  }
  out += "]}}\n";
  return out;
}

std::string RenderNotFoundHtml(Language language) {
  return SimplePage(Words(language), "not_found", 2);
}

std::string RenderNotFoundJson(Language language) {
  return SimpleJson("not_found", Words(language), "not_found.json");
}

std::string RenderUnavailableHtml(Language language) {
  return SimplePage(Words(language), "unavailable", 2);
}

std::string RenderUnavailableJson(Language language) {
  return SimpleJson("unavailable", Words(language), "unavailable.json");
}

std::string RenderMethodNotAllowedHtml(Language language) {
  return SimplePage(Words(language), "method", 1);
}

std::string RenderMethodNotAllowedJson(Language language) {
  return SimpleJson("method_not_allowed", Words(language), "method.json");
}

}  // namespace apptrust::web
