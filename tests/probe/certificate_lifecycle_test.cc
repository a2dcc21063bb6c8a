// Certificates as the Web PKI issues them now, against real parts: a test PKI
// (two issuing CAs) that issues leaves naming a CRL distribution point and
// signs CRLs, a real HTTP server on loopback serving them, real TLS servers
// and dnsmasq. Revocation through CRLs; short-lived certificates renewed
// daily; renewals by another CA or with the legal form spelled differently.
// What a patient's refresh would get is judged by the real policy. No
// traffic leaves loopback.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "common/config/effective_policy.h"
#include "common/net/address_policy.h"
#include "common/net/redirect_uri.h"
#include "common/policy/display_identity.h"
#include "common/policy/policy.h"
#include "common/policy/probe_outcome.h"
#include "common/probe/probe_engine.h"
#include "common/probe/testing/observe_blocking.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/http_test_server.h"
#include "tests/support/test_pki.h"
#include "tests/support/tls_test_server.h"

namespace apptrust::probe {
namespace {

using ::apptrust::testing::CrlOptions;
using ::apptrust::testing::Dnsmasq;
using ::apptrust::testing::DnsRecords;
using ::apptrust::testing::HttpTestResponse;
using ::apptrust::testing::HttpTestServer;
using ::apptrust::testing::IssuedCert;
using ::apptrust::testing::LeafOptions;
using ::apptrust::testing::TestPki;
using ::apptrust::testing::TlsTestServer;
using ::testing::HasSubstr;

constexpr char kHost[] = "app.examplehealth.test";
constexpr char kKey[] = "cerner-client-id";
constexpr char kCrlPath[] = "/issuing.crl";

HttpTestResponse Body(int status, std::string body) {
  HttpTestResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpTestResponse Redirect(int status, std::string location) {
  HttpTestResponse response;
  response.status = status;
  response.location = std::move(location);
  return response;
}

class CertificateLifecycleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pki = TestPki::Create();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = pki->release();
    DnsRecords records;
    records.AddHost(kHost, {"127.0.0.1"})
        .AddHost("crl.examplehealth.test", {"127.0.0.1"})
        .AddHost("crl-elsewhere.examplehealth.test", {"127.0.0.2"})
        .AddTxt("examplehealth.test", {"cerner-client-id=app-one"});
    auto dns = Dnsmasq::Start(records);
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = dns->release();
  }
  static void TearDownTestSuite() {
    delete dns_;
    delete pki_;
  }

  void SetUp() override {
    auto http = HttpTestServer::Start();
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::move(*http);
  }

  std::unique_ptr<ProbeEngine> Engine(std::function<void(ProbeEngineOptions&)> tweak = {}) {
    ProbeEngineOptions options;
    options.dns_servers = {dns_->server()};
    options.trust_store_path = pki_->root_pem_path();
    options.allow_cidrs = *net::ParseCidrList("127.0.0.1/32,::1/128");
    options.connect_timeout = absl::Seconds(5);
    options.crl_timeout = absl::Seconds(5);
    if (tweak) tweak(options);
    auto engine = ProbeEngine::Create(std::move(options));
    EXPECT_TRUE(engine.ok()) << engine.status();
    return std::move(*engine);
  }

  // The CRL URL through the test DNS name (the fetcher resolves it).
  std::string CrlUrl(const std::string& path = kCrlPath) const {
    return absl::StrCat("http://crl.examplehealth.test:", http_->port(), path);
  }

  static IssuedCert Issue(const std::string& crl_url, LeafOptions options = {}) {
    if (options.organization.empty()) options = testing::ExampleHealthOv();
    options.crl_urls = {crl_url};
    auto cert = pki_->Issue(options);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return *cert;
  }

  static std::unique_ptr<TlsTestServer> Serve(const IssuedCert& cert) {
    auto server = TlsTestServer::Start(cert, {});
    EXPECT_TRUE(server.ok()) << server.status();
    return std::move(*server);
  }

  void ServeCrl(const CrlOptions& options, const std::string& path = kCrlPath) {
    auto crl = pki_->Crl(options);
    ASSERT_TRUE(crl.ok()) << crl.status();
    http_->Serve(path, Body(200, *crl));
  }

  static v1::Fingerprint Observe(ProbeEngine& engine, uint16_t port,
                                 absl::Duration budget = absl::Seconds(10)) {
    auto target = net::ParseRedirectUri(absl::StrCat("https://", kHost, ":", port, "/cb"));
    EXPECT_TRUE(target.ok());
    return testing::ObserveBlocking(engine, *target, "app-one", kKey,
                                    absl::Now() + budget);
  }

  // The approval of `fingerprint` at `at`, as the decision service stores it.
  static policy::Enrolled Approve(const v1::Fingerprint& fingerprint, absl::Time at) {
    policy::Enrolled enrolled;
    enrolled.fingerprint = fingerprint;
    enrolled.application_name = "Example App";
    enrolled.identity = policy::ComputeIdentity(fingerprint, "Example App", false, at);
    return enrolled;
  }

  // What a refresh would get, compared with an approval of the same
  // certificate before any revocation was known.
  static std::vector<v1::Finding> Judge(const v1::Fingerprint& observed,
                                        v1::ProbeFailure on_probe_failure) {
    v1::Fingerprint approved = observed;
    v1::TlsFingerprint& tls = *approved.mutable_tls();
    tls.set_revocation(v1::REVOCATION_UNKNOWN);
    tls.clear_revocation_outcome();
    tls.clear_revocation_error();
    config::EffectivePolicy policy;
    policy.on_probe_failure = on_probe_failure;
    return policy::Evaluate(Approve(approved, absl::Now()), observed, absl::Now(), policy);
  }

  static bool Has(const std::vector<v1::Finding>& findings, v1::Reason reason, bool suspends) {
    for (const v1::Finding& finding : findings) {
      if (finding.reason() == reason && finding.suspends() == suspends) return true;
    }
    return false;
  }

  // A bounded failure: a probe failure, never a revocation; suspends only
  // under on_probe_failure=SUSPEND.
  void ExpectProbeFailure(const v1::Fingerprint& observed, const std::string& why) {
    const v1::TlsFingerprint& tls = observed.tls();
    EXPECT_EQ(tls.outcome(), v1::PROBE_OUTCOME_OK) << tls.error();
    EXPECT_NE(tls.revocation(), v1::REVOCATION_REVOKED);
    EXPECT_TRUE(policy::IsProbeFailure(tls.revocation_outcome()))
        << v1::ProbeOutcome_Name(tls.revocation_outcome());
    EXPECT_THAT(tls.revocation_error(), HasSubstr(why));
    for (v1::ProbeFailure mode : {v1::PROBE_FAILURE_SUSPEND, v1::PROBE_FAILURE_STALE_OK}) {
      std::vector<v1::Finding> findings = Judge(observed, mode);
      EXPECT_FALSE(Has(findings, v1::REASON_TLS_CERT_REVOKED, true));
      EXPECT_FALSE(Has(findings, v1::REASON_TLS_CERT_REVOKED, false));
      EXPECT_TRUE(Has(findings, v1::REASON_PROBE_FAILED, mode == v1::PROBE_FAILURE_SUSPEND));
    }
  }

  static TestPki* pki_;
  static Dnsmasq* dns_;
  std::unique_ptr<HttpTestServer> http_;
};

TestPki* CertificateLifecycleTest::pki_ = nullptr;
Dnsmasq* CertificateLifecycleTest::dns_ = nullptr;

TEST_F(CertificateLifecycleTest, ARevokedLeafSuspends) {
  IssuedCert cert = Issue(CrlUrl());
  ServeCrl(CrlOptions{.revoked_serials_hex = {cert.serial_hex}});
  auto server = Serve(cert);
  auto engine = Engine();
  v1::Fingerprint observed = Observe(*engine, server->port());
  EXPECT_EQ(observed.tls().revocation(), v1::REVOCATION_REVOKED);
  EXPECT_EQ(observed.tls().revocation_outcome(), v1::PROBE_OUTCOME_OK)
      << observed.tls().revocation_error();
  EXPECT_EQ(observed.tls().crl_url(), CrlUrl());
  std::vector<v1::Finding> findings = Judge(observed, v1::PROBE_FAILURE_STALE_OK);
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings.front().reason(), v1::REASON_TLS_CERT_REVOKED);
  EXPECT_TRUE(findings.front().suspends());
  EXPECT_EQ(http_->Requests(kCrlPath), 1);
}

TEST_F(CertificateLifecycleTest, AFreshCrlNotListingTheLeafAllows) {
  IssuedCert cert = Issue(CrlUrl());
  IssuedCert other = Issue(CrlUrl());
  ServeCrl(CrlOptions{.revoked_serials_hex = {other.serial_hex}});
  auto server = Serve(cert);
  auto engine = Engine();
  v1::Fingerprint observed = Observe(*engine, server->port());
  EXPECT_EQ(observed.tls().revocation(), v1::REVOCATION_GOOD);
  EXPECT_EQ(observed.tls().revocation_outcome(), v1::PROBE_OUTCOME_OK)
      << observed.tls().revocation_error();
  EXPECT_FALSE(policy::AnySuspends(Judge(observed, v1::PROBE_FAILURE_SUSPEND)));
}

TEST_F(CertificateLifecycleTest, AnUnreachableCrlIsAProbeFailure) {
  // A port nothing listens on: bound, then closed.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  IssuedCert cert =
      Issue(absl::StrCat("http://crl.examplehealth.test:", ntohs(address.sin_port), kCrlPath));
  auto server = Serve(cert);
  auto engine = Engine();
  v1::Fingerprint observed = Observe(*engine, server->port());
  EXPECT_EQ(observed.tls().revocation_outcome(), v1::PROBE_OUTCOME_CONNECTION_REFUSED);
  ExpectProbeFailure(observed, "CRL not fetched");
}

TEST_F(CertificateLifecycleTest, ACrlSignedByAnotherKeyIsAProbeFailure) {
  IssuedCert cert = Issue(CrlUrl());
  ServeCrl(CrlOptions{.revoked_serials_hex = {cert.serial_hex}, .signed_by_other_key = true});
  auto server = Serve(cert);
  auto engine = Engine();
  ExpectProbeFailure(Observe(*engine, server->port()), "signature does not verify");
}

TEST_F(CertificateLifecycleTest, AnotherCasCrlIsAProbeFailure) {
  IssuedCert cert = Issue(CrlUrl());
  ServeCrl(CrlOptions{.revoked_serials_hex = {cert.serial_hex}, .second_issuer = true});
  auto server = Serve(cert);
  auto engine = Engine();
  ExpectProbeFailure(Observe(*engine, server->port()), "not the certificate's issuer");
}

TEST_F(CertificateLifecycleTest, AnExpiredCrlIsAProbeFailure) {
  IssuedCert cert = Issue(CrlUrl());
  ServeCrl(CrlOptions{.revoked_serials_hex = {cert.serial_hex},
                      .this_update = absl::Now() - absl::Hours(48),
                      .next_update = absl::Now() - absl::Hours(1)});
  auto server = Serve(cert);
  auto engine = Engine();
  ExpectProbeFailure(Observe(*engine, server->port()), "CRL expired");
}

TEST_F(CertificateLifecycleTest, AnOversizedCrlIsAProbeFailure) {
  IssuedCert cert = Issue(CrlUrl());
  std::vector<std::string> serials(400);
  for (size_t i = 0; i < serials.size(); ++i) serials[i] = absl::StrCat("7", 1000 + i);
  serials.push_back(cert.serial_hex);
  ServeCrl(CrlOptions{.revoked_serials_hex = serials});
  auto server = Serve(cert);
  auto engine = Engine([](ProbeEngineOptions& options) { options.max_crl_bytes = 4096; });
  ExpectProbeFailure(Observe(*engine, server->port()), "larger than the cap of 4096 bytes");
}

TEST_F(CertificateLifecycleTest, GarbageAndHttpErrorsAreProbeFailures) {
  IssuedCert cert = Issue(CrlUrl());
  auto server = Serve(cert);
  auto engine = Engine();
  http_->Serve(kCrlPath, Body(200, "<html>not a CRL</html>"));
  ExpectProbeFailure(Observe(*engine, server->port()), "not a DER CRL");
  http_->Serve(kCrlPath, Body(503, "busy"));
  ExpectProbeFailure(Observe(*engine, server->port()), "HTTP status 503");
}

TEST_F(CertificateLifecycleTest, RedirectsAreFollowedAndCapped) {
  IssuedCert cert = Issue(CrlUrl());
  auto server = Serve(cert);
  auto crl = pki_->Crl(CrlOptions{.revoked_serials_hex = {cert.serial_hex}});
  ASSERT_TRUE(crl.ok());
  http_->Serve("/moved.crl", Body(200, *crl));
  http_->Serve(kCrlPath, Redirect(302, CrlUrl("/moved.crl")));
  auto engine = Engine();
  EXPECT_EQ(Observe(*engine, server->port()).tls().revocation(), v1::REVOCATION_REVOKED);

  // A loop of redirects stops at the cap.
  IssuedCert looping = Issue(CrlUrl("/loop.crl"));
  auto looping_server = Serve(looping);
  http_->Serve("/loop.crl", Redirect(302, CrlUrl("/loop.crl")));
  ExpectProbeFailure(Observe(*engine, looping_server->port()), "more than 3 redirects");
  EXPECT_EQ(http_->Requests("/loop.crl"), 4);
}

TEST_F(CertificateLifecycleTest, ACrlHostTheAddressPolicyRefusesIsNeverContacted) {
  // 127.0.0.2 is outside this engine's allowance (127.0.0.1/32).
  IssuedCert cert =
      Issue(absl::StrCat("http://crl-elsewhere.examplehealth.test:", http_->port(), kCrlPath));
  auto server = Serve(cert);
  auto engine = Engine();
  v1::Fingerprint observed = Observe(*engine, server->port());
  ExpectProbeFailure(observed, "refused by the address policy");
  EXPECT_EQ(observed.tls().revocation_outcome(), v1::PROBE_OUTCOME_ERROR);

  // So is a redirect to it.
  IssuedCert redirected = Issue(CrlUrl("/to-elsewhere.crl"));
  auto redirected_server = Serve(redirected);
  http_->Serve("/to-elsewhere.crl",
               Redirect(301, absl::StrCat("http://127.0.0.2:", http_->port(), "/x")));
  ExpectProbeFailure(Observe(*engine, redirected_server->port()), "refused by the address policy");
}

TEST_F(CertificateLifecycleTest, TheCrlIsCachedUntilItsNextUpdate) {
  std::atomic<int64_t> now_seconds{absl::ToUnixSeconds(absl::Now())};
  auto engine = Engine([&](ProbeEngineOptions& options) {
    options.clock = [&] { return absl::FromUnixSeconds(now_seconds.load()); };
  });
  IssuedCert cert = Issue(CrlUrl());
  auto server = Serve(cert);
  ServeCrl(CrlOptions{.revoked_serials_hex = {}, .next_update = absl::Now() + absl::Hours(6)});
  EXPECT_EQ(Observe(*engine, server->port()).tls().revocation(), v1::REVOCATION_GOOD);
  // Revoked since, but the cached CRL is current for another 6 hours.
  ServeCrl(CrlOptions{.revoked_serials_hex = {cert.serial_hex},
                      .next_update = absl::Now() + absl::Hours(30)});
  EXPECT_EQ(Observe(*engine, server->port()).tls().revocation(), v1::REVOCATION_GOOD);
  EXPECT_EQ(http_->Requests(kCrlPath), 1);
  // Past nextUpdate the CRL is fetched again.
  now_seconds += 7 * 3600;
  EXPECT_EQ(Observe(*engine, server->port()).tls().revocation(), v1::REVOCATION_REVOKED);
  EXPECT_EQ(http_->Requests(kCrlPath), 2);
  EXPECT_EQ(engine->crl_fetches(), 2);
}

// A CRL slower than the probe's deadline: that probe reports a timeout (a
// probe failure, the certificate facts kept), the download goes on, and the
// next probe is answered from it.
TEST_F(CertificateLifecycleTest, ACrlSlowerThanTheProbeIsATimeoutThenCached) {
  IssuedCert cert = Issue(CrlUrl());
  auto crl = pki_->Crl(CrlOptions{.revoked_serials_hex = {cert.serial_hex}});
  ASSERT_TRUE(crl.ok());
  http_->Serve(kCrlPath, HttpTestResponse{200, *crl, "", absl::Seconds(3)});
  auto server = Serve(cert);
  auto engine = Engine();
  v1::Fingerprint first = Observe(*engine, server->port(), absl::Milliseconds(1500));
  EXPECT_EQ(first.tls().revocation_outcome(), v1::PROBE_OUTCOME_TIMEOUT);
  EXPECT_EQ(first.tls().subject_organization(), "Example Health, Inc.");
  ExpectProbeFailure(first, "CRL not fetched by the deadline");
  EXPECT_EQ(Observe(*engine, server->port()).tls().revocation(), v1::REVOCATION_REVOKED);
  EXPECT_EQ(http_->Requests(kCrlPath), 1);
}

// 200 concurrent checks of four apps whose leaves share one CRL: one
// download, and each app judged against its own serial.
TEST_F(CertificateLifecycleTest, ConcurrentChecksSharingACrlFetchItOnce) {
  std::vector<IssuedCert> certs;
  std::vector<std::unique_ptr<TlsTestServer>> servers;
  for (int i = 0; i < 4; ++i) {
    certs.push_back(Issue(CrlUrl()));
    servers.push_back(Serve(certs.back()));
  }
  auto crl = pki_->Crl(CrlOptions{.revoked_serials_hex = {certs[0].serial_hex}});
  ASSERT_TRUE(crl.ok());
  // Slow enough that every handshake ends while the download is in flight.
  http_->Serve(kCrlPath, HttpTestResponse{200, *crl, "", absl::Seconds(2)});
  auto engine = Engine();
  constexpr int kChecks = 200;
  absl::Mutex mutex;
  std::vector<int> revoked(4, 0), good(4, 0), other(4, 0);
  absl::BlockingCounter pending(kChecks);
  for (int i = 0; i < kChecks; ++i) {
    const int app = i % 4;
    auto target =
        net::ParseRedirectUri(absl::StrCat("https://", kHost, ":", servers[app]->port(), "/cb"));
    ASSERT_TRUE(target.ok());
    engine->ObserveEndpoint(*target, absl::Now() + absl::Seconds(30),
                            [&, app](EndpointObservation observation) {
                              absl::MutexLock lock(&mutex);
                              if (observation.tls.revocation() == v1::REVOCATION_REVOKED) {
                                ++revoked[app];
                              } else if (observation.tls.revocation() == v1::REVOCATION_GOOD) {
                                ++good[app];
                              } else {
                                ++other[app];
                              }
                              pending.DecrementCount();
                            });
  }
  pending.Wait();
  EXPECT_EQ(http_->Requests(kCrlPath), 1);
  EXPECT_EQ(engine->crl_fetches(), 1);
  EXPECT_EQ(revoked, (std::vector<int>{50, 0, 0, 0}));
  EXPECT_EQ(good, (std::vector<int>{0, 50, 50, 50}));
  EXPECT_EQ(other, (std::vector<int>{0, 0, 0, 0}));
}

// Let's Encrypt's 6-day certificates, renewed every day (new key each time)
// for a simulated month: no refresh is suspended and no CRL is fetched (a
// certificate valid for 7 days or less needs no revocation check; the CRL
// URL it names answers 404, so a fetch would be a probe failure).
TEST_F(CertificateLifecycleTest, ShortLivedCertificatesRenewedDailyNeverSuspendOrFetchACrl) {
  const absl::Time start = absl::Now();
  std::atomic<int64_t> now_seconds{absl::ToUnixSeconds(start)};
  auto clock = [&] { return absl::FromUnixSeconds(now_seconds.load()); };
  auto engine = Engine([&](ProbeEngineOptions& options) { options.clock = clock; });
  auto issue_for = [&](absl::Time day) {
    LeafOptions options = testing::ExampleHealthOv();
    options.not_before = day - absl::Hours(1);
    options.not_after = day - absl::Hours(1) + absl::Hours(6 * 24);
    return Issue(CrlUrl(), options);
  };
  std::unique_ptr<TlsTestServer> server = Serve(issue_for(start));
  const v1::Fingerprint approved = Observe(*engine, server->port());
  ASSERT_EQ(approved.tls().outcome(), v1::PROBE_OUTCOME_OK) << approved.tls().error();
  const policy::Enrolled enrolled = Approve(approved, start);
  ASSERT_EQ(enrolled.identity.organization_name(), "Example Health, Inc.");
  config::EffectivePolicy policy;
  policy.on_probe_failure = v1::PROBE_FAILURE_SUSPEND;
  for (int day = 1; day <= 30; ++day) {
    now_seconds = absl::ToUnixSeconds(start + absl::Hours(24 * day));
    ASSERT_TRUE(server->SetCertificate(issue_for(clock())).ok());
    v1::Fingerprint observed = Observe(*engine, server->port());
    EXPECT_EQ(observed.tls().revocation_outcome(), v1::PROBE_OUTCOME_NOT_APPLICABLE) << day;
    EXPECT_NE(observed.tls().spki_sha256(), approved.tls().spki_sha256()) << day;
    std::vector<v1::Finding> findings = policy::Evaluate(enrolled, observed, clock(), policy);
    EXPECT_FALSE(policy::AnySuspends(findings))
        << "day " << day << ": " << findings.front().reason() << " " << findings.front().detail();
  }
  EXPECT_EQ(http_->Requests(kCrlPath), 0);
  EXPECT_EQ(engine->crl_fetches(), 0);
}

// An OV app that renews with another CA (new issuing CA, key and serial),
// same organization, allows under the default profile.
TEST_F(CertificateLifecycleTest, AMoveToAnotherCaWithTheSameOrganizationAllows) {
  auto engine = Engine();
  ServeCrl(CrlOptions{});
  ServeCrl(CrlOptions{.revoked_serials_hex = {}, .second_issuer = true}, "/second.crl");
  std::unique_ptr<TlsTestServer> server = Serve(Issue(CrlUrl()));
  const v1::Fingerprint approved = Observe(*engine, server->port());
  LeafOptions moved = testing::ExampleHealthOv();
  moved.second_issuer = true;
  ASSERT_TRUE(server->SetCertificate(Issue(CrlUrl("/second.crl"), moved)).ok());
  v1::Fingerprint observed = Observe(*engine, server->port());
  EXPECT_NE(observed.tls().issuer(), approved.tls().issuer());
  EXPECT_EQ(observed.tls().revocation(), v1::REVOCATION_GOOD) << observed.tls().revocation_error();
  config::EffectivePolicy policy;
  EXPECT_FALSE(policy::AnySuspends(
      policy::Evaluate(Approve(approved, absl::Now()), observed, absl::Now(), policy)));
  policy.profile = v1::PROFILE_STRICT;
  EXPECT_TRUE(policy::AnySuspends(
      policy::Evaluate(Approve(approved, absl::Now()), observed, absl::Now(), policy)));
}

// The legal form spelled out on renewal is the same organization; another
// organization is not.
TEST_F(CertificateLifecycleTest, TheOrganizationIsComparedAsAName) {
  auto engine = Engine();
  ServeCrl(CrlOptions{});
  LeafOptions options = testing::ExampleHealthOv();
  options.organization = "Example Health Inc.";
  std::unique_ptr<TlsTestServer> server = Serve(Issue(CrlUrl(), options));
  const v1::Fingerprint approved = Observe(*engine, server->port());
  const policy::Enrolled enrolled = Approve(approved, absl::Now());
  config::EffectivePolicy policy;

  options.organization = "Example Health, Incorporated";
  ASSERT_TRUE(server->SetCertificate(Issue(CrlUrl(), options)).ok());
  v1::Fingerprint spelled_out = Observe(*engine, server->port());
  EXPECT_EQ(spelled_out.tls().subject_organization(), "Example Health, Incorporated");
  EXPECT_FALSE(policy::AnySuspends(policy::Evaluate(enrolled, spelled_out, absl::Now(), policy)));

  options.organization = "Other Health Inc.";
  ASSERT_TRUE(server->SetCertificate(Issue(CrlUrl(), options)).ok());
  std::vector<v1::Finding> findings =
      policy::Evaluate(enrolled, Observe(*engine, server->port()), absl::Now(), policy);
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings.front().reason(), v1::REASON_IDENTITY_CHANGED);
  EXPECT_TRUE(findings.front().suspends());
}

}  // namespace
}  // namespace apptrust::probe
