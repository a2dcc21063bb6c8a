// StoreService logic without a server or a database: what reaches the
// backend, how backend errors map to gRPC codes (UNAVAILABLE must stay
// UNAVAILABLE: the decision service never allows a refresh without the
// grant's state), and what the metrics record. The backend is a fake; the
// real one is exercised by sqlite_backend_test and tests/store/.
#include "services/store/store_service.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace apptrust::store {
namespace {

// Answers every call with `next_error` when set; records what it was given.
class FakeBackend : public GrantBackend {
 public:
  absl::StatusOr<PutGrantResult> PutGrant(const v1::Grant& grant, absl::Time now,
                                          const AuditContext& audit, absl::Time) override {
    last_audit = audit;
    if (!next_error.ok()) return next_error;
    PutGrantResult result;
    result.grant = grant;
    result.grant.set_state(v1::GRANT_STATE_ACTIVE);
    result.grant.set_version(1);
    return result;
  }
  absl::StatusOr<v1::Grant> GetGrant(absl::string_view, absl::string_view, absl::Time) override {
    if (!next_error.ok()) return next_error;
    return v1::Grant();
  }
  absl::StatusOr<std::vector<absl::StatusOr<v1::Grant>>> GetGrants(
      const std::vector<GrantKey>& keys, absl::Time) override {
    if (!next_error.ok()) return next_error;
    return std::vector<absl::StatusOr<v1::Grant>>(keys.size(), v1::Grant());
  }
  absl::StatusOr<SuspendGrantResult> SuspendGrant(absl::string_view, absl::string_view,
                                                  int64_t expected_version,
                                                  const v1::Suspension& suspension, absl::Time now,
                                                  const AuditContext& audit, absl::Time) override {
    last_audit = audit;
    if (!next_error.ok()) return next_error;
    last_suspension = suspension;
    last_now = now;
    SuspendGrantResult result;
    result.grant.set_state(v1::GRANT_STATE_SUSPENDED);
    result.grant.set_version(expected_version + 1);
    *result.grant.mutable_suspension() = suspension;
    result.newly_suspended = true;
    return result;
  }
  absl::StatusOr<v1::Suspension> GetSuspension(absl::string_view id, absl::Time) override {
    if (!next_error.ok()) return next_error;
    v1::Suspension suspension;
    suspension.set_suspension_id(std::string(id));
    suspension.set_tenant_id("owner");
    return suspension;
  }
  absl::StatusOr<DeleteGrantResult> DeleteGrant(absl::string_view, absl::string_view, absl::Time,
                                                const AuditContext& audit, absl::Time) override {
    last_audit = audit;
    if (!next_error.ok()) return next_error;
    DeleteGrantResult result;
    result.previous_state = v1::GRANT_STATE_ACTIVE;
    return result;
  }
  absl::StatusOr<GrantPage> ListGrants(const ListGrantsQuery& query, absl::Time) override {
    if (!next_error.ok()) return next_error;
    last_query = query;
    GrantPage page;
    for (int i = 0; i < query.limit; ++i) {
      page.grants.emplace_back();
      page.grants.back().set_grant_id(absl::StrCat("g", i));
    }
    page.more = true;
    return page;
  }
  absl::StatusOr<GrantCounts> CountGrants(absl::Time) override { return GrantCounts{3, 1}; }
  absl::StatusOr<AuditPage> ListAuditEntries(const AuditQuery& query, absl::Time) override {
    if (!next_error.ok()) return next_error;
    last_audit_query = query;
    AuditPage page;
    for (int i = 0; i < query.limit; ++i) {
      page.entries.emplace_back();
      page.entries.back().set_seq(query.after_seq + i + 1);
    }
    page.more = true;
    return page;
  }
  absl::StatusOr<int64_t> PruneAuditEntries(absl::Time, int, absl::Time) override { return 0; }
  absl::Status CheckReachable(absl::Time) override { return absl::OkStatus(); }

  absl::Status next_error;
  std::optional<v1::Suspension> last_suspension;
  absl::Time last_now;
  ListGrantsQuery last_query;
  AuditContext last_audit;
  AuditQuery last_audit_query;
};

double CounterValue(prometheus::Registry& registry, const std::string& method,
                    const std::string& code) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "apptrust_store_rpcs_total") continue;
    for (const auto& metric : family.metric) {
      std::string m, c;
      for (const auto& label : metric.label) {
        if (label.name == "method") m = label.value;
        if (label.name == "code") c = label.value;
      }
      if (m == method && c == code) return metric.counter.value;
    }
  }
  return 0;
}

double GaugeValue(prometheus::Registry& registry, const std::string& state) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "apptrust_grants") continue;
    for (const auto& metric : family.metric) {
      if (metric.label.size() == 1 && metric.label[0].value == state) return metric.gauge.value;
    }
  }
  return -1;
}

class StoreServiceTest : public ::testing::Test {
 protected:
  StoreServiceTest()
      : metrics_(registry_), service_(&metrics_, [] { return absl::FromUnixSeconds(1000); }) {}
  void SetUp() override { ASSERT_TRUE(service_.AttachBackend(&backend_).ok()); }

  prometheus::Registry registry_;
  StoreMetrics metrics_;
  StoreService service_;
  FakeBackend backend_;
};

TEST(StoreServiceDetachedTest, AnswersUnavailableUntilABackendIsAttached) {
  StoreService service(nullptr);
  v1::GetGrantRequest request;
  request.set_tenant_id("t");
  request.set_grant_id("g");
  v1::Grant response;
  const grpc::Status status = service.GetGrant(nullptr, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(StoreServiceTest, BackendErrorsKeepTheirMeaning) {
  v1::GetGrantRequest request;
  request.set_tenant_id("t");
  request.set_grant_id("g");
  v1::Grant response;
  const std::pair<absl::Status, grpc::StatusCode> cases[] = {
      {absl::UnavailableError("database busy"), grpc::StatusCode::UNAVAILABLE},
      {absl::NotFoundError("grant g not found"), grpc::StatusCode::NOT_FOUND},
      {absl::FailedPreconditionError("version"), grpc::StatusCode::FAILED_PRECONDITION},
      {absl::DataLossError("corrupt"), grpc::StatusCode::DATA_LOSS},
      // The store never means ALREADY_EXISTS; a leak of it is a bug.
      {absl::AlreadyExistsError("constraint"), grpc::StatusCode::INTERNAL},
  };
  for (const auto& [error, code] : cases) {
    backend_.next_error = error;
    const grpc::Status status = service_.GetGrant(nullptr, &request, &response);
    EXPECT_EQ(status.error_code(), code) << error;
    EXPECT_EQ(status.error_message(), error.message());
  }
  EXPECT_EQ(CounterValue(registry_, "GetGrant", "UNAVAILABLE"), 1);
  EXPECT_EQ(CounterValue(registry_, "GetGrant", "NOT_FOUND"), 1);
}

TEST_F(StoreServiceTest, ValidationFailsBeforeTheBackendIsAsked) {
  v1::PutGrantRequest request;
  request.mutable_grant()->set_grant_id("g");
  v1::Grant response;
  backend_.next_error = absl::InternalError("must not be reached");
  const grpc::Status status = service_.PutGrant(nullptr, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "grant.tenant_id: must not be empty");
  EXPECT_EQ(CounterValue(registry_, "PutGrant", "INVALID_ARGUMENT"), 1);
}

TEST_F(StoreServiceTest, SuspendFillsInIdAndTimeOnlyWhenMissing) {
  v1::SuspendGrantRequest request;
  request.set_tenant_id("t");
  request.set_grant_id("g");
  request.set_expected_version(4);
  v1::Grant response;
  ASSERT_TRUE(service_.SuspendGrant(nullptr, &request, &response).ok());
  ASSERT_TRUE(backend_.last_suspension.has_value());
  const std::string generated = backend_.last_suspension->suspension_id();
  EXPECT_EQ(generated.size(), 32u);
  EXPECT_EQ(backend_.last_suspension->suspended_at().seconds(), 1000);
  EXPECT_EQ(backend_.last_now, absl::FromUnixSeconds(1000));
  EXPECT_EQ(response.version(), 5);

  request.mutable_suspension()->set_suspension_id("chosen-by-caller");
  request.mutable_suspension()->mutable_suspended_at()->set_seconds(77);
  ASSERT_TRUE(service_.SuspendGrant(nullptr, &request, &response).ok());
  EXPECT_EQ(backend_.last_suspension->suspension_id(), "chosen-by-caller");
  EXPECT_EQ(backend_.last_suspension->suspended_at().seconds(), 77);

  ASSERT_TRUE(service_.SuspendGrant(nullptr, &request, &response).ok());
  v1::SuspendGrantRequest another = request;
  another.mutable_suspension()->clear_suspension_id();
  ASSERT_TRUE(service_.SuspendGrant(nullptr, &another, &response).ok());
  EXPECT_NE(backend_.last_suspension->suspension_id(), generated) << "ids must not repeat";
}

TEST_F(StoreServiceTest, GetSuspensionHidesOtherTenantsSuspensions) {
  v1::GetSuspensionRequest request;
  request.set_suspension_id("s1");
  v1::Suspension response;
  EXPECT_TRUE(service_.GetSuspension(nullptr, &request, &response).ok());
  request.set_tenant_id("owner");
  EXPECT_TRUE(service_.GetSuspension(nullptr, &request, &response).ok());
  request.set_tenant_id("intruder");
  EXPECT_EQ(service_.GetSuspension(nullptr, &request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(StoreServiceTest, ListPassesTheCappedPageSizeAndReturnsAToken) {
  v1::ListGrantsRequest request;
  request.set_tenant_id("t");
  request.set_client_id("c");
  request.set_page_size(5000);
  v1::ListGrantsResponse response;
  ASSERT_TRUE(service_.ListGrants(nullptr, &request, &response).ok());
  EXPECT_EQ(backend_.last_query.limit, 1000);
  EXPECT_EQ(backend_.last_query.client_id, "c");
  EXPECT_EQ(backend_.last_query.after_grant_id, "");
  ASSERT_FALSE(response.next_page_token().empty());

  request.set_page_token(response.next_page_token());
  request.set_page_size(0);
  ASSERT_TRUE(service_.ListGrants(nullptr, &request, &response).ok());
  EXPECT_EQ(backend_.last_query.limit, 100);
  EXPECT_EQ(backend_.last_query.after_grant_id, "g999");
}

TEST_F(StoreServiceTest, ListAuditEntriesPagesBySeqWithinItsQuery) {
  v1::ListAuditEntriesRequest request;
  request.set_tenant_id("t");
  request.set_grant_id("g");
  request.set_page_size(5000);
  v1::ListAuditEntriesResponse response;
  ASSERT_TRUE(service_.ListAuditEntries(nullptr, &request, &response).ok());
  EXPECT_EQ(backend_.last_audit_query.limit, 1000);
  EXPECT_EQ(backend_.last_audit_query.tenant_id, "t");
  EXPECT_EQ(backend_.last_audit_query.grant_id, "g");
  EXPECT_EQ(backend_.last_audit_query.after_seq, 0);
  ASSERT_FALSE(response.next_page_token().empty());

  request.set_page_token(response.next_page_token());
  request.set_page_size(0);
  ASSERT_TRUE(service_.ListAuditEntries(nullptr, &request, &response).ok());
  EXPECT_EQ(backend_.last_audit_query.limit, 100);
  EXPECT_EQ(backend_.last_audit_query.after_seq, 1000);

  // A token continues the query it came from: not another grant's, not a
  // ListGrants token.
  request.set_grant_id("other");
  grpc::Status status = service_.ListAuditEntries(nullptr, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("page_token: "));
  v1::ListGrantsRequest list;
  list.set_tenant_id("t");
  v1::ListGrantsResponse grants;
  ASSERT_TRUE(service_.ListGrants(nullptr, &list, &grants).ok());
  request.set_grant_id("g");
  request.set_page_token(grants.next_page_token());
  status = service_.ListAuditEntries(nullptr, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("page_token: "));
}

TEST_F(StoreServiceTest, ListAuditEntriesNamesTheBadField) {
  v1::ListAuditEntriesRequest request;
  v1::ListAuditEntriesResponse response;
  grpc::Status status = service_.ListAuditEntries(nullptr, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("tenant_id: "));
  request.set_tenant_id("t");
  request.set_grant_id(std::string("bad\x01id"));
  status = service_.ListAuditEntries(nullptr, &request, &response);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("grant_id: "));
  request.clear_grant_id();
  request.set_page_size(-1);
  status = service_.ListAuditEntries(nullptr, &request, &response);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("page_size: "));
}

TEST_F(StoreServiceTest, WritesReachTheBackendWithTheirCaller) {
  v1::DeleteGrantRequest remove;
  remove.set_tenant_id("t");
  remove.set_grant_id("g");
  google::protobuf::Empty empty;
  ASSERT_TRUE(service_.DeleteGrant(nullptr, &remove, &empty).ok());
  // No gRPC call (in-process): said so, never left empty.
  EXPECT_EQ(backend_.last_audit.caller, "in-process");
}

TEST_F(StoreServiceTest, GrantGaugesStartFromTheCountAndFollowWrites) {
  EXPECT_EQ(GaugeValue(registry_, "active"), 3);
  EXPECT_EQ(GaugeValue(registry_, "suspended"), 1);
  v1::SuspendGrantRequest suspend;
  suspend.set_tenant_id("t");
  suspend.set_grant_id("g");
  suspend.set_expected_version(1);
  v1::Grant grant;
  ASSERT_TRUE(service_.SuspendGrant(nullptr, &suspend, &grant).ok());
  EXPECT_EQ(GaugeValue(registry_, "active"), 2);
  EXPECT_EQ(GaugeValue(registry_, "suspended"), 2);
  v1::DeleteGrantRequest remove;
  remove.set_tenant_id("t");
  remove.set_grant_id("g");
  google::protobuf::Empty empty;
  ASSERT_TRUE(service_.DeleteGrant(nullptr, &remove, &empty).ok());  // fake: was ACTIVE
  EXPECT_EQ(GaugeValue(registry_, "active"), 1);
}

// A backend whose GetGrant holds until released: a stalled database.
class StalledBackend : public FakeBackend {
 public:
  absl::StatusOr<v1::Grant> GetGrant(absl::string_view tenant_id, absl::string_view grant_id,
                                     absl::Time deadline) override {
    ++reads;
    release.WaitForNotificationWithTimeout(absl::Seconds(60));
    return FakeBackend::GetGrant(tenant_id, grant_id, deadline);
  }
  std::atomic<int> reads{0};
  absl::Notification release;
};

// Over real gRPC (the deadlines are the callers'): while one read is stuck in
// the database, one more may wait; the next is refused at once with
// RESOURCE_EXHAUSTED; the waiting one, whose caller gives up, is never run.
TEST(StoreServiceReadGateTest, AStalledStoreQueuesBoundedAndRunsNoReadNobodyWaitsFor) {
  StalledBackend backend;
  StoreLimits limits;
  limits.reads = {.max_running = 1, .max_waiting = 1};
  StoreService service(nullptr, absl::Now, limits);
  ASSERT_TRUE(service.AttachBackend(&backend).ok());
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::FingerprintStore::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto get = [&](absl::Duration deadline) {
    v1::GetGrantRequest request;
    request.set_tenant_id("t");
    request.set_grant_id("g");
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    v1::Grant grant;
    return stub->GetGrant(&context, request, &grant).error_code();
  };

  std::thread stuck([&] { EXPECT_EQ(get(absl::Seconds(60)), grpc::StatusCode::OK); });
  while (backend.reads.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  grpc::StatusCode waiting_code = grpc::StatusCode::OK;
  // Its deadline (1 s) comes before the gate's own bound on a wait (2 s).
  std::thread waiting([&] { waiting_code = get(absl::Seconds(1)); });
  while (service.read_gate().waiting() == 0) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(get(absl::Seconds(60)), grpc::StatusCode::RESOURCE_EXHAUSTED);
  waiting.join();  // gave up: its deadline passed while it waited
  EXPECT_EQ(waiting_code, grpc::StatusCode::DEADLINE_EXCEEDED);
  // The store sees the same deadline (from its own clock) and stops waiting.
  for (const absl::Time until = absl::Now() + absl::Seconds(30);
       service.read_gate().waiting() > 0 && absl::Now() < until;) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(service.read_gate().waiting(), 0);
  backend.release.Notify();
  stuck.join();
  EXPECT_EQ(get(absl::Seconds(60)), grpc::StatusCode::OK);
  // The stuck read and the last one: the one whose caller gave up never ran.
  EXPECT_EQ(backend.reads.load(), 2);
  server->Shutdown();
}

}  // namespace
}  // namespace apptrust::store
