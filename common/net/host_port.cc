#include "common/net/host_port.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace apptrust::net {

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, bool allow_ephemeral) {
  auto fail = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a host:port address: ", why));
  };
  if (text.empty()) return fail("empty");
  HostPort out;
  absl::string_view port_text;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) return fail("missing ']'");
    out.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') return fail("missing ':port'");
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return fail("missing ':port'");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return fail("IPv6 hosts need brackets");
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) out.host = "127.0.0.1";
  for (const char c : out.host) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '_' || c == '%')) {
      return fail("host has an invalid character");
    }
  }
  uint32_t port = 0;
  if (port_text.empty() || !absl::SimpleAtoi(port_text, &port) || port > 65535 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(port_text.front()))) {
    return fail("port must be a number from 0 to 65535");
  }
  if (port == 0 && !allow_ephemeral) return fail("port 0 is not allowed here");
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace apptrust::net
