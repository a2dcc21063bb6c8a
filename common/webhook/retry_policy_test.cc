#include "common/webhook/retry_policy.h"

#include "gtest/gtest.h"

namespace apptrust::webhook {
namespace {

probe::HttpFetchResult Answered(int status) {
  probe::HttpFetchResult result;
  result.outcome = v1::PROBE_OUTCOME_OK;
  result.http_status = status;
  return result;
}

probe::HttpFetchResult Failed(v1::ProbeOutcome outcome) {
  probe::HttpFetchResult result;
  result.outcome = outcome;
  result.error = "failed";
  return result;
}

TEST(ClassifyAttempt, StatusTable) {
  struct Case {
    int status;
    AttemptVerdict verdict;
  } cases[] = {
      {200, AttemptVerdict::kDelivered}, {202, AttemptVerdict::kDelivered},
      {204, AttemptVerdict::kDelivered}, {500, AttemptVerdict::kRetry},
      {502, AttemptVerdict::kRetry},     {503, AttemptVerdict::kRetry},
      {429, AttemptVerdict::kRetry},     {400, AttemptVerdict::kFailed},
      {401, AttemptVerdict::kFailed},    {404, AttemptVerdict::kFailed},
      {410, AttemptVerdict::kFailed},    {301, AttemptVerdict::kFailed},
      {302, AttemptVerdict::kFailed},    {100, AttemptVerdict::kFailed},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyAttempt(Answered(c.status)), c.verdict) << c.status;
  }
}

TEST(ClassifyAttempt, TransportFailuresRetryButRefusedAddressesDoNot) {
  for (v1::ProbeOutcome outcome :
       {v1::PROBE_OUTCOME_TIMEOUT, v1::PROBE_OUTCOME_CONNECTION_REFUSED,
        v1::PROBE_OUTCOME_CONNECTION_RESET, v1::PROBE_OUTCOME_NXDOMAIN, v1::PROBE_OUTCOME_SERVFAIL,
        v1::PROBE_OUTCOME_ERROR, v1::PROBE_OUTCOME_LOCAL_ERROR}) {
    EXPECT_EQ(ClassifyAttempt(Failed(outcome)), AttemptVerdict::kRetry)
        << v1::ProbeOutcome_Name(outcome);
  }
  EXPECT_EQ(ClassifyAttempt(Failed(v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED)),
            AttemptVerdict::kFailed);
}

TEST(ParseRetryAfter, DeltaSecondsOnly) {
  EXPECT_EQ(ParseRetryAfter("120"), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 "), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999"), absl::InfiniteDuration());
  EXPECT_EQ(ParseRetryAfter(""), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
}

TEST(RetryDelay, DoublesUpToTheCap) {
  const BackoffPolicy policy{absl::Seconds(1), absl::Seconds(10)};
  // jitter 1.0 (clamped): the full computed wait.
  EXPECT_EQ(RetryDelay(1, std::nullopt, policy, 1.0), absl::Seconds(1));
  EXPECT_EQ(RetryDelay(2, std::nullopt, policy, 1.0), absl::Seconds(2));
  EXPECT_EQ(RetryDelay(3, std::nullopt, policy, 1.0), absl::Seconds(4));
  EXPECT_EQ(RetryDelay(4, std::nullopt, policy, 1.0), absl::Seconds(8));
  EXPECT_EQ(RetryDelay(5, std::nullopt, policy, 1.0), absl::Seconds(10));
  EXPECT_EQ(RetryDelay(1000, std::nullopt, policy, 1.0), absl::Seconds(10));
}

TEST(RetryDelay, JitterSpreadsOverTheUpperHalf) {
  const BackoffPolicy policy{absl::Seconds(1), absl::Seconds(10)};
  EXPECT_EQ(RetryDelay(3, std::nullopt, policy, 0.0), absl::Seconds(2));
  EXPECT_EQ(RetryDelay(3, std::nullopt, policy, 0.5), absl::Seconds(3));
  EXPECT_EQ(RetryDelay(5, std::nullopt, policy, 0.0), absl::Seconds(5));
}

TEST(RetryDelay, RetryAfterIsHonouredWithinTheCap) {
  const BackoffPolicy policy{absl::Seconds(1), absl::Seconds(10)};
  EXPECT_EQ(RetryDelay(1, absl::Seconds(7), policy, 0.0), absl::Seconds(7));
  EXPECT_EQ(RetryDelay(1, absl::Seconds(3600), policy, 0.0), absl::Seconds(10));
  EXPECT_EQ(RetryDelay(1, absl::InfiniteDuration(), policy, 0.0), absl::Seconds(10));
  EXPECT_EQ(RetryDelay(4, absl::ZeroDuration(), policy, 0.9), absl::ZeroDuration());
}

}  // namespace
}  // namespace apptrust::webhook
