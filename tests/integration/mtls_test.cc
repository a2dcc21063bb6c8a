// Only the right callers: both services as real processes with mutual TLS
// and an authorization policy, certificates from a test PKI made at test
// time, everything on loopback. A caller without a certificate, with one
// from another CA or an expired one never gets a call through; an
// authenticated caller gets only what the policy gives its identity; the
// enroll → refresh path works with the decision→store channel on mutual TLS;
// and a renewed server certificate is served without a restart.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "common/server/tls_credentials.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/services.h"
#include "tests/support/test_pki.h"
#include "tests/support/tls_test_server.h"

namespace apptrust::testing {
namespace {

constexpr char kGateway[] = "spiffe://hospital.example/ns/gateway/sa/token-gateway";
constexpr char kDecision[] = "spiffe://hospital.example/ns/apptrust/sa/decision";
constexpr char kOperator[] = "spiffe://hospital.example/ns/operators/sa/alice";

// The deployment's policy (deploy/k8s/base/authz.textproto) in small.
constexpr char kPolicy[] = R"pb(
  rules {
    identities: "spiffe://hospital.example/ns/gateway/sa/token-gateway"
    methods: "/apptrust.v1.DecisionService/*"
  }
  rules {
    identities: "spiffe://hospital.example/ns/apptrust/sa/decision"
    methods: "/apptrust.v1.FingerprintStore/GetGrant"
    methods: "/apptrust.v1.FingerprintStore/BatchGetGrants"
    methods: "/apptrust.v1.FingerprintStore/PutGrant"
    methods: "/apptrust.v1.FingerprintStore/SuspendGrant"
    methods: "/apptrust.v1.FingerprintStore/GetSuspension"
  }
  rules {
    identities: "spiffe://hospital.example/ns/operators/*"
    methods: "/apptrust.v1.FingerprintStore/GetGrant"
    methods: "/apptrust.v1.FingerprintStore/ListGrants"
    methods: "/apptrust.v1.FingerprintStore/DeleteGrant"
    methods: "/apptrust.v1.FingerprintStore/ListAuditEntries"
  }
)pb";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Upper-case hex serial of the first certificate in `pem`, "" if none.
std::string SerialOf(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return "";
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string serial = hex;
  OPENSSL_free(hex);
  BN_free(bn);
  X509_free(cert);
  return serial;
}

class MtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = TestPki::Create();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = std::move(*pki);
    auto other = TestPki::Create();
    ASSERT_TRUE(other.ok()) << other.status();
    other_pki_ = std::move(*other);

    // The services' own certificates, copied to fixed paths that a rotation
    // rewrites in place (as kubelet does with a renewed Secret).
    LeafOptions server_leaf;
    server_leaf.dns_names = {"localhost"};
    server_leaf.ip_addresses = {"127.0.0.1"};
    server_leaf.policy = CertPolicy::kNone;
    auto server_cert = pki_->Issue(server_leaf);
    ASSERT_TRUE(server_cert.ok()) << server_cert.status();
    server_cert_ = *server_cert;
    cert_path_ = dir_.File("server.pem");
    key_path_ = dir_.File("server-key.pem");
    WriteFile(cert_path_, server_cert_.chain_pem);
    WriteFile(key_path_, server_cert_.key_pem);
    policy_path_ = dir_.File("authz.textproto");
    WriteFile(policy_path_, kPolicy);

    gateway_ = Client(*pki_, kGateway);
    decision_ = Client(*pki_, kDecision);
    operator_ = Client(*pki_, kOperator);
  }

  IssuedCert Client(TestPki& pki, const std::string& identity, LeafOptions options = {}) {
    if (options.uris.empty()) options = ClientIdentity(identity);
    auto cert = pki.Issue(options);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return cert.ok() ? *cert : IssuedCert{};
  }

  // The flags that put a service's listener on mutual TLS with the policy.
  std::vector<std::string> ServerTlsFlags(bool authz = true) {
    std::vector<std::string> flags = {
        "--tls_cert_file=" + cert_path_,
        "--tls_key_file=" + key_path_,
        "--tls_client_ca_file=" + pki_->root_pem_path(),
        "--tls_refresh_interval=1s",
    };
    if (authz) flags.push_back("--authz_policy=" + policy_path_);
    return flags;
  }

  void StartMtlsStore() {
    auto store = StartStore(dir_.File("apptrust.db"), ServerTlsFlags());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // A channel that trusts the test root and presents `client` (none when
  // null).
  std::shared_ptr<grpc::Channel> Channel(const std::string& address, const IssuedCert* client) {
    server::TlsClientOptions tls;
    tls.ca_file = pki_->root_pem_path();
    if (client != nullptr) {
      tls.cert_file = client->chain_path;
      tls.key_file = client->key_path;
    }
    grpc::ChannelArguments args;
    auto credentials = server::MakeChannelCredentials(tls, args);
    return grpc::CreateCustomChannel(address, credentials, args);
  }

  static grpc::Status ListGrants(const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = v1::FingerprintStore::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::ListGrantsRequest request;
    request.set_tenant_id("tenant-a");
    v1::ListGrantsResponse response;
    return stub->ListGrants(&context, request, &response);
  }

  TempDir dir_;
  std::unique_ptr<TestPki> pki_, other_pki_;
  IssuedCert server_cert_, gateway_, decision_, operator_;
  std::string cert_path_, key_path_, policy_path_;
  RunningService store_;
};

TEST_F(MtlsTest, CallerWithoutClientCertificateIsRefusedAtTheHandshake) {
  StartMtlsStore();
  const grpc::Status status = ListGrants(Channel(store_.grpc_address, nullptr));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  // Plaintext does not get through either.
  const grpc::Status plain = ListGrants(store_.channel);
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();
}

TEST_F(MtlsTest, CertificateFromAnotherCaIsRefused) {
  StartMtlsStore();
  // The same identity, issued by a CA the store does not trust.
  const IssuedCert impostor = Client(*other_pki_, kDecision);
  const grpc::Status status = ListGrants(Channel(store_.grpc_address, &impostor));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(MtlsTest, ExpiredClientCertificateIsRefused) {
  StartMtlsStore();
  LeafOptions expired = ClientIdentity(kDecision);
  expired.not_before = absl::Now() - absl::Hours(48);
  expired.not_after = absl::Now() - absl::Hours(1);
  const IssuedCert cert = Client(*pki_, kDecision, expired);
  const grpc::Status status = ListGrants(Channel(store_.grpc_address, &cert));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(MtlsTest, GatewayIdentityCallingTheStoreIsPermissionDenied) {
  StartMtlsStore();
  const grpc::Status status = ListGrants(Channel(store_.grpc_address, &gateway_));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_NE(status.error_message().find(kGateway), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("/apptrust.v1.FingerprintStore/ListGrants"),
            std::string::npos)
      << status.error_message();
}

TEST_F(MtlsTest, AllowedIdentitiesGetOnlyTheirMethods) {
  StartMtlsStore();
  // The decision identity reads grants; it may not list or delete them.
  {
    auto stub = v1::FingerprintStore::NewStub(Channel(store_.grpc_address, &decision_));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::GetGrantRequest request;
    request.set_tenant_id("tenant-a");
    request.set_grant_id("no-such-grant");
    v1::Grant grant;
    const grpc::Status status = stub->GetGrant(&context, request, &grant);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  }
  EXPECT_EQ(ListGrants(Channel(store_.grpc_address, &decision_)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An operator (matched by the prefix rule) lists them.
  const grpc::Status listed = ListGrants(Channel(store_.grpc_address, &operator_));
  EXPECT_TRUE(listed.ok()) << listed.error_message();
}

TEST_F(MtlsTest, HealthIsOpenToEveryAuthenticatedCallerAndOnThePlaintextHealthPort) {
  std::vector<std::string> flags = ServerTlsFlags();
  flags.push_back("--health_listen=127.0.0.1:0");
  auto store = StartStore(dir_.File("apptrust.db"), flags);
  ASSERT_TRUE(store.ok()) << store.status();
  // The gateway may not call the store, but may ask whether it is up.
  EXPECT_TRUE(WaitServing(Channel(store->grpc_address, &gateway_)));
  // kubelet's probes: plaintext, no certificate, health only.
  auto health_address = store->process->WaitForListener("health");
  ASSERT_TRUE(health_address.ok()) << health_address.status();
  auto plaintext = grpc::CreateChannel(*health_address, grpc::InsecureChannelCredentials());
  EXPECT_TRUE(WaitServing(plaintext));
  const grpc::Status status = ListGrants(plaintext);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();

  // Both listeners stop gracefully.
  store->process->Signal(SIGTERM);
  auto code = store->process->Wait(absl::Seconds(15));
  ASSERT_TRUE(code.ok()) << "store did not exit within the grace period";
  EXPECT_EQ(*code, 0);
}

TEST_F(MtlsTest, EnrollThenRefreshOverMutualTlsEndToEnd) {
  StartMtlsStore();
  // One app: a TLS server on loopback, its name and TXT record in dnsmasq.
  auto app_cert = pki_->Issue(ExampleHealthOv({"app.mtls.test"}));
  ASSERT_TRUE(app_cert.ok()) << app_cert.status();
  auto app = TlsTestServer::Start(*app_cert);
  ASSERT_TRUE(app.ok()) << app.status();
  DnsRecords records;
  records.AddHost("app.mtls.test", {"127.0.0.1"});
  records.AddTxt("mtls.test", {"cerner-client-id=client-mtls"});
  auto dns = Dnsmasq::Start(records);
  ASSERT_TRUE(dns.ok()) << dns.status();

  std::vector<std::string> flags = ServerTlsFlags();
  for (const std::string& flag : {
           "--dns_servers=" + (*dns)->server(),
           "--trust_store=" + pki_->root_pem_path(),
           std::string("--probe_allow_cidrs=127.0.0.0/8"),
           std::string("--cache_ttl=0s"),
           "--store_tls_ca_file=" + pki_->root_pem_path(),
           "--store_tls_cert_file=" + decision_.chain_path,
           "--store_tls_key_file=" + decision_.key_path,
       }) {
    flags.push_back(flag);
  }
  auto decision = StartDecision(store_.grpc_address, flags);
  ASSERT_TRUE(decision.ok()) << decision.status();
  // Ready only once its mutual-TLS channel to the store works.
  ASSERT_TRUE(WaitServing(Channel(decision->grpc_address, &gateway_)))
      << decision->process->stderr_text();

  auto stub = v1::DecisionService::NewStub(Channel(decision->grpc_address, &gateway_));
  const std::string redirect_uri = absl::StrCat("https://app.mtls.test:", (*app)->port(), "/cb");
  {
    v1::EnrollRequest request;
    request.set_tenant_id("tenant-a");
    request.set_client_id("client-mtls");
    request.set_grant_id("grant-mtls");
    request.set_redirect_uri(redirect_uri);
    request.set_application_name("Example Health App");
    request.set_persona(v1::PERSONA_PATIENT);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::EnrollResponse response;
    const grpc::Status status = stub->Enroll(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    v1::CheckRefreshRequest request;
    request.set_tenant_id("tenant-a");
    request.set_client_id("client-mtls");
    request.set_grant_id("grant-mtls");
    request.set_redirect_uri(redirect_uri);
    request.set_persona(v1::PERSONA_PATIENT);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    v1::CheckRefreshResponse response;
    const grpc::Status status = stub->CheckRefresh(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.verdict(), v1::VERDICT_ALLOW);
  }
  // The grant is in the store, written over the decision's mTLS channel.
  auto store_stub = v1::FingerprintStore::NewStub(Channel(store_.grpc_address, &operator_));
  grpc::ClientContext context;
  v1::GetGrantRequest request;
  request.set_tenant_id("tenant-a");
  request.set_grant_id("grant-mtls");
  v1::Grant grant;
  const grpc::Status status = store_stub->GetGrant(&context, request, &grant);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(grant.state(), v1::GRANT_STATE_ACTIVE);

  // The audit trail names who wrote it: the decision service's verified
  // identity, not an address (issue 13: caller identity in every entry).
  {
    grpc::ClientContext audit_context;
    v1::ListAuditEntriesRequest audit_request;
    audit_request.set_tenant_id("tenant-a");
    audit_request.set_grant_id("grant-mtls");
    v1::ListAuditEntriesResponse audit;
    const grpc::Status listed = store_stub->ListAuditEntries(&audit_context, audit_request, &audit);
    ASSERT_TRUE(listed.ok()) << listed.error_message();
    ASSERT_EQ(audit.entries_size(), 1);
    EXPECT_EQ(audit.entries(0).action(), v1::AUDIT_ACTION_ENROLLED);
    EXPECT_EQ(audit.entries(0).caller(), kDecision);
  }

  // The gateway may not call the store directly, nor the decision identity
  // enroll: each identity has only its rules.
  EXPECT_EQ(ListGrants(Channel(store_.grpc_address, &gateway_)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(MtlsTest, RotatedServerCertificateIsServedWithoutRestart) {
  StartMtlsStore();
  // The serial of the leaf the store presents to a new connection.
  auto served_serial = [&]() -> std::string {
    auto channel = Channel(store_.grpc_address, &operator_);
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::health::v1::HealthCheckResponse response;
    if (!stub->Check(&context, {}, &response).ok()) return "";
    auto auth = context.auth_context();
    if (auth == nullptr) return "";
    for (const auto& pem : auth->FindPropertyValues("x509_pem_cert")) {
      return SerialOf(std::string(pem.data(), pem.size()));
    }
    return "";
  };
  ASSERT_EQ(served_serial(), server_cert_.serial_hex);

  LeafOptions renewed;
  renewed.dns_names = {"localhost"};
  renewed.ip_addresses = {"127.0.0.1"};
  renewed.policy = CertPolicy::kNone;
  auto next = pki_->Issue(renewed);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_NE(next->serial_hex, server_cert_.serial_hex);
  // Key first, then certificate: gRPC re-reads both and re-checks when a
  // file changed between its reads.
  WriteFile(key_path_, next->key_pem);
  WriteFile(cert_path_, next->chain_pem);

  // The watcher re-reads every second (--tls_refresh_interval=1s); wait for
  // the new leaf, bounded.
  std::string serial;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    serial = served_serial();
    if (serial == next->serial_hex) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(serial, next->serial_hex) << "the renewed certificate was not served";
  EXPECT_TRUE(store_.process->running());
}

// Clients check the server too: a certificate from the right CA for another
// name is refused, and --tls_server_name says which name to expect.
TEST_F(MtlsTest, ClientsRefuseAServerCertificateForAnotherName) {
  LeafOptions other_name;
  other_name.dns_names = {"other-service.test"};
  other_name.policy = CertPolicy::kNone;
  auto cert = pki_->Issue(other_name);
  ASSERT_TRUE(cert.ok()) << cert.status();
  WriteFile(cert_path_, cert->chain_pem);
  WriteFile(key_path_, cert->key_pem);
  StartMtlsStore();
  const grpc::Status status = ListGrants(Channel(store_.grpc_address, &operator_));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

  server::TlsClientOptions tls;
  tls.ca_file = pki_->root_pem_path();
  tls.cert_file = operator_.chain_path;
  tls.key_file = operator_.key_path;
  tls.server_name = "other-service.test";
  grpc::ChannelArguments args;
  auto credentials = server::MakeChannelCredentials(tls, args);
  const grpc::Status named =
      ListGrants(grpc::CreateCustomChannel(store_.grpc_address, credentials, args));
  EXPECT_TRUE(named.ok()) << named.error_message();
}

TEST_F(MtlsTest, UnsafeConfigurationsAreRefusedAtStart) {
  // Plaintext on an address other than loopback: the process exits before
  // binding anything.
  {
    auto store = Subprocess::Start({StoreBinary(), "--listen=0.0.0.0:0",
                                    "--metrics_listen=127.0.0.1:0", "--db=" + dir_.File("a.db")});
    ASSERT_TRUE(store.ok()) << store.status();
    auto code = (*store)->Wait(absl::Seconds(15));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 2);
    // The reader threads may still be copying stderr when the exit is seen.
    EXPECT_TRUE((*store)->WaitForOutput("--listen=0.0.0.0:0", absl::Seconds(10)))
        << (*store)->stderr_text();
  }
  // Server-only TLS off loopback authenticates nobody either.
  {
    auto store =
        Subprocess::Start({StoreBinary(), "--listen=0.0.0.0:0", "--metrics_listen=127.0.0.1:0",
                           "--db=" + dir_.File("t.db"), "--tls_cert_file=" + cert_path_,
                           "--tls_key_file=" + key_path_});
    ASSERT_TRUE(store.ok()) << store.status();
    auto code = (*store)->Wait(absl::Seconds(15));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 2);
    EXPECT_TRUE((*store)->WaitForOutput("TLS without client certificates", absl::Seconds(10)))
        << (*store)->stderr_text();
  }
  // A policy without client certificates would authorize nobody.
  {
    auto store =
        Subprocess::Start({StoreBinary(), "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                           "--db=" + dir_.File("b.db"), "--authz_policy=" + policy_path_});
    ASSERT_TRUE(store.ok()) << store.status();
    auto code = (*store)->Wait(absl::Seconds(15));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 2);
    // The reader threads may still be copying stderr when the exit is seen.
    EXPECT_TRUE((*store)->WaitForOutput("--authz_policy=", absl::Seconds(10)))
        << (*store)->stderr_text();
  }
  // A key that is not the certificate's.
  {
    auto store =
        Subprocess::Start({StoreBinary(), "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                           "--db=" + dir_.File("c.db"), "--tls_cert_file=" + cert_path_,
                           "--tls_key_file=" + gateway_.key_path});
    ASSERT_TRUE(store.ok()) << store.status();
    auto code = (*store)->Wait(absl::Seconds(15));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 2);
    // The reader threads may still be copying stderr when the exit is seen.
    EXPECT_TRUE((*store)->WaitForOutput("--tls_key_file=", absl::Seconds(10)))
        << (*store)->stderr_text();
  }
}

TEST_F(MtlsTest, ApptrustctlSpeaksMutualTls) {
  StartMtlsStore();
  auto run = [&](const IssuedCert& client) {
    auto ctl = Subprocess::Start(
        {CtlBinary(), "grant", "list", "--tenant=tenant-a", "--store=" + store_.grpc_address,
         "--tls_ca_file=" + pki_->root_pem_path(), "--tls_cert_file=" + client.chain_path,
         "--tls_key_file=" + client.key_path, "--tls_server_name=localhost"});
    EXPECT_TRUE(ctl.ok()) << ctl.status();
    auto code = (*ctl)->Wait(absl::Seconds(30));
    EXPECT_TRUE(code.ok());
    return std::make_pair(code.ok() ? *code : -1, (*ctl)->stderr_text());
  };
  auto [ok_code, ok_err] = run(operator_);
  EXPECT_EQ(ok_code, 0) << ok_err;
  auto [denied_code, denied_err] = run(gateway_);
  EXPECT_EQ(denied_code, 1) << denied_err;
  EXPECT_NE(denied_err.find("PERMISSION_DENIED"), std::string::npos) << denied_err;
}

}  // namespace
}  // namespace apptrust::testing
