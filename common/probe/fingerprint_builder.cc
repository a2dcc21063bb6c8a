#include "common/probe/fingerprint_builder.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace apptrust::probe {

bool HasClientEntry(const std::vector<std::string>& entries, absl::string_view client_id,
                    absl::string_view txt_key) {
  for (const std::string& entry : entries) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    const absl::string_view view(entry);
    if (absl::EqualsIgnoreCase(view.substr(0, eq), txt_key) && view.substr(eq + 1) == client_id) {
      return true;
    }
  }
  return false;
}

v1::Fingerprint BuildFingerprint(const Target& target, const EndpointObservation& endpoint,
                                 const TxtObservation& txt, absl::string_view client_id,
                                 absl::string_view txt_key) {
  v1::Fingerprint fp;
  fp.set_host(target.host);
  fp.set_port(target.port);
  fp.set_domain(target.domain);
  fp.set_scheme(target.scheme);
  fp.set_host_is_ip_literal(target.host_is_ip_literal);
  *fp.mutable_tls() = endpoint.tls;

  v1::DnsFingerprint* dns = fp.mutable_dns();
  std::vector<std::string> addresses = endpoint.addresses;
  std::sort(addresses.begin(), addresses.end());
  for (const std::string& a : addresses) {
    dns->add_addresses(a);
  }
  std::vector<std::string> refused = endpoint.refused_addresses;
  std::sort(refused.begin(), refused.end());
  refused.erase(std::unique(refused.begin(), refused.end()), refused.end());
  for (const std::string& a : refused) {
    dns->add_refused_addresses(a);
  }
  dns->set_address_outcome(endpoint.address_outcome);
  dns->set_txt_outcome(txt.outcome);
  std::vector<std::string> entries = txt.entries;
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  for (const std::string& e : entries) {
    dns->add_txt_values(e);
  }
  dns->set_client_id_txt_present(!client_id.empty() && HasClientEntry(entries, client_id, txt_key));
  std::vector<std::string> errors;
  if (!endpoint.address_error.empty()) {
    errors.push_back(endpoint.address_error);
  }
  if (!txt.error.empty()) {
    errors.push_back(txt.error);
  }
  dns->set_error(absl::StrJoin(errors, "; "));

  absl::Time captured = absl::InfiniteFuture();
  for (absl::Time t : {endpoint.observed_at, txt.observed_at}) {
    if (t != absl::UnixEpoch() && t != absl::InfinitePast() && t < captured) {
      captured = t;
    }
  }
  if (captured != absl::InfiniteFuture()) {
    const int64_t nanos = absl::ToUnixNanos(captured);
    fp.mutable_captured_at()->set_seconds(nanos / 1000000000);
    fp.mutable_captured_at()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  return fp;
}

}  // namespace apptrust::probe
