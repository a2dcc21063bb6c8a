#include "services/decision/request_validation.h"

#include "absl/strings/str_cat.h"
#include "common/ids/id_format.h"

namespace apptrust::decision {
namespace {

using ids::ValidateId;

constexpr size_t kMaxUriBytes = 2048;
constexpr size_t kMaxNameBytes = 256;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// Presence and size only: redirect URIs are IRIs (UTF-8 hosts included), and
// their characters, syntax and host are net::ParseRedirectUri's to judge, which
// the Decider runs next on every non-empty one.
absl::Status ValidateUri(absl::string_view field, absl::string_view value, bool required) {
  if (value.empty()) return required ? Invalid(field, "must not be empty") : absl::OkStatus();
  if (value.size() > kMaxUriBytes) return Invalid(field, "longer than 2048 bytes");
  return absl::OkStatus();
}

absl::Status ValidatePersona(v1::Persona persona) {
  if (!v1::Persona_IsValid(persona)) return Invalid("persona", "unknown value");
  return absl::OkStatus();
}

absl::Status ValidateName(absl::string_view field, absl::string_view value) {
  if (value.size() > kMaxNameBytes) return Invalid(field, "longer than 256 bytes");
  for (const unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return Invalid(field, "contains control characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateEnroll(const v1::EnrollRequest& request) {
  for (const auto& [field, value] :
       {std::pair<absl::string_view, absl::string_view>{"tenant_id", request.tenant_id()},
        {"client_id", request.client_id()},
        {"grant_id", request.grant_id()}}) {
    if (absl::Status s = ValidateId(field, value); !s.ok()) return s;
  }
  if (absl::Status s = ValidateUri("redirect_uri", request.redirect_uri(), true); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateName("application_name", request.application_name()); !s.ok()) {
    return s;
  }
  return ValidatePersona(request.persona());
}

absl::Status ValidateCheckRefresh(const v1::CheckRefreshRequest& request) {
  for (const auto& [field, value] :
       {std::pair<absl::string_view, absl::string_view>{"tenant_id", request.tenant_id()},
        {"client_id", request.client_id()},
        {"grant_id", request.grant_id()}}) {
    if (absl::Status s = ValidateId(field, value); !s.ok()) return s;
  }
  if (absl::Status s = ValidateUri("redirect_uri", request.redirect_uri(), false); !s.ok()) {
    return s;
  }
  if (request.min_store_revision() < 0) {
    return absl::InvalidArgumentError("min_store_revision: must not be negative");
  }
  return ValidatePersona(request.persona());
}

absl::Status ValidateInspect(const v1::InspectRequest& request) {
  if (absl::Status s = ValidateUri("redirect_uri", request.redirect_uri(), true); !s.ok()) {
    return s;
  }
  if (!request.client_id().empty()) {
    if (absl::Status s = ValidateId("client_id", request.client_id()); !s.ok()) return s;
  }
  return ValidateName("application_name", request.application_name());
}

}  // namespace apptrust::decision
