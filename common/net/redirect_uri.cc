#include "common/net/redirect_uri.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <uriparser/Uri.h>

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/net/etld.h"

namespace apptrust::net {
namespace {

constexpr size_t kMaxHostBytes = 253;
constexpr size_t kMaxLabelBytes = 63;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("redirect_uri: ", what));
}

std::string Range(const UriTextRangeA& range) {
  if (range.first == nullptr || range.afterLast == nullptr) {
    return "";
  }
  return std::string(range.first, range.afterLast);
}

bool HasControlCharacters(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// RFC 3986 admits only ASCII; an IRI-style redirect URI with a UTF-8 host is
// made parseable by percent-encoding its non-ASCII bytes (decoded again for
// the host before IDNA).
std::string PercentEncodeNonAscii(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int value = 0;
    if (i + 2 >= text.size()) {
      return Invalid("host has a truncated percent-encoding");
    }
    for (int k = 1; k <= 2; ++k) {
      char h = text[i + k];
      int v = absl::ascii_isdigit(h)   ? h - '0'
              : (h >= 'a' && h <= 'f') ? h - 'a' + 10
              : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                       : -1;
      if (v < 0) {
        return Invalid("host has a malformed percent-encoding");
      }
      value = value * 16 + v;
    }
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

bool IsAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) {
      return false;
    }
  }
  return true;
}

absl::Status CheckLabels(absl::string_view host) {
  if (host.size() > kMaxHostBytes) {
    return Invalid(
        absl::StrCat("host is ", host.size(), " bytes long (at most ", kMaxHostBytes, " allowed)"));
  }
  std::vector<absl::string_view> labels = absl::StrSplit(host, '.');
  for (absl::string_view label : labels) {
    if (label.empty()) {
      return Invalid(absl::StrCat("host '", host, "' has an empty label"));
    }
    if (label.size() > kMaxLabelBytes) {
      return Invalid(absl::StrCat("host '", host, "' has a label longer than 63 bytes"));
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') {
        return Invalid(
            absl::StrCat("host '", host, "' has an invalid character in label '", label, "'"));
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return Invalid(absl::StrCat("host '", host, "' has a label starting or ending with '-'"));
    }
  }
  // A name whose last label is numeric ("127.1", "0x7f.1" aside) is what
  // browsers read as an IPv4 address in a short form; refuse the ambiguity.
  bool all_digits = true;
  for (char c : labels.back()) {
    all_digits = all_digits && absl::ascii_isdigit(c);
  }
  if (all_digits) {
    return Invalid(absl::StrCat("host '", host, "' looks like a malformed IPv4 address"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> NormalizeHost(absl::string_view raw_host) {
  if (raw_host.empty()) {
    return Invalid("host is empty");
  }
  if (HasControlCharacters(raw_host)) {
    return Invalid("host contains control characters");
  }
  std::string host(raw_host);
  if (host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in6_addr v6;
  in_addr v4;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &v6, text, sizeof(text));
    return std::string(text);
  }
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &v4, text, sizeof(text));
    return std::string(text);
  }
  if (host.back() == '.') {
    host.pop_back();
  }
  if (host.empty()) {
    return Invalid("host is empty");
  }
  if (!IsAscii(host) || host.find("xn--") != std::string::npos ||
      host.find("XN--") != std::string::npos) {
    if (host.size() > 4 * kMaxHostBytes) {
      return Invalid("host is too long");
    }
    char* lookup = nullptr;
    int rc =
        idn2_lookup_u8(reinterpret_cast<const uint8_t*>(host.c_str()),
                       reinterpret_cast<uint8_t**>(&lookup), IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
      return Invalid(
          absl::StrCat("host is not a valid internationalised name (", idn2_strerror(rc), ")"));
    }
    host = lookup;
    idn2_free(lookup);
    if (!host.empty() && host.back() == '.') {
      host.pop_back();
    }
  }
  host = absl::AsciiStrToLower(host);
  if (absl::Status labels = CheckLabels(host); !labels.ok()) {
    return labels;
  }
  return host;
}

absl::StatusOr<probe::Target> ParseRedirectUri(absl::string_view uri) {
  if (uri.empty()) {
    return Invalid("is empty");
  }
  if (HasControlCharacters(uri)) {
    return Invalid("contains control characters");
  }
  std::string text = PercentEncodeNonAscii(uri);

  UriUriA parsed;
  const char* error_pos = nullptr;
  if (uriParseSingleUriA(&parsed, text.c_str(), &error_pos) != URI_SUCCESS) {
    return Invalid(absl::StrCat("is not a valid URI (error at offset ",
                                error_pos ? error_pos - text.c_str() : 0, ")"));
  }
  struct Freer {
    UriUriA* uri;
    ~Freer() { uriFreeUriMembersA(uri); }
  } freer{&parsed};

  probe::Target target;
  target.scheme = absl::AsciiStrToLower(Range(parsed.scheme));
  if (target.scheme.empty()) {
    return Invalid("has no scheme (expected https://)");
  }
  if (target.scheme != "https" && target.scheme != "http") {
    return Invalid(absl::StrCat("scheme '", target.scheme, "' is not supported (https or http)"));
  }
  if (parsed.userInfo.first != nullptr) {
    return Invalid("must not contain userinfo (user@host)");
  }
  if (parsed.hostData.ipFuture.first != nullptr) {
    return Invalid("IPvFuture host literals are not supported");
  }
  std::string raw_host = Range(parsed.hostText);
  if (parsed.hostData.ip6 != nullptr) {
    raw_host = absl::StrCat("[", raw_host, "]");
  }
  if (raw_host.empty()) {
    return Invalid("has no host");
  }
  absl::StatusOr<std::string> decoded = PercentDecode(raw_host);
  if (!decoded.ok()) {
    return decoded.status();
  }
  absl::StatusOr<std::string> host = NormalizeHost(*decoded);
  if (!host.ok()) {
    return host.status();
  }
  target.host = *host;
  // Decided on the normalised text, so a percent-encoded literal counts too.
  in6_addr scratch;
  target.host_is_ip_literal = inet_pton(AF_INET, target.host.c_str(), &scratch) == 1 ||
                              inet_pton(AF_INET6, target.host.c_str(), &scratch) == 1;

  std::string port = Range(parsed.portText);
  if (port.empty()) {
    target.port = target.scheme == "https" ? 443 : 80;
  } else {
    uint32_t value = 0;
    if (port.size() > 5 || !absl::SimpleAtoi(port, &value) || value == 0 || value > 65535) {
      return Invalid(absl::StrCat("port '", port, "' is not in 1..65535"));
    }
    target.port = static_cast<uint16_t>(value);
  }

  if (target.host_is_ip_literal) {
    target.domain = target.host;
  } else {
    absl::StatusOr<std::string> domain = RegistrableDomain(target.host);
    if (!domain.ok()) {
      return domain.status();
    }
    target.domain = *domain;
  }
  return target;
}

}  // namespace apptrust::net
