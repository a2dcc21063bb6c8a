// Which callers may call which RPCs: the rules of an --authz_policy file
// (apptrust.v1.AuthorizationPolicy, proto/apptrust/v1/authz.proto), checked
// once at start and then matched on every call.
//
// A caller is the identity of its verified client certificate
// (caller_identity.h); a call is allowed when some rule lists both the
// caller (exactly, or by a prefix ending in '*') and the method (exactly, or
// "/package.Service/*"). Everything else is denied: a forgotten rule locks a
// caller out, it never lets one in. grpc.health.v1 is always allowed (any
// caller that completed the handshake may ask whether the service is up), and
// a caller without an identity (no URI or DNS SAN) matches no rule, not even
// "*".
//
// Pure: no I/O after loading, thread-safe to share.
#ifndef APPTRUST_COMMON_SERVER_AUTHORIZATION_POLICY_H_
#define APPTRUST_COMMON_SERVER_AUTHORIZATION_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/authz.pb.h"

namespace apptrust::server {

class AuthorizationPolicy {
 public:
  // Parses protobuf text; INVALID_ARGUMENT "name:line:col: ..." or
  // "name: rules[i].field[j]: why" for a file that does not parse, an empty
  // rule, a malformed identity pattern or method name, or a method that the
  // named service (when this binary knows it) does not have.
  static absl::StatusOr<AuthorizationPolicy> Parse(absl::string_view text, absl::string_view name);
  // Reads and parses `path`.
  static absl::StatusOr<AuthorizationPolicy> Load(const std::string& path);

  // OK when `identity` may call `method` (a full method name,
  // "/apptrust.v1.FingerprintStore/GetGrant"); otherwise PERMISSION_DENIED
  // naming both.
  absl::Status Check(absl::string_view identity, absl::string_view method) const;

  const v1::AuthorizationPolicy& proto() const { return proto_; }

 private:
  explicit AuthorizationPolicy(v1::AuthorizationPolicy proto) : proto_(std::move(proto)) {}
  v1::AuthorizationPolicy proto_;
};

// True when `pattern` (exact, or a prefix ending in '*') matches `value`.
bool MatchesPattern(absl::string_view pattern, absl::string_view value);

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_AUTHORIZATION_POLICY_H_
