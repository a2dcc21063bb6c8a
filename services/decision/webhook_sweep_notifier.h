// WebhookSweepNotifier: the sweep's SweepNotifier that tells app developers,
// through the tenant's configured webhooks (common/webhook/
// webhook_directory.h), which of their apps are at risk. One delivery per
// app at risk per pass and endpoint, with the sweep's event id (stable for
// the pass and app, so a receiver drops retries); a new pass sends again,
// so a developer hears every --sweep_interval until the app is fixed.
//
// The body (JSON, UTF-8):
//   {"type":"apptrust.app_at_risk","event_id":"sweep-...","result":{...}}
// where result is the apptrust.v1.SweepResult in proto JSON with the
// original field names, without what is internal to the operator
// (representative_grant_id: a patient's grant; swept_by: a replica's name).
#ifndef APPTRUST_SERVICES_DECISION_WEBHOOK_SWEEP_NOTIFIER_H_
#define APPTRUST_SERVICES_DECISION_WEBHOOK_SWEEP_NOTIFIER_H_

#include <string>

#include "apptrust/v1/store.pb.h"
#include "common/webhook/webhook_directory.h"
#include "common/webhook/webhook_sender.h"
#include "services/decision/sweep_notifier.h"

namespace apptrust::decision {

// The webhook body for `result` (see above).
std::string SweepEventBody(const v1::SweepResult& result, const std::string& event_id);

class WebhookSweepNotifier : public SweepNotifier {
 public:
  // Both must outlive the notifier.
  WebhookSweepNotifier(const webhook::WebhookDirectory& directory, webhook::WebhookSender& sender);

  // Queues the deliveries; a full queue is logged, never waited on.
  void Notify(const v1::SweepResult& result, const std::string& event_id) override;

 private:
  const webhook::WebhookDirectory& directory_;
  webhook::WebhookSender& sender_;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_WEBHOOK_SWEEP_NOTIFIER_H_
