// Time as the protos carry it (google.protobuf.Timestamp and Duration) and as
// the code computes with it (absl::Time and absl::Duration): one conversion,
// at full (nanosecond) precision, so no component truncates a time another
// compares. A Timestamp of zero means "not set" in proto3; IsUnset says so.
#ifndef APPTRUST_COMMON_TIME_PROTO_TIME_H_
#define APPTRUST_COMMON_TIME_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace apptrust::timeconv {

google::protobuf::Timestamp ToProto(absl::Time time);
absl::Time FromProto(const google::protobuf::Timestamp& time);

google::protobuf::Duration ToProto(absl::Duration duration);
absl::Duration FromProto(const google::protobuf::Duration& duration);

// True for the zero Timestamp (the field was never set).
bool IsUnset(const google::protobuf::Timestamp& time);

}  // namespace apptrust::timeconv

#endif  // APPTRUST_COMMON_TIME_PROTO_TIME_H_
