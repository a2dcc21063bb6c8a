#include "services/decision/webhook_sweep_notifier.h"

#include "absl/strings/str_cat.h"
#include "common/logging/json_log.h"
#include "google/protobuf/util/json_util.h"

namespace apptrust::decision {

std::string SweepEventBody(const v1::SweepResult& result, const std::string& event_id) {
  v1::SweepResult shown = result;
  shown.clear_representative_grant_id();
  shown.clear_swept_by();
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(shown, &json, options);
  // event_id is the sweeper's "sweep-<digits>-<hex>": nothing to escape.
  return absl::StrCat(R"({"type":"apptrust.app_at_risk","event_id":")", event_id, R"(","result":)",
                      json, "}");
}

WebhookSweepNotifier::WebhookSweepNotifier(const webhook::WebhookDirectory& directory,
                                           webhook::WebhookSender& sender)
    : directory_(directory), sender_(sender) {}

void WebhookSweepNotifier::Notify(const v1::SweepResult& result, const std::string& event_id) {
  const auto endpoints = directory_.EndpointsFor(result.tenant_id(), result.client_id());
  if (endpoints.empty()) return;
  const std::string body = SweepEventBody(result, event_id);
  for (const webhook::WebhookEndpoint& endpoint : endpoints) {
    const absl::Status queued = sender_.Enqueue(endpoint, event_id, body);
    if (!queued.ok()) {
      logging::Warning("sweep webhook not queued")
          .Field("endpoint", endpoint.id)
          .Field("event_id", event_id)
          .Field("error", queued.message());
    }
  }
}

}  // namespace apptrust::decision
