// The CRL checks on certificates and CRLs made in the test with the API
// OpenSSL 3 and BoringSSL share, so the BoringSSL probe build runs it too.
#include "common/probe/crl.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace apptrust::probe {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

const absl::Time kNow = absl::FromUnixSeconds(1796000000);  // 2026-11-30T00:53:20Z

PkeyPtr NewKey() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
  EVP_PKEY* key = nullptr;
  EXPECT_EQ(EVP_PKEY_keygen_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1), 1);
  EXPECT_EQ(EVP_PKEY_keygen(ctx, &key), 1);
  EVP_PKEY_CTX_free(ctx);
  return PkeyPtr(key);
}

X509_NAME* Name(const char* common_name) {
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  return name;
}

void SetTime(ASN1_TIME* field, absl::Time t) { ASN1_TIME_set(field, absl::ToTimeT(t)); }

// A certificate for `subject` with `key`, signed by `issuer_key` under
// `issuer_name`, valid [not_before, not_after], naming `crl_urls`.
X509Ptr MakeCert(const char* subject, EVP_PKEY* key, X509_NAME* issuer_name, EVP_PKEY* issuer_key,
                 long serial, absl::Time not_before, absl::Time not_after,
                 const std::string& crl_urls = "") {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME* name = Name(subject);
  X509_set_subject_name(cert.get(), name);
  X509_NAME_free(name);
  X509_set_issuer_name(cert.get(), issuer_name);
  SetTime(X509_getm_notBefore(cert.get()), not_before);
  SetTime(X509_getm_notAfter(cert.get()), not_after);
  X509_set_pubkey(cert.get(), key);
  if (!crl_urls.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, nullptr, cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext =
        X509V3_EXT_nconf_nid(nullptr, &ctx, NID_crl_distribution_points, crl_urls.c_str());
    EXPECT_NE(ext, nullptr);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  EXPECT_GT(X509_sign(cert.get(), issuer_key, EVP_sha256()), 0);
  return cert;
}

X509CrlPtr MakeCrl(X509_NAME* issuer, EVP_PKEY* key, std::vector<long> revoked,
                   absl::Time this_update, std::optional<absl::Time> next_update) {
  X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), issuer);
  ASN1_TIME* last = ASN1_TIME_set(nullptr, absl::ToTimeT(this_update));
  X509_CRL_set1_lastUpdate(crl.get(), last);
  if (next_update) {
    ASN1_TIME* next = ASN1_TIME_set(nullptr, absl::ToTimeT(*next_update));
    X509_CRL_set1_nextUpdate(crl.get(), next);
    ASN1_TIME_free(next);
  }
  for (long serial : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ASN1_INTEGER_set(number, serial);
    X509_REVOKED_set_serialNumber(entry, number);
    X509_REVOKED_set_revocationDate(entry, last);
    ASN1_INTEGER_free(number);
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  ASN1_TIME_free(last);
  X509_CRL_sort(crl.get());
  EXPECT_GT(X509_CRL_sign(crl.get(), key, EVP_sha256()), 0);
  return crl;
}

std::string Der(X509_CRL* crl) {
  unsigned char* der = nullptr;
  int length = i2d_X509_CRL(crl, &der);
  std::string out(reinterpret_cast<char*>(der), length > 0 ? length : 0);
  OPENSSL_free(der);
  return out;
}

class CrlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_key_ = NewKey();
    leaf_key_ = NewKey();
    X509_NAME* root = Name("Test Root");
    ca_ = MakeCert("Test Issuing CA", ca_key_.get(), root, ca_key_.get(), 2,
                   kNow - absl::Hours(24 * 365), kNow + absl::Hours(24 * 365));
    X509_NAME_free(root);
    leaf_ = MakeCert("app.example.test", leaf_key_.get(), X509_get_subject_name(ca_.get()),
                     ca_key_.get(), 0x1001, kNow - absl::Hours(24), kNow + absl::Hours(24 * 90),
                     "URI:ldap://ldap.example.test/crl,URI:http://crl.example.test/ca.crl");
  }

  PkeyPtr ca_key_, leaf_key_;
  X509Ptr ca_, leaf_;
};

TEST_F(CrlTest, DistributionPointsKeepHttpOnly) {
  EXPECT_EQ(HttpCrlDistributionPoints(leaf_.get()),
            std::vector<std::string>{"http://crl.example.test/ca.crl"});
  EXPECT_TRUE(HttpCrlDistributionPoints(ca_.get()).empty());
}

TEST_F(CrlTest, ShortLivedIsSevenDaysOrLess) {
  EXPECT_FALSE(IsShortLived(leaf_.get()));
  X509Ptr six_days = MakeCert("a", leaf_key_.get(), X509_get_subject_name(ca_.get()), ca_key_.get(),
                              7, kNow, kNow + absl::Hours(24 * 6));
  EXPECT_TRUE(IsShortLived(six_days.get()));
  X509Ptr seven_days = MakeCert("a", leaf_key_.get(), X509_get_subject_name(ca_.get()),
                                ca_key_.get(), 8, kNow, kNow + absl::Hours(24 * 7));
  EXPECT_TRUE(IsShortLived(seven_days.get()));
  X509Ptr eight_days = MakeCert("a", leaf_key_.get(), X509_get_subject_name(ca_.get()),
                                ca_key_.get(), 9, kNow, kNow + absl::Hours(24 * 8));
  EXPECT_FALSE(IsShortLived(eight_days.get()));
}

TEST_F(CrlTest, FindsTheIssuerByNameAndSignature) {
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, leaf_.get());
  EXPECT_EQ(FindIssuer(chain, leaf_.get()), nullptr);  // the peer sent no issuer
  // Same name, other key: not the issuer.
  PkeyPtr impostor_key = NewKey();
  X509_NAME* root = Name("Test Root");
  X509Ptr impostor = MakeCert("Test Issuing CA", impostor_key.get(), root, impostor_key.get(), 3,
                              kNow - absl::Hours(24), kNow + absl::Hours(24));
  X509_NAME_free(root);
  sk_X509_push(chain, impostor.get());
  EXPECT_EQ(FindIssuer(chain, leaf_.get()), nullptr);
  sk_X509_push(chain, ca_.get());
  EXPECT_EQ(FindIssuer(chain, leaf_.get()), ca_.get());
  sk_X509_free(chain);
}

TEST_F(CrlTest, ACurrentCrlOfTheIssuerIsJudged) {
  X509_NAME* issuer = X509_get_subject_name(ca_.get());
  auto listed = ParseCrl(Der(
      MakeCrl(issuer, ca_key_.get(), {0x5, 0x1001}, kNow - absl::Hours(1), kNow + absl::Hours(24))
          .get()));
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(VerifyCrl(listed->get(), ca_.get(), kNow).ok());
  EXPECT_TRUE(CrlListsSerial(listed->get(), leaf_.get()));
  EXPECT_EQ(CrlNextUpdate(listed->get()), kNow + absl::Hours(24));

  X509CrlPtr other =
      MakeCrl(issuer, ca_key_.get(), {0x5}, kNow - absl::Hours(1), kNow + absl::Hours(24));
  EXPECT_TRUE(VerifyCrl(other.get(), ca_.get(), kNow).ok());
  EXPECT_FALSE(CrlListsSerial(other.get(), leaf_.get()));
}

TEST_F(CrlTest, AnythingElseIsRefusedWithTheReason) {
  X509_NAME* issuer = X509_get_subject_name(ca_.get());
  EXPECT_FALSE(ParseCrl("<html>not a CRL</html>").ok());
  EXPECT_FALSE(ParseCrl("").ok());

  PkeyPtr other_key = NewKey();
  X509CrlPtr forged =
      MakeCrl(issuer, other_key.get(), {}, kNow - absl::Hours(1), kNow + absl::Hours(24));
  EXPECT_EQ(VerifyCrl(forged.get(), ca_.get(), kNow).message(),
            "CRL signature does not verify with the issuer's key");

  X509_NAME* stranger = Name("Another CA");
  X509CrlPtr foreign =
      MakeCrl(stranger, ca_key_.get(), {}, kNow - absl::Hours(1), kNow + absl::Hours(24));
  X509_NAME_free(stranger);
  EXPECT_EQ(VerifyCrl(foreign.get(), ca_.get(), kNow).message(),
            "CRL issuer is not the certificate's issuer");

  X509CrlPtr expired =
      MakeCrl(issuer, ca_key_.get(), {}, kNow - absl::Hours(48), kNow - absl::Hours(1));
  EXPECT_EQ(VerifyCrl(expired.get(), ca_.get(), kNow).message(),
            "CRL expired (nextUpdate 2026-11-29T23:53:20Z)");
  X509CrlPtr early =
      MakeCrl(issuer, ca_key_.get(), {}, kNow + absl::Hours(1), kNow + absl::Hours(24));
  EXPECT_FALSE(VerifyCrl(early.get(), ca_.get(), kNow).ok());
  X509CrlPtr open_ended = MakeCrl(issuer, ca_key_.get(), {}, kNow - absl::Hours(1), std::nullopt);
  EXPECT_EQ(VerifyCrl(open_ended.get(), ca_.get(), kNow).message(),
            "CRL lacks thisUpdate or nextUpdate");
}

}  // namespace
}  // namespace apptrust::probe
