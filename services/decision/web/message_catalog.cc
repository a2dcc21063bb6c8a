#include "services/decision/web/message_catalog.h"

#include <array>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::web {
namespace {

using Index = absl::flat_hash_map<absl::string_view, absl::string_view>;

const Index& IndexOf(Language language) {
  static const auto* const kIndexes = [] {
    auto* indexes = new std::array<Index, kLanguages.size()>();
    for (const Language each : kLanguages) {
      for (const Message& message : CatalogEntries(each)) {
        (*indexes)[static_cast<size_t>(each)].emplace(message.key, message.text);
      }
    }
    return indexes;
  }();
  return (*kIndexes)[static_cast<size_t>(language)];
}

}  // namespace

absl::Span<const Message> CatalogEntries(Language language) {
  switch (language) {
    case Language::kSpanish:
      return catalogs::Spanish();
    case Language::kEnglish:
      break;
  }
  return catalogs::English();
}

absl::string_view Translate(Language language, absl::string_view key) {
  for (const Language each : {language, Language::kEnglish}) {
    const Index& index = IndexOf(each);
    if (auto it = index.find(key); it != index.end()) return it->second;
  }
  return "";
}

std::string FillPlaceholders(
    absl::string_view text,
    std::initializer_list<std::pair<absl::string_view, absl::string_view>> values) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t open = text.find('{');
    const size_t close = open == absl::string_view::npos ? open : text.find('}', open);
    if (close == absl::string_view::npos) break;
    absl::StrAppend(&out, text.substr(0, open));
    const absl::string_view name = text.substr(open + 1, close - open - 1);
    bool filled = false;
    for (const auto& [key, value] : values) {
      if (key == name) {
        absl::StrAppend(&out, value);
        filled = true;
        break;
      }
    }
    if (!filled) absl::StrAppend(&out, text.substr(open, close - open + 1));
    text.remove_prefix(close + 1);
  }
  absl::StrAppend(&out, text);
  return out;
}

std::string ReasonKey(int reason) {
  std::string name = v1::Reason_Name(static_cast<v1::Reason>(reason));
  if (name.empty()) name = absl::StrCat(reason);
  absl::string_view bare = name;
  absl::ConsumePrefix(&bare, "REASON_");
  return absl::StrCat("reason.", bare);
}

}  // namespace apptrust::web
