// The page tokens of ListGrants and ListAuditEntries: opaque to callers,
// checked on the way back in.
//
// A token records the query it continues (tenant and client filter) and the
// last grant_id returned; the next page starts strictly after that id
// (keyset pagination), so grants added or removed between pages never make
// the listing repeat or skip a grant that existed throughout. A token used
// with another tenant or client filter, or altered, is INVALID_ARGUMENT
// naming page_token. Tokens do not expire.
//
// A ListAuditEntries token works the same way on the entries' seq (which only
// grows), recording the tenant and grant filter; one kind of token is refused
// where the other is expected.
#ifndef APPTRUST_SERVICES_STORE_PAGE_TOKEN_H_
#define APPTRUST_SERVICES_STORE_PAGE_TOKEN_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apptrust::store {

std::string EncodePageToken(absl::string_view tenant_id, absl::string_view client_id,
                            absl::string_view last_grant_id);

// The last grant_id of the previous page; empty for an empty token.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view tenant_id,
                                            absl::string_view client_id);

std::string EncodeAuditPageToken(absl::string_view tenant_id, absl::string_view grant_id,
                                 int64_t last_seq);

// The last seq of the previous page; 0 for an empty token.
absl::StatusOr<int64_t> DecodeAuditPageToken(absl::string_view token, absl::string_view tenant_id,
                                             absl::string_view grant_id);

// ListActiveApps and ListSweepResults: keyset pagination on (tenant_id,
// client_id). `kind` tells the two listings apart ("apps", "sweep");
// `filter` records the query's filters, which must not change between pages.
std::string EncodeAppPageToken(absl::string_view kind, absl::string_view filter,
                               absl::string_view last_tenant_id, absl::string_view last_client_id);

// The (tenant_id, client_id) of the previous page's last row; both empty for
// an empty token.
absl::StatusOr<std::pair<std::string, std::string>> DecodeAppPageToken(absl::string_view token,
                                                                       absl::string_view kind,
                                                                       absl::string_view filter);

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_PAGE_TOKEN_H_
