// The explanation page in English (the fallback catalogue). Keys and
// placeholders must match every other catalogue (message_catalog_test).
#include "services/decision/web/message_catalog.h"

namespace apptrust::web::catalogs {

namespace {

constexpr Message kMessages[] = {
    // The language as its speakers name it (the language links).
    {"language.name", "English"},
    {"language.nav", "Language"},

    // Dates: "28 November 2026 at 14:35 UTC".
    {"date.format", "{day} {month} {year}"},
    {"date.time", "{date} at {time} UTC"},
    {"month.1", "January"},
    {"month.2", "February"},
    {"month.3", "March"},
    {"month.4", "April"},
    {"month.5", "May"},
    {"month.6", "June"},
    {"month.7", "July"},
    {"month.8", "August"},
    {"month.9", "September"},
    {"month.10", "October"},
    {"month.11", "November"},
    {"month.12", "December"},

    // For the patient.
    {"page.title", "App access paused: {app}"},
    {"page.eyebrow", "Health record access"},
    {"page.eyebrow_tenant", "{tenant}: health record access"},
    {"page.heading", "This app's access to your health record is paused"},
    {"page.intro",
     "For your protection, {app} can no longer get new information from your health record. "
     "The app's website changed since you approved the app, so we cannot be sure it is still "
     "the app you approved. Your health record itself has not changed."},
    {"page.app_fallback", "The app"},
    {"why.heading", "Why"},
    {"todo.heading", "What you can do"},
    {"todo.advice",
     "If you still use and trust this app, review it and approve it again. If you no longer "
     "use it, or anything about it looks wrong, remove it."},
    {"todo.button", "Review or remove this app"},
    {"todo.button_note",
     "This opens, in a new window, the page where you manage the apps connected to your "
     "health record."},
    {"todo.no_manage_url",
     "Sign in to your health record and open the list of connected apps to approve or remove "
     "this app."},
    {"todo.until",
     "Until you approve the app again, it cannot get new information from your health "
     "record."},
    {"app.heading", "Which app"},
    {"app.name", "App"},
    {"app.website", "Website"},
    {"app.not_recorded", "Not recorded"},
    {"app.organization", "Organization"},
    {"app.location", "Location"},
    {"app.label", "Shown when you approved it as"},
    {"label.VALIDATED", "Validated"},
    {"label.IDENTIFIED", "Identified"},
    {"label.UNKNOWN_APP", "Unknown App"},
    {"when.heading", "When"},
    {"when.paused_on", "Paused on {time}."},
    {"when.not_recorded", "The time was not recorded."},
    {"contact.heading", "Who to contact"},
    {"contact.generic",
     "If you have questions, contact the support team of your health care organization."},
    {"contact.generic_tenant", "If you have questions, contact the support team of {tenant}."},
    {"contact.support", "Support: {contact}"},
    {"contact.mention", "Mention the reference number below."},
    {"contact.reference", "Reference number: {id}"},

    // Why, as the patient reads it: one sentence per reason. The ".dated"
    // forms are used when the finding's detail carries the date.
    {"reason.generic",
     "The app's website no longer matches what it showed when you approved the app."},
    {"reason.UNSPECIFIED",
     "The app's website no longer matches what it showed when you approved the app."},
    {"reason.TLS_CERT_EXPIRED", "The website's security certificate expired."},
    {"reason.TLS_CERT_EXPIRED.dated", "The website's security certificate expired on {date}."},
    {"reason.TLS_CERT_NOT_YET_VALID", "The website's security certificate is not valid yet."},
    {"reason.TLS_CERT_NOT_YET_VALID.dated",
     "The website's security certificate is not valid until {date}."},
    {"reason.TLS_CHAIN_UNTRUSTED",
     "The website's security certificate is not vouched for by a trusted authority."},
    {"reason.TLS_HOSTNAME_MISMATCH",
     "The website's security certificate was issued for a different website."},
    {"reason.TLS_PROTOCOL_OUTDATED", "The website uses an outdated version of secure connections."},
    {"reason.TLS_CERT_REVOKED",
     "The website's security certificate has been revoked by its issuer."},
    {"reason.TLS_UNAVAILABLE", "The website does not offer a secure (encrypted) connection."},
    {"reason.IDENTITY_CHANGED",
     "What the website shows about who runs the app changed since you approved it."},
    {"reason.VALIDATION_DOWNGRADED",
     "The website's certificate no longer verifies the organization that runs it."},
    {"reason.DNS_TXT_MISSING",
     "The website's domain no longer confirms that this app belongs to it."},
    {"reason.DNS_DOMAIN_NOT_FOUND", "The website's name no longer leads to a website."},
    {"reason.REDIRECT_DOMAIN_CHANGED",
     "The app now sends you to a different website than the one you approved."},
    {"reason.ADDRESS_NOT_ALLOWED",
     "The website points to a network address that may not be contacted."},
    {"reason.ALREADY_SUSPENDED", "The app's access was already paused."},
    {"reason.CERTIFICATE_CHANGED", "The website's security certificate was replaced."},
    {"reason.KEY_CHANGED", "The website's encryption key changed."},
    {"reason.DNS_TXT_CHANGED", "The app's registration records on the website's domain changed."},
    {"reason.PROBE_FAILED", "The app's website could not be checked just now."},
    {"reason.CERT_EXPIRING_SOON", "The website's security certificate expires soon."},
    {"reason.CERT_EXPIRING_SOON.dated", "The website's security certificate expires on {date}."},
    {"reason.NON_STANDARD_PORT", "The website uses an unusual network port."},
    {"reason.DV_CERTIFICATE", "The website's certificate does not say which organization runs it."},
    {"reason.TXT_RECORD_ABSENT",
     "The website's domain does not confirm that this app belongs to it."},
    {"reason.NO_TLS", "The website does not use a secure (encrypted) connection."},
    {"reason.ADDRESSES_CHANGED", "The website's network addresses changed."},
    {"reason.PROBE_LOCAL_ERROR",
     "The app's website could not be checked just now; please try again."},

    // For the app's developer and support staff.
    {"dev.heading", "For the app's developer and support staff"},
    {"dev.suspension_id", "Suspension id"},
    {"dev.error", "Error"},
    {"dev.primary_reason", "Primary reason"},
    {"dev.error_description", "error_description (OAuth, always in English)"},
    {"dev.client_id", "Client id"},
    {"dev.tenant", "Tenant"},
    {"dev.redirect_uri", "Redirect URI"},
    {"dev.suspended_at", "Suspended at"},
    {"dev.not_recorded", "not recorded"},
    {"dev.changes", "What changed"},
    {"dev.no_findings", "No findings were recorded."},
    {"dev.finding", "{code} ({kind}): {sentence}"},
    {"dev.suspends", "suspends"},
    {"dev.informational", "informational"},
    {"dev.detail", "Detail: {detail}"},
    {"dev.checks", "How to check your site"},
    {"dev.dns",
     "DNS: publish a TXT record at your registrable domain (eTLD+1) {name} holding {value}. "
     "Several apps on one domain publish one entry each (separate TXT records or separate "
     "strings). Check it with {command}."},
    {"dev.dns_domain_placeholder", "<your registrable domain>"},
    {"dev.tls", "TLS certificate of the redirect URI's host:"},
    {"dev.cert.1",
     "Issued by a publicly trusted certificate authority (never self-signed), with the "
     "complete chain served."},
    {"dev.cert.2",
     "Organization Validated (OV) or Extended Validation (EV), not Domain Validated (DV): only "
     "OV/EV certificates let patients see your organization's name and location."},
    {"dev.cert.3",
     "Valid today: not expired and not before its start date. Renew it before it "
     "expires."},
    {"dev.cert.4",
     "Issued for the exact host name of the redirect URI (RFC 6125) and not "
     "revoked."},
    {"dev.cert.5", "Served with TLS 1.2 or newer on port 443."},
    {"dev.cert.6",
     "The same organization name and location as when patients approved the app: a change "
     "means every patient has to approve the app again."},
    {"dev.closing",
     "Fixing the site does not lift this suspension by itself: the patient has to approve the "
     "app again. Changes to certificates or TXT records may take up to 12 hours to be "
     "recognized."},

    // The other pages.
    {"not_found.title", "Page not found"},
    {"not_found.heading", "We could not find this page"},
    {"not_found.text.1",
     "This link does not lead to a paused app. It may be mistyped, incomplete, or not meant "
     "for this site."},
    {"not_found.text.2",
     "If an app sent you here, open the app again and follow its link, or contact the support "
     "team of your health care organization."},
    {"not_found.json", "No such suspension."},
    {"unavailable.title", "Temporarily unavailable"},
    {"unavailable.heading", "This page is temporarily unavailable"},
    {"unavailable.text.1",
     "We cannot show the details right now. Please try again in a few minutes."},
    {"unavailable.text.2", "Your health record is not affected."},
    {"unavailable.json", "The suspension store cannot be reached; try again later."},
    {"method.title", "Method not allowed"},
    {"method.heading", "This page can only be viewed"},
    {"method.text.1", "Open the link in a web browser."},
    {"method.json", "Only GET and HEAD are allowed."},
};

}  // namespace

absl::Span<const Message> English() { return kMessages; }

}  // namespace apptrust::web::catalogs
