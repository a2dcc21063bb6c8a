#include "services/store/audit_caller.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/server/caller_identity.h"
#include "common/text/utf8.h"

namespace apptrust::store {
namespace {

constexpr size_t kMaxRequestIdBytes = 128;

bool IsPrintableAscii(grpc::string_ref value) {
  for (const char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

AuditContext AuditContextFor(const grpc::ServerContextBase* context) {
  AuditContext audit;
  if (context == nullptr) {
    audit.caller = "in-process";
    return audit;
  }
  // The SAN's bytes are the CA's word, not necessarily UTF-8.
  audit.caller = text::ToValidUtf8(server::CallerIdentity(*context));
  if (audit.caller.empty()) {
    audit.caller = absl::StrCat(kUnauthenticatedCallerPrefix, context->peer());
  }
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find(kRequestIdMetadata); it != metadata.end()) {
    const grpc::string_ref value = it->second;
    if (!value.empty() && value.size() <= kMaxRequestIdBytes && IsPrintableAscii(value)) {
      audit.request_id.assign(value.data(), value.size());
    }
  }
  return audit;
}

}  // namespace apptrust::store
