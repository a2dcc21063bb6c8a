// The HTTP listener behind every error_uri (--web_listen): serves
//   GET|HEAD /errors/{urn}/instances/{suspension_id}?client={id}&tenant={id}
// the exact path CheckRefresh returns (DESIGN.md §4). The page trusts the URL
// for nothing but the id: the suspension is read through a SuspensionLookup
// (the store's GetSuspension), and the URN, tenant and client of the URL must
// match what was stored, or the answer is the same 404 as for an unknown id
// (no oracle about other tenants' ids). A store that cannot be reached is a
// 503. `Accept: application/json` selects the JSON variant. The language
// (English or Spanish) is the `lang` query parameter's, else Accept-Language's
// (page_language.h); the answer says which in Content-Language.
//
// Every response carries kContentSecurityPolicy (no scripts, nothing loaded),
// X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and
// Cache-Control: no-store. Civetweb serves it with small request limits, no
// files from disk, and the worker and timeout limits of civetweb_limits.h so
// that idle sockets (slowloris) cannot keep a patient from the page.
#ifndef APPTRUST_SERVICES_DECISION_WEB_EXPLANATION_SERVER_H_
#define APPTRUST_SERVICES_DECISION_WEB_EXPLANATION_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "apptrust/v1/types.pb.h"
#include "common/server/civetweb_limits.h"
#include "services/decision/web/explanation_page.h"

struct mg_context;
struct mg_connection;

namespace apptrust::web {

// Fetches a suspension by id. `tenant_id` is the URL's tenant (may be empty);
// an implementation may use it to scope the lookup. NOT_FOUND (and
// INVALID_ARGUMENT) become a 404, every other error a 503. Called on a
// civetweb worker thread, concurrently: must be thread-safe and bounded in
// time.
using SuspensionLookup = std::function<absl::StatusOr<v1::Suspension>(
    const std::string& suspension_id, const std::string& tenant_id)>;

// The support contact and manage URL shown for a tenant. Thread-safe.
using TenantContactLookup = std::function<TenantContact(const std::string& tenant_id)>;

struct ExplanationServerOptions {
  // Workers (each request may wait on the store), request timeout and
  // connection bounds: idle sockets must not starve the page.
  server::CivetwebLimits limits;
};

class ExplanationServer {
 public:
  // Binds `listen` ("host:port"; port 0 picks one). Fails with a message
  // naming the address when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<ExplanationServer>> Start(
      const std::string& listen, SuspensionLookup lookup, TenantContactLookup contacts,
      ExplanationServerOptions options = {});
  // Stops accepting and waits for requests in flight.
  ~ExplanationServer();
  ExplanationServer(const ExplanationServer&) = delete;
  ExplanationServer& operator=(const ExplanationServer&) = delete;

  // The bound address with the actual port ("127.0.0.1:41234").
  const std::string& address() const { return address_; }

 private:
  ExplanationServer() = default;
  static int HandleRequest(mg_connection* connection, void* self);
  int Handle(mg_connection* connection);

  SuspensionLookup lookup_;
  TenantContactLookup contacts_;
  mg_context* context_ = nullptr;
  std::string address_;
};

// A response as the server sends it; exposed so the routing decisions can be
// unit-tested without sockets.
struct ExplanationResponse {
  int status = 200;
  Language language = Language::kEnglish;
  std::string content_type;
  std::string body;
};

// Answers one request: `method`, the raw request path (no query), the raw
// query string, and the Accept and Accept-Language headers.
ExplanationResponse RespondToExplanationRequest(const std::string& method, const std::string& path,
                                                const std::string& query, const std::string& accept,
                                                const std::string& accept_language,
                                                const SuspensionLookup& lookup,
                                                const TenantContactLookup& contacts);

}  // namespace apptrust::web

#endif  // APPTRUST_SERVICES_DECISION_WEB_EXPLANATION_SERVER_H_
