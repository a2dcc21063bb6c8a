// Grants, suspensions and calls for the store's multi-process tests: what a
// decision service would send, and small wrappers that give each RPC a
// deadline so a hung store fails a test instead of hanging it.
#ifndef APPTRUST_TESTS_STORE_GRANT_FIXTURES_H_
#define APPTRUST_TESTS_STORE_GRANT_FIXTURES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "grpcpp/channel.h"

namespace apptrust::testing {

using StoreStub = apptrust::v1::FingerprintStore::Stub;

std::unique_ptr<StoreStub> NewStoreStub(const std::shared_ptr<grpc::Channel>& channel);

// A patient grant with a fingerprint and identity filled in.
apptrust::v1::Grant MakeGrant(const std::string& tenant_id, const std::string& grant_id,
                              const std::string& client_id = "client-1");

// A suspension as the decision service builds it; empty `suspension_id`
// leaves the choice to the store.
apptrust::v1::Suspension MakeSuspension(const std::string& suspension_id,
                                        const std::string& error_uri = "");

grpc::Status Put(StoreStub& stub, const apptrust::v1::Grant& grant, apptrust::v1::Grant* out);
grpc::Status Get(StoreStub& stub, const std::string& tenant_id, const std::string& grant_id,
                 apptrust::v1::Grant* out);
grpc::Status Suspend(StoreStub& stub, const std::string& tenant_id, const std::string& grant_id,
                     int64_t expected_version, const apptrust::v1::Suspension& suspension,
                     apptrust::v1::Grant* out);
grpc::Status GetSuspension(StoreStub& stub, const std::string& suspension_id,
                           const std::string& tenant_id, apptrust::v1::Suspension* out);
grpc::Status Delete(StoreStub& stub, const std::string& tenant_id, const std::string& grant_id);
// Delete, also returning the deletion's change-log revision (the
// "apptrust-revision" trailing metadata; 0 when absent).
grpc::Status Delete(StoreStub& stub, const std::string& tenant_id, const std::string& grant_id,
                    int64_t* revision);
grpc::Status List(StoreStub& stub, const apptrust::v1::ListGrantsRequest& request,
                  apptrust::v1::ListGrantsResponse* out);
grpc::Status BatchGet(StoreStub& stub, const apptrust::v1::BatchGetGrantsRequest& request,
                      apptrust::v1::BatchGetGrantsResponse* out);

grpc::Status ListAudit(StoreStub& stub, const apptrust::v1::ListAuditEntriesRequest& request,
                       apptrust::v1::ListAuditEntriesResponse* out);
// Every audit entry of the tenant (of one grant when `grant_id` is set),
// following page tokens; fails the calling test on an error.
std::vector<apptrust::v1::AuditEntry> AllAuditEntries(StoreStub& stub, const std::string& tenant_id,
                                                      const std::string& grant_id = "");

// "code: message", for assertion messages.
std::string Describe(const grpc::Status& status);

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_STORE_GRANT_FIXTURES_H_
