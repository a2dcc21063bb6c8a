// Finds an app's `<key>=<value>` entries (key default `cerner-client-id`) in
// the TXT records at its domain. Publishers lay them out in three ways, all
// accepted: one entry per TXT record; several character-strings in one
// record; several entries separated by whitespace or newlines in one string.
// Entries of other keys (SPF, site verifications, ...) are ignored. The key
// is matched case-insensitively and reported with the spelling given here;
// values are kept verbatim. The result is sorted and de-duplicated, so
// reordering records never changes it.
#ifndef APPTRUST_COMMON_PROBE_TXT_ENTRIES_H_
#define APPTRUST_COMMON_PROBE_TXT_ENTRIES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace apptrust::probe {

// `records`: one element per TXT record, each its character-strings in order.
std::vector<std::string> ExtractTxtEntries(const std::vector<std::vector<std::string>>& records,
                                           absl::string_view key);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_TXT_ENTRIES_H_
