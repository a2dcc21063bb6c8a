#include "common/policy/organization_name.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace apptrust::policy {
namespace {

// Legal forms as word sequences (after the key's separator rules), each with
// its canonical abbreviation. Longer spellings first so they win.
const std::vector<std::pair<std::vector<std::string>, std::string>>& LegalForms() {
  static const auto* forms = new std::vector<std::pair<std::vector<std::string>, std::string>>{
      {{"gesellschaft", "mit", "beschränkter", "haftung"}, "gmbh"},
      {{"gesellschaft", "mit", "beschraenkter", "haftung"}, "gmbh"},
      {{"professional", "limited", "liability", "company"}, "pllc"},
      {{"limited", "liability", "company"}, "llc"},
      {{"limited", "liability", "partnership"}, "llp"},
      {{"public", "limited", "company"}, "plc"},
      {{"limited", "partnership"}, "lp"},
      {{"professional", "corporation"}, "pc"},
      {{"société", "anonyme"}, "sa"},
      {{"societe", "anonyme"}, "sa"},
      {{"besloten", "vennootschap"}, "bv"},
      {{"naamloze", "vennootschap"}, "nv"},
      {{"società", "per", "azioni"}, "spa"},
      {{"societa", "per", "azioni"}, "spa"},
      {{"l", "l", "c"}, "llc"},
      {{"l", "l", "p"}, "llp"},
      {{"l", "p"}, "lp"},
      {{"p", "c"}, "pc"},
      {{"s", "a"}, "sa"},
      {{"b", "v"}, "bv"},
      {{"n", "v"}, "nv"},
      {{"s", "p", "a"}, "spa"},
      {{"incorporated"}, "inc"},
      {{"corporation"}, "corp"},
      {{"company"}, "co"},
      {{"limited"}, "ltd"},
      {{"aktiengesellschaft"}, "ag"},
      {{"proprietary"}, "pty"},
      // The abbreviations themselves, so a run of forms is read to its start.
      {{"inc"}, "inc"},
      {{"corp"}, "corp"},
      {{"co"}, "co"},
      {{"ltd"}, "ltd"},
      {{"llc"}, "llc"},
      {{"llp"}, "llp"},
      {{"lp"}, "lp"},
      {{"plc"}, "plc"},
      {{"pc"}, "pc"},
      {{"pllc"}, "pllc"},
      {{"gmbh"}, "gmbh"},
      {{"ag"}, "ag"},
      {{"sa"}, "sa"},
      {{"bv"}, "bv"},
      {{"nv"}, "nv"},
      {{"pty"}, "pty"},
      {{"spa"}, "spa"},
  };
  return *forms;
}

bool IsSeparator(unsigned char c) { return c < 0x80 && !absl::ascii_isalnum(c); }

}  // namespace

std::string OrganizationNameKey(absl::string_view name) {
  std::string spaced;
  for (unsigned char c : name) {
    if (c == '&') {
      spaced += " and ";
    } else if (IsSeparator(c)) {
      spaced += ' ';
    } else {
      spaced += static_cast<char>(absl::ascii_tolower(c));
    }
  }
  std::vector<std::string> words = absl::StrSplit(spaced, ' ', absl::SkipEmpty());
  // Legal forms at the end, last first: the canonical ones are set aside so
  // "Co., Ltd." reads as two forms, and the rest of the name is untouched.
  std::vector<std::string> forms;
  bool found = true;
  while (found && words.size() > 1) {
    found = false;
    for (const auto& [spelling, canonical] : LegalForms()) {
      if (spelling.size() >= words.size() ||
          !std::equal(spelling.begin(), spelling.end(), words.end() - spelling.size())) {
        continue;
      }
      words.resize(words.size() - spelling.size());
      forms.insert(forms.begin(), canonical);
      found = true;
      break;
    }
  }
  words.insert(words.end(), forms.begin(), forms.end());
  return absl::StrJoin(words, " ");
}

bool SameOrganizationName(absl::string_view a, absl::string_view b) {
  if (a.empty() || b.empty()) {
    return a.empty() == b.empty();
  }
  return OrganizationNameKey(a) == OrganizationNameKey(b);
}

}  // namespace apptrust::policy
