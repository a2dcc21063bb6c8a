// The explanation page's SuspensionLookup backed by apptrust-store:
// FingerprintStore.GetSuspension over a gRPC channel, with a short deadline so
// a slow store costs a worker thread a bounded time (and the patient a 503,
// not a hang).
#ifndef APPTRUST_SERVICES_DECISION_WEB_STORE_SUSPENSION_LOOKUP_H_
#define APPTRUST_SERVICES_DECISION_WEB_STORE_SUSPENSION_LOOKUP_H_

#include <memory>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "services/decision/web/explanation_server.h"

namespace apptrust::web {

// gRPC status codes map one to one onto absl ones (NOT_FOUND → 404 page,
// UNAVAILABLE / DEADLINE_EXCEEDED → 503 page). The tenant of the URL scopes
// the lookup when present.
SuspensionLookup MakeStoreSuspensionLookup(std::shared_ptr<grpc::Channel> channel,
                                           absl::Duration timeout = absl::Seconds(2));

}  // namespace apptrust::web

#endif  // APPTRUST_SERVICES_DECISION_WEB_STORE_SUSPENSION_LOOKUP_H_
