#include "common/webhook/webhook_sender.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/metrics/metric_families.h"
#include "common/metrics/metric_names.h"
#include "common/probe/event_loop.h"
#include "common/probe/http_fetcher.h"
#include "common/webhook/retry_policy.h"
#include "common/webhook/webhook_signature.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace apptrust::webhook {
namespace {

// Longer ids and event ids are mistakes, and would bloat metric labels and
// request headers.
constexpr size_t kMaxIdLength = 128;

bool IsIdChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.'; }

absl::Status CheckEndpoint(const WebhookEndpoint& endpoint, bool allow_http) {
  if (endpoint.id.empty() || endpoint.id.size() > kMaxIdLength ||
      !std::all_of(endpoint.id.begin(), endpoint.id.end(), IsIdChar)) {
    return absl::InvalidArgumentError(
        "endpoint.id: must be 1-128 characters of letters, digits, '-', '_' and '.'");
  }
  absl::StatusOr<probe::HttpUrlParts> parts = probe::ParseHttpUrl(endpoint.url);
  if (!parts.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint.url: ", parts.status().message()));
  }
  if (parts->scheme != "https" && !(allow_http && parts->scheme == "http")) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint.url: must be an https:// URL, not \"", endpoint.url, "\""));
  }
  if (endpoint.secret.empty()) {
    return absl::InvalidArgumentError("endpoint.secret: must not be empty");
  }
  return absl::OkStatus();
}

absl::Status CheckEventId(const std::string& event_id) {
  // Sent as a header value: printable ASCII only, so nothing can end the
  // header early or start another.
  if (event_id.empty() || event_id.size() > kMaxIdLength ||
      !std::all_of(event_id.begin(), event_id.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return absl::InvalidArgumentError(
        "event_id: must be 1-128 printable ASCII characters without spaces");
  }
  return absl::OkStatus();
}

absl::Status CheckOptions(const WebhookSenderOptions& o) {
  if (o.max_queued < 1 || o.max_queued_bytes < 1 || o.max_attempts < 1 ||
      o.max_concurrent_per_endpoint < 1 || o.max_response_bytes < 1 || o.max_log_entries < 1) {
    return absl::InvalidArgumentError("webhook sender limits must be positive");
  }
  if (o.initial_backoff <= absl::ZeroDuration() || o.max_backoff < o.initial_backoff ||
      o.attempt_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "webhook sender durations: initial_backoff and attempt_timeout must be positive, "
        "max_backoff at least initial_backoff");
  }
  return absl::OkStatus();
}

}  // namespace

class WebhookSender::Impl {
 public:
  Impl(WebhookSenderOptions options, prometheus::Registry* registry)
      : options_(std::move(options)) {
    if (registry != nullptr) {
      namespace names = ::apptrust::metrics;
      deliveries_ = &prometheus::BuildCounter()
                         .Name(names::kWebhookDeliveriesTotal)
                         .Help(metrics::HelpOf(names::kWebhookDeliveriesTotal))
                         .Register(*registry);
      queue_depth_ = &prometheus::BuildGauge()
                          .Name(names::kWebhookQueueDepth)
                          .Help(metrics::HelpOf(names::kWebhookQueueDepth))
                          .Register(*registry)
                          .Add({});
      attempt_seconds_ = &prometheus::BuildHistogram()
                              .Name(names::kWebhookDeliverySeconds)
                              .Help(metrics::HelpOf(names::kWebhookDeliverySeconds))
                              .Register(*registry)
                              .Add({}, metrics::DurationBuckets());
    }
  }

  absl::Status Init() {
    absl::StatusOr<std::unique_ptr<probe::DnsResolver>> resolver =
        probe::DnsResolver::Create(&loop_, options_.dns);
    if (!resolver.ok()) {
      return resolver.status();
    }
    resolver_ = *std::move(resolver);
    probe::HttpFetcher::Options fetch_options;
    fetch_options.max_bytes = options_.max_response_bytes;
    fetch_options.max_redirects = 0;
    fetch_options.cut_body_at_cap = true;
    fetch_options.ca_file = options_.ca_file;
    fetch_options.user_agent = "apptrust-webhook";
    absl::StatusOr<std::unique_ptr<probe::HttpFetcher>> fetcher = probe::HttpFetcher::Create(
        &loop_, resolver_.get(), &options_.address_policy, fetch_options);
    if (!fetcher.ok()) {
      return fetcher.status();
    }
    fetcher_ = *std::move(fetcher);
    return loop_.Start();
  }

  ~Impl() {
    // The fetcher and resolver live on the loop thread: end them there. An
    // attempt in flight completes ("shut down") inside the fetcher's
    // destructor and sees stopping_.
    absl::Notification stopped;
    loop_.Post([this, &stopped] {
      {
        absl::MutexLock lock(&mutex_);
        stopping_ = true;
      }
      fetcher_.reset();
      resolver_.reset();
      stopped.Notify();
    });
    stopped.WaitForNotification();
    absl::MutexLock lock(&mutex_);
    for (auto& [id, queue] : endpoints_) {
      for (auto& delivery : queue.ready) {
        Abandon(*delivery);
      }
    }
    for (auto& [seq, delivery] : waiting_) {
      Abandon(*delivery);
    }
  }

  absl::Status Enqueue(const WebhookEndpoint& endpoint, std::string event_id, std::string body) {
    if (absl::Status status = CheckEndpoint(endpoint, options_.allow_http); !status.ok()) {
      return status;
    }
    if (absl::Status status = CheckEventId(event_id); !status.ok()) {
      return status;
    }
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) {
        return absl::UnavailableError("the webhook sender is shutting down");
      }
      if (queued_ + 1 > options_.max_queued ||
          queued_bytes_ + body.size() > options_.max_queued_bytes) {
        Count(endpoint.id, "dropped");
        return absl::ResourceExhaustedError(absl::StrCat(
            "webhook queue full (", queued_, " deliveries, ", queued_bytes_, " bytes queued; ",
            "limits ", options_.max_queued, " and ", options_.max_queued_bytes, ")"));
      }
      auto delivery = std::make_unique<Delivery>();
      delivery->seq = next_seq_++;
      delivery->endpoint = endpoint;
      delivery->body = std::move(body);
      delivery->record = std::make_shared<DeliveryRecord>();
      delivery->record->endpoint_id = endpoint.id;
      delivery->record->event_id = std::move(event_id);
      log_.push_front(delivery->record);
      if (log_.size() > options_.max_log_entries) {
        log_.pop_back();
      }
      queued_++;
      queued_bytes_ += delivery->body.size();
      SetDepth();
      endpoints_[endpoint.id].ready.push_back(std::move(delivery));
    }
    loop_.Post([this] { Pump(); });
    return absl::OkStatus();
  }

  std::vector<DeliveryRecord> RecentDeliveries() const {
    absl::MutexLock lock(&mutex_);
    std::vector<DeliveryRecord> records;
    records.reserve(log_.size());
    for (const auto& record : log_) {
      records.push_back(*record);
    }
    return records;
  }

  size_t QueueDepth() const {
    absl::MutexLock lock(&mutex_);
    return queued_;
  }

 private:
  struct Delivery {
    uint64_t seq = 0;
    WebhookEndpoint endpoint;
    std::string body;
    int attempts = 0;
    absl::Time attempt_started;
    // Shared with the log, which may drop it first; written under mutex_.
    std::shared_ptr<DeliveryRecord> record;
  };
  struct EndpointQueue {
    std::deque<std::unique_ptr<Delivery>> ready;
    int in_flight = 0;
  };

  // Loop thread. Starts every ready delivery its endpoint has room for.
  void Pump() {
    std::vector<std::unique_ptr<Delivery>> starting;
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) {
        return;
      }
      for (auto it = endpoints_.begin(); it != endpoints_.end();) {
        EndpointQueue& queue = it->second;
        while (!queue.ready.empty() && queue.in_flight < options_.max_concurrent_per_endpoint) {
          queue.in_flight++;
          starting.push_back(std::move(queue.ready.front()));
          queue.ready.pop_front();
        }
        if (queue.ready.empty() && queue.in_flight == 0) {
          it = endpoints_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& delivery : starting) {
      Attempt(std::move(delivery));
    }
  }

  // Loop thread.
  void Attempt(std::unique_ptr<Delivery> delivery) {
    delivery->attempts++;
    const absl::Time now = options_.clock();
    const int64_t timestamp = absl::ToUnixSeconds(now);
    {
      absl::MutexLock lock(&mutex_);
      delivery->record->attempts = delivery->attempts;
      delivery->record->last_attempt = now;
    }
    probe::HttpRequest request;
    request.method = "POST";
    request.url = delivery->endpoint.url;
    request.schemes = {"https"};
    if (options_.allow_http) {
      request.schemes.push_back("http");
    }
    request.follow_redirects = false;
    request.headers = {
        "Content-Type: application/json",
        absl::StrCat(kEventIdHeader, ": ", delivery->record->event_id),
        absl::StrCat(kTimestampHeader, ": ", timestamp),
        absl::StrCat(kSignatureHeader, ": ",
                     SignatureHeaderValue(delivery->endpoint.secret, timestamp, delivery->body)),
    };
    request.body = delivery->body;
    delivery->attempt_started = absl::Now();
    const uint64_t seq = delivery->seq;
    in_flight_[seq] = std::move(delivery);
    fetcher_->Send(std::move(request), absl::Now() + options_.attempt_timeout,
                   [this, seq](probe::HttpFetchResult result) { OnAttemptDone(seq, result); });
  }

  // Loop thread.
  void OnAttemptDone(uint64_t seq, const probe::HttpFetchResult& result) {
    auto it = in_flight_.find(seq);
    if (it == in_flight_.end()) {
      return;
    }
    std::unique_ptr<Delivery> delivery = std::move(it->second);
    in_flight_.erase(it);
    absl::MutexLock lock(&mutex_);
    if (stopping_) {
      Abandon(*delivery);
      return;
    }
    if (attempt_seconds_ != nullptr) {
      attempt_seconds_->Observe(absl::ToDoubleSeconds(absl::Now() - delivery->attempt_started));
    }
    EndpointQueue& queue = endpoints_[delivery->endpoint.id];
    queue.in_flight--;
    DeliveryRecord& record = *delivery->record;
    const bool answered = result.outcome == v1::PROBE_OUTCOME_OK;
    record.last_http_status = answered ? result.http_status : 0;
    // The outcome's name leads, so a log reader can group failures
    // ("timeout: POST https://...: Timeout was reached").
    record.last_error =
        answered
            ? (result.http_status / 100 == 2 ? std::string()
                                             : absl::StrCat("HTTP status ", result.http_status))
            : absl::StrCat(absl::AsciiStrToLower(absl::StripPrefix(
                               v1::ProbeOutcome_Name(result.outcome), "PROBE_OUTCOME_")),
                           ": ", result.error);
    const AttemptVerdict verdict = ClassifyAttempt(result);
    if (verdict == AttemptVerdict::kDelivered) {
      record.state = DeliveryRecord::kDelivered;
      Finish(*delivery, "delivered");
    } else if (verdict == AttemptVerdict::kFailed || delivery->attempts >= options_.max_attempts) {
      record.state = DeliveryRecord::kFailed;
      Finish(*delivery, "failed");
    } else {
      Count(delivery->endpoint.id, "retried");
      std::optional<absl::Duration> retry_after;
      if (answered && (result.http_status == 429 || result.http_status == 503)) {
        retry_after = ParseRetryAfter(result.retry_after);
      }
      const double jitter = options_.jitter ? options_.jitter() : absl::Uniform(bitgen_, 0.0, 1.0);
      const absl::Duration wait =
          RetryDelay(delivery->attempts, retry_after,
                     BackoffPolicy{options_.initial_backoff, options_.max_backoff}, jitter);
      waiting_[seq] = std::move(delivery);
      loop_.AddTimer(absl::Now() + wait, [this, seq] { OnBackoffOver(seq); });
    }
    loop_.Post([this] { Pump(); });
  }

  // Loop thread.
  void OnBackoffOver(uint64_t seq) {
    {
      absl::MutexLock lock(&mutex_);
      auto it = waiting_.find(seq);
      if (stopping_ || it == waiting_.end()) {
        return;
      }
      std::unique_ptr<Delivery> delivery = std::move(it->second);
      waiting_.erase(it);
      endpoints_[delivery->endpoint.id].ready.push_back(std::move(delivery));
    }
    Pump();
  }

  void Finish(const Delivery& delivery, const char* outcome) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    Count(delivery.endpoint.id, outcome);
    queued_--;
    queued_bytes_ -= delivery.body.size();
    SetDepth();
  }

  void Abandon(const Delivery& delivery) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    delivery.record->state = DeliveryRecord::kFailed;
    delivery.record->last_error = "the webhook sender stopped before delivering";
    Finish(delivery, "dropped");
  }

  void Count(const std::string& endpoint_id, const char* outcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (deliveries_ != nullptr) {
      deliveries_->Add({{"endpoint", endpoint_id}, {"outcome", outcome}}).Increment();
    }
  }

  void SetDepth() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (queue_depth_ != nullptr) {
      queue_depth_->Set(static_cast<double>(queued_));
    }
  }

  const WebhookSenderOptions options_;
  prometheus::Family<prometheus::Counter>* deliveries_ = nullptr;
  prometheus::Gauge* queue_depth_ = nullptr;
  prometheus::Histogram* attempt_seconds_ = nullptr;

  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  size_t queued_ ABSL_GUARDED_BY(mutex_) = 0;
  size_t queued_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t next_seq_ ABSL_GUARDED_BY(mutex_) = 1;
  // Waiting for a free attempt slot, by endpoint id.
  std::map<std::string, EndpointQueue> endpoints_ ABSL_GUARDED_BY(mutex_);
  // Waiting out a backoff, by seq.
  std::unordered_map<uint64_t, std::unique_ptr<Delivery>> waiting_ ABSL_GUARDED_BY(mutex_);
  // Newest first.
  std::deque<std::shared_ptr<DeliveryRecord>> log_ ABSL_GUARDED_BY(mutex_);

  // Loop thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Delivery>> in_flight_;
  absl::BitGen bitgen_;

  // ~Impl ends the fetcher and resolver on the loop thread; the loop is then
  // destroyed (its thread joined) before any member above it.
  probe::EventLoop loop_;
  std::unique_ptr<probe::DnsResolver> resolver_;
  std::unique_ptr<probe::HttpFetcher> fetcher_;
};

absl::StatusOr<std::unique_ptr<WebhookSender>> WebhookSender::Create(
    WebhookSenderOptions options, prometheus::Registry* registry) {
  if (absl::Status status = CheckOptions(options); !status.ok()) {
    return status;
  }
  auto impl = std::make_unique<Impl>(std::move(options), registry);
  if (absl::Status status = impl->Init(); !status.ok()) {
    return status;
  }
  return std::unique_ptr<WebhookSender>(new WebhookSender(std::move(impl)));
}

WebhookSender::WebhookSender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebhookSender::~WebhookSender() = default;

absl::Status WebhookSender::Enqueue(const WebhookEndpoint& endpoint, std::string event_id,
                                    std::string body) {
  return impl_->Enqueue(endpoint, std::move(event_id), std::move(body));
}

std::vector<DeliveryRecord> WebhookSender::RecentDeliveries() const {
  return impl_->RecentDeliveries();
}

size_t WebhookSender::QueueDepth() const { return impl_->QueueDepth(); }

}  // namespace apptrust::webhook
