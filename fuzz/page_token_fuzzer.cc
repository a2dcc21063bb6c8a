// The store's page tokens (ListGrants, ListAuditEntries) come back from
// callers, so any bytes may arrive. Input: the token on the first line, then
// the tenant and the client (or grant) filter of the request it comes with.
// Besides decoding safely: a token the store issued always decodes to what
// it recorded, and only for the query it was issued for.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ids/id_format.h"
#include "fuzz/fuzz_input.h"
#include "services/store/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace store = apptrust::store;
  const std::vector<std::string> fields = apptrust::fuzz::SplitFields(data, size, 3);
  const std::string& token = fields[0];
  const std::string& tenant = fields[1];
  const std::string& filter = fields[2];

  absl::StatusOr<std::string> last_grant = store::DecodePageToken(token, tenant, filter);
  if (!last_grant.ok()) {
    APPTRUST_FUZZ_CHECK(last_grant.status().code() == absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<int64_t> last_seq = store::DecodeAuditPageToken(token, tenant, filter);
  if (!last_seq.ok()) {
    APPTRUST_FUZZ_CHECK(last_seq.status().code() == absl::StatusCode::kInvalidArgument);
  } else {
    APPTRUST_FUZZ_CHECK(*last_seq >= 0);
  }

  // Round trips, with the token's bytes as the recorded grant id and seq.
  // The store issues tokens only for valid ids (the filter may be empty).
  const bool valid_query = apptrust::ids::ValidateId("tenant_id", tenant).ok() &&
                           (filter.empty() || apptrust::ids::ValidateId("filter", filter).ok());
  if (!valid_query) return 0;
  if (apptrust::ids::ValidateId("grant_id", token).ok()) {
    const std::string issued = store::EncodePageToken(tenant, filter, token);
    absl::StatusOr<std::string> decoded = store::DecodePageToken(issued, tenant, filter);
    APPTRUST_FUZZ_CHECK(decoded.ok() && *decoded == token);
    APPTRUST_FUZZ_CHECK(!store::DecodePageToken(issued, tenant + "x", filter).ok());
    APPTRUST_FUZZ_CHECK(!store::DecodeAuditPageToken(issued, tenant, filter).ok());
  }
  int64_t seq = 1;
  for (const char c : token) seq = (seq * 31 + static_cast<unsigned char>(c)) & 0x7fffffffffff;
  const std::string audit = store::EncodeAuditPageToken(tenant, filter, seq);
  absl::StatusOr<int64_t> decoded_seq = store::DecodeAuditPageToken(audit, tenant, filter);
  APPTRUST_FUZZ_CHECK(decoded_seq.ok() && *decoded_seq == seq);
  APPTRUST_FUZZ_CHECK(!store::DecodePageToken(audit, tenant, filter).ok());
  return 0;
}
