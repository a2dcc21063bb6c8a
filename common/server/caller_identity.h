// Who is calling: the identity a gRPC peer proved with its client certificate.
//
// With mTLS (tls_credentials.h: a client CA configured) the server requires a
// client certificate and verifies it against that CA before any call reaches
// a handler, so the subject alternative names gRPC puts in the call's
// AuthContext are ones the CA vouched for. The identity is the certificate's
// URI SAN (a SPIFFE id such as "spiffe://hospital.example/ns/apptrust/sa/gateway",
// preferred because it names a workload, not a host), or else its first DNS
// SAN. The common name is never used: it is free text that any CA may fill
// in, and RFC 6125 deprecates it as an identity.
//
// A plaintext or server-only-TLS listener has no verified peer: the identity
// is then "" (unauthenticated). The authorization interceptor
// (authorization_interceptor.h) and the store's audit trail read the identity
// through this one function, so they always agree on who called.
#ifndef APPTRUST_COMMON_SERVER_CALLER_IDENTITY_H_
#define APPTRUST_COMMON_SERVER_CALLER_IDENTITY_H_

#include <string>

#include "grpcpp/security/auth_context.h"
#include "grpcpp/server_context.h"

namespace apptrust::server {

// The verified URI SAN of the caller's client certificate, else its first
// DNS SAN, else "" when the call is not authenticated by a client
// certificate.
std::string CallerIdentity(const grpc::ServerContextBase& context);

// The same, from an AuthContext (nullptr → "").
std::string CallerIdentity(const grpc::AuthContext* auth_context);

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_CALLER_IDENTITY_H_
