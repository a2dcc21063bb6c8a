// The explanation page's request handling (RespondToExplanationRequest: the
// path's URN and suspension id, the query's client and tenant, the Accept
// header) on any request a browser or a scanner may send, and its rendering
// of stored text that came from the app's certificate and DNS.
//
// Input lines: method, path, query, Accept, Accept-Language, then the text
// stored in the suspension and the tenant's settings (organization,
// application name, finding detail, support text). The lookup
// answers every id with a suspension for client "c-1", reason
// tls-cert-expired, so a well-formed URL reaches the full page. What every
// input keeps: a status the server knows, a body; stored text never appears
// unescaped in HTML, and the JSON variant is valid JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "apptrust/v1/types.pb.h"
#include "common/text/utf8.h"
#include "fuzz/fuzz_input.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/decision/web/explanation_server.h"

namespace {

// Marks the stored text; HTML escaping must turn its '<' into "&lt;".
constexpr char kMarker[] = "<x-stored>";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace web = apptrust::web;
  const std::vector<std::string> fields = apptrust::fuzz::SplitFields(data, size, 6);
  // Stored strings went through protobuf parsing: valid UTF-8.
  const std::string stored = kMarker + apptrust::text::ToValidUtf8(fields[5]);

  const web::SuspensionLookup lookup =
      [&stored](const std::string& id,
                const std::string& tenant) -> absl::StatusOr<apptrust::v1::Suspension> {
    apptrust::v1::Suspension suspension;
    suspension.set_suspension_id(id);
    suspension.set_tenant_id(tenant);
    suspension.set_grant_id("g-1");
    suspension.set_client_id("c-1");
    suspension.set_reason(apptrust::v1::REASON_TLS_CERT_EXPIRED);
    suspension.set_redirect_uri("https://app.example/" + stored);
    suspension.set_error_description(stored);
    suspension.mutable_identity()->set_organization_name(stored);
    suspension.mutable_identity()->set_application_name(stored);
    suspension.mutable_identity()->set_domain(stored);
    apptrust::v1::Finding* finding = suspension.add_findings();
    finding->set_reason(apptrust::v1::REASON_TLS_CERT_EXPIRED);
    finding->set_suspends(true);
    finding->set_message(stored);
    finding->set_detail(stored);
    suspension.mutable_suspended_at()->set_seconds(1790000000);
    return suspension;
  };
  const web::TenantContactLookup contacts = [&stored](const std::string&) {
    web::TenantContact contact;
    contact.support_contact = stored;
    contact.manage_url = "https://ehr.example/apps?x=" + stored;
    contact.display_name = stored;
    contact.support_contact_text["en"] = stored;
    contact.support_contact_text["es"] = stored;
    return contact;
  };

  const web::ExplanationResponse response = web::RespondToExplanationRequest(
      fields[0], fields[1], fields[2], fields[3], fields[4], lookup, contacts);
  APPTRUST_FUZZ_CHECK(response.status == 200 || response.status == 404 || response.status == 405 ||
                      response.status == 503);
  APPTRUST_FUZZ_CHECK(!response.body.empty());
  if (absl::StartsWith(response.content_type, "text/html")) {
    APPTRUST_FUZZ_CHECK(!absl::StrContains(response.body, kMarker));
  } else {
    google::protobuf::Struct parsed;
    APPTRUST_FUZZ_CHECK(google::protobuf::util::JsonStringToMessage(response.body, &parsed).ok());
  }
  return 0;
}
