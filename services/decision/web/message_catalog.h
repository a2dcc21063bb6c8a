// The words of the explanation page, one catalogue per language
// (messages_en.cc, messages_es.cc): every patient- and developer-facing text
// of the page and every human text of its JSON form comes from here, so the
// renderer holds markup and data only. A text may hold placeholders
// ("{app}", "{date}") that the renderer fills with escaped values.
//
// Every catalogue has the same keys with the same placeholders (the
// catalogue test checks it, including a reason sentence for every Reason);
// a key missing at run time falls back to English rather than to nothing.
#ifndef APPTRUST_SERVICES_DECISION_WEB_MESSAGE_CATALOG_H_
#define APPTRUST_SERVICES_DECISION_WEB_MESSAGE_CATALOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/decision/web/page_language.h"

namespace apptrust::web {

struct Message {
  absl::string_view key;
  absl::string_view text;
};

// All entries of `language`'s catalogue, in the catalogue's order.
absl::Span<const Message> CatalogEntries(Language language);

// The text of `key` in `language` (English if that catalogue lacks it; ""
// for a key no catalogue has).
absl::string_view Translate(Language language, absl::string_view key);

// `text` with every "{name}" replaced by its value, in one pass (a value is
// never searched for further placeholders).
std::string FillPlaceholders(
    absl::string_view text,
    std::initializer_list<std::pair<absl::string_view, absl::string_view>> values);

// The catalogue key of the sentence a patient reads for `reason`:
// "reason.TLS_CERT_EXPIRED" (the enum name without its REASON_ prefix).
std::string ReasonKey(int reason);

namespace catalogs {
// Defined in messages_<tag>.cc.
absl::Span<const Message> English();
absl::Span<const Message> Spanish();
}  // namespace catalogs

}  // namespace apptrust::web

#endif  // APPTRUST_SERVICES_DECISION_WEB_MESSAGE_CATALOG_H_
