#include "services/decision/web/page_language.h"

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace apptrust::web {
namespace {

// More ranges than any browser sends; the rest of a longer header is ignored.
constexpr int kMaxRanges = 32;
constexpr int kNoMatch = -1;

// The language whose tag is the primary subtag of `range` ("es-MX" → es).
std::optional<Language> ByPrimarySubtag(absl::string_view range) {
  const absl::string_view primary = range.substr(0, range.find('-'));
  for (const Language language : kLanguages) {
    if (absl::EqualsIgnoreCase(primary, LanguageTag(language))) return language;
  }
  return std::nullopt;
}

// RFC 4647 §2.1 language-range: "*" or 1*8ALPHA *("-" 1*8alphanum).
bool IsLanguageRange(absl::string_view range) {
  if (range == "*") return true;
  bool first = true;
  for (absl::string_view part : absl::StrSplit(range, '-')) {
    if (part.empty() || part.size() > 8) return false;
    for (const char c : part) {
      if (first ? !absl::ascii_isalpha(c) : !absl::ascii_isalnum(c)) return false;
    }
    first = false;
  }
  return true;
}

// RFC 9110 §12.4.2 qvalue, in thousandths: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"].
std::optional<int> ParseQValue(absl::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int thousandths = (text[0] - '0') * 1000;
  if (text.size() == 1) return thousandths;
  if (text[1] != '.') return std::nullopt;
  int scale = 100;
  for (const char c : text.substr(2)) {
    if (!absl::ascii_isdigit(c)) return std::nullopt;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

// One element of the header: its range and weight; nullopt when malformed.
struct WeightedRange {
  absl::string_view range;
  int weight = 1000;
};

std::optional<WeightedRange> ParseElement(absl::string_view element) {
  std::vector<absl::string_view> parts = absl::StrSplit(element, ';');
  WeightedRange out;
  out.range = absl::StripAsciiWhitespace(parts[0]);
  if (!IsLanguageRange(out.range)) return std::nullopt;
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view parameter = absl::StripAsciiWhitespace(parts[i]);
    if (!absl::ConsumePrefix(&parameter, "q=") && !absl::ConsumePrefix(&parameter, "Q=")) {
      return std::nullopt;  // Accept-Language defines no other parameter
    }
    std::optional<int> weight = ParseQValue(parameter);
    if (!weight) return std::nullopt;
    out.weight = *weight;
  }
  return out;
}

}  // namespace

absl::string_view LanguageTag(Language language) {
  switch (language) {
    case Language::kSpanish:
      return "es";
    case Language::kEnglish:
      break;
  }
  return "en";
}

std::optional<Language> ParseLanguageParameter(absl::string_view value) {
  if (value == "*" || !IsLanguageRange(value)) return std::nullopt;
  return ByPrimarySubtag(value);
}

std::optional<Language> PreferredLanguage(absl::string_view accept_language) {
  // Per language: the weight of its own ranges (the highest), and where the
  // first of them stood; "*" gives its weight to languages not named.
  struct Score {
    int weight = kNoMatch;
    int position = 0;
  };
  std::array<Score, kLanguages.size()> named;
  Score wildcard;
  int position = 0;
  for (absl::string_view element : absl::StrSplit(accept_language, ',', absl::SkipWhitespace())) {
    if (position == kMaxRanges) break;
    const std::optional<WeightedRange> parsed = ParseElement(element);
    ++position;
    if (!parsed) continue;
    Score* score = nullptr;
    if (parsed->range == "*") {
      score = &wildcard;
    } else if (const std::optional<Language> language = ByPrimarySubtag(parsed->range)) {
      score = &named[static_cast<size_t>(*language)];
    } else {
      continue;
    }
    if (score->weight == kNoMatch) score->position = position;
    if (parsed->weight > score->weight) score->weight = parsed->weight;
  }
  std::optional<Language> best;
  Score best_score;
  for (const Language language : kLanguages) {
    Score score = named[static_cast<size_t>(language)];
    if (score.weight == kNoMatch) score = wildcard;
    if (score.weight <= 0) continue;  // not named, or q=0: not acceptable
    if (!best || score.weight > best_score.weight ||
        (score.weight == best_score.weight && score.position < best_score.position)) {
      best = language;
      best_score = score;
    }
  }
  return best;
}

Language ChooseLanguage(std::optional<absl::string_view> lang_parameter,
                        absl::string_view accept_language) {
  if (lang_parameter) {
    if (const std::optional<Language> chosen = ParseLanguageParameter(*lang_parameter)) {
      return *chosen;
    }
  }
  return PreferredLanguage(accept_language).value_or(Language::kEnglish);
}

}  // namespace apptrust::web
