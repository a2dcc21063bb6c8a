// The webhook sender against real parts: an HTTPS receiver on loopback with a
// certificate from a test PKI, dnsmasq for host names, the sender's own event
// loop and the address policy. No traffic leaves 127.0.0.0/8: refused
// addresses are refused before any connection.
#include "common/webhook/webhook_sender.h"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/metrics/metric_names.h"
#include "common/net/address_policy.h"
#include "common/webhook/webhook_signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/test_pki.h"
#include "tests/support/webhook_receiver.h"

namespace apptrust::webhook {
namespace {

using ::apptrust::testing::Dnsmasq;
using ::apptrust::testing::DnsRecords;
using ::apptrust::testing::IssuedCert;
using ::apptrust::testing::LeafOptions;
using ::apptrust::testing::ReceivedRequest;
using ::apptrust::testing::ReceiverAnswer;
using ::apptrust::testing::TestPki;
using ::apptrust::testing::WebhookReceiver;
using ::testing::HasSubstr;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-first-endpoint";
constexpr char kOtherSecret[] = "fedcba9876543210fedcba9876543210-other-endpoint";
constexpr char kHookHost[] = "hooks.examplehealth.test";

// Waits (polling) until `done` holds; false after a generous bound, so a
// broken sender fails the test instead of hanging it.
template <typename Predicate>
bool Eventually(Predicate done, absl::Duration bound = absl::Seconds(30)) {
  const absl::Time give_up = absl::Now() + bound;
  while (!done()) {
    if (absl::Now() > give_up) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

double CounterValue(prometheus::Registry& registry, const std::string& endpoint,
                    const std::string& outcome) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != metrics::kWebhookDeliveriesTotal) {
      continue;
    }
    for (const prometheus::ClientMetric& metric : family.metric) {
      int matched = 0;
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        matched += (label.name == "endpoint" && label.value == endpoint) ||
                   (label.name == "outcome" && label.value == outcome);
      }
      if (matched == 2) {
        return metric.counter.value;
      }
    }
  }
  return 0;
}

// The one series of a label-less family, if registered.
std::optional<prometheus::ClientMetric> OnlySeries(prometheus::Registry& registry,
                                                   const std::string& name) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name == name && family.metric.size() == 1) {
      return family.metric[0];
    }
  }
  return std::nullopt;
}

class WebhookSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = TestPki::Create();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *std::move(pki);
    LeafOptions leaf;
    leaf.dns_names = {kHookHost};
    leaf.ip_addresses = {"127.0.0.1"};
    auto cert = pki_->Issue(leaf);
    ASSERT_TRUE(cert.ok()) << cert.status();
    cert_ = *std::move(cert);
    auto receiver = WebhookReceiver::Start(cert_);
    ASSERT_TRUE(receiver.ok()) << receiver.status();
    receiver_ = *std::move(receiver);
  }

  // Loopback admitted (as --probe_allow_cidrs=127.0.0.0/8 does in tests),
  // the receiver's CA trusted, retries quick.
  WebhookSenderOptions Options() {
    WebhookSenderOptions options;
    options.address_policy = net::AddressPolicy({*net::ParseCidr("127.0.0.0/8")});
    options.ca_file = pki_->root_pem_path();
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(100);
    options.attempt_timeout = absl::Seconds(20);
    options.max_attempts = 3;
    return options;
  }

  std::unique_ptr<WebhookSender> MakeSender(WebhookSenderOptions options) {
    auto sender = WebhookSender::Create(std::move(options), &registry_);
    EXPECT_TRUE(sender.ok()) << sender.status();
    return sender.ok() ? *std::move(sender) : nullptr;
  }

  WebhookEndpoint Endpoint(const std::string& id = "acme-dev") {
    return WebhookEndpoint{id, receiver_->Url(), kSecret};
  }

  // The log entry of `event_id`, once it is no longer pending.
  static std::optional<DeliveryRecord> Settled(const WebhookSender& sender,
                                               const std::string& event_id) {
    std::optional<DeliveryRecord> found;
    Eventually([&] {
      for (const DeliveryRecord& record : sender.RecentDeliveries()) {
        if (record.event_id == event_id && record.state != DeliveryRecord::kPending) {
          found = record;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // Sends one delivery ("evt-1" to Endpoint()) with `options` and returns
  // its log entry once settled; nullopt (a failure) if it never settles.
  std::optional<DeliveryRecord> DeliverOne(WebhookSenderOptions options) {
    std::unique_ptr<WebhookSender> sender = MakeSender(std::move(options));
    if (sender == nullptr) {
      return std::nullopt;
    }
    absl::Status queued = sender->Enqueue(Endpoint(), "evt-1", R"({"n":1})");
    EXPECT_TRUE(queued.ok()) << queued;
    std::optional<DeliveryRecord> record = Settled(*sender, "evt-1");
    EXPECT_TRUE(record.has_value()) << "evt-1 never settled";
    return record;
  }

  prometheus::Registry registry_;
  std::unique_ptr<TestPki> pki_;
  IssuedCert cert_;
  std::unique_ptr<WebhookReceiver> receiver_;
};

TEST_F(WebhookSenderTest, OneSignedDeliveryPerEnqueue) {
  WebhookSenderOptions options = Options();
  const absl::Time fixed = absl::FromUnixSeconds(1767225600);
  options.clock = [fixed] { return fixed; };
  auto sender = MakeSender(std::move(options));
  ASSERT_NE(sender, nullptr);
  const std::vector<std::string> apps = {"app-1", "app-2", "app-3"};
  for (const std::string& app : apps) {
    ASSERT_TRUE(
        sender->Enqueue(Endpoint(), "evt-" + app, absl::StrCat(R"({"client_id":")", app, R"("})"))
            .ok());
  }
  for (const std::string& app : apps) {
    std::optional<DeliveryRecord> record = Settled(*sender, "evt-" + app);
    ASSERT_TRUE(record.has_value()) << app;
    EXPECT_EQ(record->state, DeliveryRecord::kDelivered) << record->last_error;
    EXPECT_EQ(record->attempts, 1);
    EXPECT_EQ(record->last_http_status, 204);
    EXPECT_EQ(record->endpoint_id, "acme-dev");
  }
  // Exactly one request per event, each signed over its timestamp and body.
  std::vector<ReceivedRequest> requests = receiver_->Requests();
  ASSERT_EQ(requests.size(), apps.size());
  std::set<std::string> events;
  for (ReceivedRequest& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/hook");
    EXPECT_EQ(request.headers["content-type"], "application/json");
    EXPECT_EQ(request.headers["apptrust-timestamp"], "1767225600");
    const std::string& event = request.headers["apptrust-event-id"];
    events.insert(event);
    EXPECT_EQ(request.body, absl::StrCat(R"({"client_id":")", event.substr(4), R"("})"));
    EXPECT_TRUE(VerifySignature(kSecret, request.headers["apptrust-timestamp"], request.body,
                                request.headers["apptrust-signature"]));
    EXPECT_FALSE(VerifySignature(kOtherSecret, request.headers["apptrust-timestamp"], request.body,
                                 request.headers["apptrust-signature"]));
  }
  EXPECT_EQ(events, (std::set<std::string>{"evt-app-1", "evt-app-2", "evt-app-3"}));
  EXPECT_EQ(CounterValue(registry_, "acme-dev", "delivered"), 3);
  EXPECT_EQ(sender->QueueDepth(), 0u);
  std::optional<prometheus::ClientMetric> depth =
      OnlySeries(registry_, metrics::kWebhookQueueDepth);
  ASSERT_TRUE(depth.has_value());
  EXPECT_EQ(depth->gauge.value, 0);
  std::optional<prometheus::ClientMetric> seconds =
      OnlySeries(registry_, metrics::kWebhookDeliverySeconds);
  ASSERT_TRUE(seconds.has_value());
  EXPECT_EQ(seconds->histogram.sample_count, 3u);
}

TEST_F(WebhookSenderTest, Answer500OnceIsRetriedOnceThenDelivered) {
  receiver_->AnswerNext(1, ReceiverAnswer::Status(500));
  std::optional<DeliveryRecord> record = DeliverOne(Options());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, DeliveryRecord::kDelivered) << record->last_error;
  EXPECT_EQ(record->attempts, 2);
  std::vector<ReceivedRequest> requests = receiver_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].answered_status, 500);
  EXPECT_EQ(requests[1].answered_status, 204);
  // The retry is the same event, signed afresh.
  EXPECT_EQ(requests[1].headers["apptrust-event-id"], "evt-1");
  EXPECT_TRUE(VerifySignature(kSecret, requests[1].headers["apptrust-timestamp"], requests[1].body,
                              requests[1].headers["apptrust-signature"]));
  EXPECT_EQ(CounterValue(registry_, "acme-dev", "retried"), 1);
  EXPECT_EQ(CounterValue(registry_, "acme-dev", "delivered"), 1);
}

TEST_F(WebhookSenderTest, RetryAfterReplacesTheBackoff) {
  // Without the receiver's Retry-After: 0 the retry would wait an hour.
  receiver_->AnswerNext(1, ReceiverAnswer::Status(503, "0"));
  WebhookSenderOptions options = Options();
  options.initial_backoff = absl::Hours(1);
  options.max_backoff = absl::Hours(1);
  std::optional<DeliveryRecord> record = DeliverOne(std::move(options));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, DeliveryRecord::kDelivered) << record->last_error;
  EXPECT_EQ(record->attempts, 2);
}

TEST_F(WebhookSenderTest, Answer400FailsWithoutRetry) {
  receiver_->AnswerNext(1, ReceiverAnswer::Status(400));
  std::optional<DeliveryRecord> record = DeliverOne(Options());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, DeliveryRecord::kFailed);
  EXPECT_EQ(record->attempts, 1);
  EXPECT_EQ(record->last_http_status, 400);
  EXPECT_THAT(record->last_error, HasSubstr("400"));
  EXPECT_EQ(receiver_->Requests().size(), 1u);
  EXPECT_EQ(CounterValue(registry_, "acme-dev", "failed"), 1);
  EXPECT_EQ(CounterValue(registry_, "acme-dev", "retried"), 0);
}

TEST_F(WebhookSenderTest, SilentReceiverTimesOutAndIsRetried) {
  receiver_->SetDefaultAnswer(ReceiverAnswer::Silent());
  WebhookSenderOptions options = Options();
  options.attempt_timeout = absl::Milliseconds(300);
  options.max_attempts = 2;
  std::optional<DeliveryRecord> record = DeliverOne(std::move(options));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, DeliveryRecord::kFailed);
  EXPECT_EQ(record->attempts, 2);
  EXPECT_EQ(record->last_http_status, 0);
  EXPECT_THAT(record->last_error, HasSubstr("timeout"));
  ASSERT_EQ(receiver_->Requests().size(), 2u);
  EXPECT_EQ(receiver_->Requests()[1].headers["apptrust-event-id"], "evt-1");
}

TEST_F(WebhookSenderTest, SilentReceiverHoldsOnlyItsOwnDeliveries) {
  // A second, healthy endpoint with its own certificate and port.
  auto healthy = WebhookReceiver::Start(cert_);
  ASSERT_TRUE(healthy.ok()) << healthy.status();
  receiver_->SetDefaultAnswer(ReceiverAnswer::Silent());
  WebhookSenderOptions options = Options();
  options.max_concurrent_per_endpoint = 2;
  auto sender = MakeSender(std::move(options));
  ASSERT_NE(sender, nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sender->Enqueue(Endpoint("dead"), absl::StrCat("dead-", i), "{}").ok());
  }
  const WebhookEndpoint alive{"alive", (*healthy)->Url(), kOtherSecret};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sender->Enqueue(alive, absl::StrCat("alive-", i), "{}").ok());
  }
  for (int i = 0; i < 3; ++i) {
    std::optional<DeliveryRecord> record = Settled(*sender, absl::StrCat("alive-", i));
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->state, DeliveryRecord::kDelivered) << record->last_error;
  }
  // The silent endpoint still holds its two attempts (its per-attempt
  // timeout is far off); its third delivery waits for a free slot.
  ASSERT_TRUE(receiver_->WaitForRequests(2));
  EXPECT_EQ(receiver_->Requests().size(), 2u);
  for (const DeliveryRecord& record : sender->RecentDeliveries()) {
    if (record.endpoint_id == "dead") {
      EXPECT_EQ(record.state, DeliveryRecord::kPending) << record.event_id;
    }
  }
  EXPECT_EQ(sender->QueueDepth(), 3u);
}

TEST_F(WebhookSenderTest, FullQueueIsRefused) {
  receiver_->SetDefaultAnswer(ReceiverAnswer::Silent());
  WebhookSenderOptions options = Options();
  options.max_queued = 2;
  options.max_queued_bytes = 100;
  auto sender = MakeSender(std::move(options));
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(sender->Enqueue(Endpoint(), "evt-1", std::string(40, 'x')).ok());
  // By bytes: 40 + 61 > 100.
  absl::Status bytes = sender->Enqueue(Endpoint(), "evt-2", std::string(61, 'x'));
  EXPECT_EQ(bytes.code(), absl::StatusCode::kResourceExhausted) << bytes;
  ASSERT_TRUE(sender->Enqueue(Endpoint(), "evt-3", std::string(40, 'x')).ok());
  // By entries.
  absl::Status entries = sender->Enqueue(Endpoint(), "evt-4", "{}");
  EXPECT_EQ(entries.code(), absl::StatusCode::kResourceExhausted) << entries;
  EXPECT_EQ(sender->QueueDepth(), 2u);
  std::optional<prometheus::ClientMetric> depth =
      OnlySeries(registry_, metrics::kWebhookQueueDepth);
  ASSERT_TRUE(depth.has_value());
  EXPECT_EQ(depth->gauge.value, 2);
  EXPECT_EQ(CounterValue(registry_, "acme-dev", "dropped"), 2);
}

TEST_F(WebhookSenderTest, BadEndpointsAreRefusedNamingTheField) {
  auto sender = MakeSender(Options());
  ASSERT_NE(sender, nullptr);
  struct Case {
    WebhookEndpoint endpoint;
    std::string event_id;
    std::string field;
  } cases[] = {
      {{"", receiver_->Url(), kSecret}, "e", "endpoint.id"},
      {{"has space", receiver_->Url(), kSecret}, "e", "endpoint.id"},
      {{"ok", "not a url", kSecret}, "e", "endpoint.url"},
      {{"ok", absl::StrCat("http://127.0.0.1:", receiver_->port(), "/hook"), kSecret},
       "e",
       "endpoint.url"},
      {{"ok", "ftp://127.0.0.1/hook", kSecret}, "e", "endpoint.url"},
      {{"ok", receiver_->Url(), ""}, "e", "endpoint.secret"},
      {{"ok", receiver_->Url(), kSecret}, "", "event_id"},
      {{"ok", receiver_->Url(), kSecret}, "evt\r\nX-Injected: 1", "event_id"},
  };
  for (const Case& c : cases) {
    absl::Status status = sender->Enqueue(c.endpoint, c.event_id, "{}");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(status.message(), HasSubstr(c.field));
  }
  EXPECT_TRUE(sender->RecentDeliveries().empty());
  EXPECT_TRUE(receiver_->Requests().empty());
}

TEST_F(WebhookSenderTest, UntrustedReceiverCertificateIsNotDeliveredTo) {
  auto other_pki = TestPki::Create();
  ASSERT_TRUE(other_pki.ok());
  WebhookSenderOptions options = Options();
  options.ca_file = (*other_pki)->root_pem_path();
  options.max_attempts = 2;
  std::optional<DeliveryRecord> record = DeliverOne(std::move(options));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, DeliveryRecord::kFailed);
  EXPECT_EQ(record->attempts, 2);
  EXPECT_TRUE(receiver_->Requests().empty());
}

TEST_F(WebhookSenderTest, LoopbackIsRefusedWithoutTheAllowList) {
  WebhookSenderOptions options = Options();
  options.address_policy = net::AddressPolicy();
  std::optional<DeliveryRecord> record = DeliverOne(std::move(options));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, DeliveryRecord::kFailed);
  EXPECT_EQ(record->attempts, 1);  // configuration, not a passing fault: no retry
  EXPECT_THAT(record->last_error, HasSubstr("address_not_allowed"));
  EXPECT_THAT(record->last_error, HasSubstr("refused by the address policy"));
  EXPECT_TRUE(receiver_->Requests().empty());
}

TEST_F(WebhookSenderTest, HostNamesResolveOnceAndPrivateAddressesAreRefused) {
  // hooks.examplehealth.test is the receiver; internal.examplehealth.test
  // points into RFC 1918 space, which the policy refuses before connecting.
  auto dns = Dnsmasq::Start(DnsRecords()
                                .AddHost(kHookHost, {"127.0.0.1"})
                                .AddHost("internal.examplehealth.test", {"10.20.30.40"}));
  ASSERT_TRUE(dns.ok()) << dns.status();
  WebhookSenderOptions options = Options();
  options.dns.servers = {(*dns)->server()};
  auto sender = MakeSender(std::move(options));
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(sender
                  ->Enqueue(WebhookEndpoint{"by-name", receiver_->Url(kHookHost), kSecret},
                            "evt-name", "{}")
                  .ok());
  ASSERT_TRUE(sender
                  ->Enqueue(WebhookEndpoint{"internal",
                                            absl::StrCat("https://internal.examplehealth.test:",
                                                         receiver_->port(), "/hook"),
                                            kSecret},
                            "evt-internal", "{}")
                  .ok());
  std::optional<DeliveryRecord> by_name = Settled(*sender, "evt-name");
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->state, DeliveryRecord::kDelivered) << by_name->last_error;
  std::optional<DeliveryRecord> internal = Settled(*sender, "evt-internal");
  ASSERT_TRUE(internal.has_value());
  EXPECT_EQ(internal->state, DeliveryRecord::kFailed);
  EXPECT_THAT(internal->last_error, HasSubstr("refused by the address policy"));
  EXPECT_THAT(internal->last_error, HasSubstr("10.20.30.40"));
  ASSERT_EQ(receiver_->Requests().size(), 1u);
  EXPECT_EQ(receiver_->Requests()[0].headers["apptrust-event-id"], "evt-name");
}

TEST_F(WebhookSenderTest, DeliveryLogIsBoundedNewestFirst) {
  WebhookSenderOptions options = Options();
  options.max_log_entries = 2;
  auto sender = MakeSender(std::move(options));
  ASSERT_NE(sender, nullptr);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(sender->Enqueue(Endpoint(), absl::StrCat("evt-", i), "{}").ok());
  }
  ASSERT_TRUE(receiver_->WaitForRequests(3));
  std::vector<DeliveryRecord> log = sender->RecentDeliveries();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].event_id, "evt-3");
  EXPECT_EQ(log[1].event_id, "evt-2");
}

}  // namespace
}  // namespace apptrust::webhook
