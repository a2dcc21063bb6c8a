// Which resolved addresses the probe may contact (SSRF safety, DESIGN.md §5).
//
// A redirect URI is chosen by the app's developer, so a probe must never be a
// way into the operator's own network: by default every address that is not
// globally routable unicast is refused — unspecified, loopback, RFC 1918,
// CGNAT (100.64/10), link-local (169.254/16 with the cloud metadata address
// 169.254.169.254; fe80::/10), ULA (fc00::/7), site-local, multicast,
// broadcast and reserved (240/4), documentation and benchmarking ranges, and
// the IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d,
// IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), which are
// judged by the IPv4 address they embed.
//
// An allow-list of CIDRs (flag --probe_allow_cidrs; the tests admit
// 127.0.0.0/8) admits ranges that would otherwise be refused. IPv4-mapped
// addresses are matched against IPv4 CIDRs by their embedded address.
//
// Pure functions, no I/O: the classifier is unit-tested on private and
// metadata addresses without ever connecting to them.
#ifndef APPTRUST_COMMON_NET_ADDRESS_POLICY_H_
#define APPTRUST_COMMON_NET_ADDRESS_POLICY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apptrust::net {

// An IPv4 or IPv6 address. IPv4 uses the first 4 bytes.
struct IpAddress {
  bool is_v6 = false;
  std::array<uint8_t, 16> bytes{};

  // Canonical text ("10.0.0.1", "::ffff:10.0.0.1").
  std::string ToString() const;
  // The embedded IPv4 address of an IPv4-mapped IPv6 address, else nullopt.
  std::optional<IpAddress> MappedV4() const;
  bool operator==(const IpAddress& other) const = default;
};

// Parses a textual IPv4 or IPv6 address (no brackets, no zone id).
absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view text);

struct Cidr {
  IpAddress base;  // host bits cleared
  int prefix_length = 0;

  bool Contains(const IpAddress& address) const;
  std::string ToString() const;
};

// "10.0.0.0/8", "::1/128"; a bare address means a single host (/32, /128).
// Host bits set below the prefix are an error (a typo more often than not).
absl::StatusOr<Cidr> ParseCidr(absl::string_view text);
// Comma-separated CIDRs, whitespace around entries ignored; "" is the empty
// list. The error names the offending entry.
absl::StatusOr<std::vector<Cidr>> ParseCidrList(absl::string_view text);

// Why `address` is refused by default ("loopback", "private (RFC 1918)",
// "link-local", ...), or nullopt for a globally routable unicast address.
std::optional<std::string> DefaultRefusalReason(const IpAddress& address);

class AddressPolicy {
 public:
  // Refuses everything DefaultRefusalReason names, except what `allow` admits.
  explicit AddressPolicy(std::vector<Cidr> allow = {}) : allow_(std::move(allow)) {}

  // nullopt when the probe may contact `address`; otherwise the reason.
  std::optional<std::string> RefusalReason(const IpAddress& address) const;
  bool IsAllowed(const IpAddress& address) const { return !RefusalReason(address).has_value(); }

  const std::vector<Cidr>& allow_list() const { return allow_; }

 private:
  std::vector<Cidr> allow_;
};

}  // namespace apptrust::net

#endif  // APPTRUST_COMMON_NET_ADDRESS_POLICY_H_
