// Enforces an AuthorizationPolicy on every call of a TLS listener, before the
// call reaches its handler.
//
// gRPC runs an AuthMetadataProcessor for each call on secure credentials,
// after the handshake has verified the client certificate and before the
// request is delivered; a non-OK status it returns ends the call with that
// status. (A server interceptor cannot do this: gRPC 1.51's server
// interceptors may observe and rewrite a call, not stop its handler from
// running.) The processor reads the caller with CallerIdentity() and the
// method from the call's ":path", and answers PERMISSION_DENIED naming both
// when the policy does not allow the call. It runs inline on gRPC's thread:
// matching a handful of rules costs microseconds.
//
// It exists only on TLS credentials, which is why --authz_policy requires
// mutual TLS (server_security_flags.h): on a plaintext listener nobody has an
// identity to authorize.
#ifndef APPTRUST_COMMON_SERVER_AUTHORIZATION_PROCESSOR_H_
#define APPTRUST_COMMON_SERVER_AUTHORIZATION_PROCESSOR_H_

#include <memory>

#include "common/server/authorization_policy.h"
#include "grpcpp/security/auth_metadata_processor.h"

namespace apptrust::server {

std::shared_ptr<grpc::AuthMetadataProcessor> MakeAuthorizationProcessor(
    std::shared_ptr<const AuthorizationPolicy> policy);

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_AUTHORIZATION_PROCESSOR_H_
