// Transport security of every gRPC listener and channel of AppTrust, built in
// one place from PEM files: the two services' listeners, the decision
// service's channel to the store (and the page's store lookup on it), and
// apptrustctl.
//
// Modes, chosen by which files are configured:
//   - none: plaintext (the loopback default of scripts/start; see
//     CheckListenSecurity for why a non-loopback plaintext listener is
//     refused);
//   - server certificate and key: TLS, the server is authenticated;
//   - plus a client CA: mutual TLS. The server REQUIRES a client certificate
//     and verifies it against that CA (chain, validity window, clientAuth
//     purpose) during the handshake, before any call is read: a peer without
//     one, with one from another CA or an expired one never gets a call
//     through. Its identity is then caller_identity.h's.
//
// Files are watched (grpc::experimental::FileWatcherCertificateProvider): a
// certificate, key or CA bundle rewritten in place (cert-manager renewing a
// Secret, which kubelet swaps atomically into the pod) is served from the
// next handshake after `refresh_interval`, without a restart. Connections
// already open keep the certificate they were made with until they close
// (GrpcListenerLimits::max_age bounds that).
//
// The files are read once at start (CheckTlsFiles) so that a missing file, a
// key that does not match its certificate or a bundle without certificates
// stops the process with a message naming the flag, instead of failing every
// handshake later.
#ifndef APPTRUST_COMMON_SERVER_TLS_CREDENTIALS_H_
#define APPTRUST_COMMON_SERVER_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace apptrust::server {

// How often watched PEM files are re-read. cert-manager renews at 2/3 of a
// certificate's life, so a minute is far inside any renewal window; tests
// pass a second.
inline constexpr absl::Duration kDefaultTlsRefreshInterval = absl::Minutes(1);

struct TlsServerOptions {
  // The server's certificate chain (leaf first) and private key, PEM. Both or
  // neither; neither means plaintext.
  std::string cert_file;
  std::string key_file;
  // CA bundle (PEM) that client certificates must chain to. Set: mutual TLS,
  // a verified client certificate is required. Needs cert_file/key_file.
  std::string client_ca_file;
  absl::Duration refresh_interval = kDefaultTlsRefreshInterval;

  bool tls() const { return !cert_file.empty() || !key_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

struct TlsClientOptions {
  // CA bundle (PEM) the server's certificate must chain to; empty with TLS
  // on means the system's roots.
  std::string ca_file;
  // The client's own certificate chain and key (PEM), for servers that
  // require mutual TLS. Both or neither.
  std::string cert_file;
  std::string key_file;
  // The name the server's certificate must hold, when it is not the host of
  // the target address (e.g. a target given as an IP address).
  std::string server_name;
  absl::Duration refresh_interval = kDefaultTlsRefreshInterval;

  // TLS is on when any file is configured.
  bool tls() const { return !ca_file.empty() || !cert_file.empty() || !key_file.empty(); }
};

// Names of the flags that carry each option, for error messages
// ("--tls_cert_file=...: ..."): the services and apptrustctl name them
// differently.
struct TlsFlagNames {
  absl::string_view cert_file;
  absl::string_view key_file;
  absl::string_view ca_file;
  absl::string_view server_name;  // may be empty (servers)
};

// Reads every configured file once: each must exist and hold PEM
// certificates (or a private key), the key must match the first
// certificate, and certificate and key come together; a client CA needs a
// server certificate. INVALID_ARGUMENT "--flag=value: why" otherwise.
absl::Status CheckTlsFiles(const TlsServerOptions& options, const TlsFlagNames& names);
absl::Status CheckTlsFiles(const TlsClientOptions& options, const TlsFlagNames& names);

// Plaintext when !options.tls(); otherwise TLS (mutual when a client CA is
// set) from watched files. Call CheckTlsFiles first.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsServerOptions& options);

// Plaintext when !options.tls(); otherwise TLS from watched files, verifying
// the server's chain and name. `args` receives the server name override, so
// pass the same arguments to grpc::CreateCustomChannel.
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsClientOptions& options,
                                                                 grpc::ChannelArguments& args);

// True when `host` (of a host:port listen address) is only reachable from
// this machine: 127.0.0.0/8, ::1 or "localhost".
bool IsLoopbackHost(absl::string_view host);

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_TLS_CREDENTIALS_H_
