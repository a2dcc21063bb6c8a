#include "services/decision/web/tenant_contacts.h"

#include <memory>
#include <utility>

#include "common/config/effective_policy.h"

namespace apptrust::web {

TenantContactLookup TenantContactsFromPolicy(v1::PolicyConfig config) {
  auto shared = std::make_shared<const v1::PolicyConfig>(std::move(config));
  return [shared](const std::string& tenant_id) {
    const config::EffectivePolicy policy = config::ResolvePolicy(*shared, tenant_id);
    return TenantContact{policy.support_contact, policy.manage_url, policy.txt_key,
                         policy.display_name, policy.support_contact_text};
  };
}

}  // namespace apptrust::web
