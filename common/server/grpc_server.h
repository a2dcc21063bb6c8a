// Runs a gRPC server the way both AppTrust services need it: listens where
// told (port 0 picks an ephemeral port, reported back), serves
// grpc.health.v1.Health (and server reflection when asked), with the
// transport security and authorization of GrpcServerSecurity, and stops
// gracefully on
// SIGTERM or SIGINT: stop accepting, let in-flight RPCs finish within the
// grace period, then cancel what is left. A request that is not a valid
// protobuf message is answered INVALID_ARGUMENT
// (unparsable_request_interceptor.h).
//
// Call PrepareServiceProcess() first thing in main(), before any thread is
// created, so that the signals are delivered only to WaitForTermination().
//
// A listener is open to whoever can reach it, so what one peer may hold is
// bounded (GrpcListenerLimits; docs/OPERATING.md "Limits"): a TCP connection
// that completes no HTTP/2 handshake is closed after `handshake_timeout`, an
// HTTP/2 connection without calls after `max_idle`, every connection after
// `max_age` (+ `max_age_grace` for calls in flight), a dead peer is found by
// keepalive pings, and gRPC's buffers and sync-server threads are capped by a
// resource quota. Idle sockets then cost a descriptor each for seconds, not
// forever, and PrepareServiceProcess() raises the descriptor limit so that
// many of them cannot starve the probe or the other listeners.
#ifndef APPTRUST_COMMON_SERVER_GRPC_SERVER_H_
#define APPTRUST_COMMON_SERVER_GRPC_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"

namespace apptrust::server {

// Blocks SIGTERM/SIGINT in every thread (WaitForTermination takes them),
// ignores SIGPIPE, and turns off Abseil's mutex deadlock detection: Debian's
// Abseil is built with it on, and it records a stack trace and updates a
// global lock graph on every contended lock, which costs the services ~4% of
// their CPU on the refresh path for a debugging aid (thread-safety
// annotations and the TSan build cover lock ordering).
//
// Also raises the soft RLIMIT_NOFILE to the hard limit: the default soft limit
// (1,024) is what 1,100 idle connections exhausted, after which the probe
// could not open a socket and the page and /metrics stopped answering.
void PrepareServiceProcess();

// The soft RLIMIT_NOFILE after PrepareServiceProcess() (for the start log).
int64_t OpenFileLimit();

// What one gRPC listener lets its peers hold. The defaults are the services'.
struct GrpcListenerLimits {
  // A connection that has not completed its HTTP/2 (and, with TLS, TLS)
  // handshake by then is closed: an idle TCP socket costs a descriptor this
  // long (gRPC's default is 120 s).
  absl::Duration handshake_timeout = absl::Seconds(10);
  // An HTTP/2 connection with no call for this long gets GOAWAY.
  absl::Duration max_idle = absl::Minutes(5);
  // Every connection gets GOAWAY at this age; calls in flight then have
  // `max_age_grace` to finish (longer than any call: CheckRefresh is capped
  // at 60 s). Clients reconnect transparently.
  absl::Duration max_age = absl::Minutes(30);
  absl::Duration max_age_grace = absl::Minutes(2);
  // The server pings a peer this long silent, and closes the connection when
  // no answer comes within keepalive_timeout: a vanished peer's connection
  // does not stay open until max_idle.
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Clients may ping this often without data (the decision service's store
  // channel pings every 30 s); faster pingers are sent GOAWAY.
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // gRPC's buffers for all connections of the listener (under pressure gRPC
  // shrinks buffers and closes connections), and its sync-server threads
  // (reflection).
  int64_t memory_bytes = int64_t{128} << 20;
  int max_threads = 64;
};

// Who may connect and call (docs/OPERATING.md "Security").
struct GrpcServerSecurity {
  // The listener's credentials (tls_credentials.h); null means plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Runs before every call on TLS credentials and may refuse it
  // (authorization_processor.h); null admits every call.
  std::shared_ptr<grpc::AuthMetadataProcessor> authorization;
  // Server reflection lists every service and message: an attacker's map.
  // Off unless asked for (--enable_reflection).
  bool reflection = false;
  // When set, a second, plaintext listener serving only grpc.health.v1 with
  // the same statuses: kubelet's gRPC probes cannot do TLS, let alone
  // present a client certificate. It tells whether the service is up and
  // nothing else.
  std::string health_listen;
};

class GrpcServer {
 public:
  // `services` must outlive the server. Fails with a message naming the
  // address when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const std::string& listen,
                                                           std::vector<grpc::Service*> services,
                                                           const GrpcListenerLimits& limits = {},
                                                           const GrpcServerSecurity& security = {});
  ~GrpcServer();

  // The address actually bound, with the ephemeral port resolved.
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  // The health-only listener's address ("" when there is none).
  const std::string& health_address() const { return health_address_; }

  // Overall health (service "") and every registered service's health.
  void SetServing(bool serving);

  // Blocks until SIGTERM or SIGINT arrives, returning the signal number.
  static int WaitForTermination();

  // Stops accepting, waits up to `grace` for in-flight RPCs, cancels the rest.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer() = default;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;
  // gRPC refuses to build a server without a frequently polled completion
  // queue, and the default health service (callback API) alone provides
  // none: the health-only listener gets one, drained by its own thread.
  std::unique_ptr<grpc::ServerCompletionQueue> health_cq_;
  std::thread health_cq_thread_;
  std::string address_;
  std::string health_address_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_GRPC_SERVER_H_
