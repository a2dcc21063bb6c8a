#include "services/decision/flags.h"

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::decision {
namespace {

using ::testing::HasSubstr;

class FlagsTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;  // each case starts from the defaults
};

TEST_F(FlagsTest, TheDefaultsAreUsable) {
  absl::StatusOr<DecisionFlags> flags = ReadDecisionFlags();
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->listen, "127.0.0.1:50051");
  EXPECT_EQ(flags->probe_timeout, absl::Seconds(5));
  EXPECT_EQ(flags->cache_max_bytes, size_t{128} << 20);
  EXPECT_TRUE(flags->dns_servers.empty());
}

TEST_F(FlagsTest, APlaintextListenerBeyondLoopbackNeedsExplicitConsent) {
  absl::SetFlag(&FLAGS_listen, "0.0.0.0:50051");
  absl::SetFlag(&FLAGS_allow_insecure_listen, true);
  absl::StatusOr<DecisionFlags> flags = ReadDecisionFlags();
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_FALSE(flags->security.tls.tls());
  EXPECT_FALSE(flags->security.enable_reflection);
}

TEST_F(FlagsTest, ListsAreSplit) {
  absl::SetFlag(&FLAGS_dns_servers, "127.0.0.1:53, [::1]:5353");
  absl::SetFlag(&FLAGS_probe_allow_cidrs, "127.0.0.0/8,::1/128");
  absl::StatusOr<DecisionFlags> flags = ReadDecisionFlags();
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->dns_servers, ::testing::ElementsAre("127.0.0.1:53", "[::1]:5353"));
  EXPECT_EQ(flags->probe_allow_cidrs.size(), 2u);
}

// The store's answers decide ALLOW or SUSPEND: plaintext to a store off
// loopback only when the operator says the network is trusted.
TEST_F(FlagsTest, APlaintextStoreOffLoopbackNeedsTheExplicitFlag) {
  absl::SetFlag(&FLAGS_store, "apptrust-store:50052");
  absl::StatusOr<DecisionFlags> refused = ReadDecisionFlags();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("--store=apptrust-store:50052: "));
  absl::SetFlag(&FLAGS_allow_insecure_store, true);
  EXPECT_TRUE(ReadDecisionFlags().ok());
}

// Each unusable value is named with the flag and the value given.
TEST_F(FlagsTest, AnUnusableValueNamesTheFlag) {
  struct Case {
    std::function<void()> set;
    std::string expected;
  };
  const Case cases[] = {
      {[] { absl::SetFlag(&FLAGS_listen, "nowhere"); }, "--listen=nowhere: "},
      {[] { absl::SetFlag(&FLAGS_store, "store"); }, "--store=store: "},
      {[] { absl::SetFlag(&FLAGS_dns_servers, "127.0.0.1:53,dns"); }, "--dns_servers=dns: "},
      {[] { absl::SetFlag(&FLAGS_log_level, "loud"); }, "--log_level=loud: "},
      {[] { absl::SetFlag(&FLAGS_probe_allow_cidrs, "10.0.0.0/99"); },
       "--probe_allow_cidrs=10.0.0.0/99: "},
      {[] { absl::SetFlag(&FLAGS_policy, "/nonexistent/policy.textproto"); },
       "--policy=/nonexistent/policy.textproto: "},
      {[] { absl::SetFlag(&FLAGS_probe_timeout, absl::ZeroDuration()); },
       "--probe_timeout=0: must be positive"},
      {[] { absl::SetFlag(&FLAGS_cache_ttl, -absl::Seconds(1)); },
       "--cache_ttl=-1s: must not be negative"},
      {[] { absl::SetFlag(&FLAGS_cache_max_entries, 0); },
       "--cache_max_entries=0: must be at least 1"},
      {[] { absl::SetFlag(&FLAGS_cache_max_bytes, 4096); },
       "--cache_max_bytes=4096: must be at least"},
      // Security (common/server/server_security_flags.h, tls_credentials.h).
      {[] { absl::SetFlag(&FLAGS_listen, "0.0.0.0:50051"); },
       "--listen=0.0.0.0:50051: plaintext on an address other than loopback"},
      {[] { absl::SetFlag(&FLAGS_tls_cert_file, "/nonexistent/tls.crt"); },
       "--tls_key_file=: must be set with --tls_cert_file"},
      {[] { absl::SetFlag(&FLAGS_tls_client_ca_file, "/nonexistent/ca.crt"); },
       "--tls_client_ca_file=/nonexistent/ca.crt: needs --tls_cert_file"},
      {[] { absl::SetFlag(&FLAGS_authz_policy, "/nonexistent/authz.textproto"); },
       "--authz_policy=/nonexistent/authz.textproto: needs --tls_client_ca_file"},
      {[] { absl::SetFlag(&FLAGS_tls_refresh_interval, absl::Milliseconds(10)); },
       "--tls_refresh_interval=10ms: must be at least 1s"},
      {[] { absl::SetFlag(&FLAGS_store_tls_ca_file, "/nonexistent/ca.crt"); },
       "--store_tls_ca_file=/nonexistent/ca.crt: cannot read"},
      {[] { absl::SetFlag(&FLAGS_store_tls_key_file, "/nonexistent/tls.key"); },
       "--store_tls_cert_file=: must be set with --store_tls_key_file"},
      {[] { absl::SetFlag(&FLAGS_health_listen, "health"); }, "--health_listen=health: "},
  };
  for (const Case& c : cases) {
    absl::FlagSaver restore;
    c.set();
    absl::StatusOr<DecisionFlags> flags = ReadDecisionFlags();
    EXPECT_EQ(flags.status().code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_THAT(flags.status().message(), HasSubstr(c.expected));
  }
}

}  // namespace
}  // namespace apptrust::decision
