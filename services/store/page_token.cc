#include "services/store/page_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids/id_format.h"

namespace apptrust::store {
namespace {

// Ids are printable ASCII, so the unit separator cannot occur inside one.
constexpr char kSeparator = '\x1f';
constexpr absl::string_view kVersion = "g1";
constexpr absl::string_view kAuditVersion = "a1";
constexpr absl::string_view kAppVersion = "k1";

absl::Status BadToken(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("page_token: ", why));
}

// Only the exact spelling the store wrote: absl's decoder also accepts
// padding variants and a dangling last character, which would let a token
// with bytes appended pass for the original.
bool Unescape(absl::string_view token, std::string* decoded) {
  return absl::WebSafeBase64Unescape(token, decoded) &&
         absl::WebSafeBase64Escape(*decoded) == token;
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
  if (!Unescape(token, &decoded)) return BadToken("not a token returned by ListGrants");
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

std::string EncodeAuditPageToken(absl::string_view tenant_id, absl::string_view grant_id,
                                 int64_t last_seq) {
  return absl::WebSafeBase64Escape(absl::StrCat(kAuditVersion, std::string(1, kSeparator),
                                                tenant_id, std::string(1, kSeparator), grant_id,
                                                std::string(1, kSeparator), last_seq));
}

absl::StatusOr<int64_t> DecodeAuditPageToken(absl::string_view token, absl::string_view tenant_id,
                                             absl::string_view grant_id) {
  if (token.empty()) return 0;
  std::string decoded;
  if (!Unescape(token, &decoded)) return BadToken("not a token returned by ListAuditEntries");
  const std::vector<absl::string_view> parts = absl::StrSplit(decoded, kSeparator);
  if (parts.size() != 4 || parts[0] != kAuditVersion) {
    return BadToken("not a token returned by ListAuditEntries");
  }
  if (parts[1] != tenant_id || parts[2] != grant_id) {
    return BadToken("belongs to another query (tenant_id and grant_id must not change)");
  }
  int64_t last_seq = 0;
  if (!absl::SimpleAtoi(parts[3], &last_seq) || last_seq < 1) {
    return BadToken("not a token returned by ListAuditEntries");
  }
  return last_seq;
}

std::string EncodeAppPageToken(absl::string_view kind, absl::string_view filter,
                               absl::string_view last_tenant_id, absl::string_view last_client_id) {
  const std::string separator(1, kSeparator);
  return absl::WebSafeBase64Escape(absl::StrCat(kAppVersion, separator, kind, separator, filter,
                                                separator, last_tenant_id, separator,
                                                last_client_id));
}

absl::StatusOr<std::pair<std::string, std::string>> DecodeAppPageToken(absl::string_view token,
                                                                       absl::string_view kind,
                                                                       absl::string_view filter) {
  if (token.empty()) return std::pair<std::string, std::string>();
  std::string decoded;
  const std::string not_ours = absl::StrCat("not a token returned by this listing (", kind, ")");
  if (!Unescape(token, &decoded)) return BadToken(not_ours);
  const std::vector<absl::string_view> parts = absl::StrSplit(decoded, kSeparator);
  if (parts.size() != 5 || parts[0] != kAppVersion || parts[1] != kind) return BadToken(not_ours);
  if (parts[2] != filter) return BadToken("belongs to another query (filters must not change)");
  if (!ids::ValidateId("page_token", parts[3]).ok() ||
      !ids::ValidateId("page_token", parts[4]).ok()) {
    return BadToken(not_ours);
  }
  return std::make_pair(std::string(parts[3]), std::string(parts[4]));
}

}  // namespace apptrust::store
