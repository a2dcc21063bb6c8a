#include "services/decision/decision_metrics.h"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/metrics/metric_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace apptrust::decision {
namespace {

using ::testing::HasSubstr;

class DecisionMetricsTest : public ::testing::Test {
 protected:
  // The series of `name` whose labels are exactly `labels`; nullptr if none.
  const prometheus::ClientMetric* Find(const std::string& name,
                                       const std::map<std::string, std::string>& labels) {
    families_ = registry_.Collect();
    for (const auto& family : families_) {
      if (family.name != name) continue;
      for (const auto& metric : family.metric) {
        std::map<std::string, std::string> have;
        for (const auto& pair : metric.label) have[pair.name] = pair.value;
        if (have == labels) return &metric;
      }
    }
    return nullptr;
  }

  size_t SeriesCount(const std::string& name) {
    families_ = registry_.Collect();
    for (const auto& family : families_) {
      if (family.name == name) return family.metric.size();
    }
    return 0;
  }

  prometheus::Registry registry_;
  DecisionMetrics metrics_{registry_};
  std::vector<prometheus::MetricFamily> families_;
};

// prometheus-cpp leaves a family out of the exposition until it has a
// series, so every method is called once first.
TEST_F(DecisionMetricsTest, ExportsExactlyTheDecisionFamiliesOfTheNameList) {
  metrics_.RecordDecision(DecisionRpc::kEnroll, DecisionVerdict::kAllow, v1::REASON_UNSPECIFIED,
                          absl::Milliseconds(1));
  metrics_.RecordProbe(ProbeKind::kTxt, v1::PROBE_OUTCOME_OK, absl::Milliseconds(1));
  metrics_.RecordStoreCall("GetGrant", grpc::StatusCode::UNAVAILABLE, absl::Milliseconds(1));
  metrics_.RecordEnrollment(v1::LABEL_IDENTIFIED);
  metrics_.RecordSuspension(v1::REASON_IDENTITY_CHANGED);
  metrics_.RecordGrantWatchStreamEnd(grpc::StatusCode::UNAVAILABLE);
  metrics_.RecordGrantCacheResync("out_of_range");
  // The decision process also exports the webhook families, which
  // webhook::WebhookSender registers (tests/webhook checks them), and the
  // sweep's, which SweepMetrics registers (tests/e2e/sweep_e2e_test checks
  // them).
  const std::set<std::string> registered_elsewhere = {
      metrics::kWebhookDeliveriesTotal,   metrics::kWebhookQueueDepth,
      metrics::kWebhookDeliverySeconds,   metrics::kSweepAppsAtRisk,
      metrics::kSweepGrantsAtRisk,        metrics::kSweepLastPassCompletedTimestampSeconds,
      metrics::kSweepPassDurationSeconds, metrics::kSweepLeaseHeld,
      metrics::kSweepProbesTotal};
  std::set<std::string> expected;
  for (const auto& metric : metrics::kAllMetrics) {
    if (std::string(metric.service) == "decision" && !registered_elsewhere.count(metric.name)) {
      expected.insert(metric.name);
    }
  }
  std::set<std::string> registered;
  for (const auto& family : registry_.Collect()) registered.insert(family.name);
  EXPECT_EQ(registered, expected);
}

TEST_F(DecisionMetricsTest, GrantWatchStateAndLookupsAreExported) {
  const auto* lag = Find(metrics::kGrantWatchLagSeconds, {});
  ASSERT_NE(lag, nullptr);
  EXPECT_TRUE(std::isinf(lag->gauge.value)) << "no echo yet";
  metrics_.SetGrantWatch({true, true, 42, absl::Milliseconds(250), 7, 4096});
  EXPECT_EQ(Find(metrics::kGrantWatchConnected, {})->gauge.value, 1);
  EXPECT_EQ(Find(metrics::kGrantWatchCaughtUp, {})->gauge.value, 1);
  EXPECT_EQ(Find(metrics::kGrantWatchRevision, {})->gauge.value, 42);
  EXPECT_DOUBLE_EQ(Find(metrics::kGrantWatchLagSeconds, {})->gauge.value, 0.25);
  EXPECT_EQ(Find(metrics::kGrantCacheEntries, {})->gauge.value, 7);
  EXPECT_EQ(Find(metrics::kGrantCacheBytes, {})->gauge.value, 4096);
  metrics_.RecordGrantCacheLookup(true);
  metrics_.RecordGrantCacheBypass();
  metrics_.RecordGrantCacheBypass();
  EXPECT_EQ(Find(metrics::kGrantCacheRequestsTotal, {{"result", "hit"}})->counter.value, 1);
  EXPECT_EQ(Find(metrics::kGrantCacheRequestsTotal, {{"result", "miss"}})->counter.value, 0);
  EXPECT_EQ(Find(metrics::kGrantCacheRequestsTotal, {{"result", "bypass"}})->counter.value, 2);
  metrics_.RecordGrantWatchStreamEnd(grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Find(metrics::kGrantWatchStreamEndsTotal, {{"code", "UNAVAILABLE"}})->counter.value, 1);
}

TEST_F(DecisionMetricsTest, DecisionCountsByRpcVerdictAndKebabCaseReason) {
  metrics_.RecordDecision(DecisionRpc::kCheckRefresh, DecisionVerdict::kSuspend,
                          v1::REASON_TLS_CERT_EXPIRED, absl::Milliseconds(3));
  metrics_.RecordDecision(DecisionRpc::kCheckRefresh, DecisionVerdict::kSuspend,
                          v1::REASON_TLS_CERT_EXPIRED, absl::Milliseconds(4));
  metrics_.RecordDecision(DecisionRpc::kEnroll, DecisionVerdict::kAllow, v1::REASON_UNSPECIFIED,
                          absl::Microseconds(50));

  const auto* suspended =
      Find(metrics::kDecisionsTotal,
           {{"rpc", "CheckRefresh"}, {"verdict", "suspend"}, {"reason", "tls-cert-expired"}});
  ASSERT_NE(suspended, nullptr);
  EXPECT_EQ(suspended->counter.value, 2);
  const auto* allowed =
      Find(metrics::kDecisionsTotal, {{"rpc", "Enroll"}, {"verdict", "allow"}, {"reason", "none"}});
  ASSERT_NE(allowed, nullptr);
  EXPECT_EQ(allowed->counter.value, 1);

  const auto* latency = Find(metrics::kDecisionDurationSeconds, {{"rpc", "CheckRefresh"}});
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->histogram.sample_count, 2u);
  EXPECT_DOUBLE_EQ(latency->histogram.sample_sum, 0.007);
}

TEST_F(DecisionMetricsTest, DurationBucketsSpanHundredMicrosecondsToTenSeconds) {
  metrics_.RecordDecision(DecisionRpc::kInspect, DecisionVerdict::kError, v1::REASON_UNSPECIFIED,
                          absl::Microseconds(80));
  const auto* latency = Find(metrics::kDecisionDurationSeconds, {{"rpc", "Inspect"}});
  ASSERT_NE(latency, nullptr);
  const auto& buckets = latency->histogram.bucket;
  ASSERT_GE(buckets.size(), 3u);
  EXPECT_DOUBLE_EQ(buckets.front().upper_bound, 0.0001);
  EXPECT_EQ(buckets.front().cumulative_count, 1u);  // 80 µs falls in the first bucket
  EXPECT_DOUBLE_EQ(buckets[buckets.size() - 2].upper_bound, 10);
  EXPECT_TRUE(std::isinf(buckets.back().upper_bound));
}

TEST_F(DecisionMetricsTest, ProbeDurationByKindAndLowerCaseOutcome) {
  metrics_.RecordProbe(ProbeKind::kEndpoint, v1::PROBE_OUTCOME_CONNECTION_REFUSED,
                       absl::Milliseconds(2));
  metrics_.RecordProbe(ProbeKind::kTxt, v1::PROBE_OUTCOME_NXDOMAIN, absl::Milliseconds(1));
  EXPECT_NE(Find(metrics::kProbeDurationSeconds,
                 {{"kind", "endpoint"}, {"outcome", "connection_refused"}}),
            nullptr);
  EXPECT_NE(Find(metrics::kProbeDurationSeconds, {{"kind", "txt"}, {"outcome", "nxdomain"}}),
            nullptr);
}

TEST_F(DecisionMetricsTest, FixedSeriesAreExportedBeforeFirstUse) {
  EXPECT_EQ(SeriesCount(metrics::kCacheRequestsTotal), 4u);
  EXPECT_EQ(SeriesCount(metrics::kProbesInFlight), 1u);
  EXPECT_EQ(SeriesCount(metrics::kDecisionsTotal), 0u);
}

TEST_F(DecisionMetricsTest, CacheResultsExistAtZeroAndCountSeparately) {
  for (const char* result : {"hit", "miss", "coalesced", "stale"}) {
    const auto* series = Find(metrics::kCacheRequestsTotal, {{"result", result}});
    ASSERT_NE(series, nullptr) << result;
    EXPECT_EQ(series->counter.value, 0) << result;
  }
  metrics_.RecordCacheResult(CacheResult::kHit);
  metrics_.RecordCacheResult(CacheResult::kHit);
  metrics_.RecordCacheResult(CacheResult::kCoalesced);
  EXPECT_EQ(Find(metrics::kCacheRequestsTotal, {{"result", "hit"}})->counter.value, 2);
  EXPECT_EQ(Find(metrics::kCacheRequestsTotal, {{"result", "coalesced"}})->counter.value, 1);
  EXPECT_EQ(Find(metrics::kCacheRequestsTotal, {{"result", "miss"}})->counter.value, 0);
  EXPECT_EQ(Find(metrics::kCacheRequestsTotal, {{"result", "stale"}})->counter.value, 0);
}

TEST_F(DecisionMetricsTest, InFlightProbeCountsUntilFinishedOrDestroyedAndMovesOnce) {
  const auto in_flight = [&] { return Find(metrics::kProbesInFlight, {})->gauge.value; };
  EXPECT_EQ(in_flight(), 0);
  {
    InFlightProbe first(&metrics_);
    InFlightProbe second(&metrics_);
    EXPECT_EQ(in_flight(), 2);
    InFlightProbe moved = std::move(first);
    EXPECT_EQ(in_flight(), 2);
    second.Finish();
    second.Finish();
    EXPECT_EQ(in_flight(), 1);
  }
  EXPECT_EQ(in_flight(), 0);
}

TEST_F(DecisionMetricsTest, StoreCallsRecordLatencyAlwaysAndErrorsByCanonicalCode) {
  metrics_.RecordStoreCall("GetGrant", grpc::StatusCode::OK, absl::Milliseconds(1));
  metrics_.RecordStoreCall("GetGrant", grpc::StatusCode::UNAVAILABLE, absl::Seconds(1));
  metrics_.RecordStoreCall("SuspendGrant", grpc::StatusCode::FAILED_PRECONDITION,
                           absl::Milliseconds(1));
  EXPECT_EQ(
      Find(metrics::kStoreClientDurationSeconds, {{"method", "GetGrant"}})->histogram.sample_count,
      2u);
  const auto* unavailable =
      Find(metrics::kStoreClientErrorsTotal, {{"method", "GetGrant"}, {"code", "UNAVAILABLE"}});
  ASSERT_NE(unavailable, nullptr);
  EXPECT_EQ(unavailable->counter.value, 1);
  EXPECT_EQ(Find(metrics::kStoreClientErrorsTotal, {{"method", "GetGrant"}, {"code", "OK"}}),
            nullptr);
  EXPECT_NE(Find(metrics::kStoreClientErrorsTotal,
                 {{"method", "SuspendGrant"}, {"code", "FAILED_PRECONDITION"}}),
            nullptr);
}

TEST_F(DecisionMetricsTest, EnrollmentsByLabelAndSuspensionsByReason) {
  metrics_.RecordEnrollment(v1::LABEL_UNKNOWN_APP);
  metrics_.RecordEnrollment(v1::LABEL_VALIDATED);
  metrics_.RecordSuspension(v1::REASON_DNS_TXT_MISSING);
  EXPECT_NE(Find(metrics::kEnrollmentsTotal, {{"label", "unknown_app"}}), nullptr);
  EXPECT_NE(Find(metrics::kEnrollmentsTotal, {{"label", "validated"}}), nullptr);
  EXPECT_EQ(Find(metrics::kSuspensionsTotal, {{"reason", "dns-txt-missing"}})->counter.value, 1);
}

TEST(LabelTest, ReasonsAreKebabCaseWithoutPrefix) {
  EXPECT_EQ(ReasonLabel(v1::REASON_TLS_CERT_EXPIRED), "tls-cert-expired");
  EXPECT_EQ(ReasonLabel(v1::REASON_DNS_DOMAIN_NOT_FOUND), "dns-domain-not-found");
  EXPECT_EQ(ReasonLabel(v1::REASON_PROBE_FAILED), "probe-failed");
  EXPECT_EQ(ReasonLabel(v1::REASON_UNSPECIFIED), "none");
  EXPECT_EQ(ReasonLabel(static_cast<v1::Reason>(9999)), "none");
}

TEST(LabelTest, ProbeOutcomesAreLowerCaseWithoutPrefix) {
  EXPECT_EQ(ProbeOutcomeLabel(v1::PROBE_OUTCOME_OK), "ok");
  EXPECT_EQ(ProbeOutcomeLabel(v1::PROBE_OUTCOME_TIMEOUT), "timeout");
  EXPECT_EQ(ProbeOutcomeLabel(v1::PROBE_OUTCOME_NO_TLS), "no_tls");
  EXPECT_EQ(ProbeOutcomeLabel(v1::PROBE_OUTCOME_UNSPECIFIED), "unspecified");
}

TEST(LabelTest, StatusCodesUseCanonicalNames) {
  EXPECT_STREQ(StatusCodeLabel(grpc::StatusCode::DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
  EXPECT_STREQ(StatusCodeLabel(grpc::StatusCode::NOT_FOUND), "NOT_FOUND");
}

TEST_F(DecisionMetricsTest, TextExpositionNamesEveryFamilyWithItsType) {
  metrics_.RecordDecision(DecisionRpc::kEnroll, DecisionVerdict::kAllow, v1::REASON_UNSPECIFIED,
                          absl::Milliseconds(1));
  const std::string text = prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_THAT(text, HasSubstr("# TYPE apptrust_decisions_total counter"));
  EXPECT_THAT(text, HasSubstr("# TYPE apptrust_decision_duration_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("# TYPE apptrust_probes_in_flight gauge"));
  EXPECT_THAT(text,
              HasSubstr("apptrust_decision_duration_seconds_bucket{rpc=\"Enroll\",le=\"0.0001\"}"));
}

}  // namespace
}  // namespace apptrust::decision
