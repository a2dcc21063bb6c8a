#include "common/net/address_policy.h"

#include <string>

#include "gtest/gtest.h"

namespace apptrust::net {
namespace {

IpAddress Ip(const std::string& text) {
  auto ip = ParseIpAddress(text);
  EXPECT_TRUE(ip.ok()) << text;
  return *ip;
}

TEST(AddressPolicyTest, RefusesNonPublicAddressesByDefault) {
  AddressPolicy policy;
  for (const char* text : {"10.0.0.1",
                           "172.16.0.1",
                           "172.31.255.255",
                           "192.168.1.1",
                           "169.254.169.254",
                           "100.64.0.1",
                           "127.0.0.1",
                           "127.255.0.9",
                           "0.0.0.0",
                           "224.0.0.1",
                           "239.1.2.3",
                           "255.255.255.255",
                           "240.0.0.1",
                           "192.0.2.1",
                           "198.18.0.1",
                           "::",
                           "::1",
                           "fc00::1",
                           "fd12:3456::1",
                           "fe80::1",
                           "ff02::1",
                           "fec0::1",
                           "::ffff:10.0.0.1",
                           "::ffff:127.0.0.1",
                           "::ffff:169.254.169.254",
                           "::10.0.0.1",
                           "::127.0.0.1",
                           "64:ff9b::a9fe:a9fe",
                           "2002:0a00:0001::1",
                           "2001:db8::1"}) {
    std::optional<std::string> reason = policy.RefusalReason(Ip(text));
    EXPECT_TRUE(reason.has_value()) << text << " should be refused";
  }
}

TEST(AddressPolicyTest, ReasonsNameTheRange) {
  EXPECT_NE(DefaultRefusalReason(Ip("169.254.169.254"))->find("metadata"), std::string::npos);
  EXPECT_NE(DefaultRefusalReason(Ip("10.0.0.1"))->find("1918"), std::string::npos);
  EXPECT_NE(DefaultRefusalReason(Ip("::ffff:10.0.0.1"))->find("1918"), std::string::npos);
  EXPECT_NE(DefaultRefusalReason(Ip("::1"))->find("loopback"), std::string::npos);
}

TEST(AddressPolicyTest, AllowsPublicAddresses) {
  AddressPolicy policy;
  for (const char* text :
       {"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111",
        "2a00:1450:4001:800::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    EXPECT_TRUE(policy.IsAllowed(Ip(text))) << text << ": " << *policy.RefusalReason(Ip(text));
  }
}

TEST(AddressPolicyTest, AllowListAdmitsRanges) {
  auto allow = ParseCidrList("127.0.0.0/8, ::1/128");
  ASSERT_TRUE(allow.ok()) << allow.status();
  ASSERT_EQ(allow->size(), 2u);
  AddressPolicy policy(*allow);
  EXPECT_TRUE(policy.IsAllowed(Ip("127.0.0.1")));
  EXPECT_TRUE(policy.IsAllowed(Ip("127.1.2.3")));
  EXPECT_TRUE(policy.IsAllowed(Ip("::1")));
  EXPECT_TRUE(policy.IsAllowed(Ip("::ffff:127.0.0.1")));  // matched by its IPv4 form
  EXPECT_FALSE(policy.IsAllowed(Ip("10.0.0.1")));
  EXPECT_FALSE(policy.IsAllowed(Ip("169.254.169.254")));
  EXPECT_FALSE(policy.IsAllowed(Ip("::ffff:10.0.0.1")));
  EXPECT_FALSE(policy.IsAllowed(Ip("fe80::1")));
}

TEST(AddressPolicyTest, ParsesCidrsStrictly) {
  EXPECT_TRUE(ParseCidrList("").ok());
  EXPECT_TRUE(ParseCidrList("")->empty());
  auto single = ParseCidr("10.1.2.3");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->prefix_length, 32);
  EXPECT_EQ(ParseCidr("fc00::/7")->ToString(), "fc00::/7");
  EXPECT_TRUE(ParseCidr("0.0.0.0/0")->Contains(Ip("8.8.8.8")));
  EXPECT_FALSE(ParseCidr("0.0.0.0/0")->Contains(Ip("::1")));
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.1/8", "banana", "10.0.0.0/",
                          "10.0.0.0/-1", "10.0.0.0/8,", "10.0.0.0/8,,::1", "/8"}) {
    auto parsed = ParseCidrList(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("CIDR"), absl::string_view::npos) << parsed.status();
  }
}

}  // namespace
}  // namespace apptrust::net
