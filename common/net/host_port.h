// Listen and connect addresses of the form "host:port", "[v6]:port" or
// ":port" (all interfaces is never implied: ":port" means 127.0.0.1). Used to
// validate address flags before anything binds, so that a bad value names the
// flag instead of failing deep inside gRPC.
#ifndef APPTRUST_COMMON_NET_HOST_PORT_H_
#define APPTRUST_COMMON_NET_HOST_PORT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apptrust::net {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;

  // "host:port", with brackets around IPv6 literals.
  std::string ToString() const;
};

// Parses "host:port". Port 0 (ephemeral) is allowed only when
// `allow_ephemeral` is true. Errors say what is wrong with the value.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, bool allow_ephemeral = true);

}  // namespace apptrust::net

#endif  // APPTRUST_COMMON_NET_HOST_PORT_H_
