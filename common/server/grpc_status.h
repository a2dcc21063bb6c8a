// absl::Status <-> grpc::Status, in one place. The two share their code
// numbering (both follow google.rpc.Code, checked at compile time in the .cc),
// so the mapping keeps the code and the message as they are: an
// INVALID_ARGUMENT naming a field in the logic reaches the caller as that.
#ifndef APPTRUST_COMMON_SERVER_GRPC_STATUS_H_
#define APPTRUST_COMMON_SERVER_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace apptrust::server {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_GRPC_STATUS_H_
