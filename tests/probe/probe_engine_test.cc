// The probe engine observing real peers: TLS servers on loopback serving a
// test PKI's chains, and a real dnsmasq serving the test zone. No traffic
// leaves loopback.
#include "common/probe/probe_engine.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/net/address_policy.h"
#include "common/net/redirect_uri.h"
#include "common/probe/testing/observe_blocking.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/test_pki.h"
#include "tests/support/tls_test_server.h"

namespace apptrust::probe {
namespace {

using ::apptrust::net::Target;
using ::apptrust::testing::CertPolicy;
using ::apptrust::testing::Dnsmasq;
using ::apptrust::testing::DnsRecords;
using ::apptrust::testing::IssuedCert;
using ::apptrust::testing::KeyType;
using ::apptrust::testing::LeafOptions;
using ::apptrust::testing::ObserveBlocking;
using ::apptrust::testing::SilentDnsServer;
using ::apptrust::testing::TestPki;
using ::apptrust::testing::TlsServerMode;
using ::apptrust::testing::TlsTestServer;
using ::apptrust::testing::TlsTestServerOptions;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kHost[] = "app.examplehealth.test";
constexpr char kDomain[] = "examplehealth.test";
constexpr char kKey[] = "cerner-client-id";

// Generous bound for "finished within its deadline": correctness, not speed.
constexpr absl::Duration kSlack = absl::Seconds(3);

class ProbeEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pki = TestPki::Create();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = pki->release();
    DnsRecords records;
    records.AddHost(kHost, {"127.0.0.1"})
        .AddHost("v6.examplehealth.test", {"::1"})
        .AddHost("both.examplehealth.test", {"127.0.0.1", "::1"})
        .AddHost("mapped.examplehealth.test", {"::ffff:127.0.0.1"})
        .AddHost("other.examplehealth.test", {"127.0.0.1"})
        .AddHost("hosttxt.examplehealth.test", {"127.0.0.1"})
        .AddTxt(kDomain, {"cerner-client-id=app-one"})
        .AddTxt(kDomain, {"v=spf1 -all"})
        .AddTxt(kDomain, {"cerner-client-id=app-two", "cerner-client-id=app-three"})
        .AddTxt(kDomain, {"cerner-client-id=app-four\ncerner-client-id=app-five other=1"})
        .AddTxt("onlytxt.examplehealth.test", {"hello"});
    // A zone with hundreds of TXT records, a few of them ours.
    for (int i = 0; i < 300; ++i) {
      records.AddTxt("crowded.test", {absl::StrCat("unrelated-verification-", i, "=", i * 7919)});
    }
    for (int i = 0; i < 20; ++i) {
      records.AddTxt("crowded.test", {absl::StrCat("cerner-client-id=crowd-", i)});
    }
    // TXT beyond the byte cap used in one test.
    for (int i = 0; i < 40; ++i) records.AddTxt("bulky.test", {std::string(200, 'a' + i % 26)});
    auto dns = Dnsmasq::Start(records);
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = dns->release();
  }
  static void TearDownTestSuite() {
    delete dns_;
    delete pki_;
  }

  std::unique_ptr<ProbeEngine> Engine(const std::string& allow = "127.0.0.0/8,::1/128",
                                      std::function<void(ProbeEngineOptions&)> tweak = {}) {
    ProbeEngineOptions options;
    options.dns_servers = {dns_->server()};
    options.trust_store_path = pki_->root_pem_path();
    auto cidrs = net::ParseCidrList(allow);
    EXPECT_TRUE(cidrs.ok()) << cidrs.status();
    options.allow_cidrs = *cidrs;
    options.connect_timeout = absl::Seconds(5);
    if (tweak) tweak(options);
    auto engine = ProbeEngine::Create(std::move(options));
    EXPECT_TRUE(engine.ok()) << engine.status();
    return std::move(*engine);
  }

  static Target TargetFor(const std::string& host, uint16_t port, const char* scheme = "https") {
    auto target = net::ParseRedirectUri(absl::StrCat(scheme, "://", host, ":", port, "/cb"));
    EXPECT_TRUE(target.ok()) << target.status();
    return *target;
  }

  static EndpointObservation Endpoint(Prober& prober, const Target& target,
                                      absl::Duration budget = absl::Seconds(10)) {
    absl::Notification done;
    EndpointObservation result;
    const absl::Time deadline = absl::Now() + budget;
    prober.ObserveEndpoint(target, deadline, [&](EndpointObservation observation) {
      result = std::move(observation);
      done.Notify();
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(budget + kSlack))
        << "callback not called by the deadline";
    EXPECT_LE(absl::Now(), deadline + kSlack);
    return result;
  }

  static TxtObservation Txt(Prober& prober, const std::string& domain,
                            absl::Duration budget = absl::Seconds(10)) {
    absl::Notification done;
    TxtObservation result;
    const absl::Time deadline = absl::Now() + budget;
    prober.ObserveTxt(domain, kKey, deadline, [&](TxtObservation observation) {
      result = std::move(observation);
      done.Notify();
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(budget + kSlack));
    return result;
  }

  static std::unique_ptr<TlsTestServer> Serve(const IssuedCert& cert,
                                              TlsTestServerOptions options = {}) {
    auto server = TlsTestServer::Start(cert, options);
    EXPECT_TRUE(server.ok()) << server.status();
    return std::move(*server);
  }

  static IssuedCert Issue(const LeafOptions& options) {
    auto cert = pki_->Issue(options);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return *cert;
  }

  static TestPki* pki_;
  static Dnsmasq* dns_;
};

TestPki* ProbeEngineTest::pki_ = nullptr;
Dnsmasq* ProbeEngineTest::dns_ = nullptr;

// ---- certificates ---------------------------------------------------------

TEST_F(ProbeEngineTest, ObservesAnOvCertificateCompletely) {
  IssuedCert cert = Issue(testing::ExampleHealthOv());
  auto server = Serve(cert);
  auto engine = Engine();
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));

  EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_OK);
  EXPECT_THAT(obs.addresses, ElementsAre("127.0.0.1"));
  EXPECT_THAT(obs.refused_addresses, IsEmpty());
  const v1::TlsFingerprint& tls = obs.tls;
  EXPECT_EQ(tls.outcome(), v1::PROBE_OUTCOME_OK) << tls.error();
  EXPECT_TRUE(tls.present());
  EXPECT_EQ(tls.protocol_version(), "TLSv1.3");
  EXPECT_TRUE(tls.tls12_or_newer());
  EXPECT_EQ(tls.leaf_sha256(), cert.leaf_sha256);
  EXPECT_EQ(tls.spki_sha256(), cert.spki_sha256);
  EXPECT_EQ(tls.serial(), cert.serial_hex);
  EXPECT_EQ(tls.subject_organization(), "Example Health, Inc.");
  EXPECT_EQ(tls.subject_locality(), "Kansas City");
  EXPECT_EQ(tls.subject_state(), "MO");
  EXPECT_EQ(tls.subject_country(), "US");
  EXPECT_EQ(tls.subject_common_name(), kHost);
  EXPECT_THAT(tls.subject_alt_names(), ElementsAre(kHost));
  EXPECT_THAT(tls.issuer(), HasSubstr("CN=AppTrust Test Issuing CA"));
  EXPECT_EQ(tls.validation_level(), v1::VALIDATION_LEVEL_OV);
  EXPECT_TRUE(tls.chain_trusted()) << tls.verify_error();
  EXPECT_TRUE(tls.hostname_matches());
  EXPECT_FALSE(tls.self_signed());
  EXPECT_EQ(tls.revocation(), v1::REVOCATION_UNKNOWN);
  EXPECT_EQ(tls.chain_length(), 2);
  EXPECT_EQ(tls.key_type(), "EC");
  EXPECT_EQ(tls.peer_address(), "127.0.0.1");
  EXPECT_GT(tls.not_after().seconds(), absl::ToUnixSeconds(absl::Now()));
  EXPECT_LT(tls.not_before().seconds(), absl::ToUnixSeconds(absl::Now()));
  EXPECT_TRUE(server->WaitForHandshakes(1));
  EXPECT_EQ(server->completed_handshakes(), 1);
}

TEST_F(ProbeEngineTest, ReadsValidationLevelFromPolicyOids) {
  auto engine = Engine();
  struct Case {
    CertPolicy policy;
    v1::ValidationLevel expected;
  };
  for (Case c : {Case{CertPolicy::kDv, v1::VALIDATION_LEVEL_DV},
                 Case{CertPolicy::kOv, v1::VALIDATION_LEVEL_OV},
                 Case{CertPolicy::kEv, v1::VALIDATION_LEVEL_EV},
                 Case{CertPolicy::kIv, v1::VALIDATION_LEVEL_IV},
                 Case{CertPolicy::kNone, v1::VALIDATION_LEVEL_NONE}}) {
    LeafOptions options = testing::ExampleHealthOv();
    options.policy = c.policy;
    auto server = Serve(Issue(options));
    EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
    EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
    EXPECT_EQ(obs.tls.validation_level(), c.expected);
  }
}

TEST_F(ProbeEngineTest, ReportsValidityDatesWithoutDistrustingTheChain) {
  auto engine = Engine();
  absl::Time now = absl::Now();
  LeafOptions expired = testing::ExampleHealthOv();
  expired.not_before = now - absl::Hours(24 * 100);
  expired.not_after = now - absl::Hours(24);
  auto server = Serve(Issue(expired));
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_TRUE(obs.tls.chain_trusted()) << obs.tls.verify_error();
  EXPECT_EQ(obs.tls.not_after().seconds(), absl::ToUnixSeconds(expired.not_after));

  LeafOptions future = testing::ExampleHealthOv();
  future.not_before = now + absl::Hours(24 * 10);
  future.not_after = now + absl::Hours(24 * 100);
  ASSERT_TRUE(server->SetCertificate(Issue(future)).ok());
  obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_TRUE(obs.tls.chain_trusted()) << obs.tls.verify_error();
  EXPECT_EQ(obs.tls.not_before().seconds(), absl::ToUnixSeconds(future.not_before));
}

TEST_F(ProbeEngineTest, UsesTheInjectedClock) {
  const absl::Time fixed = absl::FromUnixSeconds(1900000000);
  auto engine =
      Engine("127.0.0.0/8", [&](ProbeEngineOptions& o) { o.clock = [=] { return fixed; }; });
  auto server = Serve(Issue(testing::ExampleHealthOv()));
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.observed_at, fixed);
  EXPECT_TRUE(obs.tls.chain_trusted()) << obs.tls.verify_error();
  EXPECT_EQ(Txt(*engine, kDomain).observed_at, fixed);
}

TEST_F(ProbeEngineTest, SelfSignedIsUntrusted) {
  LeafOptions options = testing::ExampleHealthOv();
  options.self_signed = true;
  auto server = Serve(Issue(options));
  auto engine = Engine();
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_FALSE(obs.tls.chain_trusted());
  EXPECT_TRUE(obs.tls.self_signed());
  EXPECT_THAT(obs.tls.verify_error(), HasSubstr("self"));
  EXPECT_EQ(obs.tls.chain_length(), 1);
  EXPECT_TRUE(obs.tls.hostname_matches());
}

TEST_F(ProbeEngineTest, AnotherCasTrustStoreDistrustsTheChain) {
  auto other = TestPki::Create();
  ASSERT_TRUE(other.ok());
  auto server = Serve(Issue(testing::ExampleHealthOv()));
  auto engine = Engine("127.0.0.0/8", [&](ProbeEngineOptions& o) {
    o.trust_store_path = (*other)->root_pem_path();
  });
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_FALSE(obs.tls.chain_trusted());
  EXPECT_FALSE(obs.tls.self_signed());
  EXPECT_NE(obs.tls.verify_error(), "");
}

TEST_F(ProbeEngineTest, WrongHostDoesNotMatch) {
  auto server = Serve(Issue(testing::ExampleHealthOv({"other.examplehealth.test"})));
  auto engine = Engine();
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_FALSE(obs.tls.hostname_matches());
  EXPECT_TRUE(obs.tls.chain_trusted());
  EXPECT_TRUE(Endpoint(*engine, TargetFor("other.examplehealth.test", server->port()))
                  .tls.hostname_matches());
}

TEST_F(ProbeEngineTest, WildcardMatchesOneLabelOnly) {
  auto server = Serve(Issue(testing::ExampleHealthOv({"*.examplehealth.test"})));
  auto engine = Engine();
  EXPECT_TRUE(Endpoint(*engine, TargetFor(kHost, server->port())).tls.hostname_matches());
}

TEST_F(ProbeEngineTest, RsaAndEcdsaKeys) {
  auto engine = Engine();
  LeafOptions rsa = testing::ExampleHealthOv();
  rsa.key_type = KeyType::kRsa2048;
  auto rsa_server = Serve(Issue(rsa));
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, rsa_server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_EQ(obs.tls.key_type(), "RSA");
  EXPECT_TRUE(obs.tls.chain_trusted());
  auto ec_server = Serve(Issue(testing::ExampleHealthOv()));
  EXPECT_EQ(Endpoint(*engine, TargetFor(kHost, ec_server->port())).tls.key_type(), "EC");
}

// A stapled OCSP response is not evidence (its signature is not verified):
// a staple saying "revoked" or "good" leaves revocation UNKNOWN. Revocation
// comes from CRLs (revocation_test.cc).
TEST_F(ProbeEngineTest, AStapledOcspResponseIsNotEvidence) {
  auto engine = Engine();
  IssuedCert cert = Issue(testing::ExampleHealthOv());
  for (bool revoked : {true, false}) {
    auto staple = pki_->OcspResponse(cert, revoked);
    ASSERT_TRUE(staple.ok()) << staple.status();
    TlsTestServerOptions options;
    options.ocsp_response = *staple;
    auto server = Serve(cert, options);
    EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
    EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
    EXPECT_EQ(obs.tls.revocation(), v1::REVOCATION_UNKNOWN) << "revoked staple: " << revoked;
    EXPECT_EQ(obs.tls.revocation_outcome(), v1::PROBE_OUTCOME_NOT_APPLICABLE);
  }
}

TEST_F(ProbeEngineTest, CertificateSwapIsSeenByTheNextProbe) {
  auto engine = Engine();
  IssuedCert first = Issue(testing::ExampleHealthOv());
  auto server = Serve(first);
  EXPECT_EQ(Endpoint(*engine, TargetFor(kHost, server->port())).tls.leaf_sha256(),
            first.leaf_sha256);
  LeafOptions renamed = testing::ExampleHealthOv();
  renamed.organization = "Other Org LLC";
  IssuedCert second = Issue(renamed);
  ASSERT_TRUE(server->SetCertificate(second).ok());
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.leaf_sha256(), second.leaf_sha256);
  EXPECT_EQ(obs.tls.subject_organization(), "Other Org LLC");
}

// ---- hostile and outdated peers -----------------------------------------

TEST_F(ProbeEngineTest, SilentServerTimesOutWithinTheDeadline) {
  TlsTestServerOptions options;
  options.mode = TlsServerMode::kSilent;
  auto server = Serve(Issue(testing::ExampleHealthOv()), options);
  auto engine = Engine();
  absl::Time start = absl::Now();
  EndpointObservation obs =
      Endpoint(*engine, TargetFor(kHost, server->port()), absl::Milliseconds(1500));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_TIMEOUT);
  EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_OK);
  EXPECT_FALSE(obs.tls.present());
  EXPECT_LE(absl::Now() - start, absl::Milliseconds(1500) + kSlack);
  EXPECT_EQ(server->accepted_connections(), 1);
}

TEST_F(ProbeEngineTest, ConnectTimeoutBoundsAProbeWithALongDeadline) {
  TlsTestServerOptions options;
  options.mode = TlsServerMode::kSilent;
  auto server = Serve(Issue(testing::ExampleHealthOv()), options);
  auto engine = Engine("127.0.0.0/8",
                       [](ProbeEngineOptions& o) { o.connect_timeout = absl::Milliseconds(500); });
  absl::Time start = absl::Now();
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()), absl::Seconds(60));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_TIMEOUT);
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

TEST_F(ProbeEngineTest, GarbageAndPlainHttpAreNoTls) {
  auto engine = Engine();
  for (TlsServerMode mode : {TlsServerMode::kGarbage, TlsServerMode::kPlainHttp}) {
    TlsTestServerOptions options;
    options.mode = mode;
    auto server = Serve(Issue(testing::ExampleHealthOv()), options);
    EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
    EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_NO_TLS) << obs.tls.error();
    EXPECT_FALSE(obs.tls.present());
    EXPECT_NE(obs.tls.error(), "");
  }
}

TEST_F(ProbeEngineTest, OutdatedServerIsObservedNotRefused) {
  TlsTestServerOptions options;
  options.mode = TlsServerMode::kTls10And11;
  auto server = Serve(Issue(testing::ExampleHealthOv()), options);
  auto engine = Engine();
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_EQ(obs.tls.protocol_version(), "TLSv1.1");
  EXPECT_FALSE(obs.tls.tls12_or_newer());
  EXPECT_TRUE(obs.tls.present());
  EXPECT_EQ(obs.tls.subject_organization(), "Example Health, Inc.");
}

TEST_F(ProbeEngineTest, HugeChainsHitTheCaps) {
  IssuedCert cert = Issue(testing::ExampleHealthOv());
  TlsTestServerOptions options;
  options.extra_chain_copies = 30;
  auto server = Serve(cert, options);
  // Over the certificate-count cap, within the byte cap.
  auto by_count = Engine("127.0.0.0/8", [](ProbeEngineOptions& o) { o.max_chain_certs = 10; });
  EndpointObservation obs = Endpoint(*by_count, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_ERROR);
  EXPECT_THAT(obs.tls.error(), HasSubstr("certificates (cap 10)"));
  EXPECT_FALSE(obs.tls.present());
  // Over the byte cap: the handshake itself is stopped.
  auto by_bytes = Engine("127.0.0.0/8", [](ProbeEngineOptions& o) {
    o.max_chain_certs = 100;
    o.max_chain_bytes = 4096;
  });
  obs = Endpoint(*by_bytes, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_ERROR);
  EXPECT_THAT(obs.tls.error(), HasSubstr("cap"));
  // Within both caps the same chain is fine.
  auto roomy = Engine("127.0.0.0/8", [](ProbeEngineOptions& o) { o.max_chain_certs = 100; });
  obs = Endpoint(*roomy, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_EQ(obs.tls.chain_length(), 32);
}

TEST_F(ProbeEngineTest, ClosedPortAndImmediateCloseAreProbeFailures) {
  auto engine = Engine();
  // A port nobody listens on: bind, read the number, close.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, ntohs(addr.sin_port)));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_CONNECTION_REFUSED) << obs.tls.error();

  TlsTestServerOptions options;
  options.mode = TlsServerMode::kCloseAtOnce;
  auto server = Serve(Issue(testing::ExampleHealthOv()), options);
  obs = Endpoint(*engine, TargetFor(kHost, server->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_CONNECTION_RESET) << obs.tls.error();
}

// Holds every descriptor this process may open (what 1,100 idle connections
// to a service's gRPC port did to it) until destroyed.
class DescriptorExhaustion {
 public:
  DescriptorExhaustion() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    // A low soft limit keeps the test cheap; the hard limit is untouched.
    rlimit low = saved_;
    low.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, 2048);
    setrlimit(RLIMIT_NOFILE, &low);
    for (int fd = dup(0); fd >= 0; fd = dup(0)) held_.push_back(fd);
    error_ = errno;
  }
  ~DescriptorExhaustion() {
    for (int fd : held_) close(fd);
    setrlimit(RLIMIT_NOFILE, &saved_);
  }
  int error() const { return error_; }

 private:
  rlimit saved_{};
  std::vector<int> held_;
  int error_ = 0;
};

TEST_F(ProbeEngineTest, OutOfDescriptorsIsALocalErrorNotTheApps) {
  auto server = Serve(Issue(testing::ExampleHealthOv()));
  auto engine = Engine();
  // Created before the exhaustion; its resolver opens its socket on first use.
  auto fresh_resolver = Engine();
  EndpointObservation obs;
  TxtObservation txt;
  {
    DescriptorExhaustion exhausted;
    ASSERT_EQ(exhausted.error(), EMFILE);
    obs = Endpoint(*engine, TargetFor("127.0.0.1", server->port()));
    txt = Txt(*fresh_resolver, kDomain);
  }
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_LOCAL_ERROR) << obs.tls.error();
  EXPECT_THAT(obs.tls.error(), HasSubstr("Too many open files"));
  EXPECT_EQ(txt.outcome, v1::PROBE_OUTCOME_LOCAL_ERROR) << txt.error;
  // With descriptors back, the same probes observe the app.
  EXPECT_EQ(Endpoint(*engine, TargetFor("127.0.0.1", server->port())).tls.outcome(),
            v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(Txt(*fresh_resolver, kDomain).outcome, v1::PROBE_OUTCOME_OK);
}

// ---- addresses and SSRF ----------------------------------------------------

TEST_F(ProbeEngineTest, RefusesLoopbackWithAnEmptyAllowListAndNeverConnects) {
  auto v4 = Serve(Issue(testing::ExampleHealthOv()));
  TlsTestServerOptions v6_options;
  v6_options.bind_address = "::1";
  auto v6 = Serve(Issue(testing::ExampleHealthOv({"v6.examplehealth.test"})), v6_options);
  auto engine = Engine(/*allow=*/"");
  struct Case {
    std::string host;
    uint16_t port;
    std::string address;
  };
  for (const Case& c :
       {Case{kHost, v4->port(), "127.0.0.1"}, Case{"v6.examplehealth.test", v6->port(), "::1"},
        Case{"mapped.examplehealth.test", v4->port(), "::ffff:127.0.0.1"},
        Case{"127.0.0.1", v4->port(), "127.0.0.1"}, Case{"[::1]", v6->port(), "::1"}}) {
    EndpointObservation obs = Endpoint(*engine, TargetFor(c.host, c.port));
    EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED) << c.host;
    EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED) << c.host;
    EXPECT_THAT(obs.refused_addresses, ElementsAre(c.address)) << c.host;
    EXPECT_THAT(obs.address_error, HasSubstr("loopback")) << c.host;
    EXPECT_FALSE(obs.tls.present());
  }
  EXPECT_EQ(v4->accepted_connections(), 0);
  EXPECT_EQ(v6->accepted_connections(), 0);
}

TEST_F(ProbeEngineTest, AllowListAdmitsLoopbackIncludingMappedAndV6) {
  TlsTestServerOptions v6_options;
  v6_options.bind_address = "::1";
  auto v6 = Serve(Issue(testing::ExampleHealthOv({"v6.examplehealth.test"})), v6_options);
  auto v4 = Serve(Issue(testing::ExampleHealthOv({"mapped.examplehealth.test"})));
  auto engine = Engine();
  EndpointObservation obs = Endpoint(*engine, TargetFor("v6.examplehealth.test", v6->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_EQ(obs.tls.peer_address(), "::1");
  obs = Endpoint(*engine, TargetFor("mapped.examplehealth.test", v4->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_EQ(obs.tls.peer_address(), "::ffff:127.0.0.1");
}

TEST_F(ProbeEngineTest, PrefersIpv4AndContactsOnlyAllowedAddresses) {
  auto v4 = Serve(Issue(testing::ExampleHealthOv({"both.examplehealth.test"})));
  // Only ::1 allowed: the engine must skip 127.0.0.1 and go to ::1, where
  // nobody listens on that port → refused, and the IPv4 server sees nothing.
  auto engine = Engine("::1/128");
  EndpointObservation obs = Endpoint(*engine, TargetFor("both.examplehealth.test", v4->port()));
  EXPECT_THAT(obs.addresses, ElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(obs.refused_addresses, ElementsAre("127.0.0.1"));
  EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(obs.tls.peer_address(), "::1");
  EXPECT_EQ(v4->accepted_connections(), 0);
  // Both allowed: IPv4 first.
  auto both = Engine();
  obs = Endpoint(*both, TargetFor("both.examplehealth.test", v4->port()));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_EQ(obs.tls.peer_address(), "127.0.0.1");
}

TEST_F(ProbeEngineTest, IpLiteralHostsSkipDns) {
  LeafOptions options = testing::ExampleHealthOv();
  options.ip_addresses = {"127.0.0.1"};
  auto server = Serve(Issue(options));
  auto engine = Engine();
  EndpointObservation obs = Endpoint(*engine, TargetFor("127.0.0.1", server->port()));
  EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_NOT_APPLICABLE);
  EXPECT_THAT(obs.addresses, ElementsAre("127.0.0.1"));
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_OK) << obs.tls.error();
  EXPECT_TRUE(obs.tls.hostname_matches());
  EXPECT_EQ(Txt(*engine, "127.0.0.1").outcome, v1::PROBE_OUTCOME_NOT_APPLICABLE);
}

TEST_F(ProbeEngineTest, HttpIsResolvedButNeverConnected) {
  auto server = Serve(Issue(testing::ExampleHealthOv()));
  auto engine = Engine();
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, server->port(), "http"));
  EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_NOT_APPLICABLE);
  EXPECT_EQ(server->accepted_connections(), 0);
}

// ---- DNS ---------------------------------------------------------------------

TEST_F(ProbeEngineTest, NxdomainAndNoData) {
  auto engine = Engine();
  EndpointObservation obs = Endpoint(*engine, TargetFor("missing.examplehealth.test", 443));
  EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_NXDOMAIN) << obs.address_error;
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_NXDOMAIN);
  EXPECT_THAT(obs.addresses, IsEmpty());
  EXPECT_EQ(Txt(*engine, "missing.test").outcome, v1::PROBE_OUTCOME_NXDOMAIN);

  obs = Endpoint(*engine, TargetFor("onlytxt.examplehealth.test", 443));
  EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_NO_DATA) << obs.address_error;
  EXPECT_EQ(Txt(*engine, "hosttxt.examplehealth.test").outcome, v1::PROBE_OUTCOME_NO_DATA);
}

TEST_F(ProbeEngineTest, FindsTxtEntriesInAllThreeLayouts) {
  auto engine = Engine();
  TxtObservation txt = Txt(*engine, kDomain);
  EXPECT_EQ(txt.outcome, v1::PROBE_OUTCOME_OK) << txt.error;
  EXPECT_THAT(txt.entries, ElementsAre("cerner-client-id=app-five", "cerner-client-id=app-four",
                                       "cerner-client-id=app-one", "cerner-client-id=app-three",
                                       "cerner-client-id=app-two"));
  // A domain with TXT records but none of ours: OK, no entries.
  TxtObservation other = Txt(*engine, "onlytxt.examplehealth.test");
  EXPECT_EQ(other.outcome, v1::PROBE_OUTCOME_OK);
  EXPECT_THAT(other.entries, IsEmpty());
}

TEST_F(ProbeEngineTest, HundredsOfTxtRecords) {
  auto engine = Engine();
  TxtObservation txt = Txt(*engine, "crowded.test");
  EXPECT_EQ(txt.outcome, v1::PROBE_OUTCOME_OK) << txt.error;
  EXPECT_EQ(txt.entries.size(), 20u);
  EXPECT_THAT(txt.entries, Contains("cerner-client-id=crowd-19"));
}

TEST_F(ProbeEngineTest, TxtByteCap) {
  auto engine = Engine("127.0.0.0/8", [](ProbeEngineOptions& o) { o.max_txt_bytes = 4000; });
  TxtObservation txt = Txt(*engine, "bulky.test");
  EXPECT_EQ(txt.outcome, v1::PROBE_OUTCOME_ERROR);
  EXPECT_THAT(txt.error, HasSubstr("cap 4000"));
  EXPECT_EQ(Txt(*engine, kDomain).outcome, v1::PROBE_OUTCOME_OK);
}

TEST_F(ProbeEngineTest, UnreachableDnsServerTimesOutWithinTheDeadline) {
  auto silent = SilentDnsServer::Start();
  ASSERT_TRUE(silent.ok()) << silent.status();
  auto engine = Engine("127.0.0.0/8", [&](ProbeEngineOptions& o) {
    o.dns_servers = {(*silent)->server()};
    o.dns_timeout = absl::Seconds(30);  // the caller's deadline ends it first
  });
  absl::Time start = absl::Now();
  EndpointObservation obs = Endpoint(*engine, TargetFor(kHost, 443), absl::Seconds(1));
  EXPECT_EQ(obs.address_outcome, v1::PROBE_OUTCOME_TIMEOUT) << obs.address_error;
  EXPECT_EQ(obs.tls.outcome(), v1::PROBE_OUTCOME_TIMEOUT);
  TxtObservation txt = Txt(*engine, kDomain, absl::Seconds(1));
  EXPECT_EQ(txt.outcome, v1::PROBE_OUTCOME_TIMEOUT);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2) + 2 * kSlack);

  // c-ares' own timeout, shorter than the deadline, is a TIMEOUT too.
  auto short_dns = Engine("127.0.0.0/8", [&](ProbeEngineOptions& o) {
    o.dns_servers = {(*silent)->server()};
    o.dns_timeout = absl::Milliseconds(400);
  });
  EXPECT_EQ(Txt(*short_dns, kDomain, absl::Seconds(20)).outcome, v1::PROBE_OUTCOME_TIMEOUT);
}

TEST_F(ProbeEngineTest, ConcurrentLookupsOfOneNameAskTheResolverOnce) {
  auto silent = SilentDnsServer::Start();
  ASSERT_TRUE(silent.ok()) << silent.status();
  auto engine = Engine("127.0.0.0/8", [&](ProbeEngineOptions& o) {
    o.dns_servers = {(*silent)->server()};
    o.dns_timeout = absl::Milliseconds(400);
  });
  constexpr int kLookups = 50;
  absl::BlockingCounter pending(kLookups);
  std::atomic<int> timeouts{0};
  for (int i = 0; i < kLookups; ++i) {
    engine->ObserveTxt(kDomain, kKey, absl::Now() + absl::Seconds(5), [&](TxtObservation o) {
      timeouts += o.outcome == v1::PROBE_OUTCOME_TIMEOUT;
      pending.DecrementCount();
    });
  }
  pending.Wait();
  EXPECT_EQ(timeouts.load(), kLookups);
  // One question, asked once per try (2 tries), not once per lookup.
  EXPECT_LE((*silent)->ReceivedQueries(), 2);
  EXPECT_GE((*silent)->ReceivedQueries(), 1);
}

TEST_F(ProbeEngineTest, DnsChangesAreSeenAfterRestart) {
  DnsRecords records;
  records.AddHost("moving.test", {"127.0.0.1"}).AddTxt("moving.test", {"cerner-client-id=x"});
  auto dns = Dnsmasq::Start(records);
  ASSERT_TRUE(dns.ok()) << dns.status();
  auto engine =
      Engine("127.0.0.0/8", [&](ProbeEngineOptions& o) { o.dns_servers = {(*dns)->server()}; });
  EXPECT_THAT(Txt(*engine, "moving.test").entries, ElementsAre("cerner-client-id=x"));
  DnsRecords changed;
  changed.AddHost("moving.test", {"127.0.0.2"});
  ASSERT_TRUE((*dns)->Restart(changed).ok());
  EXPECT_THAT(Endpoint(*engine, TargetFor("moving.test", 1), absl::Seconds(5)).addresses,
              ElementsAre("127.0.0.2"));
  EXPECT_EQ(Txt(*engine, "moving.test").outcome, v1::PROBE_OUTCOME_NO_DATA);
}

// ---- concurrency and lifecycle ----------------------------------------------

TEST_F(ProbeEngineTest, ManyProbesInFlightOnOneLoop) {
  auto good = Serve(Issue(testing::ExampleHealthOv()));
  TlsTestServerOptions silent_options;
  silent_options.mode = TlsServerMode::kSilent;
  auto silent = Serve(Issue(testing::ExampleHealthOv()), silent_options);
  auto engine = Engine();
  constexpr int kEach = 100;
  absl::Mutex mutex;
  int ok = 0, timeouts = 0, txt_ok = 0;
  // What the probes that did not end as expected said, for the failure message.
  std::vector<std::string> unexpected;
  absl::BlockingCounter pending(3 * kEach);
  const absl::Time deadline = absl::Now() + absl::Seconds(8);
  for (int i = 0; i < kEach; ++i) {
    engine->ObserveEndpoint(TargetFor(kHost, good->port()), deadline, [&](EndpointObservation o) {
      absl::MutexLock lock(&mutex);
      ok += o.tls.outcome() == v1::PROBE_OUTCOME_OK;
      if (o.tls.outcome() != v1::PROBE_OUTCOME_OK) {
        unexpected.push_back(absl::StrCat("endpoint: ", v1::ProbeOutcome_Name(o.tls.outcome()), " ",
                                          o.tls.error(), " ", o.address_error));
      }
      pending.DecrementCount();
    });
    engine->ObserveEndpoint(TargetFor(kHost, silent->port()), absl::Now() + absl::Seconds(2),
                            [&](EndpointObservation o) {
                              absl::MutexLock lock(&mutex);
                              timeouts += o.tls.outcome() == v1::PROBE_OUTCOME_TIMEOUT;
                              pending.DecrementCount();
                            });
    engine->ObserveTxt(kDomain, kKey, deadline, [&](TxtObservation o) {
      absl::MutexLock lock(&mutex);
      const bool as_expected = o.outcome == v1::PROBE_OUTCOME_OK && o.entries.size() == 5;
      txt_ok += as_expected;
      if (!as_expected) {
        unexpected.push_back(absl::StrCat("txt: ", v1::ProbeOutcome_Name(o.outcome), " ",
                                          o.entries.size(), " entries ", o.error));
      }
      pending.DecrementCount();
    });
  }
  pending.Wait();
  // Every probe ended by its deadline (checked before waiting on the server).
  EXPECT_LE(absl::Now(), deadline + kSlack);
  absl::MutexLock lock(&mutex);
  const std::string said = absl::StrJoin(unexpected, "\n");
  EXPECT_EQ(ok, kEach) << said;
  EXPECT_EQ(timeouts, kEach);
  EXPECT_EQ(txt_ok, kEach) << said;
  EXPECT_EQ(engine->in_flight(), 0);
  EXPECT_TRUE(good->WaitForHandshakes(kEach));
}

TEST_F(ProbeEngineTest, DestructionCompletesProbesInFlight) {
  TlsTestServerOptions options;
  options.mode = TlsServerMode::kSilent;
  auto silent = Serve(Issue(testing::ExampleHealthOv()), options);
  auto engine = Engine();
  absl::Notification done;
  v1::ProbeOutcome outcome = v1::PROBE_OUTCOME_UNSPECIFIED;
  engine->ObserveEndpoint(TargetFor(kHost, silent->port()), absl::Now() + absl::Seconds(60),
                          [&](EndpointObservation o) {
                            outcome = o.tls.outcome();
                            done.Notify();
                          });
  // Wait until the connection is up, then destroy the engine.
  for (int i = 0; i < 200 && silent->accepted_connections() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  engine.reset();
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_EQ(outcome, v1::PROBE_OUTCOME_ERROR);
}

TEST_F(ProbeEngineTest, ObserveBlockingBuildsTheFingerprint) {
  IssuedCert cert = Issue(testing::ExampleHealthOv());
  auto server = Serve(cert);
  auto engine = Engine();
  Target target = TargetFor(kHost, server->port());
  v1::Fingerprint fp =
      ObserveBlocking(*engine, target, "app-two", kKey, absl::Now() + absl::Seconds(10));
  EXPECT_EQ(fp.host(), kHost);
  EXPECT_EQ(fp.domain(), kDomain);
  EXPECT_EQ(fp.port(), server->port());
  EXPECT_EQ(fp.tls().leaf_sha256(), cert.leaf_sha256);
  EXPECT_TRUE(fp.dns().client_id_txt_present());
  EXPECT_EQ(fp.dns().txt_values_size(), 5);
  EXPECT_THAT(fp.dns().addresses(), ElementsAre("127.0.0.1"));
  EXPECT_TRUE(fp.has_captured_at());
  EXPECT_FALSE(ObserveBlocking(*engine, target, "app-nine", kKey, absl::Now() + absl::Seconds(10))
                   .dns()
                   .client_id_txt_present());
}

TEST_F(ProbeEngineTest, CreateRejectsBadConfiguration) {
  ProbeEngineOptions bad_dns;
  bad_dns.dns_servers = {"not a server"};
  EXPECT_FALSE(ProbeEngine::Create(bad_dns).ok());
  ProbeEngineOptions bad_trust;
  bad_trust.trust_store_path = "/nonexistent/ca.pem";
  auto engine = ProbeEngine::Create(bad_trust);
  ASSERT_FALSE(engine.ok());
  EXPECT_THAT(std::string(engine.status().message()), HasSubstr("/nonexistent/ca.pem"));
}

}  // namespace
}  // namespace apptrust::probe
