#include "common/time/proto_time.h"

#include "common/time/time_format.h"
#include "gtest/gtest.h"

namespace apptrust::timeconv {
namespace {

const absl::Time kTime =
    absl::FromUnixNanos(1795867200123456789);  // 2026-11-28T12:00:00.123456789Z

TEST(ProtoTimeTest, TimestampsRoundTripToTheNanosecond) {
  const google::protobuf::Timestamp ts = ToProto(kTime);
  EXPECT_EQ(ts.seconds(), 1795867200);
  EXPECT_EQ(ts.nanos(), 123456789);
  EXPECT_EQ(FromProto(ts), kTime);
  EXPECT_EQ(FromProto(ToProto(absl::UnixEpoch() - absl::Nanoseconds(1))),
            absl::UnixEpoch() - absl::Nanoseconds(1));
}

TEST(ProtoTimeTest, DurationsRoundTrip) {
  const absl::Duration d = absl::Hours(12) + absl::Nanoseconds(7);
  EXPECT_EQ(FromProto(ToProto(d)), d);
  EXPECT_EQ(FromProto(ToProto(-absl::Seconds(3))), -absl::Seconds(3));
}

TEST(ProtoTimeTest, ZeroIsUnset) {
  EXPECT_TRUE(IsUnset(google::protobuf::Timestamp()));
  EXPECT_FALSE(IsUnset(ToProto(kTime)));
}

TEST(TimeFormatTest, WritesUtc) {
  EXPECT_EQ(FormatRfc3339(kTime), "2026-11-28T12:00:00Z");
  EXPECT_EQ(FormatHumanDate(kTime), "28 November 2026");
  EXPECT_EQ(FormatHumanDate(absl::FromUnixSeconds(0)), "1 January 1970");
}

}  // namespace
}  // namespace apptrust::timeconv
