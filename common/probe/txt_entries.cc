#include "common/probe/txt_entries.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace apptrust::probe {

std::vector<std::string> ExtractTxtEntries(const std::vector<std::vector<std::string>>& records,
                                           absl::string_view key) {
  std::vector<std::string> entries;
  if (key.empty()) {
    return entries;
  }
  for (const auto& record : records) {
    for (const std::string& text : record) {
      for (absl::string_view token :
           absl::StrSplit(text, absl::ByAnyChar(" \t\r\n\f\v"), absl::SkipEmpty())) {
        if (token.size() <= key.size() + 1 || token[key.size()] != '=') {
          continue;
        }
        if (!absl::EqualsIgnoreCase(token.substr(0, key.size()), key)) {
          continue;
        }
        entries.push_back(absl::StrCat(key, "=", token.substr(key.size() + 1)));
      }
    }
  }
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

}  // namespace apptrust::probe
