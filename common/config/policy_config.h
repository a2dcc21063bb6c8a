// Loading policy.textproto: the operator's policy (message
// apptrust.v1.PolicyConfig in protobuf text format, DESIGN.md §4). A config
// that does not parse, names an unknown enum value (`profile: PROFILE_LAX`) or
// holds an invalid value stops start-up, so every error names the file, line
// and column ("policy.textproto:3:10: ...") the way a compiler would. Values
// are checked here once; ResolvePolicy (effective_policy.h) then trusts them.
#ifndef APPTRUST_COMMON_CONFIG_POLICY_CONFIG_H_
#define APPTRUST_COMMON_CONFIG_POLICY_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/policy.pb.h"
#include "common/config/effective_policy.h"

namespace apptrust::config {

// Reads and validates the file at `path`. An empty path means "no file": the
// defaults (an empty PolicyConfig). Errors: NOT_FOUND / PERMISSION_DENIED when
// the file cannot be read, INVALID_ARGUMENT for parse and validation errors,
// with the message "<path>:<line>:<column>: <what is wrong>" (1-based).
absl::StatusOr<v1::PolicyConfig> LoadPolicyConfig(const std::string& path);

// Same as LoadPolicyConfig on text already in memory; `name` is used in
// messages in place of the path.
absl::StatusOr<v1::PolicyConfig> ParsePolicyConfigText(absl::string_view text,
                                                       absl::string_view name);

// The value checks LoadPolicyConfig applies after parsing, for configs built
// in code: error_base_url is an absolute http(s) URL without query, fragment,
// or characters an RFC 6749 error_uri may not hold; durations are
// non-negative; max_staleness is at most 12 h; manage_url values are absolute
// http(s) URLs; txt_key holds no '=' or whitespace; persona lists name real
// personas; tenant ids are non-empty; webhooks have ids unique in the whole
// config, https:// URLs and a secret_file (whose contents
// webhook::WebhookDirectory::Load checks when it reads them). Messages name
// the field ("tenants[\"acme\"].manage_url: ...",
// "tenants[\"acme\"].webhooks[0].url: ...") without a position.
absl::Status ValidatePolicyConfig(const v1::PolicyConfig& config);

}  // namespace apptrust::config

#endif  // APPTRUST_COMMON_CONFIG_POLICY_CONFIG_H_
