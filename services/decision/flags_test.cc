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

TEST_F(FlagsTest, ListsAreSplit) {
  absl::SetFlag(&FLAGS_dns_servers, "127.0.0.1:53, [::1]:5353");
  absl::SetFlag(&FLAGS_probe_allow_cidrs, "127.0.0.0/8,::1/128");
  absl::StatusOr<DecisionFlags> flags = ReadDecisionFlags();
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->dns_servers, ::testing::ElementsAre("127.0.0.1:53", "[::1]:5353"));
  EXPECT_EQ(flags->probe_allow_cidrs.size(), 2u);
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
