// What one webhook delivery attempt's result means, and how long to wait
// before the next: pure functions, so the rules are unit-tested without a
// receiver or a clock.
//
// - 2xx: delivered.
// - 5xx, 429, and every transport failure (timeout, refused or reset
//   connection, TLS or DNS failure): retried, with exponential backoff and
//   jitter, until the attempts run out. A receiver that is down or
//   restarting gets its deliveries later, not never.
// - Any other status (1xx, 3xx — redirects are never followed — and 4xx):
//   failed at once; sending the same request again would get the same answer.
// - An address the policy refuses or a URL that does not parse: failed at
//   once; no retry changes configuration.
#ifndef APPTRUST_COMMON_WEBHOOK_RETRY_POLICY_H_
#define APPTRUST_COMMON_WEBHOOK_RETRY_POLICY_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/probe/http_fetcher.h"

namespace apptrust::webhook {

enum class AttemptVerdict { kDelivered, kRetry, kFailed };

AttemptVerdict ClassifyAttempt(const probe::HttpFetchResult& result);

// The delta-seconds form of Retry-After ("120"); nullopt for anything else
// (the HTTP-date form is not honoured: the receiver's clock is not ours).
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value);

struct BackoffPolicy {
  absl::Duration initial = absl::Seconds(1);
  absl::Duration max = absl::Minutes(5);
};

// The wait after the `failed_attempts`-th failed attempt (1 = the first):
// initial * 2^(failed_attempts-1), capped at max, then scaled into
// [1/2, 1] of itself by `jitter` (uniform in [0, 1)) so receivers that come
// back are not hit by every sender at once. A Retry-After the receiver sent
// replaces the computed wait, capped at max.
absl::Duration RetryDelay(int failed_attempts, std::optional<absl::Duration> retry_after,
                          const BackoffPolicy& policy, double jitter);

}  // namespace apptrust::webhook

#endif  // APPTRUST_COMMON_WEBHOOK_RETRY_POLICY_H_
