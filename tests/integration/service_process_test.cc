// Both service binaries as real processes on ephemeral loopback ports: health
// over the network, UNIMPLEMENTED for what is not built, graceful stop, and
// flag errors that name the flag.
#include <signal.h>

#include "absl/synchronization/notification.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/support/services.h"

namespace apptrust::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                               const std::string& service = "") {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

class ServiceProcessTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(ServiceProcessTest, StoreServesHealthOverTheNetworkAndStopsOnSigterm) {
  auto store = StartStore(dir_.File("var/apptrust.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_NE(store->grpc_address, "127.0.0.1:0");
  EXPECT_EQ(CheckHealth(store->channel), HealthCheckResponse::SERVING);

  store->process->Signal(SIGTERM);
  auto code = store->process->Wait(absl::Seconds(15));
  ASSERT_TRUE(code.ok()) << "store did not exit within the grace period";
  EXPECT_EQ(*code, 0);
}

TEST_F(ServiceProcessTest, DecisionServesHealthAndStopsOnSigint) {
  auto store = StartStore(dir_.File("apptrust.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto decision = StartDecision(store->grpc_address);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_TRUE(WaitServing(decision->channel));

  decision->process->Signal(SIGINT);
  auto code = decision->process->Wait(absl::Seconds(15));
  ASSERT_TRUE(code.ok()) << "decision did not exit within the grace period";
  EXPECT_EQ(*code, 0);
}

// What one reflection ListServices exchange answers: OK and the response
// bytes, or the call's status.
grpc::Status ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                      std::string* bytes) {
  // Reflection is a bidi stream service: send one ListServices request and
  // read one response.
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::GenericStub generic(channel);
  // A ListServices request in the reflection protocol: field 7 (list_services) = "".
  const char list_services[] = {0x3a, 0x00};
  grpc::Slice slice(list_services, sizeof(list_services));
  grpc::ByteBuffer request(&slice, 1);
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  call->Write(request, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  const bool answered = ok;
  if (answered) {
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      for (const auto& s : slices) {
        bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    call->WritesDone(reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
    context.TryCancel();
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(5)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return answered ? grpc::Status::OK : status;
}

// Reflection lists every service and message: an attacker's map. It is
// served only when --enable_reflection asks for it.
TEST_F(ServiceProcessTest, ReflectionOnlyWhenEnabled) {
  auto store = StartStore(dir_.File("apptrust.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  std::string bytes;
  const grpc::Status off = ListServicesByReflection(store->channel, &bytes);
  EXPECT_EQ(off.error_code(), grpc::StatusCode::UNIMPLEMENTED) << off.error_message();

  auto reflective = StartStore(dir_.File("reflective.db"), {"--enable_reflection"});
  ASSERT_TRUE(reflective.ok()) << reflective.status();
  const grpc::Status on = ListServicesByReflection(reflective->channel, &bytes);
  ASSERT_TRUE(on.ok()) << on.error_message();
  EXPECT_NE(bytes.find("apptrust.v1.FingerprintStore"), std::string::npos);
  EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos);
}

// A method the server does not offer (a newer client, or a typo) is answered
// UNIMPLEMENTED, not a hang or a crash.
TEST_F(ServiceProcessTest, UnknownRpcIsUnimplemented) {
  auto store = StartStore(dir_.File("apptrust.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto decision = StartDecision(store->grpc_address);
  ASSERT_TRUE(decision.ok()) << decision.status();
  for (const auto& [channel, method] :
       std::vector<std::pair<std::shared_ptr<grpc::Channel>, std::string>>{
           {store->channel, "/apptrust.v1.FingerprintStore/CompactGrants"},
           {decision->channel, "/apptrust.v1.DecisionService/Explain"}}) {
    grpc::GenericStub generic(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        status = s;
                        done.Notify();
                      });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << method;
  }
}

TEST_F(ServiceProcessTest, UnparsableListenAddressExitsNonZeroNamingTheFlag) {
  auto process =
      Subprocess::Start({StoreBinary(), "--listen=nowhere", "--db=" + dir_.File("x.db")});
  ASSERT_TRUE(process.ok());
  auto code = (*process)->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_NE(*code, 0);
  EXPECT_NE((*process)->stderr_text().find("--listen"), std::string::npos)
      << (*process)->stderr_text();
}

TEST_F(ServiceProcessTest, BadDurationFlagExitsNonZeroNamingTheFlag) {
  auto process = Subprocess::Start({DecisionBinary(), "--probe_timeout=soon"});
  ASSERT_TRUE(process.ok());
  auto code = (*process)->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_NE(*code, 0);
  EXPECT_NE((*process)->stderr_text().find("probe_timeout"), std::string::npos)
      << (*process)->stderr_text();
}

TEST_F(ServiceProcessTest, HelpListsTheContractFlags) {
  for (const auto& [binary, flags] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {StoreBinary(),
            {"--listen", "--db", "--metrics_listen", "--audit_retention", "--tls_cert_file",
             "--tls_client_ca_file", "--authz_policy", "--enable_reflection", "--health_listen"}},
           {DecisionBinary(),
            {"--listen", "--store", "--metrics_listen", "--policy", "--dns_servers",
             "--trust_store", "--probe_allow_cidrs", "--probe_timeout", "--cache_ttl",
             "--cache_max_entries", "--web_listen", "--tls_cert_file", "--tls_key_file",
             "--tls_client_ca_file", "--authz_policy", "--store_tls_ca_file",
             "--store_tls_cert_file", "--store_tls_key_file"}}}) {
    auto process = Subprocess::Start({binary, "--help"});
    ASSERT_TRUE(process.ok());
    ASSERT_TRUE((*process)->Wait(absl::Seconds(10)).ok());
    // The exit can be seen before the reader threads have copied all of the
    // (long) help text: wait for each flag rather than read once.
    for (const std::string& flag : flags) {
      EXPECT_TRUE((*process)->WaitForOutput(flag, absl::Seconds(10)))
          << binary << " --help lacks " << flag;
    }
  }
}

}  // namespace
}  // namespace apptrust::testing
