// Who is calling a gRPC service, as the transport proved it.
//
// Under mTLS the client's certificate was verified against the configured
// client CA during the handshake; its subject alternative names are then the
// caller's identity: a URI SAN (a SPIFFE id such as
// "spiffe://hospital.example/ns/apptrust/sa/decision") when it has one, else
// its first DNS SAN. A call over plaintext, or over TLS without a verified
// client certificate, has no identity: "" — the caller then decides what to
// record instead (the store's audit log records the peer address, marked as
// unauthenticated).
//
// Only what the handshake verified counts: nothing the client sends in
// metadata can set or change this identity.
#ifndef APPTRUST_COMMON_SERVER_CALLER_IDENTITY_H_
#define APPTRUST_COMMON_SERVER_CALLER_IDENTITY_H_

#include <string>

#include "grpcpp/server_context.h"

namespace apptrust::server {

// The verified peer's URI SAN, else its DNS SAN; "" when the peer is not
// authenticated.
std::string CallerIdentity(const grpc::ServerContextBase& context);

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_CALLER_IDENTITY_H_
