#include "services/decision/metered_prober.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace apptrust::decision {
namespace {

// Holds the callbacks so the test decides when each probe finishes.
class HeldProber : public probe::Prober {
 public:
  void ObserveEndpoint(const net::Target&, absl::Time, EndpointCallback done) override {
    endpoint_callbacks.push_back(std::move(done));
  }
  void ObserveTxt(const std::string&, const std::string&, absl::Time, TxtCallback done) override {
    txt_callbacks.push_back(std::move(done));
  }
  std::vector<EndpointCallback> endpoint_callbacks;
  std::vector<TxtCallback> txt_callbacks;
};

class MeteredProberTest : public ::testing::Test {
 protected:
  double InFlight() { return Value("apptrust_probes_in_flight", {}).gauge.value; }
  uint64_t ProbeCount(const std::string& kind, const std::string& outcome) {
    return Value("apptrust_probe_duration_seconds", {{"kind", kind}, {"outcome", outcome}})
        .histogram.sample_count;
  }
  prometheus::ClientMetric Value(const std::string& name,
                                 const std::map<std::string, std::string>& labels) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const auto& metric : family.metric) {
        std::map<std::string, std::string> have;
        for (const auto& pair : metric.label) have[pair.name] = pair.value;
        if (have == labels) return metric;
      }
    }
    return {};
  }

  prometheus::Registry registry_;
  DecisionMetrics metrics_{registry_};
  HeldProber inner_;
  MeteredProber prober_{&inner_, &metrics_};
};

TEST_F(MeteredProberTest, CountsInFlightUntilTheCallbackAndRecordsTheOutcome) {
  int delivered = 0;
  prober_.ObserveEndpoint({}, absl::InfiniteFuture(),
                          [&](probe::EndpointObservation) { ++delivered; });
  prober_.ObserveTxt("example.org", "cerner-client-id", absl::InfiniteFuture(),
                     [&](probe::TxtObservation) { ++delivered; });
  EXPECT_EQ(InFlight(), 2);

  probe::EndpointObservation endpoint;
  endpoint.address_outcome = v1::PROBE_OUTCOME_OK;
  endpoint.tls.set_outcome(v1::PROBE_OUTCOME_TIMEOUT);
  inner_.endpoint_callbacks[0](endpoint);
  EXPECT_EQ(InFlight(), 1);
  EXPECT_EQ(ProbeCount("endpoint", "timeout"), 1u);

  probe::TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_NXDOMAIN;
  inner_.txt_callbacks[0](txt);
  EXPECT_EQ(InFlight(), 0);
  EXPECT_EQ(ProbeCount("txt", "nxdomain"), 1u);
  EXPECT_EQ(delivered, 2);
}

TEST_F(MeteredProberTest, ADroppedCallbackStillEndsTheInFlightCount) {
  prober_.ObserveEndpoint({}, absl::InfiniteFuture(), [](probe::EndpointObservation) {});
  EXPECT_EQ(InFlight(), 1);
  inner_.endpoint_callbacks.clear();  // the engine gave up the callback without calling it
  EXPECT_EQ(InFlight(), 0);
}

TEST(EndpointOutcomeTest, AddressFailureFirstThenTlsThenOk) {
  probe::EndpointObservation observation;
  observation.address_outcome = v1::PROBE_OUTCOME_NXDOMAIN;
  observation.tls.set_outcome(v1::PROBE_OUTCOME_NOT_APPLICABLE);
  EXPECT_EQ(EndpointOutcome(observation), v1::PROBE_OUTCOME_NXDOMAIN);
  observation.address_outcome = v1::PROBE_OUTCOME_OK;
  observation.tls.set_outcome(v1::PROBE_OUTCOME_NO_TLS);
  EXPECT_EQ(EndpointOutcome(observation), v1::PROBE_OUTCOME_NO_TLS);
  observation.tls.set_outcome(v1::PROBE_OUTCOME_NOT_APPLICABLE);  // http://
  EXPECT_EQ(EndpointOutcome(observation), v1::PROBE_OUTCOME_OK);
  observation.address_outcome = v1::PROBE_OUTCOME_NOT_APPLICABLE;  // an IP literal
  observation.tls.set_outcome(v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(EndpointOutcome(observation), v1::PROBE_OUTCOME_OK);
  observation.tls.set_outcome(v1::PROBE_OUTCOME_CONNECTION_REFUSED);
  EXPECT_EQ(EndpointOutcome(observation), v1::PROBE_OUTCOME_CONNECTION_REFUSED);
}

}  // namespace
}  // namespace apptrust::decision
