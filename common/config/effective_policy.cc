#include "common/config/effective_policy.h"

#include <algorithm>
#include <string>

#include "common/time/proto_time.h"
#include "google/protobuf/duration.pb.h"

namespace apptrust::config {
namespace {

using timeconv::FromProto;

std::string WithoutTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

}  // namespace

EffectivePolicy ResolvePolicy(const v1::PolicyConfig& config, absl::string_view tenant_id) {
  EffectivePolicy policy;
  if (config.profile() != v1::PROFILE_UNSPECIFIED) {
    policy.profile = config.profile();
  }
  if (config.enforcement() != v1::ENFORCEMENT_UNSPECIFIED) {
    policy.enforcement = config.enforcement();
  }
  if (!config.txt_key().empty()) {
    policy.txt_key = config.txt_key();
  }
  if (config.has_expiring_soon()) {
    policy.expiring_soon = FromProto(config.expiring_soon());
  }
  if (!config.personas_in_scope().empty()) {
    policy.personas_in_scope.clear();
    for (int p : config.personas_in_scope()) {
      policy.personas_in_scope.push_back(static_cast<v1::Persona>(p));
    }
  }
  if (config.on_probe_failure() != v1::PROBE_FAILURE_UNSPECIFIED) {
    policy.on_probe_failure = config.on_probe_failure();
  }
  if (config.has_max_staleness()) {
    policy.max_staleness = FromProto(config.max_staleness());
  }
  if (!config.error_base_url().empty()) {
    policy.error_base_url = WithoutTrailingSlashes(config.error_base_url());
  }
  policy.support_contact = config.support_contact();
  policy.manage_url = config.manage_url();
  policy.display_name = config.display_name();
  policy.support_contact_text.insert(config.support_contact_text().begin(),
                                     config.support_contact_text().end());

  auto it = config.tenants().find(std::string(tenant_id));
  if (tenant_id.empty() || it == config.tenants().end()) {
    return policy;
  }
  const v1::TenantPolicy& tenant = it->second;
  if (tenant.profile() != v1::PROFILE_UNSPECIFIED) {
    policy.profile = tenant.profile();
  }
  if (tenant.enforcement() != v1::ENFORCEMENT_UNSPECIFIED) {
    policy.enforcement = tenant.enforcement();
  }
  if (!tenant.personas_in_scope().empty()) {
    policy.personas_in_scope.clear();
    for (int p : tenant.personas_in_scope()) {
      policy.personas_in_scope.push_back(static_cast<v1::Persona>(p));
    }
  }
  if (tenant.on_probe_failure() != v1::PROBE_FAILURE_UNSPECIFIED) {
    policy.on_probe_failure = tenant.on_probe_failure();
  }
  if (!tenant.support_contact().empty()) {
    policy.support_contact = tenant.support_contact();
  }
  if (!tenant.manage_url().empty()) {
    policy.manage_url = tenant.manage_url();
  }
  if (!tenant.display_name().empty()) {
    policy.display_name = tenant.display_name();
  }
  for (const auto& [language, text] : tenant.support_contact_text()) {
    if (!text.empty()) policy.support_contact_text[language] = text;
  }
  return policy;
}

bool InScope(const EffectivePolicy& policy, v1::Persona persona) {
  if (persona == v1::PERSONA_UNSPECIFIED) {
    persona = v1::PERSONA_PATIENT;
  }
  return std::find(policy.personas_in_scope.begin(), policy.personas_in_scope.end(), persona) !=
         policy.personas_in_scope.end();
}

absl::Duration StaleAllowance(const EffectivePolicy& policy) {
  return policy.on_probe_failure == v1::PROBE_FAILURE_STALE_OK ? policy.max_staleness
                                                               : absl::ZeroDuration();
}

}  // namespace apptrust::config
