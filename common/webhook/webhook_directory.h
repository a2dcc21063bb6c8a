// Which webhook endpoints hear about an app: the `webhooks` of each tenant in
// policy.textproto, with their secrets read from their files once, when the
// config is loaded (a missing or short secret stops start-up, not a
// delivery hours later).
//
// For an app (tenant id, client id): the tenant's endpoints that name the
// client id in client_ids if there are any — the developer of that app
// asked for its news at that address — otherwise the tenant's endpoints
// without client_ids (the tenant-wide ones). Immutable once loaded, so
// thread-safe.
#ifndef APPTRUST_COMMON_WEBHOOK_WEBHOOK_DIRECTORY_H_
#define APPTRUST_COMMON_WEBHOOK_WEBHOOK_DIRECTORY_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/policy.pb.h"
#include "common/webhook/webhook_sender.h"

namespace apptrust::webhook {

// Shorter keys are refused: HMAC-SHA256 wants at least its output size.
inline constexpr size_t kMinSecretBytes = 32;

class WebhookDirectory {
 public:
  // Validates `config` (config::ValidatePolicyConfig) and reads every
  // webhook's secret_file (relative paths: from the working directory). One
  // trailing "\n" or "\r\n" is not part of the secret. INVALID_ARGUMENT naming
  // the field ("tenants[\"acme\"].webhooks[0].secret_file: ...") when a file
  // cannot be read or holds fewer than kMinSecretBytes bytes.
  static absl::StatusOr<WebhookDirectory> Load(const v1::PolicyConfig& config);

  WebhookDirectory() = default;

  // The endpoints to tell about the app `client_id` of `tenant_id` (see the
  // top of this file); empty when there are none.
  std::vector<WebhookEndpoint> EndpointsFor(absl::string_view tenant_id,
                                            absl::string_view client_id) const;

  // Whether any tenant has a webhook (a service may skip the sender then).
  bool empty() const { return by_tenant_.empty(); }

 private:
  struct Entry {
    WebhookEndpoint endpoint;
    std::vector<std::string> client_ids;  // empty: tenant-wide
  };
  std::map<std::string, std::vector<Entry>, std::less<>> by_tenant_;
};

}  // namespace apptrust::webhook

#endif  // APPTRUST_COMMON_WEBHOOK_WEBHOOK_DIRECTORY_H_
