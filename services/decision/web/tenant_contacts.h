// Where the explanation page gets each tenant's display name, support contact
// (and its text per language), manage URL and TXT key: the operator's
// policy.textproto, resolved per tenant (the tenant's own values, else the
// top-level ones).
#ifndef APPTRUST_SERVICES_DECISION_WEB_TENANT_CONTACTS_H_
#define APPTRUST_SERVICES_DECISION_WEB_TENANT_CONTACTS_H_

#include "apptrust/v1/policy.pb.h"
#include "services/decision/web/explanation_server.h"

namespace apptrust::web {

// A thread-safe lookup over a copy of `config` (assumed valid, as
// config::LoadPolicyConfig returns it).
TenantContactLookup TenantContactsFromPolicy(v1::PolicyConfig config);

}  // namespace apptrust::web

#endif  // APPTRUST_SERVICES_DECISION_WEB_TENANT_CONTACTS_H_
