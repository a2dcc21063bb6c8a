#include "common/probe/certificate_facts.h"

#include <openssl/pem.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Certificate facts from a fixed chain (made once with the openssl CLI: an
// EV leaf for app.examplehealth.test issued by "Fixture Root"), so this test
// runs unchanged in the BoringSSL build and proves its parsing paths.
namespace apptrust::probe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kRootPem[] = R"(
-----BEGIN CERTIFICATE-----
MIIBtzCCAV2gAwIBAgIUPMMUKosr353boudVwMM0lmlsgsIwCgYIKoZIzj0EAwIw
KTEQMA4GA1UECgwHRml4dHVyZTEVMBMGA1UEAwwMRml4dHVyZSBSb290MB4XDTI2
MTEyODE1MzE1N1oXDTM2MTEyNTE1MzE1N1owKTEQMA4GA1UECgwHRml4dHVyZTEV
MBMGA1UEAwwMRml4dHVyZSBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
udnvbV+5OvSNUFujyKeCa8y4LiC+ZfND4rGr3pM7NoQB5LeA+Dx0WFC2C5ivJBod
f8k5z50GxrkOTpmUqpdTwqNjMGEwHQYDVR0OBBYEFMpATjcvJNu5hF2kUGIdLDp7
SABoMB8GA1UdIwQYMBaAFMpATjcvJNu5hF2kUGIdLDp7SABoMA8GA1UdEwEB/wQF
MAMBAf8wDgYDVR0PAQH/BAQDAgIEMAoGCCqGSM49BAMCA0gAMEUCIAstY54ej1Y0
5PlOC0Q1WM3RrLgl9bDMRyjW8xDHDoQlAiEAgdo8Oi1Ex6EWB4EnB+AMdS/DdvcU
u+VH9tXWcARa65U=
-----END CERTIFICATE-----
)";

constexpr char kLeafPem[] = R"(
-----BEGIN CERTIFICATE-----
MIICUjCCAfigAwIBAgIDChssMAoGCCqGSM49BAMCMCkxEDAOBgNVBAoMB0ZpeHR1
cmUxFTATBgNVBAMMDEZpeHR1cmUgUm9vdDAeFw0yNjExMjgxNTMxNTdaFw0yNzEx
MjgxNTMxNTdaMHAxCzAJBgNVBAYTAlVTMQswCQYDVQQIDAJNTzEUMBIGA1UEBwwL
S2Fuc2FzIENpdHkxHTAbBgNVBAoMFEV4YW1wbGUgSGVhbHRoLCBJbmMuMR8wHQYD
VQQDDBZhcHAuZXhhbXBsZWhlYWx0aC50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAE6nK7yx2RkD10iBapl+QTlydtzYXJO4xLJo/9IAoBBrun05OPmmi4h9LJ
zbc5jKSznxLtt2YG1lRvze8xCCWiA6OBxzCBxDAMBgNVHRMBAf8EAjAAMA4GA1Ud
DwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcDATA7BgNVHREENDAyghZhcHAu
ZXhhbXBsZWhlYWx0aC50ZXN0ghgqLmFwaS5leGFtcGxlaGVhbHRoLnRlc3QwEgYD
VR0gBAswCTAHBgVngQwBATAdBgNVHQ4EFgQUH/trtiMni9PoYTSMtgI+q2s8yBYw
HwYDVR0jBBgwFoAUykBONy8k27mEXaRQYh0sOntIAGgwCgYIKoZIzj0EAwIDSAAw
RQIgcxLLK0FNb3oBrgOfRHliPQ2tTn8D3YxdpYv9JlYo5kcCIQCvtWCAy0MjDWeS
RT83bvXluhLuoA5A7RPPX8Cz71NGbA==
-----END CERTIFICATE-----
)";

constexpr int64_t kNotBefore = 1795879917;
constexpr int64_t kNotAfter = 1827415917;

struct StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_pop_free(stack, X509_free); }
};

X509* ReadPem(const char* pem) {
  BIO* bio = BIO_new_mem_buf(pem, -1);
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

class CertificateFactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chain_.reset(sk_X509_new_null());
    X509* leaf = ReadPem(kLeafPem);
    ASSERT_NE(leaf, nullptr);
    sk_X509_push(chain_.get(), leaf);
    trust_.reset(X509_STORE_new());
    X509* root = ReadPem(kRootPem);
    ASSERT_NE(root, nullptr);
    X509_STORE_add_cert(trust_.get(), root);
    X509_free(root);
  }

  v1::TlsFingerprint Describe(const std::string& host, absl::Time now, X509_STORE* trust) {
    v1::TlsFingerprint out;
    DescribeCertificateChain(chain_.get(), trust, {host, false, now}, &out);
    return out;
  }

  std::unique_ptr<STACK_OF(X509), StackFree> chain_;
  X509StorePtr trust_;
};

TEST_F(CertificateFactsTest, ReadsEveryField) {
  v1::TlsFingerprint fp =
      Describe("app.examplehealth.test", absl::FromUnixSeconds(kNotBefore + 60), trust_.get());
  EXPECT_EQ(fp.leaf_sha256(), "336b4432a08c78fedfb56af9315f5b7dbb69ad439bc38a24326d3665de8bea0f");
  EXPECT_EQ(fp.spki_sha256(), "55fa045c211a1794650c691d6f02554dbe7e81e181bc9af2a059b39b4f6b6023");
  EXPECT_EQ(fp.serial(), "0A1B2C");
  EXPECT_EQ(fp.subject_organization(), "Example Health, Inc.");
  EXPECT_EQ(fp.subject_locality(), "Kansas City");
  EXPECT_EQ(fp.subject_state(), "MO");
  EXPECT_EQ(fp.subject_country(), "US");
  EXPECT_EQ(fp.subject_common_name(), "app.examplehealth.test");
  EXPECT_THAT(fp.subject_alt_names(),
              ElementsAre("app.examplehealth.test", "*.api.examplehealth.test"));
  EXPECT_EQ(fp.issuer(), "CN=Fixture Root,O=Fixture");
  EXPECT_EQ(fp.not_before().seconds(), kNotBefore);
  EXPECT_EQ(fp.not_after().seconds(), kNotAfter);
  EXPECT_EQ(fp.validation_level(), v1::VALIDATION_LEVEL_EV);
  EXPECT_EQ(fp.key_type(), "EC");
  EXPECT_EQ(fp.chain_length(), 1);
  EXPECT_TRUE(fp.chain_trusted()) << fp.verify_error();
  EXPECT_TRUE(fp.hostname_matches());
  EXPECT_FALSE(fp.self_signed());
}

TEST_F(CertificateFactsTest, TrustIgnoresValidityDates) {
  // Years after expiry and before issuance: still the same, trusted chain.
  for (absl::Time when : {absl::FromUnixSeconds(kNotAfter + 86400 * 365 * 3),
                          absl::FromUnixSeconds(kNotBefore - 86400 * 30)}) {
    v1::TlsFingerprint fp = Describe("app.examplehealth.test", when, trust_.get());
    EXPECT_TRUE(fp.chain_trusted()) << fp.verify_error();
  }
}

TEST_F(CertificateFactsTest, HostNamesFollowRfc6125) {
  absl::Time now = absl::FromUnixSeconds(kNotBefore + 60);
  EXPECT_TRUE(Describe("x.api.examplehealth.test", now, trust_.get()).hostname_matches());
  EXPECT_FALSE(Describe("a.b.api.examplehealth.test", now, trust_.get()).hostname_matches());
  EXPECT_FALSE(Describe("examplehealth.test", now, trust_.get()).hostname_matches());
  EXPECT_FALSE(Describe("evil.test", now, trust_.get()).hostname_matches());
}

TEST_F(CertificateFactsTest, UnknownIssuerIsUntrusted) {
  X509StorePtr empty(X509_STORE_new());
  v1::TlsFingerprint fp =
      Describe("app.examplehealth.test", absl::FromUnixSeconds(kNotBefore + 60), empty.get());
  EXPECT_FALSE(fp.chain_trusted());
  EXPECT_THAT(fp.verify_error(), HasSubstr("issuer"));
}

TEST(TrustStoreTest, LoadsFilesAndRejectsMissingPaths) {
  EXPECT_TRUE(LoadTrustStore("").ok());
  auto missing = LoadTrustStore("/nonexistent/bundle.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/nonexistent/bundle.pem"));
}

TEST(Sha256HexTest, LowerCaseHex) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace apptrust::probe
