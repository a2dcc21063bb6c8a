// Runs a gRPC server the way both AppTrust services need it: listens where
// told (port 0 picks an ephemeral port, reported back), serves
// grpc.health.v1.Health and server reflection, and stops gracefully on
// SIGTERM or SIGINT: stop accepting, let in-flight RPCs finish within the
// grace period, then cancel what is left. A request that is not a valid
// protobuf message is answered INVALID_ARGUMENT
// (unparsable_request_interceptor.h).
//
// Call PrepareServiceProcess() first thing in main(), before any thread is
// created, so that the signals are delivered only to WaitForTermination().
#ifndef APPTRUST_COMMON_SERVER_GRPC_SERVER_H_
#define APPTRUST_COMMON_SERVER_GRPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"

namespace apptrust::server {

// Blocks SIGTERM/SIGINT in every thread (WaitForTermination takes them),
// ignores SIGPIPE, and turns off Abseil's mutex deadlock detection: Debian's
// Abseil is built with it on, and it records a stack trace and updates a
// global lock graph on every contended lock, which costs the services ~4% of
// their CPU on the refresh path for a debugging aid (thread-safety
// annotations and the TSan build cover lock ordering).
void PrepareServiceProcess();

class GrpcServer {
 public:
  // `services` must outlive the server. Fails with a message naming the
  // address when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const std::string& listen,
                                                           std::vector<grpc::Service*> services);
  ~GrpcServer();

  // The address actually bound, with the ephemeral port resolved.
  const std::string& address() const { return address_; }
  int port() const { return port_; }

  // Overall health (service "") and every registered service's health.
  void SetServing(bool serving);

  // Blocks until SIGTERM or SIGINT arrives, returning the signal number.
  static int WaitForTermination();

  // Stops accepting, waits up to `grace` for in-flight RPCs, cancels the rest.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer() = default;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_GRPC_SERVER_H_
