// Webhook deliveries to app developers' endpoints: signed POSTs, retried with
// backoff, on the probe engine's machinery (EventLoop, DnsResolver and the
// address policy through probe::HttpFetcher), so a webhook URL can no more
// reach into the operator's network than a redirect URI can.
//
// Each delivery is one JSON body to one endpoint, identified by an event id
// the receiver can deduplicate on (a retry carries the same id). Wire format
// (docs/OPERATING.md, "Webhooks"): POST, Content-Type application/json,
// AppTrust-Event-Id, AppTrust-Timestamp (Unix seconds of the attempt) and
// AppTrust-Signature (webhook_signature.h, re-signed on every attempt).
// Redirects are never followed. What an attempt's result means and how long
// a retry waits: retry_policy.h.
//
// Everything is bounded: the queue by entries and bytes (Enqueue refuses
// beyond), every attempt by a timeout, the response body read by a cap (the
// rest is dropped), concurrent attempts per endpoint (a silent receiver holds
// at most that many of its own deliveries, never another endpoint's), and the
// delivery log by entries.
//
// Threading: the sender runs its own EventLoop thread. Enqueue and
// RecentDeliveries are thread-safe and never wait on the network.
#ifndef APPTRUST_COMMON_WEBHOOK_WEBHOOK_SENDER_H_
#define APPTRUST_COMMON_WEBHOOK_WEBHOOK_SENDER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net/address_policy.h"
#include "common/probe/dns_resolver.h"

namespace prometheus {
class Registry;
}

namespace apptrust::webhook {

struct WebhookEndpoint {
  std::string id;      // stable name from the policy config; used in metrics labels and the log
  std::string url;     // https:// (http:// only when Options.allow_http, for tests)
  std::string secret;  // HMAC-SHA256 key bytes (read from a file by the config loader)
};

struct WebhookSenderOptions {
  // Deliveries accepted and not yet delivered or failed (waiting, in flight,
  // or waiting to retry), by count and by body bytes.
  size_t max_queued = 10000;
  size_t max_queued_bytes = 64 * 1024 * 1024;
  // Attempts per delivery, the first included. The defaults retry for about
  // an hour (waits of ~30 s, 1, 2, 4, 8, 16 and 30 min, each jittered down
  // by up to half): a receiver restarted or briefly down still hears.
  int max_attempts = 8;
  absl::Duration initial_backoff = absl::Seconds(30);
  absl::Duration max_backoff = absl::Minutes(30);
  // One attempt: DNS, connect, TLS, request and response.
  absl::Duration attempt_timeout = absl::Seconds(10);
  // Attempts in flight at once to one endpoint (by endpoint id).
  int max_concurrent_per_endpoint = 2;
  // Response bodies are read up to this many bytes, then dropped.
  size_t max_response_bytes = 64 * 1024;
  size_t max_log_entries = 1000;
  // Admits http:// endpoint URLs. Tests only: a webhook carries a signature
  // and patient-affecting news, which need TLS.
  bool allow_http = false;
  // PEM bundle that verifies receivers' certificates; empty: the system store.
  std::string ca_file;
  // Which addresses a webhook may reach (the probe's --probe_allow_cidrs).
  net::AddressPolicy address_policy;
  // DNS servers for endpoint hosts; empty: the system resolver.
  probe::DnsResolver::Options dns;
  // The time signed into AppTrust-Timestamp and written to the log.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Uniform in [0, 1): the jitter of each backoff (tests make it fixed).
  std::function<double()> jitter;
};

struct DeliveryRecord {
  std::string endpoint_id, event_id;
  int attempts = 0;
  absl::Time last_attempt = absl::InfinitePast();  // when the last attempt started
  int last_http_status = 0;                        // 0: no HTTP answer (yet)
  std::string last_error;                          // why the last attempt did not deliver
  enum State { kPending, kDelivered, kFailed } state = kPending;
};

class WebhookSender {
 public:
  // Starts the sender's loop thread. `registry` (may be null: no metrics)
  // outlives the sender. INVALID_ARGUMENT for options out of range.
  static absl::StatusOr<std::unique_ptr<WebhookSender>> Create(WebhookSenderOptions options,
                                                               prometheus::Registry* registry);
  // Stops the loop; deliveries not yet done are abandoned (state kFailed,
  // counted as dropped).
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Thread-safe, never blocks on the network. Queues one delivery of `body` (JSON, UTF-8)
  // to `endpoint`, identified by `event_id` (sent as a header so the receiver can dedupe).
  // RESOURCE_EXHAUSTED when the queue is full (entries or bytes); INVALID_ARGUMENT naming the
  // field for a bad endpoint.
  absl::Status Enqueue(const WebhookEndpoint& endpoint, std::string event_id, std::string body);

  // The bounded delivery log, newest first (by Enqueue), each entry as of now.
  std::vector<DeliveryRecord> RecentDeliveries() const;

  // Deliveries accepted and not yet delivered or failed.
  size_t QueueDepth() const;

 private:
  class Impl;
  explicit WebhookSender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace apptrust::webhook

#endif  // APPTRUST_COMMON_WEBHOOK_WEBHOOK_SENDER_H_
