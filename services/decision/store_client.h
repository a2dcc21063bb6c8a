// The decision service's view of apptrust-store: the three calls a decision
// needs, asynchronous, with absl::Status errors. An interface so the decision
// logic is unit-tested with a fake; GrpcStoreClient (grpc_store_client.h) is
// the real one. This header pulls in no gRPC, so the Decider's does not either.
//
// Every call invokes `done` exactly once, on a gRPC thread or (fakes) the
// caller's; `done` must not block. Errors: NOT_FOUND for an unknown grant,
// FAILED_PRECONDITION for a version conflict, INVALID_ARGUMENT as the store
// says, UNAVAILABLE (with the store's address in the message) when the store
// cannot be reached, DEADLINE_EXCEEDED when `deadline` passes first.
#ifndef APPTRUST_SERVICES_DECISION_STORE_CLIENT_H_
#define APPTRUST_SERVICES_DECISION_STORE_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"

namespace apptrust::decision {

class StoreClient {
 public:
  using GrantCallback = std::function<void(absl::StatusOr<v1::Grant>)>;

  virtual ~StoreClient() = default;

  virtual void GetGrant(const std::string& tenant_id, const std::string& grant_id,
                        absl::Time deadline, GrantCallback done) = 0;
  // GetGrant for a caller that has seen the store at `min_revision`
  // (read-your-writes, CheckRefreshRequest.min_store_revision): a cache in
  // front of the store must not answer from a state older than that. The
  // store itself is always at least that new, hence the default.
  virtual void GetGrantNoOlderThan(const std::string& tenant_id, const std::string& grant_id,
                                   int64_t min_revision, absl::Time deadline, GrantCallback done) {
    (void)min_revision;
    GetGrant(tenant_id, grant_id, deadline, std::move(done));
  }
  // GetGrantNoOlderThan answering with an immutable shared grant, so a cache
  // hands out the grant it holds without copying it (a warm refresh's path).
  using SharedGrantCallback = std::function<void(absl::StatusOr<std::shared_ptr<const v1::Grant>>)>;
  virtual void GetSharedGrant(const std::string& tenant_id, const std::string& grant_id,
                              int64_t min_revision, absl::Time deadline, SharedGrantCallback done) {
    GetGrantNoOlderThan(tenant_id, grant_id, min_revision, deadline,
                        [done = std::move(done)](absl::StatusOr<v1::Grant> grant) {
                          if (!grant.ok()) return done(grant.status());
                          done(std::make_shared<const v1::Grant>(*std::move(grant)));
                        });
  }
  // Create or replace (re-approval): the store sets state ACTIVE and version.
  virtual void PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) = 0;
  // Suspends an ACTIVE grant at `expected_version`; on an already SUSPENDED
  // grant the store returns it with its existing suspension.
  virtual void SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                            int64_t expected_version, const v1::Suspension& suspension,
                            absl::Time deadline, GrantCallback done) = 0;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_STORE_CLIENT_H_
