// The security flags both services share (DESIGN.md §8, docs/OPERATING.md
// "Security"), defined once so that apptrust-decision and apptrust-store
// cannot drift apart: --tls_cert_file, --tls_key_file, --tls_client_ca_file,
// --tls_refresh_interval, --authz_policy, --enable_reflection,
// --allow_insecure_listen and --health_listen.
//
// Rules checked at start (a violation stops the process with a message
// naming the flag):
//   - a plaintext --listen that is not loopback is refused unless
//     --allow_insecure_listen: anyone who can reach such a port could
//     re-enroll or delete grants, which is how the service was attacked;
//   - --authz_policy needs --tls_client_ca_file (only a verified client
//     certificate gives a caller an identity to authorize);
//   - mutual TLS without --authz_policy admits every certificate the CA
//     issued: allowed, with a warning at start.
#ifndef APPTRUST_COMMON_SERVER_SERVER_SECURITY_FLAGS_H_
#define APPTRUST_COMMON_SERVER_SERVER_SECURITY_FLAGS_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/authorization_policy.h"
#include "common/server/grpc_server.h"
#include "common/server/tls_credentials.h"

ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_client_ca_file);
ABSL_DECLARE_FLAG(absl::Duration, tls_refresh_interval);
ABSL_DECLARE_FLAG(std::string, authz_policy);
ABSL_DECLARE_FLAG(bool, enable_reflection);
ABSL_DECLARE_FLAG(bool, allow_insecure_listen);
ABSL_DECLARE_FLAG(std::string, health_listen);

namespace apptrust::server {

struct ServerSecurityFlags {
  TlsServerOptions tls;
  std::string authz_policy_path;                     // "" = every caller allowed
  std::shared_ptr<const AuthorizationPolicy> authz;  // null = every caller allowed
  bool enable_reflection = false;
  std::string health_listen;  // "" = no separate health port
};

// Reads and checks the flags for a server listening on `listen`; FlagError
// (INVALID_ARGUMENT "--flag=value: why") for the first unusable one.
absl::StatusOr<ServerSecurityFlags> ReadServerSecurityFlags(const std::string& listen);

// The listener settings the flags ask for (credentials, authorization,
// reflection, health port). Logs a warning for mutual TLS without a policy.
GrpcServerSecurity MakeGrpcServerSecurity(const ServerSecurityFlags& flags);

// The source file of these flags, so that --help lists them with each
// binary's own (ConfigureUsage).
inline constexpr char kServerSecurityFlagsSource[] = "common/server/server_security_flags";

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_SERVER_SECURITY_FLAGS_H_
