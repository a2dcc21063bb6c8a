// Makes a request that is not a valid protobuf message an INVALID_ARGUMENT.
//
// gRPC 1.51 parses a unary (or server-streaming) request before any of our
// code runs, and when the bytes do not parse as the method's request type
// (truncated or garbage bytes, a wrong message type, a proto3 string field
// that is not UTF-8) it answers by itself: INTERNAL from a synchronous
// service (the store) and UNIMPLEMENTED with an empty message from a callback
// service (the decision service). Both say "our fault" to the caller and to
// the error-rate alerts, although the caller sent a bad request.
//
// There is no hook into that parse, but server interceptors see both ends of
// the call: the received message is null after a failed parse
// (POST_RECV_MESSAGE), and the status can be replaced before it is sent
// (PRE_SEND_STATUS). So the interceptor turns exactly that case into
// INVALID_ARGUMENT "request: ...", naming the method. It cannot name the
// field: gRPC has dropped the bytes by then.
// Handlers' own statuses are never touched, and client- or bidi-streaming
// calls (where a null message means end of stream) are not intercepted.
#ifndef APPTRUST_COMMON_SERVER_UNPARSABLE_REQUEST_INTERCEPTOR_H_
#define APPTRUST_COMMON_SERVER_UNPARSABLE_REQUEST_INTERCEPTOR_H_

#include "grpcpp/support/server_interceptor.h"

namespace apptrust::server {

class UnparsableRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // nullptr (no interceptor) for client- and bidi-streaming methods.
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_UNPARSABLE_REQUEST_INTERCEPTOR_H_
