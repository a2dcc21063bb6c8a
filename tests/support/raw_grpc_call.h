// A unary gRPC call with caller-chosen request bytes (grpc::GenericStub), for
// tests of what a service answers to a request that is not a valid message:
// the typed stubs cannot send one.
#ifndef APPTRUST_TESTS_SUPPORT_RAW_GRPC_CALL_H_
#define APPTRUST_TESTS_SUPPORT_RAW_GRPC_CALL_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace apptrust::testing {

// Sends `request_bytes` to `method` ("/apptrust.v1.FingerprintStore/PutGrant")
// and returns the call's status (response bytes are dropped).
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& request_bytes,
                          absl::Duration deadline = absl::Seconds(10));

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_RAW_GRPC_CALL_H_
