#include "common/net/redirect_uri.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <uriparser/Uri.h>

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/net/etld.h"
#include "common/net/percent_encoding.h"

namespace apptrust::net {
namespace {

constexpr size_t kMaxHostBytes = 253;
constexpr size_t kMaxLabelBytes = 63;

// Messages name the problem, not the field: the caller knows which field it
// parsed ("redirect_uri", "grant.redirect_uri") and prefixes it once.
absl::Status Invalid(absl::string_view what) { return absl::InvalidArgumentError(what); }

std::string Range(const UriTextRangeA& range) {
  if (range.first == nullptr || range.afterLast == nullptr) {
    return "";
  }
  return std::string(range.first, range.afterLast);
}

// Length of the UTF-8 sequence starting at text[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
// Sets `code_point`.
size_t Utf8SequenceLength(absl::string_view text, size_t i, uint32_t* code_point) {
  const unsigned char lead = static_cast<unsigned char>(text[i]);
  size_t length = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const unsigned char next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return length;
}

// An IRI (RFC 3987) is UTF-8 text without controls: C0, DEL and the C1
// range U+0080-U+009F (RFC 3987 §2.2 excludes them from ucschar).
absl::Status CheckIriCharacters(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t length = Utf8SequenceLength(text, i, &cp);
    if (length == 0) {
      return Invalid(absl::StrCat("is not valid UTF-8 (at byte ", i, ")"));
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      return Invalid(absl::StrCat("contains a control character (at byte ", i, ")"));
    }
    i += length;
  }
  return absl::OkStatus();
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
  if (absl::Status characters = CheckIriCharacters(raw_host); !characters.ok()) {
    return Invalid(absl::StrCat("host ", characters.message()));
  }
  std::string host(raw_host);
  if (host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.empty()) return Invalid("host is empty");
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
  // A-labels are checked too (a bad "xn--" label is not a name), in any case.
  if (!IsAscii(host) || absl::StrContains(absl::AsciiStrToLower(host), "xn--")) {
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

std::string HostForDisplay(absl::string_view host) {
  const std::string text(host);
  if (!absl::StrContains(text, "xn--")) return text;
  char* unicode = nullptr;
  if (idn2_to_unicode_8z8z(text.c_str(), &unicode, 0) != IDN2_OK || unicode == nullptr) {
    return text;
  }
  std::string out = unicode;
  idn2_free(unicode);
  return out;
}

absl::StatusOr<Target> ParseRedirectUri(absl::string_view uri) {
  if (uri.empty()) {
    return Invalid("is empty");
  }
  if (absl::Status characters = CheckIriCharacters(uri); !characters.ok()) {
    return characters;
  }
  // RFC 3987 §3.1: an IRI becomes a URI by percent-encoding its non-ASCII
  // bytes, which is what lets uriparser (RFC 3986, ASCII only) read it. The
  // host is decoded again below and mapped to A-labels; non-ASCII in the path
  // or query needs nothing more, as only the host, port and scheme matter
  // here.
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

  Target target;
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
    return Invalid(absl::StrCat("host has a ", decoded.status().message()));
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
