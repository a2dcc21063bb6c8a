#include "services/store/testing/grant_backend_conformance.h"

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "apptrust/v1/store.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "services/store/audit_sweeper.h"

namespace apptrust::store::testing {

using apptrust::v1::Grant;
using apptrust::v1::Suspension;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

Grant MakeGrant(const std::string& tenant, const std::string& grant_id, const std::string& client) {
  Grant grant;
  grant.set_tenant_id(tenant);
  grant.set_grant_id(grant_id);
  grant.set_client_id(client);
  grant.set_redirect_uri("https://app.example.com/callback");
  grant.set_persona(v1::PERSONA_PATIENT);
  grant.set_application_name("Example App");
  grant.mutable_identity()->set_domain("example.com");
  grant.mutable_identity()->set_organization_name("Example Inc");
  grant.mutable_fingerprint()->set_host("app.example.com");
  grant.mutable_fingerprint()->mutable_tls()->set_leaf_sha256("aa");
  return grant;
}

Suspension MakeSuspension(const std::string& id, absl::Time at) {
  Suspension suspension;
  suspension.set_suspension_id(id);
  suspension.set_error_uri(absl::StrCat("https://apptrust.example/errors/x/instances/", id));
  suspension.set_reason(v1::REASON_TLS_CERT_EXPIRED);
  *suspension.mutable_suspended_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(at));
  auto* finding = suspension.add_findings();
  finding->set_reason(v1::REASON_TLS_CERT_EXPIRED);
  finding->set_suspends(true);
  return suspension;
}

absl::Time At(int seconds) { return absl::FromUnixSeconds(1'800'000'000 + seconds); }

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return TimeUtil::TimestampToMicroseconds(ts);
}

std::vector<v1::AuditEntry> AllAuditEntries(GrantBackend& backend, const std::string& tenant,
                                            const std::string& grant_id) {
  AuditQuery query;
  query.tenant_id = tenant;
  query.grant_id = grant_id;
  query.limit = 1000;
  auto page = backend.ListAuditEntries(query, Deadline());
  EXPECT_TRUE(page.ok()) << page.status();
  if (!page.ok()) return {};
  EXPECT_FALSE(page->more);
  return page->entries;
}

void GrantBackendConformance::SetUp() {
  factory_ = GetParam()();
  auto backend = factory_->OpenFresh();
  ASSERT_TRUE(backend.ok()) << backend.status();
  backend_ = std::move(*backend);
}

namespace {

TEST_P(GrantBackendConformance, PutCreatesAnActiveGrantAtVersionOne) {
  Grant request = MakeGrant("t", "g");
  request.set_state(v1::GRANT_STATE_SUSPENDED);  // server-set: ignored
  request.set_version(42);
  request.mutable_suspension()->set_suspension_id("ignored");
  auto put = backend_->PutGrant(request, At(10), kAudit, Deadline());
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_UNSPECIFIED);
  EXPECT_EQ(put->grant.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(put->grant.version(), 1);
  EXPECT_FALSE(put->grant.has_suspension());
  EXPECT_EQ(Micros(put->grant.created_at()), absl::ToUnixMicros(At(10)));
  EXPECT_EQ(Micros(put->grant.updated_at()), absl::ToUnixMicros(At(10)));

  auto got = backend_->GetGrant("t", "g", Deadline());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), put->grant.SerializeAsString());
  EXPECT_EQ(got->identity().organization_name(), "Example Inc");
}

TEST_P(GrantBackendConformance, PutReplacesKeepingCreatedAtAndIncrementingVersion) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(10), kAudit, Deadline()).ok());
  Grant again = MakeGrant("t", "g");
  again.mutable_identity()->set_organization_name("New Name Ltd");
  auto put = backend_->PutGrant(again, At(20), kAudit, Deadline());
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(put->grant.version(), 2);
  EXPECT_EQ(Micros(put->grant.created_at()), absl::ToUnixMicros(At(10)));
  EXPECT_EQ(Micros(put->grant.updated_at()), absl::ToUnixMicros(At(20)));
  auto got = backend_->GetGrant("t", "g", Deadline());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->identity().organization_name(), "New Name Ltd");
  EXPECT_EQ(got->version(), 2);
}

TEST_P(GrantBackendConformance, PutOnASuspendedGrantReactivatesItAndKeepsTheOldSuspension) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(1)), At(1), kAudit, Deadline())
          .ok());
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(2), kAudit, Deadline());
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(put->grant.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(put->grant.version(), 3);
  auto got = backend_->GetGrant("t", "g", Deadline());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_FALSE(got->has_suspension());
  // The old error_uri still explains itself.
  EXPECT_TRUE(backend_->GetSuspension("s1", Deadline()).ok());
  // And the grant can be suspended again, at its new version.
  auto again =
      backend_->SuspendGrant("t", "g", 3, MakeSuspension("s2", At(3)), At(3), kAudit, Deadline());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->newly_suspended);
  EXPECT_EQ(again->grant.suspension().suspension_id(), "s2");
}

TEST_P(GrantBackendConformance, GetIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("tenant-a", "g"), At(0), kAudit, Deadline()).ok());
  EXPECT_EQ(backend_->GetGrant("tenant-b", "g", Deadline()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetGrant("tenant-a", "other", Deadline()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(backend_->GetGrant("tenant-a", "g", Deadline()).ok());
}

TEST_P(GrantBackendConformance, SameGrantIdInTwoTenantsAreTwoGrants) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g", "client-a"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("b", "g", "client-b"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("a", "g", 1, MakeSuspension("s", At(1)), At(1), kAudit, Deadline())
          .ok());
  auto b = backend_->GetGrant("b", "g", Deadline());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->client_id(), "client-b");
  EXPECT_EQ(b->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(b->version(), 1);
}

TEST_P(GrantBackendConformance, SuspendMovesAnActiveGrantAtTheExpectedVersion) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g", "client-7"), At(0), kAudit, Deadline()).ok());
  Suspension suspension = MakeSuspension("s1", At(5));
  auto result = backend_->SuspendGrant("t", "g", 1, suspension, At(6), kAudit, Deadline());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->newly_suspended);
  EXPECT_EQ(result->grant.state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(result->grant.version(), 2);
  EXPECT_EQ(Micros(result->grant.updated_at()), absl::ToUnixMicros(At(6)));
  const Suspension& stored = result->grant.suspension();
  EXPECT_EQ(stored.suspension_id(), "s1");
  EXPECT_EQ(stored.tenant_id(), "t");
  EXPECT_EQ(stored.grant_id(), "g");
  EXPECT_EQ(stored.client_id(), "client-7");
  EXPECT_EQ(stored.error_uri(), suspension.error_uri());
  EXPECT_EQ(Micros(stored.suspended_at()), absl::ToUnixMicros(At(5)));

  auto got = backend_->GetGrant("t", "g", Deadline());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->SerializeAsString(), result->grant.SerializeAsString());
  auto by_id = backend_->GetSuspension("s1", Deadline());
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->SerializeAsString(), stored.SerializeAsString());
}

TEST_P(GrantBackendConformance, SuspendWithAStaleVersionIsAPreconditionFailure) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->PutGrant(MakeGrant("t", "g"), At(1), kAudit, Deadline()).ok());  // version 2
  auto result =
      backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(2)), At(2), kAudit, Deadline());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("version 2"));
  auto got = backend_->GetGrant("t", "g", Deadline());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(backend_->GetSuspension("s1", Deadline()).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(GrantBackendConformance, SuspendingASuspendedGrantReturnsTheExistingSuspension) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  auto first = backend_->SuspendGrant("t", "g", 1, MakeSuspension("first", At(1)), At(1), kAudit,
                                      Deadline());
  ASSERT_TRUE(first.ok());
  // A second replica read version 1 too, and proposes another suspension.
  auto second = backend_->SuspendGrant("t", "g", 1, MakeSuspension("second", At(2)), At(2), kAudit,
                                       Deadline());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->newly_suspended);
  EXPECT_EQ(second->grant.suspension().suspension_id(), "first");
  EXPECT_EQ(second->grant.suspension().error_uri(), first->grant.suspension().error_uri());
  EXPECT_EQ(second->grant.version(), 2);
  // Whatever version it names.
  auto third = backend_->SuspendGrant("t", "g", 7, MakeSuspension("third", At(3)), At(3), kAudit,
                                      Deadline());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->grant.suspension().suspension_id(), "first");
  EXPECT_EQ(backend_->GetSuspension("second", Deadline()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(GrantBackendConformance, SuspendIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g"), At(0), kAudit, Deadline()).ok());
  auto result =
      backend_->SuspendGrant("b", "g", 1, MakeSuspension("s", At(1)), At(1), kAudit, Deadline());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  auto got = backend_->GetGrant("a", "g", Deadline());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::GRANT_STATE_ACTIVE);
}

TEST_P(GrantBackendConformance, SuspensionIdInUseIsRefusedAndNothingChanges) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g1"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g2"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g1", 1, MakeSuspension("dup", At(1)), At(1), kAudit, Deadline())
          .ok());
  auto result =
      backend_->SuspendGrant("t", "g2", 1, MakeSuspension("dup", At(2)), At(2), kAudit, Deadline());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("suspension.suspension_id"));
  auto g2 = backend_->GetGrant("t", "g2", Deadline());
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(g2->version(), 1);
  auto dup = backend_->GetSuspension("dup", Deadline());
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->grant_id(), "g1");
}

TEST_P(GrantBackendConformance, SuspendUnknownGrantIsNotFound) {
  EXPECT_EQ(
      backend_->SuspendGrant("t", "nope", 1, MakeSuspension("s", At(0)), At(0), kAudit, Deadline())
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetSuspension("s", Deadline()).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(GrantBackendConformance, DeleteRemovesTheGrantAndItsSuspensions) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g", 1, MakeSuspension("s", At(1)), At(1), kAudit, Deadline())
          .ok());
  auto deleted = backend_->DeleteGrant("t", "g", At(0), kAudit, Deadline());
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->previous_state, v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(backend_->GetGrant("t", "g", Deadline()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->GetSuspension("s", Deadline()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(backend_->DeleteGrant("t", "g", At(0), kAudit, Deadline()).status().code(),
            absl::StatusCode::kNotFound);
  // A re-created grant starts over.
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(2), kAudit, Deadline());
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->grant.version(), 1);
  EXPECT_EQ(put->previous_state, v1::GRANT_STATE_UNSPECIFIED);
}

TEST_P(GrantBackendConformance, DeleteIsScopedByTenant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("a", "g"), At(0), kAudit, Deadline()).ok());
  EXPECT_EQ(backend_->DeleteGrant("b", "g", At(0), kAudit, Deadline()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(backend_->GetGrant("a", "g", Deadline()).ok());
}

TEST_P(GrantBackendConformance, ListIsOrderedByGrantIdPagedAndScoped) {
  for (const char* id : {"g3", "g1", "g5", "g2", "g4"}) {
    ASSERT_TRUE(backend_
                    ->PutGrant(MakeGrant("t", id, id == std::string("g2") ? "c2" : "c1"), At(0),
                               kAudit, Deadline())
                    .ok());
  }
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("other", "g0"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g4", 1, MakeSuspension("s4", At(1)), At(1), kAudit, Deadline())
          .ok());

  ListGrantsQuery query;
  query.tenant_id = "t";
  query.limit = 2;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto result = backend_->ListGrants(query, Deadline());
    ASSERT_TRUE(result.ok()) << result.status();
    for (const Grant& grant : result->grants) {
      seen.push_back(grant.grant_id());
      EXPECT_EQ(grant.tenant_id(), "t");
      if (grant.grant_id() == "g4") {
        EXPECT_EQ(grant.suspension().suspension_id(), "s4");
      }
    }
    if (!result->more) break;
    query.after_grant_id = result->grants.back().grant_id();
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("g1", "g2", "g3", "g4", "g5"));

  ListGrantsQuery by_client;
  by_client.tenant_id = "t";
  by_client.client_id = "c2";
  auto only = backend_->ListGrants(by_client, Deadline());
  ASSERT_TRUE(only.ok());
  ASSERT_EQ(only->grants.size(), 1u);
  EXPECT_EQ(only->grants[0].grant_id(), "g2");
  EXPECT_FALSE(only->more);

  ListGrantsQuery exact;
  exact.tenant_id = "t";
  exact.limit = 5;
  auto all = backend_->ListGrants(exact, Deadline());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->grants.size(), 5u);
  EXPECT_FALSE(all->more);
}

TEST_P(GrantBackendConformance, CountsGrantsByState) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(0), kAudit, Deadline()).ok());
  }
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g1", 1, MakeSuspension("s1", At(1)), At(1), kAudit, Deadline())
          .ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g2", 1, MakeSuspension("s2", At(1)), At(1), kAudit, Deadline())
          .ok());
  ASSERT_TRUE(backend_->DeleteGrant("t", "g3", At(0), kAudit, Deadline()).ok());
  auto counts = backend_->CountGrants(Deadline());
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->active, 2);
  EXPECT_EQ(counts->suspended, 2);
}

TEST_P(GrantBackendConformance, ConcurrentWritersAndReadersNeverFail) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::thread> threads;
  std::vector<std::string> errors[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrCat("g-", t, "-", i);
        auto put = backend_->PutGrant(MakeGrant("t", id), At(i), kAudit, Deadline());
        if (!put.ok()) errors[t].push_back(put.status().ToString());
        auto got =
            backend_->GetGrant("t", absl::StrCat("g-", (t + 1) % kThreads, "-", i), Deadline());
        if (!got.ok() && got.status().code() != absl::StatusCode::kNotFound) {
          errors[t].push_back(got.status().ToString());
        }
        if (i % 2 == 0) {
          auto suspended = backend_->SuspendGrant("t", id, 1, MakeSuspension(id + "-s", At(i)),
                                                  At(i), kAudit, Deadline());
          if (!suspended.ok()) errors[t].push_back(suspended.status().ToString());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_THAT(errors[t], ::testing::IsEmpty());
  auto counts = backend_->CountGrants(Deadline());
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->active + counts->suspended, kThreads * kPerThread);
  EXPECT_EQ(counts->suspended, kThreads * kPerThread / 2);
}

TEST_P(GrantBackendConformance, EveryStateChangeLeavesExactlyOneAuditEntry) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g", "client-7"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g", "client-7"), At(1), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g", 2, MakeSuspension("s1", At(2)), At(2), kAudit, Deadline())
          .ok());
  // No change, no entry: an idempotent suspend, a version conflict, unknown
  // grants.
  auto again =
      backend_->SuspendGrant("t", "g", 3, MakeSuspension("s2", At(3)), At(3), kAudit, Deadline());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->newly_suspended);
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "h"), At(3), kAudit, Deadline()).ok());
  EXPECT_EQ(
      backend_->SuspendGrant("t", "h", 7, MakeSuspension("s3", At(3)), At(3), kAudit, Deadline())
          .status()
          .code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(backend_->DeleteGrant("t", "missing", At(3), kAudit, Deadline()).status().code(),
            absl::StatusCode::kNotFound);
  const AuditContext operator_call{"spiffe://test/operator", ""};
  ASSERT_TRUE(backend_->DeleteGrant("t", "g", At(4), operator_call, Deadline()).ok());

  // Kept after the delete, in order, with what each change did.
  const std::vector<v1::AuditEntry> entries = AllAuditEntries(*backend_, "t", "g");
  ASSERT_EQ(entries.size(), 4u);
  const v1::AuditAction kActions[] = {v1::AUDIT_ACTION_ENROLLED, v1::AUDIT_ACTION_REAPPROVED,
                                      v1::AUDIT_ACTION_SUSPENDED, v1::AUDIT_ACTION_DELETED};
  const int64_t kBefore[] = {0, 1, 2, 3};
  const int64_t kAfter[] = {1, 2, 3, 0};
  const int kAt[] = {0, 1, 2, 4};
  for (size_t i = 0; i < entries.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(entries[i].action(), kActions[i]);
    EXPECT_EQ(entries[i].version_before(), kBefore[i]);
    EXPECT_EQ(entries[i].version_after(), kAfter[i]);
    EXPECT_EQ(entries[i].tenant_id(), "t");
    EXPECT_EQ(entries[i].grant_id(), "g");
    EXPECT_EQ(entries[i].client_id(), "client-7");
    EXPECT_EQ(Micros(entries[i].time()), absl::ToUnixMicros(At(kAt[i])));
    if (i > 0) {
      EXPECT_GT(entries[i].seq(), entries[i - 1].seq());
    }
  }
  EXPECT_EQ(entries[0].caller(), "spiffe://test/backend-test");
  EXPECT_EQ(entries[0].request_id(), "req-1");
  EXPECT_EQ(entries[0].state_before(), v1::GRANT_STATE_UNSPECIFIED);
  EXPECT_EQ(entries[0].state_after(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(entries[1].state_before(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(entries[2].state_after(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(entries[2].suspension_id(), "s1");
  EXPECT_EQ(entries[2].reason(), v1::REASON_TLS_CERT_EXPIRED);
  ASSERT_EQ(entries[2].findings_size(), 1);
  EXPECT_EQ(entries[2].findings(0).reason(), v1::REASON_TLS_CERT_EXPIRED);
  EXPECT_TRUE(entries[2].findings(0).suspends());
  EXPECT_EQ(entries[3].state_before(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(entries[3].state_after(), v1::GRANT_STATE_UNSPECIFIED);
  EXPECT_EQ(entries[3].suspension_id(), "s1");
  EXPECT_EQ(entries[3].caller(), "spiffe://test/operator");
  EXPECT_EQ(entries[3].request_id(), "");

  // The tenant's listing holds h's enrollment too; another tenant sees none.
  EXPECT_EQ(AllAuditEntries(*backend_, "t").size(), 5u);
  EXPECT_THAT(AllAuditEntries(*backend_, "other"), ::testing::IsEmpty());
}

TEST_P(GrantBackendConformance, ReapprovalSaysWhichSuspensionItEnded) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(1)), At(1), kAudit, Deadline())
          .ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(2), kAudit, Deadline()).ok());
  const std::vector<v1::AuditEntry> entries = AllAuditEntries(*backend_, "t", "g");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].action(), v1::AUDIT_ACTION_REAPPROVED);
  EXPECT_EQ(entries[2].state_before(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(entries[2].state_after(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(entries[2].suspension_id(), "s1");
  EXPECT_EQ(entries[2].findings_size(), 0);
}

TEST_P(GrantBackendConformance, PruningRemovesOnlyExpiredEntriesOldestFirstInBoundedBatches) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(i), kAudit, Deadline()).ok());
  }
  // Entries at 0..4 s; before 3 s: three are expired, removed two at a time.
  auto first = backend_->PruneAuditEntries(At(3), 2, Deadline());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 2);
  std::vector<v1::AuditEntry> left = AllAuditEntries(*backend_, "t");
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].grant_id(), "g2");
  auto second = backend_->PruneAuditEntries(At(3), 2, Deadline());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 1);
  EXPECT_EQ(AllAuditEntries(*backend_, "t").size(), 2u);
  // Grants are not the audit log's to remove.
  auto counts = backend_->CountGrants(Deadline());
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->active, 5);
  // A new entry never reuses a pruned seq.
  const int64_t last_seq = AllAuditEntries(*backend_, "t").back().seq();
  ASSERT_TRUE(backend_->PruneAuditEntries(At(100), 10, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "new"), At(101), kAudit, Deadline()).ok());
  EXPECT_GT(AllAuditEntries(*backend_, "t").back().seq(), last_seq);
}

TEST_P(GrantBackendConformance, TheSweeperRemovesEverythingPastRetentionBatchByBatch) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(
        backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(i), kAudit, Deadline()).ok());
  }
  AuditSweeperOptions options;
  options.retention = absl::Seconds(10);
  options.batch = 2;
  options.clock = [] { return At(15); };  // everything before 5 s has expired
  AuditSweeper sweeper(backend_.get(), options);
  auto removed = sweeper.SweepOnce();
  ASSERT_TRUE(removed.ok()) << removed.status();
  // Removed by this call or by the sweeper's own first pass meanwhile.
  const std::vector<v1::AuditEntry> left = AllAuditEntries(*backend_, "t");
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].grant_id(), "g5");
  EXPECT_EQ(left[1].grant_id(), "g6");
}

// --- BatchGetGrants ------------------------------------------------------------

TEST_P(GrantBackendConformance, GetGrantsAnswersEveryKeyInOrder) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "a"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "b"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "b", 1, MakeSuspension("sb", At(1)), At(1), kAudit, Deadline())
          .ok());
  auto got =
      backend_->GetGrants({{"t", "b"}, {"t", "missing"}, {"other", "a"}, {"t", "a"}}, Deadline());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 4u);
  ASSERT_TRUE((*got)[0].ok());
  EXPECT_EQ((*got)[0]->grant_id(), "b");
  EXPECT_EQ((*got)[0]->suspension().suspension_id(), "sb");
  EXPECT_EQ((*got)[1].status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*got)[2].status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((*got)[3].ok());
  EXPECT_EQ((*got)[3]->grant_id(), "a");
  EXPECT_FALSE((*got)[3]->has_suspension());
}

// --- Paging while grants are added ----------------------------------------------

TEST_P(GrantBackendConformance, PagingCoversEveryGrantOnceWhileGrantsAreAdded) {
  constexpr int kExisting = 60;
  for (int i = 0; i < kExisting; ++i) {
    ASSERT_TRUE(
        backend_->PutGrant(MakeGrant("t", absl::StrCat("g", 100 + i)), At(0), kAudit, Deadline())
            .ok());
  }
  std::atomic<bool> done{false};
  std::thread adder([&] {
    for (int i = 0; !done.load(); ++i) {
      // Before, among and after the existing ids.
      const std::string id = absl::StrCat(i % 3 == 0 ? "a" : i % 3 == 1 ? "g1" : "z", i);
      EXPECT_TRUE(backend_->PutGrant(MakeGrant("t", id), At(0), kAudit, Deadline()).ok());
    }
  });
  std::map<std::string, int> seen;
  ListGrantsQuery query;
  query.tenant_id = "t";
  query.limit = 7;
  while (true) {
    auto page = backend_->ListGrants(query, Deadline());
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Grant& grant : page->grants) ++seen[grant.grant_id()];
    if (!page->more) break;
    query.after_grant_id = page->grants.back().grant_id();
  }
  done = true;
  adder.join();
  for (int i = 0; i < kExisting; ++i) {
    EXPECT_EQ(seen[absl::StrCat("g", 100 + i)], 1) << "g" << 100 + i;
  }
  for (const auto& [id, times] : seen) EXPECT_EQ(times, 1) << id;
}

// --- Two replicas on one database -----------------------------------------------

TEST_P(GrantBackendConformance, TwoReplicasRacingToSuspendAgreeOnOneSuspension) {
  auto other = factory_->OpenAgain();
  ASSERT_TRUE(other.ok()) << other.status();
  GrantBackend* replicas[2] = {backend_.get(), other->get()};
  constexpr int kGrants = 20;
  for (int g = 0; g < kGrants; ++g) {
    const std::string id = absl::StrCat("g", g);
    ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", id), At(0), kAudit, Deadline()).ok());
    absl::StatusOr<SuspendGrantResult> results[2];
    std::thread racers[2];
    for (int r = 0; r < 2; ++r) {
      racers[r] = std::thread([&, r] {
        results[r] = replicas[r]->SuspendGrant("t", id, 1,
                                               MakeSuspension(absl::StrCat(id, "-by-", r), At(1)),
                                               At(1), kAudit, Deadline());
      });
    }
    for (auto& racer : racers) racer.join();
    ASSERT_TRUE(results[0].ok()) << results[0].status();
    ASSERT_TRUE(results[1].ok()) << results[1].status();
    // One wins; both answer with its suspension.
    EXPECT_NE(results[0]->newly_suspended, results[1]->newly_suspended) << id;
    const std::string winner = results[0]->grant.suspension().suspension_id();
    EXPECT_EQ(results[1]->grant.suspension().suspension_id(), winner) << id;
    EXPECT_EQ(results[0]->grant.version(), 2);
    EXPECT_EQ(results[1]->grant.version(), 2);
    const std::string loser = winner == id + "-by-0" ? id + "-by-1" : id + "-by-0";
    EXPECT_EQ(backend_->GetSuspension(loser, Deadline()).status().code(),
              absl::StatusCode::kNotFound);
    const std::vector<v1::AuditEntry> entries = AllAuditEntries(*backend_, "t", id);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[1].suspension_id(), winner);
  }
}

TEST_P(GrantBackendConformance, ConcurrentPutsOfOneNewGrantEachTakeTheirOwnVersion) {
  auto other = factory_->OpenAgain();
  ASSERT_TRUE(other.ok()) << other.status();
  GrantBackend* replicas[2] = {backend_.get(), other->get()};
  constexpr int kWriters = 8;
  std::vector<absl::StatusOr<PutGrantResult>> results(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      results[w] = replicas[w % 2]->PutGrant(MakeGrant("t", "g"), At(w), kAudit, Deadline());
    });
  }
  for (auto& writer : writers) writer.join();
  std::set<int64_t> versions;
  int created = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    versions.insert(result->grant.version());
    if (result->previous_state == v1::GRANT_STATE_UNSPECIFIED) ++created;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(versions.size(), static_cast<size_t>(kWriters));
  EXPECT_EQ(*versions.begin(), 1);
  EXPECT_EQ(*versions.rbegin(), kWriters);
  const std::vector<v1::AuditEntry> entries = AllAuditEntries(*backend_, "t", "g");
  ASSERT_EQ(entries.size(), static_cast<size_t>(kWriters));
  EXPECT_EQ(entries[0].action(), v1::AUDIT_ACTION_ENROLLED);
  for (int i = 1; i < kWriters; ++i) EXPECT_EQ(entries[i].action(), v1::AUDIT_ACTION_REAPPROVED);
}

TEST_P(GrantBackendConformance, AWriteThroughOneReplicaIsReadByTheOther) {
  auto other = factory_->OpenAgain();
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g", 1, MakeSuspension("s", At(1)), At(1), kAudit, Deadline())
          .ok());
  auto seen = (*other)->GetGrant("t", "g", Deadline());
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(seen->suspension().suspension_id(), "s");
  EXPECT_TRUE((*other)->CheckReachable(Deadline()).ok());
}

// --- The change log (WatchGrants) ---

// Every change from the start, failing the test on an error.
std::vector<v1::GrantChange> AllChanges(GrantBackend& backend, int64_t after = 0) {
  auto page = backend.ReadChanges(after, 1000, Deadline());
  EXPECT_TRUE(page.ok()) << page.status();
  if (!page.ok()) return {};
  EXPECT_FALSE(page->more);
  return page->changes;
}

TEST_P(GrantBackendConformance, EveryStateChangeAppendsAChangeAtItsRevision) {
  auto first = backend_->PutGrant(MakeGrant("t", "g1"), At(0), kAudit, Deadline());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = backend_->PutGrant(MakeGrant("t", "g2"), At(1), kAudit, Deadline());
  ASSERT_TRUE(second.ok()) << second.status();
  auto suspended =
      backend_->SuspendGrant("t", "g1", 1, MakeSuspension("s1", At(2)), At(2), kAudit, Deadline());
  ASSERT_TRUE(suspended.ok()) << suspended.status();
  auto deleted = backend_->DeleteGrant("t", "g2", At(3), kAudit, Deadline());
  ASSERT_TRUE(deleted.ok()) << deleted.status();

  EXPECT_GT(first->grant.revision(), 0);
  EXPECT_GT(second->grant.revision(), first->grant.revision());
  EXPECT_GT(suspended->grant.revision(), second->grant.revision());
  EXPECT_GT(deleted->revision, suspended->grant.revision());

  const std::vector<v1::GrantChange> changes = AllChanges(*backend_);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].revision(), first->grant.revision());
  EXPECT_EQ(changes[0].grant().SerializeAsString(), first->grant.SerializeAsString());
  EXPECT_EQ(changes[1].grant().grant_id(), "g2");
  EXPECT_EQ(changes[2].revision(), suspended->grant.revision());
  EXPECT_EQ(changes[2].grant().state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(changes[2].grant().suspension().suspension_id(), "s1");
  EXPECT_EQ(changes[3].revision(), deleted->revision);
  EXPECT_TRUE(changes[3].deleted());
  EXPECT_FALSE(changes[3].has_grant());
  EXPECT_EQ(changes[3].tenant_id(), "t");
  EXPECT_EQ(changes[3].grant_id(), "g2");
  EXPECT_EQ(Micros(changes[3].time()), absl::ToUnixMicros(At(3)));

  // The grant as read carries the revision of its last change.
  auto got = backend_->GetGrant("t", "g1", Deadline());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->revision(), suspended->grant.revision());
  auto state = backend_->GetChangeLogState(Deadline());
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_GE(state->revision, deleted->revision);
}

TEST_P(GrantBackendConformance, WritesThatChangeNothingAppendNoChange) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  auto suspended =
      backend_->SuspendGrant("t", "g", 1, MakeSuspension("s1", At(1)), At(1), kAudit, Deadline());
  ASSERT_TRUE(suspended.ok());
  // Already suspended: the earlier suspension (and its revision) stands.
  auto again =
      backend_->SuspendGrant("t", "g", 1, MakeSuspension("s2", At(2)), At(2), kAudit, Deadline());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->grant.revision(), suspended->grant.revision());
  EXPECT_FALSE(backend_->DeleteGrant("t", "missing", At(3), kAudit, Deadline()).ok());
  EXPECT_EQ(AllChanges(*backend_).size(), 2u);
}

TEST_P(GrantBackendConformance, ReadChangesPagesAndResumesAfterARevision) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(i), kAudit, Deadline()).ok());
  }
  auto page = backend_->ReadChanges(0, 2, Deadline());
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->changes.size(), 2u);
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->revision, page->changes[1].revision());
  const std::vector<v1::GrantChange> rest = AllChanges(*backend_, page->revision);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].grant().grant_id(), "g2");
  EXPECT_EQ(rest[2].grant().grant_id(), "g4");
  auto last = backend_->ReadChanges(rest[2].revision(), 10, Deadline());
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->changes.empty());
  EXPECT_FALSE(last->more);
  EXPECT_EQ(last->revision, rest[2].revision());
}

TEST_P(GrantBackendConformance, ReadChangesRefusesARevisionThisDatabaseNeverReached) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  auto page = backend_->ReadChanges(1000, 10, Deadline());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kOutOfRange) << page.status();
  EXPECT_THAT(page.status().message(), HasSubstr("ahead of this database"));
}

TEST_P(GrantBackendConformance, PruneChangesKeepsTheNewestAndRefusesResumingBeforeThem) {
  std::vector<int64_t> revisions;
  for (int i = 0; i < 5; ++i) {
    auto put = backend_->PutGrant(MakeGrant("t", absl::StrCat("g", i)), At(i), kAudit, Deadline());
    ASSERT_TRUE(put.ok());
    revisions.push_back(put->grant.revision());
  }
  // Bounded: one per call.
  auto removed = backend_->PruneChanges(absl::InfinitePast(), 2, 1, Deadline());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1);
  removed = backend_->PruneChanges(absl::InfinitePast(), 2, 100, Deadline());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  auto state = backend_->GetChangeLogState(Deadline());
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->oldest_resumable, revisions[2]);

  auto refused = backend_->ReadChanges(revisions[1], 10, Deadline());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kOutOfRange) << refused.status();
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("oldest revision to resume from is ", revisions[2])));
  const std::vector<v1::GrantChange> kept = AllChanges(*backend_, revisions[2]);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].revision(), revisions[3]);

  // By age: everything written before At(4).
  removed = backend_->PruneChanges(At(4), 100, 100, Deadline());
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(AllChanges(*backend_, revisions[3]).size(), 1u);
  // Nothing more to remove.
  removed = backend_->PruneChanges(At(4), 100, 100, Deadline());
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0);
}

TEST_P(GrantBackendConformance, TwoReplicasShareOneChangeLogAndStoreId) {
  auto other = factory_->OpenAgain();
  ASSERT_TRUE(other.ok()) << other.status();
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline());
  ASSERT_TRUE(put.ok());
  auto deleted = (*other)->DeleteGrant("t", "g", At(1), kAudit, Deadline());
  ASSERT_TRUE(deleted.ok());
  for (GrantBackend* replica : {backend_.get(), other->get()}) {
    const std::vector<v1::GrantChange> changes = AllChanges(*replica);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].revision(), put->grant.revision());
    EXPECT_EQ(changes[1].revision(), deleted->revision);
  }
  auto mine = backend_->GetChangeLogState(Deadline());
  auto theirs = (*other)->GetChangeLogState(Deadline());
  ASSERT_TRUE(mine.ok() && theirs.ok());
  EXPECT_EQ(mine->store_id, theirs->store_id);
  EXPECT_EQ(mine->store_id.size(), 32u);

  auto fresh = factory_->OpenFresh();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  auto another = (*fresh)->GetChangeLogState(Deadline());
  ASSERT_TRUE(another.ok());
  EXPECT_NE(another->store_id, mine->store_id);
  EXPECT_EQ(another->revision, 0);
}

TEST_P(GrantBackendConformance, ConcurrentWritersLoseNoChange) {
  constexpr int kWriters = 4;
  constexpr int kEach = 10;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w] {
      for (int i = 0; i < kEach; ++i) {
        // Half on one shared grant: its changes must come out in version order.
        const std::string id = i % 2 == 0 ? "shared" : absl::StrCat("g", w, "-", i);
        EXPECT_TRUE(backend_->PutGrant(MakeGrant("t", id), At(i), kAudit, Deadline()).ok());
      }
    });
  }
  // Meanwhile a reader follows the log the way a watch does.
  std::vector<v1::GrantChange> followed;
  int64_t position = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (static_cast<int>(followed.size()) < kWriters * kEach && absl::Now() < give_up) {
    auto page = backend_->ReadChanges(position, 7, Deadline());
    ASSERT_TRUE(page.ok()) << page.status();
    for (auto& change : page->changes) followed.push_back(std::move(change));
    ASSERT_GE(page->revision, position);
    position = page->revision;
  }
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(followed.size(), static_cast<size_t>(kWriters * kEach));
  int64_t shared_version = 0;
  for (size_t i = 0; i < followed.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(followed[i].revision(), followed[i - 1].revision());
    }
    if (followed[i].grant_id() == "shared") {
      EXPECT_EQ(followed[i].grant().version(), shared_version + 1);
      shared_version = followed[i].grant().version();
    }
  }
  EXPECT_EQ(shared_version, kWriters * kEach / 2);
}

// The sweep: leases, active apps, results.

TEST_P(GrantBackendConformance, LeaseIsExclusiveRenewableAndTakenOverAfterExpiry) {
  auto first = backend_->AcquireLease("sweep", "a", absl::Seconds(10), At(0), Deadline());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->granted);
  EXPECT_EQ(first->holder, "a");
  EXPECT_EQ(first->expires_at, At(10));
  const int64_t epoch = first->epoch;
  EXPECT_GE(epoch, 1);

  auto refused = backend_->AcquireLease("sweep", "b", absl::Seconds(10), At(5), Deadline());
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->granted);
  EXPECT_EQ(refused->holder, "a");
  EXPECT_EQ(refused->expires_at, At(10));
  EXPECT_EQ(refused->epoch, epoch);

  auto renewed = backend_->AcquireLease("sweep", "a", absl::Seconds(10), At(8), Deadline());
  ASSERT_TRUE(renewed.ok());
  EXPECT_TRUE(renewed->granted);
  EXPECT_EQ(renewed->expires_at, At(18));
  EXPECT_EQ(renewed->epoch, epoch);

  // Another lease name is independent.
  auto other = backend_->AcquireLease("other", "b", absl::Seconds(10), At(8), Deadline());
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->granted);

  auto taken = backend_->AcquireLease("sweep", "b", absl::Seconds(10), At(18), Deadline());
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(taken->granted);
  EXPECT_EQ(taken->holder, "b");
  EXPECT_GT(taken->epoch, epoch);

  auto lost = backend_->AcquireLease("sweep", "a", absl::Seconds(10), At(19), Deadline());
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(lost->granted);
  EXPECT_EQ(lost->holder, "b");
}

TEST_P(GrantBackendConformance, ListActiveAppsGroupsActiveGrantsByClientWithTheLatestGrant) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t1", "g1", "c1"), At(1), kAudit, Deadline()).ok());
  Grant newer = MakeGrant("t1", "g2", "c1");
  newer.mutable_fingerprint()->set_host("newer.example.com");
  ASSERT_TRUE(backend_->PutGrant(newer, At(2), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t1", "g3", "c1"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t1", "g4", "c2"), At(1), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t2", "g1", "c1"), At(1), kAudit, Deadline()).ok());
  // A suspended grant is not at risk any more, and an app with only
  // suspended grants is not listed.
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t1", "g5", "c3"), At(1), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t1", "g5", 1, MakeSuspension("s1", At(2)), At(2), kAudit, Deadline())
          .ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t1", "g3", 1, MakeSuspension("s2", At(2)), At(2), kAudit, Deadline())
          .ok());

  std::vector<v1::ActiveApp> apps;
  ActiveAppsQuery query;
  query.limit = 1;
  for (int page = 0; page < 10; ++page) {
    auto got = backend_->ListActiveApps(query, Deadline());
    ASSERT_TRUE(got.ok()) << got.status();
    for (const auto& app : got->apps) apps.push_back(app);
    if (!got->more) break;
    query.after = {apps.back().tenant_id(), apps.back().client_id()};
  }
  ASSERT_EQ(apps.size(), 3u);
  EXPECT_EQ(apps[0].tenant_id(), "t1");
  EXPECT_EQ(apps[0].client_id(), "c1");
  EXPECT_EQ(apps[0].active_grants(), 2);
  EXPECT_EQ(apps[0].representative().grant_id(), "g2");
  EXPECT_EQ(apps[0].representative().fingerprint().host(), "newer.example.com");
  EXPECT_EQ(apps[1].client_id(), "c2");
  EXPECT_EQ(apps[1].active_grants(), 1);
  EXPECT_EQ(apps[2].tenant_id(), "t2");

  ActiveAppsQuery one_tenant;
  one_tenant.tenant_id = "t2";
  auto t2 = backend_->ListActiveApps(one_tenant, Deadline());
  ASSERT_TRUE(t2.ok());
  ASSERT_EQ(t2->apps.size(), 1u);
  EXPECT_EQ(t2->apps[0].representative().grant_id(), "g1");
  EXPECT_FALSE(t2->more);
}

v1::SweepResult MakeSweepResult(const std::string& tenant, const std::string& client,
                                v1::SweepStatus status) {
  v1::SweepResult result;
  result.set_tenant_id(tenant);
  result.set_client_id(client);
  result.set_host("app.example.com");
  result.set_status(status);
  result.set_active_grants(3);
  return result;
}

TEST_P(GrantBackendConformance, SweepResultsAreFencedByTheLeaseAndReplacedPerPass) {
  auto lease = backend_->AcquireLease("sweep", "a", absl::Seconds(60), At(0), Deadline());
  ASSERT_TRUE(lease.ok() && lease->granted);
  SweepWrite write;
  write.lease_name = "sweep";
  write.holder = "a";
  write.epoch = lease->epoch;
  write.pass_started_at = At(1);
  write.results = {MakeSweepResult("t1", "c1", v1::SWEEP_STATUS_WOULD_SUSPEND),
                   MakeSweepResult("t1", "c2", v1::SWEEP_STATUS_HEALTHY),
                   MakeSweepResult("t2", "c1", v1::SWEEP_STATUS_WILL_SUSPEND_SOON)};
  ASSERT_TRUE(backend_->PutSweepResults(write, At(2), Deadline()).ok());

  SweepResultsQuery all;
  auto listed = backend_->ListSweepResults(all, Deadline());
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->results.size(), 3u);
  EXPECT_EQ(listed->results[0].swept_by(), "a");
  EXPECT_EQ(Micros(listed->results[0].pass_started_at()), absl::ToUnixMicros(At(1)));

  SweepResultsQuery at_risk;
  at_risk.at_risk_only = true;
  auto risky = backend_->ListSweepResults(at_risk, Deadline());
  ASSERT_TRUE(risky.ok());
  ASSERT_EQ(risky->results.size(), 2u);
  EXPECT_EQ(risky->results[0].client_id(), "c1");
  EXPECT_EQ(risky->results[1].tenant_id(), "t2");

  SweepResultsQuery paged;
  paged.tenant_id = "t1";
  paged.limit = 1;
  auto first_page = backend_->ListSweepResults(paged, Deadline());
  ASSERT_TRUE(first_page.ok());
  ASSERT_EQ(first_page->results.size(), 1u);
  EXPECT_TRUE(first_page->more);
  paged.after = {"t1", "c1"};
  auto second_page = backend_->ListSweepResults(paged, Deadline());
  ASSERT_TRUE(second_page.ok());
  ASSERT_EQ(second_page->results.size(), 1u);
  EXPECT_EQ(second_page->results[0].client_id(), "c2");
  EXPECT_FALSE(second_page->more);

  // Another holder takes over after expiry: the old holder's writes fail.
  auto taken = backend_->AcquireLease("sweep", "b", absl::Seconds(60), At(61), Deadline());
  ASSERT_TRUE(taken.ok() && taken->granted);
  write.pass_started_at = At(62);
  auto stale = backend_->PutSweepResults(write, At(62), Deadline());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  write.holder = "b";
  auto wrong_epoch = backend_->PutSweepResults(write, At(62), Deadline());
  EXPECT_EQ(wrong_epoch.status().code(), absl::StatusCode::kFailedPrecondition);
  // An expired lease cannot write either.
  write.epoch = taken->epoch;
  auto expired = backend_->PutSweepResults(write, At(200), Deadline());
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kFailedPrecondition);

  // The new pass rewrites one app and completes: the others are removed.
  write.results = {MakeSweepResult("t1", "c1", v1::SWEEP_STATUS_HEALTHY)};
  write.pass_complete = true;
  auto removed = backend_->PutSweepResults(write, At(63), Deadline());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  auto after = backend_->ListSweepResults(all, Deadline());
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->results.size(), 1u);
  EXPECT_EQ(after->results[0].status(), v1::SWEEP_STATUS_HEALTHY);
  EXPECT_EQ(after->results[0].swept_by(), "b");
}

TEST_P(GrantBackendConformance, TwoReplicasContendingForOneLeaseGrantItOnce) {
  auto other = factory_->OpenAgain();
  ASSERT_TRUE(other.ok()) << other.status();
  std::atomic<int> granted{0};
  std::vector<std::thread> contenders;
  for (int i = 0; i < 4; ++i) {
    GrantBackend* replica = i % 2 == 0 ? backend_.get() : other->get();
    contenders.emplace_back([replica, i, &granted] {
      auto lease = replica->AcquireLease("sweep", absl::StrCat("holder-", i), absl::Seconds(30),
                                         At(0), Deadline());
      EXPECT_TRUE(lease.ok()) << lease.status();
      if (lease.ok() && lease->granted) ++granted;
    });
  }
  for (auto& contender : contenders) contender.join();
  EXPECT_EQ(granted.load(), 1);
}

}  // namespace
}  // namespace apptrust::store::testing
