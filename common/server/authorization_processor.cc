#include "common/server/authorization_processor.h"

#include <string>
#include <utility>

#include "common/logging/json_log.h"
#include "common/server/caller_identity.h"
#include "common/server/grpc_status.h"

namespace apptrust::server {
namespace {

class AuthorizationProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit AuthorizationProcessor(std::shared_ptr<const AuthorizationPolicy> policy)
      : policy_(std::move(policy)) {}

  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* /*consumed_auth_metadata*/,
                       OutputMetadata* /*response_metadata*/) override {
    std::string method;
    if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
      method.assign(it->second.data(), it->second.size());
    }
    const std::string identity = CallerIdentity(context);
    absl::Status allowed = policy_->Check(identity, method);
    if (allowed.ok()) return grpc::Status::OK;
    logging::Warning("call denied by the authorization policy")
        .Field("caller", identity)
        .Field("method", method);
    return ToGrpcStatus(allowed);
  }

 private:
  const std::shared_ptr<const AuthorizationPolicy> policy_;
};

}  // namespace

std::shared_ptr<grpc::AuthMetadataProcessor> MakeAuthorizationProcessor(
    std::shared_ptr<const AuthorizationPolicy> policy) {
  return std::make_shared<AuthorizationProcessor>(std::move(policy));
}

}  // namespace apptrust::server
