// The conformance suite of GrantBackend: one set of test cases that every
// backend runs (the semantics of grant_backend.h), the way SpiceDB's
// datastore tests keep every engine honest. A backend's test instantiates it
// with a factory for its own databases:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, GrantBackendConformance,
//                            ::testing::Values(&MakeSqliteFactory));
//
// Besides the single-backend cases it runs "two replicas": two backends
// opened on one database, racing.
#ifndef APPTRUST_SERVICES_STORE_TESTING_GRANT_BACKEND_CONFORMANCE_H_
#define APPTRUST_SERVICES_STORE_TESTING_GRANT_BACKEND_CONFORMANCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "gtest/gtest.h"
#include "services/store/grant_backend.h"

namespace apptrust::store::testing {

// Makes the databases of one test.
class BackendFactory {
 public:
  virtual ~BackendFactory() = default;
  // A backend on a new, empty database.
  virtual absl::StatusOr<std::unique_ptr<GrantBackend>> OpenFresh() = 0;
  // Another backend on the database of the last OpenFresh(): a second store
  // replica.
  virtual absl::StatusOr<std::unique_ptr<GrantBackend>> OpenAgain() = 0;
};

using BackendFactoryMaker = std::unique_ptr<BackendFactory> (*)();

class GrantBackendConformance : public ::testing::TestWithParam<BackendFactoryMaker> {
 protected:
  void SetUp() override;

  std::unique_ptr<BackendFactory> factory_;
  std::unique_ptr<GrantBackend> backend_;
};

// The deadline the tests give each call: generous, but a hung database fails
// the test instead of hanging it.
absl::Time Deadline();

// Test data shared by the backends' tests.
apptrust::v1::Grant MakeGrant(const std::string& tenant, const std::string& grant_id,
                              const std::string& client = "client-1");
apptrust::v1::Suspension MakeSuspension(const std::string& id, absl::Time at);
// A fixed instant plus `seconds`.
absl::Time At(int seconds);
int64_t Micros(const google::protobuf::Timestamp& ts);
// Who the tests' writes are audited as.
inline const AuditContext kAudit{"spiffe://test/backend-test", "req-1"};

// Every audit entry of the tenant (of one grant when given), failing the
// test on an error.
std::vector<apptrust::v1::AuditEntry> AllAuditEntries(GrantBackend& backend,
                                                      const std::string& tenant,
                                                      const std::string& grant_id = "");

}  // namespace apptrust::store::testing

#endif  // APPTRUST_SERVICES_STORE_TESTING_GRANT_BACKEND_CONFORMANCE_H_
