#include "common/probe/address_choice.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"

namespace apptrust::probe {

AddressChoice ChooseAddresses(const std::vector<std::string>& addresses,
                              const net::AddressPolicy& policy) {
  AddressChoice choice;
  for (const std::string& text : addresses) {
    absl::StatusOr<net::IpAddress> address = net::ParseIpAddress(text);
    if (!address.ok()) {
      choice.refused.push_back(text);
      choice.refusals.push_back(absl::StrCat(text, " (unparseable)"));
      continue;
    }
    if (std::optional<std::string> reason = policy.RefusalReason(*address)) {
      choice.refused.push_back(text);
      choice.refusals.push_back(absl::StrCat(text, " (", *reason, ")"));
      continue;
    }
    choice.allowed.push_back(*address);
  }
  std::sort(choice.allowed.begin(), choice.allowed.end(),
            [](const net::IpAddress& a, const net::IpAddress& b) {
              if (a.is_v6 != b.is_v6) {
                return !a.is_v6;
              }
              return a.ToString() < b.ToString();
            });
  return choice;
}

}  // namespace apptrust::probe
