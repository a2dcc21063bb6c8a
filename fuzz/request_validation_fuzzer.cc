// Request validation on the requests a gRPC peer may send: the store's
// (services/store/validation.h) and the decision service's
// (services/decision/request_validation.h). Input: one byte choosing the RPC,
// then the request's protobuf wire bytes as they arrive (bytes protobuf
// itself refuses never reach validation). What every input keeps: a refusal
// is INVALID_ARGUMENT naming the field ("grant.tenant_id: ..."); and a grant
// the store accepts has a redirect URI the probe can parse.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "apptrust/v1/decision.pb.h"
#include "apptrust/v1/store.pb.h"
#include "common/net/redirect_uri.h"
#include "fuzz/fuzz_input.h"
#include "services/decision/request_validation.h"
#include "services/store/validation.h"

namespace {

using Check = absl::Status (*)(const uint8_t*, size_t);

// Parses the wire bytes as `Request` and validates it; OK when protobuf
// itself refuses the bytes (gRPC answers those before any validation).
template <typename Request, absl::Status (*kValidate)(const Request&)>
absl::Status ParseAndValidate(const uint8_t* data, size_t size) {
  Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return absl::OkStatus();
  absl::Status status = kValidate(request);
  if constexpr (std::is_same_v<Request, apptrust::v1::PutGrantRequest>) {
    if (status.ok()) {
      APPTRUST_FUZZ_CHECK(apptrust::net::ParseRedirectUri(request.grant().redirect_uri()).ok());
    }
  }
  return status;
}

namespace store = apptrust::store;
namespace decision = apptrust::decision;
namespace v1 = apptrust::v1;

// Indexed by the input's first byte.
constexpr Check kChecks[] = {
    ParseAndValidate<v1::PutGrantRequest, store::ValidatePutGrant>,
    ParseAndValidate<v1::GetGrantRequest, store::ValidateGetGrant>,
    ParseAndValidate<v1::BatchGetGrantsRequest, store::ValidateBatchGetGrants>,
    ParseAndValidate<v1::SuspendGrantRequest, store::ValidateSuspendGrant>,
    ParseAndValidate<v1::GetSuspensionRequest, store::ValidateGetSuspension>,
    ParseAndValidate<v1::DeleteGrantRequest, store::ValidateDeleteGrant>,
    ParseAndValidate<v1::ListGrantsRequest, store::ValidateListGrants>,
    ParseAndValidate<v1::ListAuditEntriesRequest, store::ValidateListAuditEntries>,
    ParseAndValidate<v1::EnrollRequest, decision::ValidateEnroll>,
    ParseAndValidate<v1::CheckRefreshRequest, decision::ValidateCheckRefresh>,
    ParseAndValidate<v1::InspectRequest, decision::ValidateInspect>,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Check check = kChecks[data[0] % std::size(kChecks)];
  const absl::Status status = check(data + 1, size - 1);
  if (!status.ok()) {
    APPTRUST_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    // "<field path>: <what is wrong>"
    const size_t colon = status.message().find(": ");
    APPTRUST_FUZZ_CHECK(colon != absl::string_view::npos && colon > 0);
  }
  return 0;
}
