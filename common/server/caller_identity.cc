#include "common/server/caller_identity.h"

#include <memory>

#include "grpc/grpc_security_constants.h"

namespace apptrust::server {
namespace {

// The first value of `property`, or "".
std::string FirstProperty(const grpc::AuthContext& auth_context, const char* property) {
  for (const grpc::string_ref& value : auth_context.FindPropertyValues(property)) {
    if (!value.empty()) return std::string(value.data(), value.size());
  }
  return "";
}

}  // namespace

std::string CallerIdentity(const grpc::AuthContext* auth_context) {
  // No peer certificate (plaintext, or TLS without client certificates): gRPC
  // sets no peer identity and the caller is anonymous.
  if (auth_context == nullptr || !auth_context->IsPeerAuthenticated()) return "";
  // gRPC sets peer_spiffe_id only when the certificate has exactly one URI
  // SAN and it is a valid SPIFFE id; otherwise the first URI SAN.
  if (std::string spiffe = FirstProperty(*auth_context, GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
      !spiffe.empty()) {
    return spiffe;
  }
  if (std::string uri = FirstProperty(*auth_context, GRPC_PEER_URI_PROPERTY_NAME); !uri.empty()) {
    return uri;
  }
  return FirstProperty(*auth_context, GRPC_PEER_DNS_PROPERTY_NAME);
}

std::string CallerIdentity(const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth_context = context.auth_context();
  return CallerIdentity(auth_context.get());
}

}  // namespace apptrust::server
