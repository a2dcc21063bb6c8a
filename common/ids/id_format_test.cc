#include "common/ids/id_format.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::ids {
namespace {

using ::testing::StartsWith;

TEST(ValidateIdTest, AcceptsPrintableAsciiUpTo256Bytes) {
  EXPECT_TRUE(ValidateId("f", "a").ok());
  EXPECT_TRUE(ValidateId("f", std::string(256, 'x')).ok());
  EXPECT_TRUE(ValidateId("f", "tenant:with spaces/and~symbols").ok());
}

TEST(ValidateIdTest, RefusesEmptyLongAndUnprintable) {
  for (const std::string& bad :
       {std::string(), std::string(257, 'x'), std::string("a\nb"), std::string("caf\xc3\xa9"),
        std::string("a\0b", 3), std::string("\x7f")}) {
    absl::Status status = ValidateId("grant.grant_id", bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), StartsWith("grant.grant_id: ")) << bad;
  }
  EXPECT_EQ(ValidateId("x", "").message(), "x: must not be empty");
  EXPECT_EQ(ValidateId("x", "a\x01").message(), "x: must be printable ASCII; byte 1 is 0x01");
}

TEST(ValidateSuspensionIdTest, AcceptsWhatAPathSegmentCarriesUnescaped) {
  EXPECT_TRUE(ValidateSuspensionId("f", "0123456789abcdef0123456789abcdef").ok());
  EXPECT_TRUE(ValidateSuspensionId("f", "sus_A-b.c~9").ok());
  EXPECT_TRUE(ValidateSuspensionId("f", std::string(128, 'x')).ok());
  EXPECT_TRUE(IsValidSuspensionId("sus_1"));
}

TEST(ValidateSuspensionIdTest, RefusesWhatThePageCouldNotServe) {
  for (const std::string& bad : {std::string(), std::string(129, 'x'), std::string("with space"),
                                 std::string("a/b"), std::string("a%2Fb"), std::string("a?b"),
                                 std::string("caf\xc3\xa9"), std::string("."), std::string("..")}) {
    const absl::Status status = ValidateSuspensionId("suspension.suspension_id", bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), StartsWith("suspension.suspension_id: ")) << bad;
    EXPECT_FALSE(IsValidSuspensionId(bad)) << bad;
  }
}

}  // namespace
}  // namespace apptrust::ids
