// What the probe engine observes for one app: the host and port of its
// redirect URI, and the domain (eTLD+1) whose TXT records and display name
// belong to it. ParseRedirectUri (redirect_uri.h) is the one way to make a
// Target from what an app registered, so every spelling of one redirect host
// (case, trailing dot, U-labels or A-labels) yields the same Target and so
// the same cache entry and the same fingerprint.
//
// It lives in common/net, beside the parser that produces it, so that net
// does not depend on the probe engine (the probe engine consumes Targets).
#ifndef APPTRUST_COMMON_NET_TARGET_H_
#define APPTRUST_COMMON_NET_TARGET_H_

#include <cstdint>
#include <string>

namespace apptrust::net {

struct Target {
  std::string scheme;  // "https" or "http"
  std::string host;    // normalised: lower case, A-labels, no trailing dot
  uint16_t port = 443;
  std::string domain;  // eTLD+1 of host (A-labels); the host itself for IP literals
  bool host_is_ip_literal = false;
};

}  // namespace apptrust::net

#endif  // APPTRUST_COMMON_NET_TARGET_H_
