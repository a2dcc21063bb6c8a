#include "common/cache/fingerprint_assembly.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace apptrust::cache {
namespace {

std::vector<std::string> SortedUnique(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(t);
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return ts;
}

}  // namespace

bool HasClientEntry(const std::vector<std::string>& entries, absl::string_view client_id,
                    absl::string_view txt_key) {
  for (const std::string& entry : entries) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    if (absl::EqualsIgnoreCase(absl::string_view(entry).substr(0, eq), txt_key) &&
        absl::string_view(entry).substr(eq + 1) == client_id) {
      return true;
    }
  }
  return false;
}

v1::Fingerprint AssembleFingerprint(const probe::Target& target,
                                    const probe::EndpointObservation& endpoint,
                                    const probe::TxtObservation& txt, absl::string_view client_id,
                                    absl::string_view txt_key) {
  v1::Fingerprint fp;
  fp.set_host(target.host);
  fp.set_port(target.port);
  fp.set_domain(target.domain);
  fp.set_scheme(target.scheme);
  fp.set_host_is_ip_literal(target.host_is_ip_literal);
  *fp.mutable_tls() = endpoint.tls;

  v1::DnsFingerprint& dns = *fp.mutable_dns();
  for (std::string& a : SortedUnique(endpoint.addresses)) {
    dns.add_addresses(std::move(a));
  }
  for (std::string& a : SortedUnique(endpoint.refused_addresses)) {
    dns.add_refused_addresses(std::move(a));
  }
  dns.set_address_outcome(endpoint.address_outcome);
  std::vector<std::string> entries = SortedUnique(txt.entries);
  dns.set_client_id_txt_present(!client_id.empty() && HasClientEntry(entries, client_id, txt_key));
  for (std::string& e : entries) {
    dns.add_txt_values(std::move(e));
  }
  dns.set_txt_outcome(txt.outcome);
  dns.set_error(txt.error);

  absl::Time captured = absl::InfiniteFuture();
  for (absl::Time t : {endpoint.observed_at, txt.observed_at}) {
    if (t != absl::UnixEpoch() && t != absl::InfinitePast()) {
      captured = std::min(captured, t);
    }
  }
  if (captured != absl::InfiniteFuture()) {
    *fp.mutable_captured_at() = ToProto(captured);
  }
  return fp;
}

}  // namespace apptrust::cache
