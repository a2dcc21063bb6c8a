#include "common/webhook/retry_policy.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace apptrust::webhook {

AttemptVerdict ClassifyAttempt(const probe::HttpFetchResult& result) {
  switch (result.outcome) {
    case v1::PROBE_OUTCOME_OK:
      break;
    case v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED:
      return AttemptVerdict::kFailed;
    default:
      return AttemptVerdict::kRetry;
  }
  const int status = result.http_status;
  if (status >= 200 && status < 300) {
    return AttemptVerdict::kDelivered;
  }
  if (status >= 500 || status == 429) {
    return AttemptVerdict::kRetry;
  }
  return AttemptVerdict::kFailed;
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty() || !std::all_of(value.begin(), value.end(), absl::ascii_isdigit)) {
    return std::nullopt;
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(value, &seconds)) {
    return absl::InfiniteDuration();  // more digits than fit: "a very long time"
  }
  return absl::Seconds(seconds);
}

absl::Duration RetryDelay(int failed_attempts, std::optional<absl::Duration> retry_after,
                          const BackoffPolicy& policy, double jitter) {
  if (retry_after.has_value()) {
    return std::min(*retry_after, policy.max);
  }
  absl::Duration delay = policy.initial;
  for (int i = 1; i < failed_attempts && delay < policy.max; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, policy.max);
  jitter = std::clamp(jitter, 0.0, 1.0);
  return delay / 2 + (delay / 2) * jitter;
}

}  // namespace apptrust::webhook
