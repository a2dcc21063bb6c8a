// What the Kubernetes probes of deploy/k8s ask the real binaries, over gRPC
// health on loopback: readiness (service "") follows the dependency — the
// decision service is NOT_SERVING while it cannot reach the store — while
// liveness (service "liveness") stays SERVING as long as the process
// answers, so a store outage takes decision pods out of the Service without
// restarting them.
#include <signal.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/operability/prometheus_fixture.h"
#include "tests/support/services.h"

namespace apptrust::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

// The status Health/Check answers for `service`; NOT_FOUND and other RPC
// errors map to SERVICE_UNKNOWN / UNKNOWN so a test can show them.
HealthCheckResponse::ServingStatus Check(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND)
    return HealthCheckResponse::SERVICE_UNKNOWN;
  if (!status.ok()) return HealthCheckResponse::UNKNOWN;
  return response.status();
}

// Polls until `service` reports `want` or `timeout` passes; returns the last
// status seen.
HealthCheckResponse::ServingStatus WaitFor(const std::shared_ptr<grpc::Channel>& channel,
                                           const std::string& service,
                                           HealthCheckResponse::ServingStatus want,
                                           absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  HealthCheckResponse::ServingStatus last;
  while (true) {
    last = Check(channel, service);
    if (last == want || absl::Now() >= deadline) return last;
    absl::SleepFor(absl::Milliseconds(100));
  }
}

class HealthTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(HealthTest, StoreIsReadyAndAliveWithItsDatabaseOpen) {
  auto store = StartStore(dir_.File("apptrust.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(WaitFor(store->channel, "", HealthCheckResponse::SERVING),
            HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(store->channel, "liveness"), HealthCheckResponse::SERVING);
}

TEST_F(HealthTest, DecisionIsAliveButNotReadyWithoutItsStore) {
  // A port nothing listens on: the store is unreachable.
  auto port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  auto decision = StartDecision("127.0.0.1:" + std::to_string(*port));
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(WaitFor(decision->channel, "", HealthCheckResponse::NOT_SERVING),
            HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(decision->channel, "liveness"), HealthCheckResponse::SERVING);
}

TEST_F(HealthTest, DecisionReadinessFollowsTheStore) {
  auto store = StartStore(dir_.File("apptrust.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto decision = StartDecision(store->grpc_address);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(WaitFor(decision->channel, "", HealthCheckResponse::SERVING),
            HealthCheckResponse::SERVING);

  store->process->Signal(SIGTERM);
  ASSERT_TRUE(store->process->Wait(absl::Seconds(15)).ok());
  EXPECT_EQ(WaitFor(decision->channel, "", HealthCheckResponse::NOT_SERVING),
            HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(decision->channel, "liveness"), HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace apptrust::testing
