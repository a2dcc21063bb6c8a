// The decision service's store client against a real apptrust-store process:
// reads of concurrent refreshes that queue behind a read in flight go out as
// one BatchGetGrants call and each still gets its own grant (or NOT_FOUND);
// against a store without BatchGetGrants they fall back to single calls.
#include <signal.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "services/decision/grpc_store_client.h"
#include "tests/store/grant_fixtures.h"
#include "tests/store/metrics_scrape.h"
#include "tests/support/services.h"
#include "tests/support/subprocess.h"

namespace apptrust::testing {
namespace {

using decision::GrpcStoreClient;

// Collects the answers of many asynchronous reads.
struct Answers {
  explicit Answers(int n) : results(static_cast<size_t>(n)) {}
  decision::StoreClient::GrantCallback For(int i) {
    return [this, i](absl::StatusOr<v1::Grant> grant) {
      absl::MutexLock lock(&mu);
      results[static_cast<size_t>(i)] = std::move(grant);
      ++answered;
    };
  }
  bool WaitAll(absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    const int n = static_cast<int>(results.size());
    auto all = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return answered == n; };
    return mu.AwaitWithTimeout(absl::Condition(&all), timeout);
  }
  absl::Mutex mu;
  std::vector<absl::StatusOr<v1::Grant>> results ABSL_GUARDED_BY(mu);
  int answered ABSL_GUARDED_BY(mu) = 0;
};

double Series(const std::string& address, const std::string& series) {
  auto text = ScrapeMetrics(address);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? SeriesValue(*text, series).value_or(0) : -1;
}

TEST(StoreClientTest, QueuedReadsGoOutAsOneBatchAndEachGetsItsOwnGrant) {
  TempDir dir;
  auto store = StartStore(dir.File("store.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(WaitServing(store->channel));
  auto stub = NewStoreStub(store->channel);
  for (int g = 0; g < 10; ++g) {
    ASSERT_TRUE(
        Put(*stub, MakeGrant("t1", absl::StrCat("g", g), absl::StrCat("client-", g)), nullptr)
            .ok());
  }
  ASSERT_TRUE(Put(*stub, MakeGrant("t2", "g0", "client-t2"), nullptr).ok());

  auto channel = GrpcStoreClient::MakeChannel(store->grpc_address);
  GrpcStoreClient client(channel, store->grpc_address);
  {  // Connected before the store is paused.
    Answers warm(1);
    client.GetGrant("t1", "g0", absl::Now() + absl::Seconds(10), warm.For(0));
    ASSERT_TRUE(warm.WaitAll(absl::Seconds(10)));
  }
  const std::string get_ok = R"(apptrust_store_rpcs_total{code="OK",method="GetGrant"})";
  const std::string batch_ok = R"(apptrust_store_rpcs_total{code="OK",method="BatchGetGrants"})";
  const double gets_before = Series(store->metrics_address, get_ok);
  const double batches_before = Series(store->metrics_address, batch_ok);

  // While the store is stopped, the first reads occupy the calls in flight
  // and all the others queue behind them.
  constexpr int kReads = 120;
  Answers answers(kReads);
  ASSERT_TRUE(StopProcess(store->process->pid()).ok());
  for (int i = 0; i < kReads; ++i) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    if (i % 40 == 39) {
      client.GetGrant("t1", "missing", deadline, answers.For(i));
    } else if (i % 40 == 38) {
      client.GetGrant("t2", "g0", deadline, answers.For(i));
    } else {
      client.GetGrant("t1", absl::StrCat("g", i % 10), deadline, answers.For(i));
    }
  }
  ASSERT_EQ(kill(store->process->pid(), SIGCONT), 0);
  ASSERT_TRUE(answers.WaitAll(absl::Seconds(20)));

  absl::MutexLock lock(&answers.mu);
  for (int i = 0; i < kReads; ++i) {
    const absl::StatusOr<v1::Grant>& result = answers.results[static_cast<size_t>(i)];
    if (i % 40 == 39) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound) << i;
    } else if (i % 40 == 38) {
      ASSERT_TRUE(result.ok()) << i << ": " << result.status();
      EXPECT_EQ(result->client_id(), "client-t2") << i;
    } else {
      ASSERT_TRUE(result.ok()) << i << ": " << result.status();
      EXPECT_EQ(result->tenant_id(), "t1") << i;
      EXPECT_EQ(result->grant_id(), absl::StrCat("g", i % 10)) << i;
      EXPECT_EQ(result->client_id(), absl::StrCat("client-", i % 10)) << i;
    }
  }
  const double gets = Series(store->metrics_address, get_ok) - gets_before;
  const double batches = Series(store->metrics_address, batch_ok) - batches_before;
  EXPECT_LE(gets, GrpcStoreClient::kMaxReadCallsInFlight);
  EXPECT_GE(batches, 1);
  EXPECT_LT(gets + batches, 10) << kReads << " reads took " << gets << " GetGrant and " << batches
                                << " BatchGetGrants calls";
}

// A FingerprintStore that only knows GetGrant (as a store older than
// BatchGetGrants), holding its first answers until released.
class OldStore final : public v1::FingerprintStore::Service {
 public:
  grpc::Status GetGrant(grpc::ServerContext*, const v1::GetGrantRequest* request,
                        v1::Grant* response) override {
    if (calls_.fetch_add(1) < GrpcStoreClient::kMaxReadCallsInFlight) {
      release_.WaitForNotificationWithTimeout(absl::Seconds(20));
    }
    if (request->grant_id() == "missing") return {grpc::StatusCode::NOT_FOUND, "no such grant"};
    response->set_tenant_id(request->tenant_id());
    response->set_grant_id(request->grant_id());
    response->set_version(1);
    return grpc::Status::OK;
  }
  void Release() { release_.Notify(); }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
  absl::Notification release_;
};

TEST(StoreClientTest, StoreWithoutBatchGetGrantsGetsSingleReads) {
  OldStore old_store;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&old_store);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  GrpcStoreClient client(GrpcStoreClient::MakeChannel(address), address);

  constexpr int kReads = 30;
  Answers answers(kReads);
  for (int i = 0; i < kReads; ++i) {
    client.GetGrant("t", i == 7 ? "missing" : absl::StrCat("g", i), absl::Now() + absl::Seconds(20),
                    answers.For(i));
  }
  old_store.Release();
  ASSERT_TRUE(answers.WaitAll(absl::Seconds(20)));
  absl::MutexLock lock(&answers.mu);
  for (int i = 0; i < kReads; ++i) {
    const absl::StatusOr<v1::Grant>& result = answers.results[static_cast<size_t>(i)];
    if (i == 7) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
    } else {
      ASSERT_TRUE(result.ok()) << i << ": " << result.status();
      EXPECT_EQ(result->grant_id(), absl::StrCat("g", i));
    }
  }
  EXPECT_EQ(old_store.calls(), kReads);
  server->Shutdown();
}

// A grant near the store's size limit: 200 KB of certificate names.
v1::Grant BigGrant(const std::string& tenant_id, const std::string& grant_id) {
  v1::Grant grant = MakeGrant(tenant_id, grant_id, "client-" + grant_id);
  v1::TlsFingerprint* tls = grant.mutable_fingerprint()->mutable_tls();
  tls->clear_subject_alt_names();
  for (int i = 0; i < 800; ++i) {
    tls->add_subject_alt_names(absl::StrCat(grant_id, "-", i, "-", std::string(240, 'n')));
  }
  return grant;
}

// Big grants read together (issue 13 item 2): 200 concurrent reads of 40
// grants of 200 KB each queue while the store is paused and go out batched;
// an answer holding them all (8 MB) would exceed a receive limit and fail
// every read in it. The store answers part of a batch and the client asks
// again for the rest: all 200 succeed.
TEST(StoreClientTest, TwoHundredConcurrentReadsOfBigGrantsAllSucceed) {
  TempDir dir;
  auto store = StartStore(dir.File("store.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(WaitServing(store->channel));
  auto stub = NewStoreStub(store->channel);
  constexpr int kGrants = 40;
  for (int g = 0; g < kGrants; ++g) {
    const grpc::Status put = Put(*stub, BigGrant("big", absl::StrCat("g", g)), nullptr);
    ASSERT_TRUE(put.ok()) << Describe(put);
  }

  GrpcStoreClient client(GrpcStoreClient::MakeChannel(store->grpc_address), store->grpc_address);
  {  // Connected before the store is paused.
    Answers warm(1);
    client.GetGrant("big", "g0", absl::Now() + absl::Seconds(10), warm.For(0));
    ASSERT_TRUE(warm.WaitAll(absl::Seconds(10)));
  }
  constexpr int kReads = 200;
  Answers answers(kReads);
  ASSERT_TRUE(StopProcess(store->process->pid()).ok());
  for (int i = 0; i < kReads; ++i) {
    client.GetGrant("big", absl::StrCat("g", i % kGrants), absl::Now() + absl::Seconds(60),
                    answers.For(i));
  }
  ASSERT_EQ(kill(store->process->pid(), SIGCONT), 0);
  ASSERT_TRUE(answers.WaitAll(absl::Seconds(60)));
  absl::MutexLock lock(&answers.mu);
  for (int i = 0; i < kReads; ++i) {
    const absl::StatusOr<v1::Grant>& result = answers.results[static_cast<size_t>(i)];
    ASSERT_TRUE(result.ok()) << i << ": " << result.status();
    EXPECT_EQ(result->grant_id(), absl::StrCat("g", i % kGrants));
    EXPECT_EQ(result->fingerprint().tls().subject_alt_names_size(), 800);
  }
}

// A store that answers a whole batch however big it gets (as stores before
// the byte bound did): the batch's answer exceeds the client's receive limit,
// and the client reads those grants one per call instead; only a grant too
// big on its own fails, and only its own read.
class UnboundedStore final : public v1::FingerprintStore::Service {
 public:
  static v1::Grant Grant(const std::string& tenant_id, const std::string& grant_id) {
    v1::Grant grant;
    grant.set_tenant_id(tenant_id);
    grant.set_grant_id(grant_id);
    grant.set_version(1);
    // 2 MB each; "huge" alone is past the client's receive limit.
    const size_t bytes = grant_id == "huge" ? 20u << 20 : 2u << 20;
    grant.set_application_name(std::string(bytes, 'x'));
    return grant;
  }
  grpc::Status GetGrant(grpc::ServerContext*, const v1::GetGrantRequest* request,
                        v1::Grant* response) override {
    if (gets_.fetch_add(1) == 0) release_.WaitForNotificationWithTimeout(absl::Seconds(20));
    *response = Grant(request->tenant_id(), request->grant_id());
    return grpc::Status::OK;
  }
  grpc::Status BatchGetGrants(grpc::ServerContext*, const v1::BatchGetGrantsRequest* request,
                              v1::BatchGetGrantsResponse* response) override {
    ++batches_;
    for (const v1::GetGrantRequest& one : request->requests()) {
      *response->add_results()->mutable_grant() = Grant(one.tenant_id(), one.grant_id());
    }
    return grpc::Status::OK;
  }
  void Release() { release_.Notify(); }
  int batches() const { return batches_.load(); }

 private:
  std::atomic<int> gets_{0};
  std::atomic<int> batches_{0};
  absl::Notification release_;
};

TEST(StoreClientTest, AnAnswerTooBigForTheClientFailsOnlyTheGrantTooBigOnItsOwn) {
  UnboundedStore store;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&store);
  builder.SetMaxSendMessageSize(-1);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  GrpcStoreClient client(GrpcStoreClient::MakeChannel(address), address);

  // The first read holds the store; the others queue and go out as batches
  // of 2 MB grants, each batch's answer over the receive limit.
  constexpr int kReads = 1 + 2 * GrpcStoreClient::kMaxReadCallsInFlight + 20;
  Answers answers(kReads);
  for (int i = 0; i < kReads; ++i) {
    client.GetGrant("t", i == 9 ? "huge" : absl::StrCat("g", i), absl::Now() + absl::Seconds(60),
                    answers.For(i));
  }
  store.Release();
  ASSERT_TRUE(answers.WaitAll(absl::Seconds(60)));
  absl::MutexLock lock(&answers.mu);
  for (int i = 0; i < kReads; ++i) {
    const absl::StatusOr<v1::Grant>& result = answers.results[static_cast<size_t>(i)];
    if (i == 9) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted) << result.status();
    } else {
      ASSERT_TRUE(result.ok()) << i << ": " << result.status();
      EXPECT_EQ(result->grant_id(), absl::StrCat("g", i));
    }
  }
  EXPECT_GE(store.batches(), 1);
  server->Shutdown();
}

}  // namespace
}  // namespace apptrust::testing
