// A probe::Prober that measures another: every observation counts in
// apptrust_probes_in_flight while it runs and, when its callback fires, in
// apptrust_probe_duration_seconds{kind,outcome}. main() wraps the real probe
// engine in it, so the cache and the decision logic stay unaware of metrics.
#ifndef APPTRUST_SERVICES_DECISION_METERED_PROBER_H_
#define APPTRUST_SERVICES_DECISION_METERED_PROBER_H_

#include <string>

#include "common/probe/prober.h"
#include "services/decision/decision_metrics.h"

namespace apptrust::decision {

// The one outcome that labels an endpoint observation: the address step's
// when it failed, else the TLS handshake's; a step that does not apply (no
// DNS for an IP literal, no TLS for http://) counts as passed.
v1::ProbeOutcome EndpointOutcome(const probe::EndpointObservation& observation);

class MeteredProber : public probe::Prober {
 public:
  // `inner` and `metrics` must outlive this object and every callback.
  MeteredProber(probe::Prober* inner, DecisionMetrics* metrics)
      : inner_(inner), metrics_(metrics) {}

  void ObserveEndpoint(const net::Target& target, absl::Time deadline,
                       EndpointCallback done) override;
  void ObserveTxt(const std::string& domain, const std::string& txt_key, absl::Time deadline,
                  TxtCallback done) override;

 private:
  probe::Prober* inner_;
  DecisionMetrics* metrics_;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_METERED_PROBER_H_
