// Which of a host's resolved addresses a probe contacts: the address policy
// (common/net/address_policy.h) refuses some; of the rest, IPv4 first, then
// IPv6, each in sorted textual order, and only the first is contacted (no
// fallback: one probe, one connection). The probe engine and the HTTP
// fetcher (CRLs) choose the same way.
#ifndef APPTRUST_COMMON_PROBE_ADDRESS_CHOICE_H_
#define APPTRUST_COMMON_PROBE_ADDRESS_CHOICE_H_

#include <string>
#include <vector>

#include "common/net/address_policy.h"

namespace apptrust::probe {

struct AddressChoice {
  // In contact order; empty when every address is refused.
  std::vector<net::IpAddress> allowed;
  // The refused addresses as given, and each with its reason
  // ("10.0.0.1 (private network)").
  std::vector<std::string> refused;
  std::vector<std::string> refusals;
};

// `addresses` in textual form; an unparseable one is refused.
AddressChoice ChooseAddresses(const std::vector<std::string>& addresses,
                              const net::AddressPolicy& policy);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_ADDRESS_CHOICE_H_
