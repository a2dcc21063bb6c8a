#include "common/server/server_security_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/logging/json_log.h"
#include "common/net/host_port.h"
#include "common/server/authorization_processor.h"
#include "common/server/flag_checks.h"

ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain (leaf first) of the gRPC listener; with --tls_key_file turns on "
          "TLS. Re-read when it changes (every --tls_refresh_interval)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle that client certificates must chain to: turns on mutual TLS, every "
          "caller must present a valid certificate from it");
ABSL_FLAG(absl::Duration, tls_refresh_interval, apptrust::server::kDefaultTlsRefreshInterval,
          "How often the TLS files (also --store_tls_* of apptrust-decision) are re-read, so that "
          "renewed certificates are served without a restart (whole seconds, at least 1s)");
ABSL_FLAG(std::string, authz_policy, "",
          "Path to an apptrust.v1.AuthorizationPolicy textproto: which client identities (URI or "
          "DNS SAN) may call which RPCs, all others get PERMISSION_DENIED. Needs "
          "--tls_client_ca_file; empty allows every caller");
ABSL_FLAG(bool, enable_reflection, false,
          "Serve gRPC server reflection (lists every service and message; off by default)");
ABSL_FLAG(bool, allow_insecure_listen, false,
          "Allow a plaintext gRPC --listen on an address other than loopback (refused by "
          "default: anyone who reaches the port could call every RPC)");
ABSL_FLAG(std::string, health_listen, "",
          "Optional plaintext host:port serving only grpc.health.v1 (for kubelet gRPC probes, "
          "which cannot use TLS); empty: none");

namespace apptrust::server {

absl::StatusOr<ServerSecurityFlags> ReadServerSecurityFlags(const std::string& listen) {
  ServerSecurityFlags flags;
  flags.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  flags.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  flags.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  flags.tls.refresh_interval = absl::GetFlag(FLAGS_tls_refresh_interval);
  if (flags.tls.refresh_interval < absl::Seconds(1)) {
    return FlagError("tls_refresh_interval", absl::FormatDuration(flags.tls.refresh_interval),
                     absl::InvalidArgumentError("must be at least 1s"));
  }
  const TlsFlagNames names{"tls_cert_file", "tls_key_file", "tls_client_ca_file", ""};
  if (absl::Status s = CheckTlsFiles(flags.tls, names); !s.ok()) return s;

  auto host_port = net::ParseHostPort(listen);
  if (!host_port.ok()) return FlagError("listen", listen, host_port.status());
  // Server-only TLS authenticates nobody: off loopback it is as open as
  // plaintext, so both need the explicit flag.
  if (!flags.tls.mutual() && !IsLoopbackHost(host_port->host) &&
      !absl::GetFlag(FLAGS_allow_insecure_listen)) {
    return FlagError(
        "listen", listen,
        absl::InvalidArgumentError(absl::StrCat(
            flags.tls.tls() ? "TLS without client certificates" : "plaintext",
            " on an address other than loopback lets anyone who reaches it call every RPC: set "
            "--tls_cert_file, --tls_key_file and --tls_client_ca_file (or, on a network you "
            "trust, --allow_insecure_listen)")));
  }

  flags.authz_policy_path = absl::GetFlag(FLAGS_authz_policy);
  if (!flags.authz_policy_path.empty()) {
    if (!flags.tls.mutual()) {
      return FlagError("authz_policy", flags.authz_policy_path,
                       absl::InvalidArgumentError(
                           "needs --tls_client_ca_file: only a verified client certificate gives "
                           "a caller an identity to authorize"));
    }
    auto policy = AuthorizationPolicy::Load(flags.authz_policy_path);
    if (!policy.ok()) return FlagError("authz_policy", flags.authz_policy_path, policy.status());
    flags.authz = std::make_shared<const AuthorizationPolicy>(*std::move(policy));
  }

  flags.enable_reflection = absl::GetFlag(FLAGS_enable_reflection);
  flags.health_listen = absl::GetFlag(FLAGS_health_listen);
  if (!flags.health_listen.empty()) {
    if (absl::Status s = CheckAddress("health_listen", flags.health_listen); !s.ok()) return s;
  }
  return flags;
}

GrpcServerSecurity MakeGrpcServerSecurity(const ServerSecurityFlags& flags) {
  GrpcServerSecurity security;
  if (flags.tls.tls()) security.credentials = MakeServerCredentials(flags.tls);
  if (flags.authz != nullptr) {
    security.authorization = MakeAuthorizationProcessor(flags.authz);
  } else if (flags.tls.mutual()) {
    logging::Warning(
        "mutual TLS without --authz_policy: every certificate --tls_client_ca_file issued may "
        "call every RPC")
        .Field("tls_client_ca_file", flags.tls.client_ca_file);
  }
  security.reflection = flags.enable_reflection;
  security.health_listen = flags.health_listen;
  return security;
}

}  // namespace apptrust::server
