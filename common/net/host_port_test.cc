#include "common/net/host_port.h"

#include "gtest/gtest.h"

namespace apptrust::net {
namespace {

TEST(HostPortTest, ParsesNamesV4AndBracketedV6) {
  auto a = ParseHostPort("127.0.0.1:50051");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 50051);
  auto b = ParseHostPort("[::1]:0");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->ToString(), "[::1]:0");
  auto c = ParseHostPort(":9101");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ToString(), "127.0.0.1:9101");
}

TEST(HostPortTest, RejectsMalformedValuesWithAReason) {
  for (const char* bad : {"", "localhost", "host:", "host:http", "host:70000", "::1:80",
                          "[::1]80", "ho st:1", "host:-1"}) {
    auto parsed = ParseHostPort(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ParseHostPort("127.0.0.1:0", /*allow_ephemeral=*/false).ok());
}

}  // namespace
}  // namespace apptrust::net
