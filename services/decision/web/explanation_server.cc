#include "services/decision/web/explanation_server.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "civetweb.h"
#include "common/ids/id_format.h"
#include "common/logging/json_log.h"
#include "common/net/host_port.h"
#include "common/net/percent_encoding.h"
#include "common/policy/error_uri.h"

namespace apptrust::web {
namespace {

constexpr char kHtml[] = "text/html; charset=utf-8";
constexpr char kJson[] = "application/json; charset=utf-8";

// application/x-www-form-urlencoded decoding of one query component; false on
// a broken escape.
bool FormDecode(absl::string_view text, std::string* out) {
  absl::StatusOr<std::string> decoded = net::PercentDecode(text, net::PlusDecoding::kSpace);
  if (!decoded.ok()) return false;
  *out = *std::move(decoded);
  return true;
}

struct ErrorQuery {
  std::string client;
  std::string tenant;
  // Set when `lang` came exactly once (whatever its value).
  std::optional<std::string> lang;
};

// The page's language from a query: `lang` when given once, however broken
// the rest of the query is (a 404 is still answered in the reader's language).
std::optional<std::string> LangParameter(absl::string_view query) {
  std::optional<std::string> lang;
  int langs = 0;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    std::string key;
    std::string value;
    if (!FormDecode(pair.substr(0, equals), &key) || key != "lang") continue;
    ++langs;
    if (equals != absl::string_view::npos && FormDecode(pair.substr(equals + 1), &value)) {
      lang = std::move(value);
    }
  }
  if (langs != 1) return std::nullopt;
  return lang;
}

// `client` and `tenant` exactly once each; `lang` is read by LangParameter;
// other parameters are ignored.
bool ParseQuery(absl::string_view query, ErrorQuery* out) {
  int clients = 0;
  int tenants = 0;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    std::string key;
    std::string value;
    if (!FormDecode(pair.substr(0, equals), &key)) return false;
    // Only the values the page uses are decoded: a broken `lang` falls back
    // to another language instead of losing the page.
    if (key != "client" && key != "tenant") continue;
    if (equals != absl::string_view::npos && !FormDecode(pair.substr(equals + 1), &value)) {
      return false;
    }
    if (key == "client") {
      ++clients;
      out->client = std::move(value);
    } else if (key == "tenant") {
      ++tenants;
      out->tenant = std::move(value);
    }
  }
  return clients == 1 && tenants == 1;
}

bool WantsJson(absl::string_view accept) {
  return absl::StrContains(absl::AsciiStrToLower(accept), "application/json");
}

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

ExplanationResponse Respond(int status, bool json, Language language) {
  ExplanationResponse response;
  response.status = status;
  response.language = language;
  response.content_type = json ? kJson : kHtml;
  switch (status) {
    case 404:
      response.body = json ? RenderNotFoundJson(language) : RenderNotFoundHtml(language);
      break;
    case 405:
      response.body =
          json ? RenderMethodNotAllowedJson(language) : RenderMethodNotAllowedHtml(language);
      break;
    default:
      response.status = 503;
      response.body = json ? RenderUnavailableJson(language) : RenderUnavailableHtml(language);
      break;
  }
  return response;
}

int LogCivetweb(const mg_connection*, const char* message) {
  logging::Warning("web server").Field("detail", message == nullptr ? "" : message);
  return 1;  // handled: civetweb prints nothing itself
}

}  // namespace

ExplanationResponse RespondToExplanationRequest(const std::string& method, const std::string& path,
                                                const std::string& query, const std::string& accept,
                                                const std::string& accept_language,
                                                const SuspensionLookup& lookup,
                                                const TenantContactLookup& contacts) {
  const bool json = WantsJson(accept);
  const std::optional<std::string> lang = LangParameter(query);
  const Language language = ChooseLanguage(
      lang ? std::optional<absl::string_view>(*lang) : std::nullopt, accept_language);
  if (method != "GET" && method != "HEAD") return Respond(405, json, language);

  auto error_path = policy::ParseErrorPath(path);
  ErrorQuery params;
  // An id the store would never have accepted is answered without asking it.
  if (!error_path.ok() || !ids::IsValidSuspensionId(error_path->suspension_id) ||
      !ParseQuery(query, &params) || params.tenant.empty() ||
      !ids::ValidateId("tenant", params.tenant).ok()) {
    return Respond(404, json, language);
  }
  absl::StatusOr<v1::Suspension> suspension = lookup(error_path->suspension_id, params.tenant);
  if (!suspension.ok()) {
    const absl::StatusCode code = suspension.status().code();
    if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kInvalidArgument) {
      return Respond(404, json, language);
    }
    logging::Warning("suspension lookup failed")
        .Field("suspension_id", error_path->suspension_id)
        .Field("error", suspension.status().ToString());
    return Respond(503, json, language);
  }
  // The URL names the suspension; the store says what it is. Any
  // disagreement is the same 404 as an unknown id.
  if (suspension->suspension_id() != error_path->suspension_id ||
      suspension->tenant_id() != params.tenant || suspension->client_id() != params.client ||
      suspension->reason() != error_path->reason) {
    return Respond(404, json, language);
  }
  const TenantContact contact = contacts ? contacts(suspension->tenant_id()) : TenantContact{};
  ExplanationResponse response;
  response.language = language;
  response.content_type = json ? kJson : kHtml;
  response.body = json ? RenderExplanationJson(*suspension, contact, language)
                       : RenderExplanationHtml(*suspension, contact, language);
  return response;
}

absl::StatusOr<std::unique_ptr<ExplanationServer>> ExplanationServer::Start(
    const std::string& listen, SuspensionLookup lookup, TenantContactLookup contacts,
    ExplanationServerOptions options) {
  auto host_port = net::ParseHostPort(listen);
  if (!host_port.ok()) return host_port.status();
  if (!lookup) return absl::InvalidArgumentError("ExplanationServer needs a SuspensionLookup");
  std::unique_ptr<ExplanationServer> server(new ExplanationServer());
  server->lookup_ = std::move(lookup);
  server->contacts_ = std::move(contacts);

  mg_init_library(0);
  const std::string ports = host_port->ToString();
  // Headers for the responses civetweb writes itself (400 on a malformed
  // request line, 413/431 on oversized requests); civetweb adds its own
  // "Cache-Control: no-cache, no-store, ..." to those.
  const std::string additional_header =
      absl::StrCat("Content-Security-Policy: ", kContentSecurityPolicy,
                   "\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer");
  std::vector<std::string> option_values = {
      "listening_ports", ports, "max_request_size",  "8192",
      "decode_url",      "no",  "additional_header", additional_header};
  for (std::string& value : server::CivetwebLimitOptions(options.limits)) {
    option_values.push_back(std::move(value));
  }
  std::vector<const char*> civet_options;
  for (const std::string& value : option_values) civet_options.push_back(value.c_str());
  civet_options.push_back(nullptr);
  mg_callbacks callbacks{};
  callbacks.log_message = &LogCivetweb;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = civet_options.data();
  char error_text[256] = {0};
  mg_error_data error{};
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", ports, ": ",
                                               error_text[0] ? error_text : "civetweb failed"));
  }
  mg_set_request_handler(server->context_, "/", &ExplanationServer::HandleRequest, server.get());

  mg_server_port bound_ports[4];
  const int count = mg_get_server_ports(server->context_, 4, bound_ports);
  net::HostPort bound = *host_port;
  if (count > 0) bound.port = static_cast<uint16_t>(bound_ports[0].port);
  server->address_ = bound.ToString();
  return server;
}

ExplanationServer::~ExplanationServer() {
  if (context_ != nullptr) mg_stop(context_);
}

int ExplanationServer::HandleRequest(mg_connection* connection, void* self) {
  return static_cast<ExplanationServer*>(self)->Handle(connection);
}

int ExplanationServer::Handle(mg_connection* connection) {
  const mg_request_info* info = mg_get_request_info(connection);
  const std::string method = info->request_method ? info->request_method : "";
  const char* raw_path = info->local_uri_raw ? info->local_uri_raw : info->local_uri;
  const char* accept = mg_get_header(connection, "Accept");
  const char* accept_language = mg_get_header(connection, "Accept-Language");
  const ExplanationResponse response = RespondToExplanationRequest(
      method, raw_path ? raw_path : "", info->query_string ? info->query_string : "",
      accept ? accept : "", accept_language ? accept_language : "", lookup_, contacts_);

  std::string head = absl::StrCat("HTTP/1.1 ", response.status, " ", StatusText(response.status),
                                  "\r\n", "Content-Type: ", response.content_type, "\r\n",
                                  "Content-Length: ", response.body.size(), "\r\n",
                                  "Content-Language: ", LanguageTag(response.language), "\r\n",
                                  "Content-Security-Policy: ", kContentSecurityPolicy, "\r\n",
                                  "X-Content-Type-Options: nosniff\r\n"
                                  "Referrer-Policy: no-referrer\r\n"
                                  "Cache-Control: no-store\r\n"
                                  "X-Frame-Options: DENY\r\n"
                                  "Vary: Accept, Accept-Language\r\n"
                                  "Connection: close\r\n");
  if (response.status == 405) head += "Allow: GET, HEAD\r\n";
  if (response.status == 503) head += "Retry-After: 30\r\n";
  head += "\r\n";
  mg_write(connection, head.data(), head.size());
  if (method != "HEAD") mg_write(connection, response.body.data(), response.body.size());
  return response.status;
}

}  // namespace apptrust::web
