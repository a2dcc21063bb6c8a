// The policy that applies to one tenant: the top-level settings of
// policy.textproto with that tenant's overrides applied and every unset field
// replaced by its documented default (DESIGN.md §4). The decision service
// resolves it once per request and hands it to the pure policy function, the
// observation cache (stale-if-error allowance) and the explanation page
// (support contact, manage URL), so none of them has to know about defaults
// or inheritance.
#ifndef APPTRUST_COMMON_CONFIG_EFFECTIVE_POLICY_H_
#define APPTRUST_COMMON_CONFIG_EFFECTIVE_POLICY_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/policy.pb.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::config {

// Defaults of DESIGN.md §4; also what an empty policy.textproto means.
inline constexpr char kDefaultTxtKey[] = "cerner-client-id";
inline constexpr char kDefaultErrorBaseUrl[] = "http://127.0.0.1:8080";
inline constexpr absl::Duration kDefaultExpiringSoon = absl::Hours(14 * 24);
// Also the outer bound: a configured max_staleness above it is rejected.
inline constexpr absl::Duration kMaxStaleness = absl::Hours(12);

// Every field is set (no UNSPECIFIED values, no empty lists) once returned by
// ResolvePolicy.
struct EffectivePolicy {
  v1::Profile profile = v1::PROFILE_DISPLAYED;
  v1::Enforcement enforcement = v1::ENFORCEMENT_ENFORCE;
  std::string txt_key = kDefaultTxtKey;
  absl::Duration expiring_soon = kDefaultExpiringSoon;
  std::vector<v1::Persona> personas_in_scope = {v1::PERSONA_PATIENT};
  v1::ProbeFailure on_probe_failure = v1::PROBE_FAILURE_STALE_OK;
  absl::Duration max_staleness = kMaxStaleness;
  // Without a trailing slash, so "{error_base_url}/errors/..." is well formed.
  std::string error_base_url = kDefaultErrorBaseUrl;
  // The tenant's own, else the top-level one; may be empty.
  std::string support_contact;
  std::string manage_url;
  std::string display_name;
  // By language tag; the tenant's entry for a language, else the top-level one.
  std::map<std::string, std::string, std::less<>> support_contact_text;
};

// Applies defaults, then the overrides of `tenant_id` (an unknown or empty
// tenant id gets the top-level policy). A tenant field that is unset
// (UNSPECIFIED enum, empty list, empty string) inherits the top-level value.
// `config` is assumed valid (see ValidatePolicyConfig); this never fails.
EffectivePolicy ResolvePolicy(const v1::PolicyConfig& config, absl::string_view tenant_id);

// Whether grants of `persona` are probed. PERSONA_UNSPECIFIED counts as
// PERSONA_PATIENT: a caller that forgets the persona gets the protective
// behaviour (the app is checked), never a silent pass.
bool InScope(const EffectivePolicy& policy, v1::Persona persona);

// How old a last good observation may be and still be judged in place of a
// failed probe: max_staleness under PROBE_FAILURE_STALE_OK, zero (never)
// under ALLOW and SUSPEND, which want to see the failure itself. Pass it to
// ObservationCache::Observe.
absl::Duration StaleAllowance(const EffectivePolicy& policy);

}  // namespace apptrust::config

#endif  // APPTRUST_COMMON_CONFIG_EFFECTIVE_POLICY_H_
