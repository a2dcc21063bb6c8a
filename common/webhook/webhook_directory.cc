#include "common/webhook/webhook_directory.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/config/policy_config.h"

namespace apptrust::webhook {
namespace {

absl::StatusOr<std::string> ReadSecret(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": cannot read '", path, "': ", std::strerror(errno)));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string secret = contents.str();
  absl::string_view trimmed = secret;
  if (!absl::ConsumeSuffix(&trimmed, "\r\n")) {
    absl::ConsumeSuffix(&trimmed, "\n");
  }
  if (trimmed.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": '", path, "' holds ", trimmed.size(),
                                                   " bytes; a webhook secret needs at least ",
                                                   kMinSecretBytes));
  }
  return std::string(trimmed);
}

}  // namespace

absl::StatusOr<WebhookDirectory> WebhookDirectory::Load(const v1::PolicyConfig& config) {
  if (absl::Status status = config::ValidatePolicyConfig(config); !status.ok()) {
    return status;
  }
  WebhookDirectory directory;
  for (const auto& [tenant_id, tenant] : config.tenants()) {
    for (int i = 0; i < tenant.webhooks_size(); ++i) {
      const v1::WebhookConfig& webhook = tenant.webhooks(i);
      absl::StatusOr<std::string> secret =
          ReadSecret(webhook.secret_file(),
                     absl::StrCat("tenants[\"", tenant_id, "\"].webhooks[", i, "].secret_file"));
      if (!secret.ok()) {
        return secret.status();
      }
      Entry entry;
      entry.endpoint = WebhookEndpoint{webhook.id(), webhook.url(), *std::move(secret)};
      entry.client_ids.assign(webhook.client_ids().begin(), webhook.client_ids().end());
      directory.by_tenant_[tenant_id].push_back(std::move(entry));
    }
  }
  return directory;
}

std::vector<WebhookEndpoint> WebhookDirectory::EndpointsFor(absl::string_view tenant_id,
                                                            absl::string_view client_id) const {
  auto it = by_tenant_.find(tenant_id);
  if (it == by_tenant_.end()) {
    return {};
  }
  std::vector<WebhookEndpoint> specific, tenant_wide;
  for (const Entry& entry : it->second) {
    if (entry.client_ids.empty()) {
      tenant_wide.push_back(entry.endpoint);
    } else if (std::find(entry.client_ids.begin(), entry.client_ids.end(), client_id) !=
               entry.client_ids.end()) {
      specific.push_back(entry.endpoint);
    }
  }
  return specific.empty() ? tenant_wide : specific;
}

}  // namespace apptrust::webhook
