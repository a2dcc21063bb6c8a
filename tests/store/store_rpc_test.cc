// The real apptrust-store process over gRPC, on a real SQLite file and on a
// real PostgreSQL database (the same tests for both): every RPC's
// semantics, INVALID_ARGUMENT naming fields, tenant isolation, metrics, and
// start-up failures that name --db.
#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/store/grant_fixtures.h"
#include "tests/store/metrics_scrape.h"
#include "tests/store/store_backends.h"
#include "tests/support/raw_grpc_call.h"
#include "tests/support/services.h"

namespace apptrust::testing {
namespace {

using apptrust::v1::Grant;
using apptrust::v1::Suspension;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// One store per backend for the whole suite (SQLite file, PostgreSQL
// database); every test uses its own tenant ids, which is itself a check of
// tenant scoping.
class StoreRpcTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    store_ = SharedStore(GetParam());
    ASSERT_NE(store_, nullptr);
    stub_ = NewStoreStub(store_->channel);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tenant_ = absl::StrCat("tenant-", info->name());
    for (char& c : tenant_) {
      if (c == '/') c = '-';
    }
  }

  // Started on first use, stopped when the tests end.
  static RunningService* SharedStore(StoreBackend backend) {
    static TempDir* dir = new TempDir();
    static RunningService* stores[2] = {nullptr, nullptr};
    RunningService*& store = stores[static_cast<int>(backend)];
    if (store == nullptr) {
      const StoreDatabase database = NewStoreDatabase(backend, *dir);
      auto started = StartStore(database.db, database.flags);
      EXPECT_TRUE(started.ok()) << started.status();
      if (!started.ok()) return nullptr;
      store = KeepUntilTestsEnd(std::move(*started));
      EXPECT_TRUE(WaitServing(store->channel));
    }
    return store;
  }

  RunningService* store_ = nullptr;
  std::unique_ptr<StoreStub> stub_;
  std::string tenant_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreRpcTest,
                         ::testing::Values(StoreBackend::kSqlite, StoreBackend::kPostgres),
                         StoreBackendName);

TEST_P(StoreRpcTest, PutGrantCreatesAnActiveGrantAndSetsServerFields) {
  Grant request = MakeGrant(tenant_, "grant-1");
  request.set_state(v1::GRANT_STATE_SUSPENDED);
  request.set_version(99);
  *request.mutable_created_at() = TimeUtil::SecondsToTimestamp(1);
  request.mutable_suspension()->set_suspension_id("caller-made-this-up");
  Grant created;
  ASSERT_TRUE(Put(*stub_, request, &created).ok());
  EXPECT_EQ(created.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(created.version(), 1);
  EXPECT_FALSE(created.has_suspension());
  EXPECT_GT(created.created_at().seconds(), 1'700'000'000);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(created.created_at()),
            TimeUtil::TimestampToMicroseconds(created.updated_at()));
  EXPECT_EQ(created.identity().organization_name(), "Example Health Inc");

  Grant got;
  ASSERT_TRUE(Get(*stub_, tenant_, "grant-1", &got).ok());
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());
}

TEST_P(StoreRpcTest, PutGrantReplacesOnReapproval) {
  Grant first;
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g"), &first).ok());
  Grant changed = MakeGrant(tenant_, "g");
  changed.mutable_identity()->set_organization_name("Renamed Health LLC");
  changed.mutable_fingerprint()->mutable_tls()->set_leaf_sha256(std::string(64, 'b'));
  Grant second;
  const grpc::Status status = Put(*stub_, changed, &second);
  ASSERT_TRUE(status.ok()) << Describe(status);  // never ALREADY_EXISTS
  EXPECT_EQ(second.version(), 2);
  EXPECT_EQ(second.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(second.identity().organization_name(), "Renamed Health LLC");
  EXPECT_EQ(second.fingerprint().tls().leaf_sha256(), std::string(64, 'b'));
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(second.created_at()),
            TimeUtil::TimestampToMicroseconds(first.created_at()));
  EXPECT_GE(TimeUtil::TimestampToMicroseconds(second.updated_at()),
            TimeUtil::TimestampToMicroseconds(first.updated_at()));
}

TEST_P(StoreRpcTest, GetGrantOfAnUnknownGrantIsNotFound) {
  const grpc::Status status = Get(*stub_, tenant_, "never-put", nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
}

void AddRead(v1::BatchGetGrantsRequest& request, const std::string& tenant_id,
             const std::string& grant_id) {
  v1::GetGrantRequest* read = request.add_requests();
  read->set_tenant_id(tenant_id);
  read->set_grant_id(grant_id);
}

TEST_P(StoreRpcTest, BatchGetGrantsAnswersEachReadInOrderWithinItsTenant) {
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "b1", "client-b1"), nullptr).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "b2", "client-b2"), nullptr).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "b2", "client-b2"), nullptr).ok());  // version 2
  const std::string other = tenant_ + "-other";
  ASSERT_TRUE(Put(*stub_, MakeGrant(other, "b3", "client-other"), nullptr).ok());

  v1::BatchGetGrantsRequest request;
  AddRead(request, tenant_, "b2");
  AddRead(request, tenant_, "missing");
  AddRead(request, tenant_, "b1");
  AddRead(request, tenant_, "b3");  // another tenant's grant
  AddRead(request, other, "b3");
  v1::BatchGetGrantsResponse response;
  const grpc::Status status = BatchGet(*stub_, request, &response);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(response.results_size(), 5);
  EXPECT_EQ(response.results(0).code(), 0);
  EXPECT_EQ(response.results(0).grant().client_id(), "client-b2");
  EXPECT_EQ(response.results(0).grant().version(), 2);
  EXPECT_EQ(response.results(1).code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(response.results(1).message(), HasSubstr("missing"));
  EXPECT_FALSE(response.results(1).has_grant());
  EXPECT_EQ(response.results(2).grant().client_id(), "client-b1");
  EXPECT_EQ(response.results(3).code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(response.results(3).has_grant());
  EXPECT_EQ(response.results(4).grant().client_id(), "client-other");
}

TEST_P(StoreRpcTest, BatchGetGrantsRejectsAnEmptyOversizedOrMalformedBatch) {
  v1::BatchGetGrantsResponse response;
  grpc::Status status = BatchGet(*stub_, v1::BatchGetGrantsRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("requests"));

  v1::BatchGetGrantsRequest too_many;
  for (int i = 0; i < 1001; ++i) AddRead(too_many, tenant_, absl::StrCat("g", i));
  status = BatchGet(*stub_, too_many, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("1000"));

  v1::BatchGetGrantsRequest malformed;
  AddRead(malformed, tenant_, "fine");
  AddRead(malformed, tenant_, "fine-too");
  AddRead(malformed, "", "no-tenant");
  status = BatchGet(*stub_, malformed, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("requests[2].tenant_id"));
}

// One big grant named 1,000 times in one call drove the store to a 2 GiB
// peak (issue 13 item 6): a grant is named once per call.
TEST_P(StoreRpcTest, BatchGetGrantsRefusesAGrantNamedTwice) {
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "once", "client-once"), nullptr).ok());
  v1::BatchGetGrantsRequest request;
  AddRead(request, tenant_, "once");
  AddRead(request, tenant_ + "-other", "once");  // another tenant's key is another key
  for (int i = 0; i < 998; ++i) AddRead(request, tenant_, "once");
  v1::BatchGetGrantsResponse response;
  const grpc::Status status = BatchGet(*stub_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_THAT(status.error_message(), StartsWith("requests[2]: "));
  EXPECT_THAT(status.error_message(), HasSubstr("requests[0]"));
}

// A grant near the size limit: 200 KB of certificate names.
Grant BigGrant(const std::string& tenant_id, const std::string& grant_id) {
  Grant grant = MakeGrant(tenant_id, grant_id, "client-" + grant_id);
  v1::TlsFingerprint* tls = grant.mutable_fingerprint()->mutable_tls();
  for (int i = 0; i < 800; ++i) {
    tls->add_subject_alt_names(absl::StrCat(grant_id, "-", i, "-", std::string(240, 'n')));
  }
  return grant;
}

// What one call reads is bounded in bytes: a batch of big grants is answered
// in part (the first reads, in order), and the rest are there when asked
// again.
TEST_P(StoreRpcTest, BatchGetGrantsAnswersAtMostAboutAMebibyteAndTheRestOnTheNextCall) {
  constexpr int kGrants = 20;  // 4 MB in all
  for (int g = 0; g < kGrants; ++g) {
    const grpc::Status put = Put(*stub_, BigGrant(tenant_, absl::StrCat("big", g)), nullptr);
    ASSERT_TRUE(put.ok()) << Describe(put);
  }
  std::vector<std::string> got;
  for (int calls = 0; got.size() < kGrants && calls < kGrants; ++calls) {
    v1::BatchGetGrantsRequest request;
    for (size_t g = got.size(); g < kGrants; ++g) AddRead(request, tenant_, absl::StrCat("big", g));
    v1::BatchGetGrantsResponse response;
    const grpc::Status status = BatchGet(*stub_, request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    ASSERT_GE(response.results_size(), 1);
    EXPECT_LE(response.ByteSizeLong(), (1u << 20) + 256u * 1024);
    for (const v1::GetGrantResult& result : response.results()) {
      ASSERT_EQ(result.code(), 0) << result.message();
      got.push_back(result.grant().grant_id());
    }
    if (calls == 0) {
      EXPECT_LT(response.results_size(), kGrants);
    }
  }
  ASSERT_EQ(got.size(), static_cast<size_t>(kGrants));
  for (int g = 0; g < kGrants; ++g) EXPECT_EQ(got[static_cast<size_t>(g)], absl::StrCat("big", g));
}

// One grant's size must not be able to fail another's read: the store keeps
// none bigger than it can always answer.
TEST_P(StoreRpcTest, PutGrantRefusesAGrantOverTheSizeLimitNamingTheField) {
  Grant grant = MakeGrant(tenant_, "huge", "client-huge");
  v1::TlsFingerprint* tls = grant.mutable_fingerprint()->mutable_tls();
  for (int i = 0; i < 2000; ++i) tls->add_subject_alt_names(std::string(250, 'h'));
  const grpc::Status status = Put(*stub_, grant, nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_THAT(status.error_message(), StartsWith("grant.fingerprint: "));
  EXPECT_THAT(status.error_message(), HasSubstr("262144"));
  EXPECT_EQ(Get(*stub_, tenant_, "huge", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::Suspension suspension = MakeSuspension("");
  suspension.add_findings()->set_detail(std::string(200 * 1024, 'd'));
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g", "client-g"), nullptr).ok());
  const grpc::Status suspend = Suspend(*stub_, tenant_, "g", 1, suspension, nullptr);
  EXPECT_EQ(suspend.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(suspend);
  EXPECT_THAT(suspend.error_message(), StartsWith("suspension: "));
}

TEST_P(StoreRpcTest, SuspendGrantSuspendsAndReapprovalClearsIt) {
  Grant grant;
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g", "client-9"), &grant).ok());
  Grant suspended;
  const Suspension proposed = MakeSuspension("0123456789abcdef0123456789abcdef");
  grpc::Status status = Suspend(*stub_, tenant_, "g", grant.version(), proposed, &suspended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(suspended.state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(suspended.version(), grant.version() + 1);
  EXPECT_EQ(suspended.suspension().suspension_id(), proposed.suspension_id());
  EXPECT_EQ(suspended.suspension().error_uri(), proposed.error_uri());
  EXPECT_EQ(suspended.suspension().tenant_id(), tenant_);
  EXPECT_EQ(suspended.suspension().grant_id(), "g");
  EXPECT_EQ(suspended.suspension().client_id(), "client-9");
  EXPECT_TRUE(suspended.suspension().has_suspended_at()) << "defaults to now";
  ASSERT_EQ(suspended.suspension().findings_size(), 1);

  Grant read;
  ASSERT_TRUE(Get(*stub_, tenant_, "g", &read).ok());
  EXPECT_EQ(read.SerializeAsString(), suspended.SerializeAsString());

  Grant reapproved;
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g", "client-9"), &reapproved).ok());
  EXPECT_EQ(reapproved.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(reapproved.version(), suspended.version() + 1);
  EXPECT_FALSE(reapproved.has_suspension());
  // The old explanation page still works.
  EXPECT_TRUE(GetSuspension(*stub_, proposed.suspension_id(), tenant_, nullptr).ok());
}

TEST_P(StoreRpcTest, SuspendGrantAssignsARandomIdWhenNoneIsGiven) {
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const std::string grant_id = absl::StrCat("g", i);
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, grant_id), nullptr).ok());
    Grant suspended;
    ASSERT_TRUE(Suspend(*stub_, tenant_, grant_id, 1, MakeSuspension(""), &suspended).ok());
    const std::string& id = suspended.suspension().suspension_id();
    EXPECT_EQ(id.size(), 32u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
    Suspension fetched;
    ASSERT_TRUE(GetSuspension(*stub_, id, "", &fetched).ok());
    EXPECT_EQ(fetched.grant_id(), grant_id);
  }
  EXPECT_EQ(ids.size(), 3u);
}

TEST_P(StoreRpcTest, SuspendGrantOnASuspendedGrantReturnsTheExistingSuspension) {
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g"), nullptr).ok());
  Grant first;
  ASSERT_TRUE(Suspend(*stub_, tenant_, "g", 1, MakeSuspension("aaaa0001"), &first).ok());
  Grant second;
  const grpc::Status status = Suspend(*stub_, tenant_, "g", 1, MakeSuspension("bbbb0002"), &second);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(second.suspension().suspension_id(), "aaaa0001");
  EXPECT_EQ(GetSuspension(*stub_, "bbbb0002", "", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(StoreRpcTest, SuspendGrantWithAStaleVersionIsFailedPrecondition) {
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g"), nullptr).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g"), nullptr).ok());  // version 2
  const grpc::Status status = Suspend(*stub_, tenant_, "g", 1, MakeSuspension("cc01"), nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  Grant read;
  ASSERT_TRUE(Get(*stub_, tenant_, "g", &read).ok());
  EXPECT_EQ(read.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(read.version(), 2);
}

TEST_P(StoreRpcTest, SuspendGrantOfAnUnknownGrantIsNotFound) {
  EXPECT_EQ(Suspend(*stub_, tenant_, "nope", 1, MakeSuspension(""), nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(StoreRpcTest, GetSuspensionChecksTheTenantWhenGiven) {
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g"), nullptr).ok());
  ASSERT_TRUE(Suspend(*stub_, tenant_, "g", 1, MakeSuspension("dd01"), nullptr).ok());
  Suspension fetched;
  ASSERT_TRUE(GetSuspension(*stub_, "dd01", tenant_, &fetched).ok());
  EXPECT_EQ(fetched.tenant_id(), tenant_);
  EXPECT_EQ(GetSuspension(*stub_, "dd01", tenant_ + "-other", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetSuspension(*stub_, "unknown-id", "", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(StoreRpcTest, DeleteGrantRevokes) {
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g"), nullptr).ok());
  ASSERT_TRUE(Suspend(*stub_, tenant_, "g", 1, MakeSuspension("ee01"), nullptr).ok());
  grpc::Status status = Delete(*stub_, tenant_, "g");
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(Get(*stub_, tenant_, "g", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetSuspension(*stub_, "ee01", "", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Delete(*stub_, tenant_, "g").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(StoreRpcTest, ListGrantsPagesInGrantIdOrderWithAClientFilter) {
  constexpr int kGrants = 130;
  for (int i = kGrants - 1; i >= 0; --i) {
    char id[16];
    std::snprintf(id, sizeof(id), "g%04d", i);
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, id, i % 10 == 0 ? "rare" : "common"), nullptr).ok());
  }
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_ + "-other", "g0000"), nullptr).ok());

  // Default page size is 100.
  v1::ListGrantsRequest request;
  request.set_tenant_id(tenant_);
  v1::ListGrantsResponse page;
  ASSERT_TRUE(List(*stub_, request, &page).ok());
  ASSERT_EQ(page.grants_size(), 100);
  EXPECT_FALSE(page.next_page_token().empty());
  EXPECT_EQ(page.grants(0).grant_id(), "g0000");
  EXPECT_EQ(page.grants(99).grant_id(), "g0099");
  request.set_page_token(page.next_page_token());
  v1::ListGrantsResponse last;
  ASSERT_TRUE(List(*stub_, request, &last).ok());
  ASSERT_EQ(last.grants_size(), kGrants - 100);
  EXPECT_EQ(last.grants(0).grant_id(), "g0100");
  EXPECT_TRUE(last.next_page_token().empty());
  for (const Grant& grant : last.grants()) EXPECT_EQ(grant.tenant_id(), tenant_);

  // Client filter, small pages.
  v1::ListGrantsRequest filtered;
  filtered.set_tenant_id(tenant_);
  filtered.set_client_id("rare");
  filtered.set_page_size(4);
  std::vector<std::string> seen;
  for (int pages = 0; pages < 20; ++pages) {
    v1::ListGrantsResponse response;
    ASSERT_TRUE(List(*stub_, filtered, &response).ok());
    EXPECT_LE(response.grants_size(), 4);
    for (const Grant& grant : response.grants()) {
      EXPECT_EQ(grant.client_id(), "rare");
      seen.push_back(grant.grant_id());
    }
    if (response.next_page_token().empty()) break;
    filtered.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kGrants / 10));
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  // A page size above the cap is capped, not refused.
  v1::ListGrantsRequest big;
  big.set_tenant_id(tenant_);
  big.set_page_size(1'000'000);
  v1::ListGrantsResponse everything;
  ASSERT_TRUE(List(*stub_, big, &everything).ok());
  EXPECT_EQ(everything.grants_size(), kGrants);
}

TEST_P(StoreRpcTest, ListGrantsRefusesBadOrForeignPageTokens) {
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "a"), nullptr).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "b"), nullptr).ok());
  v1::ListGrantsRequest request;
  request.set_tenant_id(tenant_);
  request.set_page_size(1);
  v1::ListGrantsResponse page;
  ASSERT_TRUE(List(*stub_, request, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());

  for (const std::string& token :
       {std::string("not a token!"), std::string("Zm9v"), page.next_page_token() + "="}) {
    v1::ListGrantsRequest bad = request;
    bad.set_page_token(token);
    v1::ListGrantsResponse ignored;
    const grpc::Status status = List(*stub_, bad, &ignored);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << token;
    EXPECT_THAT(status.error_message(), StartsWith("page_token: ")) << token;
  }
  v1::ListGrantsRequest foreign = request;
  foreign.set_tenant_id(tenant_ + "-other");
  foreign.set_page_token(page.next_page_token());
  v1::ListGrantsResponse ignored;
  const grpc::Status status = List(*stub_, foreign, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("page_token: "));
}

TEST_P(StoreRpcTest, InvalidRequestsNameTheField) {
  struct Case {
    std::string what;
    std::function<grpc::Status()> call;
    std::string field;
  };
  const std::string long_id(257, 'x');
  std::vector<Case> cases = {
      {"put without tenant", [&] { return Put(*stub_, MakeGrant("", "g"), nullptr); },
       "grant.tenant_id: must not be empty"},
      {"put without grant id", [&] { return Put(*stub_, MakeGrant(tenant_, ""), nullptr); },
       "grant.grant_id: must not be empty"},
      {"put without client", [&] { return Put(*stub_, MakeGrant(tenant_, "g", ""), nullptr); },
       "grant.client_id: must not be empty"},
      {"put long id", [&] { return Put(*stub_, MakeGrant(tenant_, long_id), nullptr); },
       "grant.grant_id: "},
      {"put unprintable", [&] { return Put(*stub_, MakeGrant("t\n", "g"), nullptr); },
       "grant.tenant_id: "},
      {"put nothing",
       [&] {
         grpc::ClientContext context;
         v1::Grant out;
         return stub_->PutGrant(&context, v1::PutGrantRequest(), &out);
       },
       "grant: must be set"},
      {"get without grant", [&] { return Get(*stub_, tenant_, "", nullptr); },
       "grant_id: must not be empty"},
      {"get without tenant", [&] { return Get(*stub_, "", "g", nullptr); },
       "tenant_id: must not be empty"},
      {"suspend version 0",
       [&] { return Suspend(*stub_, tenant_, "g", 0, MakeSuspension(""), nullptr); },
       "expected_version: "},
      {"suspend long id",
       [&] { return Suspend(*stub_, tenant_, "g", 1, MakeSuspension(long_id), nullptr); },
       "suspension.suspension_id: "},
      {"suspend foreign tenant in suspension",
       [&] {
         Suspension suspension = MakeSuspension("");
         suspension.set_tenant_id("someone-else");
         return Suspend(*stub_, tenant_, "g", 1, suspension, nullptr);
       },
       "suspension.tenant_id: "},
      {"get suspension without id", [&] { return GetSuspension(*stub_, "", "", nullptr); },
       "suspension_id: must not be empty"},
      {"delete without tenant", [&] { return Delete(*stub_, "", "g"); },
       "tenant_id: must not be empty"},
      {"list without tenant",
       [&] {
         v1::ListGrantsResponse out;
         return List(*stub_, v1::ListGrantsRequest(), &out);
       },
       "tenant_id: must not be empty"},
      {"list negative page size",
       [&] {
         v1::ListGrantsRequest request;
         request.set_tenant_id(tenant_);
         request.set_page_size(-5);
         v1::ListGrantsResponse out;
         return List(*stub_, request, &out);
       },
       "page_size: "},
  };
  for (const Case& c : cases) {
    const grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.what;
    EXPECT_THAT(status.error_message(), StartsWith(c.field)) << c.what;
  }
}

// Issue 13 item 8: a grant whose redirect_uri does not parse used to be
// stored, and every later CheckRefresh of it answered INTERNAL.
TEST_P(StoreRpcTest, PutGrantRefusesARedirectUriThatDoesNotParse) {
  for (const std::string& uri : {std::string(), std::string("no scheme here"),
                                 std::string("https://user:pw@app.example.com/cb"),
                                 std::string("https://-bad-.example.com/cb")}) {
    Grant grant = MakeGrant(tenant_, "grant-bad-uri");
    grant.set_redirect_uri(uri);
    const grpc::Status status = Put(*stub_, grant, nullptr);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << uri;
    EXPECT_THAT(status.error_message(), StartsWith("grant.redirect_uri: ")) << uri;
  }
  EXPECT_EQ(Get(*stub_, tenant_, "grant-bad-uri", nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  Grant idn = MakeGrant(tenant_, "grant-idn-uri");
  idn.set_redirect_uri(
      "https://app.b\xc3\xbc"
      "cher-klinik.example/cb");
  Grant stored;
  ASSERT_TRUE(Put(*stub_, idn, &stored).ok());
  EXPECT_EQ(stored.redirect_uri(), idn.redirect_uri());  // kept as the app registered it
}

// Issue 13 item 8: the id becomes a path segment of the public error_uri; one
// the explanation page cannot serve must not be stored.
TEST_P(StoreRpcTest, SuspendGrantRefusesSuspensionIdsThePageCannotServe) {
  Grant created;
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "grant-1"), &created).ok());
  for (const std::string& id : {std::string("has space"), std::string("a/b"), std::string("a%2Fb"),
                                std::string(".."), std::string(129, 'x')}) {
    const grpc::Status status =
        Suspend(*stub_, tenant_, "grant-1", created.version(), MakeSuspension(id), nullptr);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << id;
    EXPECT_THAT(status.error_message(), StartsWith("suspension.suspension_id: ")) << id;
  }
  Grant got;
  ASSERT_TRUE(Get(*stub_, tenant_, "grant-1", &got).ok());
  EXPECT_EQ(got.state(), v1::GRANT_STATE_ACTIVE);
  Grant suspended;
  ASSERT_TRUE(Suspend(*stub_, tenant_, "grant-1", created.version(),
                      MakeSuspension("sus_Safe-id.1~x"), &suspended)
                  .ok());
  EXPECT_EQ(suspended.suspension().suspension_id(), "sus_Safe-id.1~x");
}

// Issue 13 item 8: bytes that are not a request message are the caller's
// error. gRPC parses them before the service runs and answered INTERNAL.
TEST_P(StoreRpcTest, UnparsableRequestBytesAreInvalidArgument) {
  v1::GetGrantRequest not_utf8;
  not_utf8.set_tenant_id("t");
  std::string not_utf8_bytes = not_utf8.SerializeAsString();
  not_utf8_bytes.back() = '\xff';
  for (const std::string& bytes :
       {std::string("\xff\xff\xff\xff\x0f garbage", 13), not_utf8_bytes}) {
    for (const char* method :
         {"/apptrust.v1.FingerprintStore/PutGrant", "/apptrust.v1.FingerprintStore/GetGrant",
          "/apptrust.v1.FingerprintStore/SuspendGrant",
          "/apptrust.v1.FingerprintStore/ListGrants"}) {
      const grpc::Status status = RawUnaryCall(store_->channel, method, bytes);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << method << ": " << Describe(status);
      EXPECT_THAT(status.error_message(), StartsWith("request: ")) << method;
    }
  }
  // The service's own answers are kept: an empty GetGrantRequest parses.
  const grpc::Status empty =
      RawUnaryCall(store_->channel, "/apptrust.v1.FingerprintStore/GetGrant", "");
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), StartsWith("tenant_id: "));
}

TEST_P(StoreRpcTest, TenantsCannotReachEachOthersGrants) {
  const std::string tenant_a = tenant_ + "-a";
  const std::string tenant_b = tenant_ + "-b";
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_a, "shared-id"), nullptr).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_a, "suspended-id"), nullptr).ok());
  ASSERT_TRUE(Suspend(*stub_, tenant_a, "suspended-id", 1, MakeSuspension("ff01"), nullptr).ok());

  EXPECT_EQ(Get(*stub_, tenant_b, "shared-id", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Suspend(*stub_, tenant_b, "shared-id", 1, MakeSuspension(""), nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Delete(*stub_, tenant_b, "shared-id").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetSuspension(*stub_, "ff01", tenant_b, nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListGrantsRequest list;
  list.set_tenant_id(tenant_b);
  v1::ListGrantsResponse listed;
  ASSERT_TRUE(List(*stub_, list, &listed).ok());
  EXPECT_EQ(listed.grants_size(), 0);

  // Tenant A's grants are untouched by all of that.
  Grant a;
  ASSERT_TRUE(Get(*stub_, tenant_a, "shared-id", &a).ok());
  EXPECT_EQ(a.state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(a.version(), 1);

  // The same grant id in tenant B is a different grant.
  Grant b;
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_b, "shared-id", "client-b"), &b).ok());
  EXPECT_EQ(b.version(), 1);
  ASSERT_TRUE(Get(*stub_, tenant_a, "shared-id", &a).ok());
  EXPECT_EQ(a.client_id(), "client-1");
  ASSERT_TRUE(Delete(*stub_, tenant_b, "shared-id").ok());
  EXPECT_TRUE(Get(*stub_, tenant_a, "shared-id", nullptr).ok());
}

TEST_P(StoreRpcTest, MetricsCountRpcsByMethodAndCodeWithLatencyBuckets) {
  auto before_text = ScrapeMetrics(store_->metrics_address);
  ASSERT_TRUE(before_text.ok()) << before_text.status();
  const std::string ok_put = R"(apptrust_store_rpcs_total{code="OK",method="PutGrant"})";
  const std::string not_found_get =
      R"(apptrust_store_rpcs_total{code="NOT_FOUND",method="GetGrant"})";
  const double puts_before = SeriesValue(*before_text, ok_put).value_or(0);
  const double misses_before = SeriesValue(*before_text, not_found_get).value_or(0);
  const double commits_before =
      SeriesValue(*before_text, "apptrust_store_commits_total").value_or(-1);
  const double writes_before =
      SeriesValue(*before_text, "apptrust_store_committed_writes_total").value_or(-1);

  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "m1"), nullptr).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "m2"), nullptr).ok());
  ASSERT_EQ(Get(*stub_, tenant_, "missing", nullptr).error_code(), grpc::StatusCode::NOT_FOUND);

  auto text = ScrapeMetrics(store_->metrics_address);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(SeriesValue(*text, ok_put).value_or(-1), puts_before + 2);
  EXPECT_EQ(SeriesValue(*text, not_found_get).value_or(-1), misses_before + 1);
  // Two sequential puts: two writes, each its own commit (nothing to share).
  EXPECT_EQ(SeriesValue(*text, "apptrust_store_committed_writes_total").value_or(-1),
            writes_before + 2);
  EXPECT_EQ(SeriesValue(*text, "apptrust_store_commits_total").value_or(-1), commits_before + 2);
  EXPECT_TRUE(
      SeriesValue(*text,
                  R"(apptrust_store_rpc_duration_seconds_bucket{method="PutGrant",le="0.0001"})")
          .has_value())
      << *text;
  EXPECT_GE(
      SeriesValue(*text, R"(apptrust_store_rpc_duration_seconds_bucket{method="PutGrant",le="10"})")
          .value_or(-1),
      puts_before + 2);
  EXPECT_TRUE(SeriesValue(*text, R"(apptrust_grants{state="active"})").has_value());
  EXPECT_TRUE(SeriesValue(*text, R"(apptrust_grants{state="suspended"})").has_value());
}

// --- Separate processes: start-up and restart ---------------------------------

TEST(StoreProcessTest, GrantGaugesAreRecountedOnRestart) {
  TempDir dir;
  const std::string db = dir.File("store.db");
  {
    auto store = StartStore(db);
    ASSERT_TRUE(store.ok()) << store.status();
    auto stub = NewStoreStub(store->channel);
    for (const char* id : {"a", "b", "c"})
      ASSERT_TRUE(Put(*stub, MakeGrant("t", id), nullptr).ok());
    ASSERT_TRUE(Suspend(*stub, "t", "b", 1, MakeSuspension(""), nullptr).ok());
    auto text = ScrapeMetrics(store->metrics_address);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(SeriesValue(*text, R"(apptrust_grants{state="active"})"), 2);
    EXPECT_EQ(SeriesValue(*text, R"(apptrust_grants{state="suspended"})"), 1);
    store->process->Signal(SIGTERM);
    auto code = store->process->Wait(absl::Seconds(15));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 0);
  }
  auto store = StartStore(db);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(WaitServing(store->channel));
  auto text = ScrapeMetrics(store->metrics_address);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(SeriesValue(*text, R"(apptrust_grants{state="active"})"), 2);
  EXPECT_EQ(SeriesValue(*text, R"(apptrust_grants{state="suspended"})"), 1);
  auto stub = NewStoreStub(store->channel);
  Grant b;
  ASSERT_TRUE(Get(*stub, "t", "b", &b).ok());
  EXPECT_EQ(b.state(), v1::GRANT_STATE_SUSPENDED);
}

TEST(StoreProcessTest, ANonDatabaseFileStopsStartUpNamingTheFlag) {
  TempDir dir;
  const std::string db = dir.File("not-a-db.txt");
  {
    std::ofstream out(db);
    for (int i = 0; i < 100; ++i) out << "definitely not sqlite\n";
  }
  auto store = StartStore(db);
  ASSERT_FALSE(store.ok()) << "started on a text file";
  // StartStore gave up because the process exited; ask it how.
  auto process = Subprocess::Start(
      {StoreBinary(), "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", "--db=" + db});
  ASSERT_TRUE(process.ok());
  auto code = (*process)->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok()) << "the store kept running on a text file";
  EXPECT_NE(*code, 0);
  EXPECT_THAT((*process)->stderr_text(), HasSubstr("--db=" + db));
  EXPECT_THAT((*process)->stderr_text(), HasSubstr("not an SQLite database"));
}

TEST(StoreProcessTest, AnUncreatableDirectoryStopsStartUpNamingTheFlag) {
  TempDir dir;
  std::ofstream(dir.File("file")).close();
  const std::string db = dir.File("file/sub/store.db");
  auto process = Subprocess::Start(
      {StoreBinary(), "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", "--db=" + db});
  ASSERT_TRUE(process.ok());
  auto code = (*process)->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok());
  EXPECT_NE(*code, 0);
  EXPECT_THAT((*process)->stderr_text(), HasSubstr("--db=" + db));
  EXPECT_THAT((*process)->stderr_text(), HasSubstr("cannot create directory"));
  EXPECT_FALSE(absl::StrContains((*process)->stdout_text(), "grpc listening"))
      << "announced a listener without a database";
}

// --- Audit trail (issue 13) ---------------------------------------------------

// Enroll, re-approve, a failed conditional suspend, suspend, an idempotent
// re-suspend, delete: exactly one entry per change, in order, kept after the
// delete, naming the caller (plaintext: the peer address, marked).
// An entry carries findings an app's bytes shaped: a page ends at about a
// mebibyte, so a reader's receive limit never fails the listing.
TEST_P(StoreRpcTest, AuditPagesEndAtAboutAMebibyteAndPagingGetsEveryEntry) {
  constexpr int kSuspensions = 12;  // ~100 KB of findings each
  for (int i = 0; i < kSuspensions; ++i) {
    Grant put;
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "big", "client-big"), &put).ok());
    Suspension suspension = MakeSuspension(absl::StrCat("big-", i));
    v1::Finding* finding = suspension.add_findings();
    finding->set_reason(v1::REASON_DNS_TXT_CHANGED);
    finding->set_detail(std::string(100 * 1024, 'x'));
    ASSERT_TRUE(Suspend(*stub_, tenant_, "big", put.version(), suspension, nullptr).ok()) << i;
  }
  v1::ListAuditEntriesRequest request;
  request.set_tenant_id(tenant_);
  request.set_grant_id("big");
  request.set_page_size(1000);
  v1::ListAuditEntriesResponse first;
  ASSERT_TRUE(ListAudit(*stub_, request, &first).ok());
  EXPECT_LT(first.entries_size(), 2 * kSuspensions) << "the first page stopped early";
  EXPECT_LE(first.ByteSizeLong(), size_t{1300} * 1024);
  EXPECT_FALSE(first.next_page_token().empty());
  EXPECT_EQ(AllAuditEntries(*stub_, tenant_, "big").size(), size_t{2 * kSuspensions});
}

TEST_P(StoreRpcTest, EveryStateChangeLeavesExactlyOneAuditEntryKeptAfterDelete) {
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    context.AddMetadata("x-request-id", "enroll-42");
    v1::PutGrantRequest request;
    *request.mutable_grant() = MakeGrant(tenant_, "g", "client-audit");
    Grant created;
    const grpc::Status status = stub_->PutGrant(&context, request, &created);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "g", "client-audit"), nullptr).ok());
  EXPECT_EQ(Suspend(*stub_, tenant_, "g", 1, MakeSuspension("audit-stale"), nullptr).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  Suspension suspension = MakeSuspension("audit-s1");
  ASSERT_TRUE(Suspend(*stub_, tenant_, "g", 2, suspension, nullptr).ok());
  Grant unchanged;
  ASSERT_TRUE(Suspend(*stub_, tenant_, "g", 2, MakeSuspension("audit-s2"), &unchanged).ok());
  EXPECT_EQ(unchanged.suspension().suspension_id(), "audit-s1");
  EXPECT_EQ(Delete(*stub_, tenant_, "never-put").error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Delete(*stub_, tenant_, "g").ok());

  const std::vector<v1::AuditEntry> entries = AllAuditEntries(*stub_, tenant_, "g");
  ASSERT_EQ(entries.size(), 4u);
  const v1::AuditAction kActions[] = {v1::AUDIT_ACTION_ENROLLED, v1::AUDIT_ACTION_REAPPROVED,
                                      v1::AUDIT_ACTION_SUSPENDED, v1::AUDIT_ACTION_DELETED};
  const int64_t kBefore[] = {0, 1, 2, 3};
  const int64_t kAfter[] = {1, 2, 3, 0};
  for (size_t i = 0; i < entries.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(entries[i].action(), kActions[i]);
    EXPECT_EQ(entries[i].version_before(), kBefore[i]);
    EXPECT_EQ(entries[i].version_after(), kAfter[i]);
    EXPECT_EQ(entries[i].tenant_id(), tenant_);
    EXPECT_EQ(entries[i].client_id(), "client-audit");
    EXPECT_THAT(entries[i].caller(), StartsWith("unauthenticated peer ipv4:127.0.0.1:"));
    EXPECT_GT(entries[i].time().seconds(), 1'700'000'000);
    if (i > 0) {
      EXPECT_GT(entries[i].seq(), entries[i - 1].seq());
    }
  }
  EXPECT_EQ(entries[0].request_id(), "enroll-42");
  EXPECT_EQ(entries[1].request_id(), "");
  EXPECT_EQ(entries[2].state_before(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(entries[2].state_after(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(entries[2].suspension_id(), "audit-s1");
  EXPECT_EQ(entries[2].reason(), suspension.reason());
  ASSERT_EQ(entries[2].findings_size(), suspension.findings_size());
  ASSERT_GT(entries[2].findings_size(), 0);
  EXPECT_EQ(entries[2].findings(0).SerializeAsString(), suspension.findings(0).SerializeAsString());
  EXPECT_EQ(entries[3].state_before(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(entries[3].state_after(), v1::GRANT_STATE_UNSPECIFIED);
  // The suspension itself went with the grant; its record did not.
  EXPECT_EQ(GetSuspension(*stub_, "audit-s1", tenant_, nullptr).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(StoreRpcTest, TenantsCannotReadEachOthersAuditTrail) {
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "mine"), nullptr).ok());
  ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "mine"), nullptr).ok());
  const std::string other = tenant_ + "-b";
  EXPECT_EQ(AllAuditEntries(*stub_, tenant_).size(), 2u);
  EXPECT_THAT(AllAuditEntries(*stub_, other), ::testing::IsEmpty());
  EXPECT_THAT(AllAuditEntries(*stub_, other, "mine"), ::testing::IsEmpty());

  // A page token of tenant A's listing does not open tenant B's query.
  v1::ListAuditEntriesRequest request;
  request.set_tenant_id(tenant_);
  request.set_page_size(1);
  v1::ListAuditEntriesResponse page;
  ASSERT_TRUE(ListAudit(*stub_, request, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_tenant_id(other);
  request.set_page_token(page.next_page_token());
  const grpc::Status status = ListAudit(*stub_, request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_THAT(status.error_message(), StartsWith("page_token: "));
}

TEST_P(StoreRpcTest, AuditEntriesPageInSeqOrderWithAGrantFilter) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "a"), nullptr).ok());
    ASSERT_TRUE(Put(*stub_, MakeGrant(tenant_, "b"), nullptr).ok());
  }
  v1::ListAuditEntriesRequest request;
  request.set_tenant_id(tenant_);
  request.set_page_size(3);
  std::vector<int64_t> seqs;
  int pages = 0;
  while (true) {
    v1::ListAuditEntriesResponse page;
    const grpc::Status status = ListAudit(*stub_, request, &page);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_LE(page.entries_size(), 3);
    ++pages;
    for (const v1::AuditEntry& entry : page.entries()) seqs.push_back(entry.seq());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seqs.size(), 8u);
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(std::set<int64_t>(seqs.begin(), seqs.end()).size(), 8u);

  const std::vector<v1::AuditEntry> only_a = AllAuditEntries(*stub_, tenant_, "a");
  ASSERT_EQ(only_a.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(only_a[i].grant_id(), "a");
    EXPECT_EQ(only_a[i].version_after(), i + 1);
  }
}

TEST_P(StoreRpcTest, ListAuditEntriesNamesTheBadField) {
  v1::ListAuditEntriesRequest request;
  v1::ListAuditEntriesResponse response;
  grpc::Status status = ListAudit(*stub_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("tenant_id: "));
  request.set_tenant_id(tenant_);
  request.set_page_size(-5);
  status = ListAudit(*stub_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("page_size: "));
  request.set_page_size(0);
  request.set_page_token("not-a-token");
  status = ListAudit(*stub_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("page_token: "));
}

// Entries older than --audit_retention are swept; grants are not. The
// entries are written under the default retention, then the store restarts
// with a retention they all exceed: no test step depends on how fast it runs.
TEST(StoreProcessTest, AuditEntriesPastRetentionAreSweptAndGrantsKept) {
  TempDir dir;
  const std::string db = dir.File("store.db");
  {
    auto store = StartStore(db);
    ASSERT_TRUE(store.ok()) << store.status();
    auto stub = NewStoreStub(store->channel);
    ASSERT_TRUE(Put(*stub, MakeGrant("t", "kept"), nullptr).ok());
    ASSERT_TRUE(Put(*stub, MakeGrant("t", "gone"), nullptr).ok());
    ASSERT_TRUE(Delete(*stub, "t", "gone").ok());
    ASSERT_EQ(AllAuditEntries(*stub, "t").size(), 3u);
    store->process->Signal(SIGTERM);
    ASSERT_TRUE(store->process->Wait(absl::Seconds(15)).ok());
  }
  auto store = StartStore(db, {"--audit_retention=1ms", "--audit_sweep_interval=50ms"});
  ASSERT_TRUE(store.ok()) << store.status();
  auto stub = NewStoreStub(store->channel);
  // A wait bound for the first sweep, not a timing assertion.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  std::vector<v1::AuditEntry> left = AllAuditEntries(*stub, "t");
  while (!left.empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    left = AllAuditEntries(*stub, "t");
  }
  EXPECT_THAT(left, ::testing::IsEmpty()) << "entries past retention were not swept";
  EXPECT_TRUE(Get(*stub, "t", "kept", nullptr).ok());
}

TEST(StoreProcessTest, ANonPositiveAuditRetentionStopsStartUpNamingTheFlag) {
  TempDir dir;
  auto process =
      Subprocess::Start({StoreBinary(), "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                         "--db=" + dir.File("s.db"), "--audit_retention=0s"});
  ASSERT_TRUE(process.ok());
  auto code = (*process)->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok());
  EXPECT_NE(*code, 0);
  EXPECT_THAT((*process)->stderr_text(), HasSubstr("--audit_retention"));
}

}  // namespace
}  // namespace apptrust::testing
