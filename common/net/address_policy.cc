#include "common/net/address_policy.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace apptrust::net {
namespace {

IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

bool PrefixMatches(const IpAddress& address, const IpAddress& base, int prefix_length) {
  if (address.is_v6 != base.is_v6) {
    return false;
  }
  int full = prefix_length / 8;
  if (std::memcmp(address.bytes.data(), base.bytes.data(), full) != 0) {
    return false;
  }
  int rest = prefix_length % 8;
  if (rest == 0) {
    return true;
  }
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address.bytes[full] & mask) == (base.bytes[full] & mask);
}

struct Range {
  const char* cidr;
  const char* reason;
};

// Special-purpose ranges (IANA IPv4/IPv6 Special-Purpose Address Registries)
// that a probe must not reach. Order matters only for the reason reported.
constexpr Range kV4Refused[] = {
    {"0.0.0.0/8", "unspecified / 'this network' (0.0.0.0/8)"},
    {"10.0.0.0/8", "private (RFC 1918)"},
    {"100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local (incl. cloud metadata 169.254.169.254)"},
    {"172.16.0.0/12", "private (RFC 1918)"},
    {"192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"},
    {"192.0.2.0/24", "documentation (TEST-NET-1)"},
    {"192.88.99.0/24", "6to4 relay anycast (deprecated)"},
    {"192.168.0.0/16", "private (RFC 1918)"},
    {"198.18.0.0/15", "benchmarking (198.18.0.0/15)"},
    {"198.51.100.0/24", "documentation (TEST-NET-2)"},
    {"203.0.113.0/24", "documentation (TEST-NET-3)"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved (240.0.0.0/4, incl. broadcast)"},
};

constexpr Range kV6Refused[] = {
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"100::/64", "discard-only (100::/64)"},
    {"2001::/23", "IETF protocol assignments (2001::/23)"},
    {"2001:db8::/32", "documentation (2001:db8::/32)"},
    {"3fff::/20", "documentation (3fff::/20)"},
    {"5f00::/16", "segment routing (5f00::/16)"},
    {"fc00::/7", "unique local (fc00::/7)"},
    {"fe80::/10", "link-local (fe80::/10)"},
    {"fec0::/10", "site-local (deprecated, fec0::/10)"},
    {"ff00::/8", "multicast"},
};

const std::vector<std::pair<Cidr, std::string>>& RefusedTable(bool v6) {
  static const auto* tables = [] {
    auto* out = new std::array<std::vector<std::pair<Cidr, std::string>>, 2>;
    for (const Range& r : kV4Refused) {
      (*out)[0].emplace_back(*ParseCidr(r.cidr), r.reason);
    }
    for (const Range& r : kV6Refused) {
      (*out)[1].emplace_back(*ParseCidr(r.cidr), r.reason);
    }
    return out;
  }();
  return (*tables)[v6 ? 1 : 0];
}

// The IPv4 address an IPv6 form carries, if any: mapped (::ffff:0:0/96),
// compatible (::/96, excluding :: and ::1), NAT64 (64:ff9b::/96), 6to4
// (2002::/16, bytes 2..5).
std::optional<IpAddress> EmbeddedV4(const IpAddress& a) {
  if (!a.is_v6) {
    return std::nullopt;
  }
  if (auto mapped = a.MappedV4()) {
    return mapped;
  }
  static const uint8_t kZero[12] = {};
  if (std::memcmp(a.bytes.data(), kZero, 12) == 0) {
    IpAddress v4 = V4(a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]);
    // :: and ::1 are their own thing (unspecified, loopback).
    if (v4.bytes[0] == 0 && v4.bytes[1] == 0 && v4.bytes[2] == 0 && v4.bytes[3] <= 1) {
      return std::nullopt;
    }
    return v4;
  }
  static const uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a.bytes.data(), kNat64, 12) == 0) {
    return V4(a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]);
  }
  if (a.bytes[0] == 0x20 && a.bytes[1] == 0x02) {
    return V4(a.bytes[2], a.bytes[3], a.bytes[4], a.bytes[5]);
  }
  return std::nullopt;
}

}  // namespace

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof(text));
  return text;
}

std::optional<IpAddress> IpAddress::MappedV4() const {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!is_v6 || std::memcmp(bytes.data(), kMapped, 12) != 0) {
    return std::nullopt;
  }
  return V4(bytes[12], bytes[13], bytes[14], bytes[15]);
}

absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view text) {
  std::string copy(text);
  IpAddress ip;
  if (inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) == 1) {
    return ip;
  }
  if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) == 1) {
    ip.is_v6 = true;
    return ip;
  }
  return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an IP address"));
}

bool Cidr::Contains(const IpAddress& address) const {
  return PrefixMatches(address, base, prefix_length);
}

std::string Cidr::ToString() const { return absl::StrCat(base.ToString(), "/", prefix_length); }

absl::StatusOr<Cidr> ParseCidr(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) {
    return absl::InvalidArgumentError("empty CIDR");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('/', 1));
  absl::StatusOr<IpAddress> address = ParseIpAddress(parts[0]);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CIDR '", text, "': '", parts[0], "' is not an IP address"));
  }
  int max = address->is_v6 ? 128 : 32;
  int prefix = max;
  if (parts.size() == 2) {
    if (parts[1].empty() || parts[1].size() > 3 || !absl::SimpleAtoi(parts[1], &prefix) ||
        prefix < 0 || prefix > max) {
      return absl::InvalidArgumentError(
          absl::StrCat("CIDR '", text, "': prefix length must be 0..", max));
    }
  }
  Cidr cidr{*address, prefix};
  IpAddress masked;
  masked.is_v6 = address->is_v6;
  for (int i = 0; i < prefix / 8; ++i) {
    masked.bytes[i] = address->bytes[i];
  }
  if (prefix % 8 != 0) {
    masked.bytes[prefix / 8] =
        address->bytes[prefix / 8] & static_cast<uint8_t>(0xff << (8 - prefix % 8));
  }
  if (!(masked == *address)) {
    return absl::InvalidArgumentError(absl::StrCat("CIDR '", text,
                                                   "' has host bits set (did you mean ",
                                                   masked.ToString(), "/", prefix, "?)"));
  }
  return cidr;
}

absl::StatusOr<std::vector<Cidr>> ParseCidrList(absl::string_view text) {
  std::vector<Cidr> out;
  if (absl::StripAsciiWhitespace(text).empty()) {
    return out;
  }
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    absl::StatusOr<Cidr> cidr = ParseCidr(entry);
    if (!cidr.ok()) {
      return cidr.status();
    }
    out.push_back(*cidr);
  }
  return out;
}

std::optional<std::string> DefaultRefusalReason(const IpAddress& address) {
  if (std::optional<IpAddress> v4 = EmbeddedV4(address)) {
    if (std::optional<std::string> inner = DefaultRefusalReason(*v4)) {
      return absl::StrCat(*inner, " (embedded in IPv6 ", address.ToString(), ")");
    }
    if (address.MappedV4()) {
      return std::nullopt;  // a public IPv4 address, mapped
    }
  }
  for (const auto& [cidr, reason] : RefusedTable(address.is_v6)) {
    if (cidr.Contains(address)) {
      return reason;
    }
  }
  if (address.is_v6) {
    // Only 2000::/3 is allocated global unicast; everything else is reserved
    // (embedded public IPv4 forms were judged above).
    if ((address.bytes[0] & 0xe0) != 0x20 && !EmbeddedV4(address)) {
      return std::string("reserved IPv6 (outside 2000::/3)");
    }
  }
  return std::nullopt;
}

std::optional<std::string> AddressPolicy::RefusalReason(const IpAddress& address) const {
  std::optional<std::string> reason = DefaultRefusalReason(address);
  if (!reason) {
    return std::nullopt;
  }
  std::optional<IpAddress> mapped = address.MappedV4();
  for (const Cidr& cidr : allow_) {
    if (cidr.Contains(address) || (mapped && cidr.Contains(*mapped))) {
      return std::nullopt;
    }
  }
  return reason;
}

}  // namespace apptrust::net
