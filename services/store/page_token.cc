#include "services/store/page_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids/id_format.h"

namespace apptrust::store {
namespace {

// Ids are printable ASCII, so the unit separator cannot occur inside one.
constexpr char kSeparator = '\x1f';
constexpr absl::string_view kVersion = "g1";

absl::Status BadToken(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("page_token: ", why));
}

}  // namespace

std::string EncodePageToken(absl::string_view tenant_id, absl::string_view client_id,
                            absl::string_view last_grant_id) {
  return absl::WebSafeBase64Escape(absl::StrCat(kVersion, std::string(1, kSeparator), tenant_id,
                                                std::string(1, kSeparator), client_id,
                                                std::string(1, kSeparator), last_grant_id));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view tenant_id,
                                            absl::string_view client_id) {
  if (token.empty()) return std::string();
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(token, &decoded)) {
    return BadToken("not a token returned by ListGrants");
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(decoded, kSeparator);
  if (parts.size() != 4 || parts[0] != kVersion) {
    return BadToken("not a token returned by ListGrants");
  }
  if (parts[1] != tenant_id || parts[2] != client_id) {
    return BadToken("belongs to another query (tenant_id and client_id must not change)");
  }
  if (!ids::ValidateId("page_token", parts[3]).ok()) {
    return BadToken("not a token returned by ListGrants");
  }
  return std::string(parts[3]);
}

}  // namespace apptrust::store
