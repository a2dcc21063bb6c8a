#include "common/webhook/webhook_signature.h"

#include "gtest/gtest.h"

namespace apptrust::webhook {
namespace {

// What a receiver computes with any HMAC tool: here
//   printf '%s' '0.what do ya want for nothing?' | openssl dgst -sha256 -hmac Jefe
TEST(WebhookSignature, MatchesOpensslCommandLine) {
  EXPECT_EQ(Sign("Jefe", 0, "what do ya want for nothing?"),
            "37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc");
}

TEST(WebhookSignature, HeaderIsVersionedLowerHex) {
  const std::string value =
      SignatureHeaderValue("secret-of-32-bytes-or-more......", 1700000000, R"({"event":"x"})");
  ASSERT_EQ(value.size(), 3u + 64u);
  EXPECT_EQ(value.substr(0, 3), "v1=");
  for (char c : value.substr(3)) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << value;
  }
}

TEST(WebhookSignature, VerifiesWithTheSecretOnly) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  const std::string body = R"({"client_id":"app-1"})";
  const std::string header = SignatureHeaderValue(secret, 1700000000, body);
  EXPECT_TRUE(VerifySignature(secret, "1700000000", body, header));
  EXPECT_FALSE(VerifySignature("another secret of thirty-two b..", "1700000000", body, header));
}

TEST(WebhookSignature, TimestampAndBodyAreSigned) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  const std::string header = SignatureHeaderValue(secret, 1700000000, "{}");
  // A replay with a fresh timestamp, or a changed body, fails.
  EXPECT_FALSE(VerifySignature(secret, "1700000300", "{}", header));
  EXPECT_FALSE(VerifySignature(secret, "1700000000", "{ }", header));
  // Only the v1 scheme, complete digests.
  EXPECT_FALSE(VerifySignature(secret, "1700000000", "{}", header.substr(3)));
  EXPECT_FALSE(VerifySignature(secret, "1700000000", "{}", header.substr(0, header.size() - 1)));
  EXPECT_FALSE(VerifySignature(secret, "1700000000", "{}", "v2=" + header.substr(3)));
}

}  // namespace
}  // namespace apptrust::webhook
