#include "common/net/percent_encoding.h"

#include "gtest/gtest.h"

namespace apptrust::net {
namespace {

TEST(PercentEncodingTest, EncodesAllButUnreservedAndKept) {
  EXPECT_EQ(PercentEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(PercentEncode("urn:x y/z", ":"), "urn:x%20y%2Fz");
  EXPECT_EQ(PercentEncode("\xc3\xbc"), "%C3%BC");
}

TEST(PercentEncodingTest, EncodesOnlyNonAsciiForIris) {
  EXPECT_EQ(PercentEncodeNonAscii("https://b\xc3\xbc"
                                  "cher.de/a b"),
            "https://b%C3%BCcher.de/a b");
}

TEST(PercentEncodingTest, DecodesAndRoundTrips) {
  EXPECT_EQ(*PercentDecode("a%20b%2f%2F"), "a b//");
  EXPECT_EQ(*PercentDecode(PercentEncode("any \x01\xff text")), "any \x01\xff text");
  EXPECT_EQ(*PercentDecode("a+b"), "a+b");
  EXPECT_EQ(*PercentDecode("a+b%2B", PlusDecoding::kSpace), "a b+");
}

TEST(PercentEncodingTest, RefusesBrokenEscapesSayingWhere) {
  for (const char* bad : {"%", "%4", "ab%4", "%zz", "%4g"}) {
    const absl::StatusOr<std::string> decoded = PercentDecode(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find("percent-encoding at byte"), std::string::npos);
  }
}

}  // namespace
}  // namespace apptrust::net
