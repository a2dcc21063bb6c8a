// The engine's loop, policy and bookkeeping without any network traffic:
// refused IP literals are never contacted and TXT lookups of IP literals do
// not apply. (Real peers: tests/probe/probe_engine_test.cc.)
#include <string>

#include "absl/synchronization/notification.h"
#include "common/net/redirect_uri.h"
#include "common/probe/probe_engine.h"
#include "common/probe/testing/observe_blocking.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::probe {
namespace {

using apptrust::testing::ObserveBlocking;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kTxtKey[] = "cerner-client-id";

std::unique_ptr<ProbeEngine> OfflineEngine() {
  ProbeEngineOptions options;
  // Never queried in these tests (IP literals need no DNS).
  options.dns_servers = {"127.0.0.1:9"};
  options.clock = [] { return absl::FromUnixSeconds(1700000000); };
  auto engine = ProbeEngine::Create(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return std::move(*engine);
}

TEST(ProbeEngineUnitTest, RefusedLiteralIsNeverContacted) {
  auto engine = OfflineEngine();
  for (const char* uri : {"https://10.0.0.1/cb", "https://169.254.169.254/latest",
                          "https://[fe80::1]/cb", "https://[::ffff:192.168.1.1]:8443/"}) {
    auto target = net::ParseRedirectUri(uri);
    ASSERT_TRUE(target.ok()) << target.status();
    absl::Notification done;
    EndpointObservation result;
    engine->ObserveEndpoint(*target, absl::Now() + absl::Seconds(5), [&](EndpointObservation o) {
      result = std::move(o);
      done.Notify();
    });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_EQ(result.address_outcome, v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED) << uri;
    EXPECT_EQ(result.tls.outcome(), v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED) << uri;
    EXPECT_THAT(result.refused_addresses, ElementsAre(target->host));
    EXPECT_EQ(result.tls.peer_address(), "");
    EXPECT_EQ(result.observed_at, absl::FromUnixSeconds(1700000000));
  }
  EXPECT_EQ(engine->in_flight(), 0);
}

TEST(ProbeEngineUnitTest, IpLiteralFingerprintHasNoTxt) {
  auto engine = OfflineEngine();
  auto target = net::ParseRedirectUri("https://192.168.1.1/cb");
  ASSERT_TRUE(target.ok());
  v1::Fingerprint fp =
      ObserveBlocking(*engine, *target, "client", kTxtKey, absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(fp.host_is_ip_literal());
  EXPECT_EQ(fp.dns().txt_outcome(), v1::PROBE_OUTCOME_NOT_APPLICABLE);
  EXPECT_EQ(fp.dns().address_outcome(), v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED);
  EXPECT_THAT(fp.dns().error(), HasSubstr("private"));
  EXPECT_FALSE(fp.dns().client_id_txt_present());
}

TEST(ProbeEngineUnitTest, PastDeadlineStillCallsBackOnce) {
  auto engine = OfflineEngine();
  absl::Notification done;
  int calls = 0;
  engine->ObserveTxt("1.2.3.4", kTxtKey, absl::Now() - absl::Seconds(1), [&](TxtObservation o) {
    ++calls;
    EXPECT_EQ(o.outcome, v1::PROBE_OUTCOME_NOT_APPLICABLE);
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  engine.reset();
  EXPECT_EQ(calls, 1);
}

TEST(ProbeEngineUnitTest, CreateValidatesOptions) {
  ProbeEngineOptions bad_caps;
  bad_caps.max_chain_certs = 0;
  EXPECT_EQ(ProbeEngine::Create(bad_caps).status().code(), absl::StatusCode::kInvalidArgument);
  ProbeEngineOptions bad_dns;
  bad_dns.dns_servers = {"nonsense"};
  EXPECT_EQ(ProbeEngine::Create(bad_dns).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace apptrust::probe
