// The policy text format loader (policy.textproto, protobuf text format plus
// ValidatePolicyConfig) on any bytes. What a config that loads guarantees
// the code after it: it passes validation again, every tenant's effective
// policy keeps the 12 h staleness cap, and the error_uri built on its
// error_base_url holds only the characters RFC 6749 §5.2 allows
// (%x21 / %x23-5B / %x5D-7E), since the gateway copies it verbatim.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/policy.pb.h"
#include "common/config/effective_policy.h"
#include "common/config/policy_config.h"
#include "common/policy/error_uri.h"
#include "fuzz/fuzz_input.h"

namespace {

bool InErrorUriCharset(absl::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (!(u == 0x21 || (u >= 0x23 && u <= 0x5b) || (u >= 0x5d && u <= 0x7e))) return false;
  }
  return true;
}

void CheckTenant(const apptrust::v1::PolicyConfig& config, const std::string& tenant) {
  namespace config_ns = apptrust::config;
  const config_ns::EffectivePolicy policy = config_ns::ResolvePolicy(config, tenant);
  APPTRUST_FUZZ_CHECK(policy.max_staleness <= config_ns::kMaxStaleness);
  APPTRUST_FUZZ_CHECK(policy.max_staleness >= absl::ZeroDuration());
  APPTRUST_FUZZ_CHECK(policy.expiring_soon >= absl::ZeroDuration());
  APPTRUST_FUZZ_CHECK(!policy.txt_key.empty());
  const std::string uri = apptrust::policy::BuildErrorUri(
      policy.error_base_url, apptrust::v1::REASON_TLS_CERT_EXPIRED, "s-1", "client 1", tenant);
  APPTRUST_FUZZ_CHECK(InErrorUriCharset(uri));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<apptrust::v1::PolicyConfig> config =
      apptrust::config::ParsePolicyConfigText(text, "fuzz.textproto");
  if (!config.ok()) {
    APPTRUST_FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  APPTRUST_FUZZ_CHECK(apptrust::config::ValidatePolicyConfig(*config).ok());
  CheckTenant(*config, "");
  for (const auto& [tenant, unused] : config->tenants()) CheckTenant(*config, tenant);
  return 0;
}
