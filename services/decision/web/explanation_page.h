// The page behind every error_uri (DESIGN.md §4): what a patient whose app
// lost access to their health record reads, and below it what the app's
// developer and support staff need. Rendering is pure (no I/O, no clock): a
// stored Suspension and the tenant's contact settings in, a complete HTML
// document or JSON object out, so every fact and every escape is unit-tested
// without a server (explanation_server.h serves these).
//
// Words: every text comes from the message catalogue of the page's language
// (message_catalog.h, page_language.h); the renderer adds markup and data
// only. Stored texts that stay English whatever the page's language (the
// OAuth error_description) are marked lang="en" on a Spanish page.
//
// Safety: every value that comes from a Suspension or a config is
// HTML-escaped; the documents load nothing (no scripts, no third-party
// resources, CSS inline in one <style> element), so they work under the
// strict Content-Security-Policy the server sends (kContentSecurityPolicy).
#ifndef APPTRUST_SERVICES_DECISION_WEB_EXPLANATION_PAGE_H_
#define APPTRUST_SERVICES_DECISION_WEB_EXPLANATION_PAGE_H_

#include <functional>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/config/effective_policy.h"
#include "services/decision/web/page_language.h"

namespace apptrust::web {

// Per-tenant settings the page shows (policy.textproto: TenantPolicy's
// display_name, support_contact, support_contact_text and manage_url, falling
// back to the global ones; txt_key).
struct TenantContact {
  // Whom the patient can contact: free text, an e-mail address or an
  // http(s) URL (the latter two become links).
  std::string support_contact;
  // The tenant's authorization-management page (SMART `manage` endpoint),
  // where the patient approves the app again or removes it. Only http(s)
  // URLs become the button; anything else is ignored.
  std::string manage_url;
  // The DNS TXT key apps publish at their eTLD+1 (`<txt_key>=<client id>`),
  // the policy's txt_key; shown in the developer section.
  std::string txt_key = config::kDefaultTxtKey;
  // The tenant's name as patients know it ("North Health"); may be empty.
  std::string display_name;
  // What to tell patients about support, by language tag ("en", "es"):
  // hours, phone numbers, where to go. Shown as text, never as markup.
  std::map<std::string, std::string, std::less<>> support_contact_text;
};

// Sent with every response of the explanation server: the pages need nothing
// but their own inline style.
inline constexpr absl::string_view kContentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

// `text` with & < > " ' replaced by character references: safe in element
// content and in quoted attribute values.
std::string HtmlEscape(absl::string_view text);

// The day as a reader of `language` writes it: "28 November 2026",
// "28 de noviembre de 2026" (UTC).
std::string FormatPatientDate(absl::Time time, Language language = Language::kEnglish);

// "28 November 2026 at 14:55 UTC", "28 de noviembre de 2026 a las 14:55 UTC".
// Empty for an unset timestamp.
std::string FormatPatientTime(const google::protobuf::Timestamp& time,
                              Language language = Language::kEnglish);

// The full explanation: for the patient (what happened, which app, when, why,
// what to do, whom to contact), then for developers (suspension id, reason
// codes, finding details, how to check the site), in `language`, with links
// to the same page in every other language.
std::string RenderExplanationHtml(const v1::Suspension& suspension, const TenantContact& contact,
                                  Language language = Language::kEnglish);

// The same facts as one JSON object, its human texts ("title", findings'
// "message", "what_to_do", "site_checks") in `language`; error_description
// stays the stored English:
//   {"status":"suspended","lang":"en","title":..,
//    "suspension_id":..,"tenant_id":..,"client_id":..,
//    "error":"urn:apptrust:error:refresh-suspended:..","reason":"REASON_..",
//    "suspended_at":"RFC 3339","error_description":..,"redirect_uri":..,
//    "app":{"application_name","organization_name","organization_location",
//           "domain","label"},
//    "findings":[{"reason","suspends","message","detail"}],
//    "what_to_do":{"advice","manage_url","organization","support_contact",
//                  "support_contact_text"},
//    "site_checks":{"txt_record_name","txt_record_value","certificate":[..]}}
std::string RenderExplanationJson(const v1::Suspension& suspension, const TenantContact& contact,
                                  Language language = Language::kEnglish);

// Unknown, malformed or mismatched (other tenant, other URN) error links. Says
// nothing about whether the id exists elsewhere. The JSON forms are
// {"status":..,"lang":..,"message":..}.
std::string RenderNotFoundHtml(Language language = Language::kEnglish);
std::string RenderNotFoundJson(Language language = Language::kEnglish);

// The store could not be reached: try again later.
std::string RenderUnavailableHtml(Language language = Language::kEnglish);
std::string RenderUnavailableJson(Language language = Language::kEnglish);

// Anything but GET and HEAD.
std::string RenderMethodNotAllowedHtml(Language language = Language::kEnglish);
std::string RenderMethodNotAllowedJson(Language language = Language::kEnglish);

}  // namespace apptrust::web

#endif  // APPTRUST_SERVICES_DECISION_WEB_EXPLANATION_PAGE_H_
