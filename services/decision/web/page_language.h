// Which language the explanation page speaks (DESIGN.md §8): English or
// Spanish, chosen by the page's own `lang` query parameter (its language
// links set it), else by the browser's Accept-Language (RFC 9110 §12.5.4,
// q-values honoured), else English. Only the page is localised: the OAuth
// `error` and `error_description` a gateway returns stay ASCII English
// (RFC 6749 §5.2).
//
// Both inputs come from the network: anything malformed, unknown or oversized
// is ignored (the next rule applies), never echoed and never an error.
#ifndef APPTRUST_SERVICES_DECISION_WEB_PAGE_LANGUAGE_H_
#define APPTRUST_SERVICES_DECISION_WEB_PAGE_LANGUAGE_H_

#include <array>
#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace apptrust::web {

enum class Language { kEnglish, kSpanish };

// Every language the page speaks, English (the fallback) first.
inline constexpr std::array<Language, 2> kLanguages = {Language::kEnglish, Language::kSpanish};

// The BCP 47 tag written into `<html lang>`, Content-Language and the
// `lang` query parameter: "en", "es".
absl::string_view LanguageTag(Language language);

// The language a `lang` query value names: a supported primary subtag,
// case-insensitively, optionally with a region ("es", "ES", "es-MX"). nullopt
// for anything else.
std::optional<Language> ParseLanguageParameter(absl::string_view value);

// The supported language the Accept-Language header prefers: the highest
// q-value wins, an earlier range wins a tie, "*" means English, q=0 excludes.
// nullopt when the header names none of them (or is malformed throughout).
std::optional<Language> PreferredLanguage(absl::string_view accept_language);

// The page's language: the `lang` parameter if it names one, else the
// Accept-Language preference, else English. `lang_parameter` is nullopt when
// the query carried none (or carried it more than once).
Language ChooseLanguage(std::optional<absl::string_view> lang_parameter,
                        absl::string_view accept_language);

}  // namespace apptrust::web

#endif  // APPTRUST_SERVICES_DECISION_WEB_PAGE_LANGUAGE_H_
