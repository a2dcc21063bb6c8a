#include "common/server/caller_identity.h"

#include <memory>
#include <vector>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

namespace apptrust::server {
namespace {

// The first value of `property`, or "".
std::string FirstValue(const grpc::AuthContext& auth, const char* property) {
  const std::vector<grpc::string_ref> values = auth.FindPropertyValues(property);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

}  // namespace

std::string CallerIdentity(const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  // Insecure credentials and TLS without a verified client certificate are
  // both "not authenticated": the SAN properties then describe nothing.
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  // gRPC 1.51 splits the verified certificate's SANs by kind: peer_uri holds
  // the URI SANs, peer_dns the DNS SANs (x509_subject_alternative_name mixes
  // the kinds, so it is not used to choose).
  if (std::string uri = FirstValue(*auth, GRPC_PEER_URI_PROPERTY_NAME); !uri.empty()) return uri;
  return FirstValue(*auth, GRPC_PEER_DNS_PROPERTY_NAME);
}

}  // namespace apptrust::server
