// Who the store's audit log says made a change: the AuditContext of one gRPC
// call.
//
// The caller is the store's direct peer (the decision service, apptrustctl,
// an operator's tool), never an identity a request claims: under mTLS the
// verified client certificate's identity (server::CallerIdentity: URI SAN,
// else DNS SAN, made valid UTF-8); otherwise "unauthenticated peer "
// followed by the peer address ("unauthenticated peer ipv4:127.0.0.1:5555").
// The marker holds a space, which neither a URI nor a DNS name can hold, so a
// certificate cannot pass itself off as an unauthenticated peer (nor the
// reverse) and a reader can always tell a proven identity from an address.
//
// The request id is the caller's "x-request-id" metadata, kept only when it is
// 1 to 128 bytes of printable ASCII (anything else is dropped, not stored):
// it correlates an entry with the caller's logs, and proves nothing.
#ifndef APPTRUST_SERVICES_STORE_AUDIT_CALLER_H_
#define APPTRUST_SERVICES_STORE_AUDIT_CALLER_H_

#include "grpcpp/server_context.h"
#include "services/store/grant_backend.h"

namespace apptrust::store {

inline constexpr char kUnauthenticatedCallerPrefix[] = "unauthenticated peer ";
inline constexpr char kRequestIdMetadata[] = "x-request-id";

// `context` may be null (a call made in-process, as unit tests do): the caller
// is then "in-process".
AuditContext AuditContextFor(const grpc::ServerContextBase* context);

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_AUDIT_CALLER_H_
