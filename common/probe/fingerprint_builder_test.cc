#include "common/probe/fingerprint_builder.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/probe/certificate_facts.h"
#include "common/probe/fingerprint_limits.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::probe {
namespace {

using net::Target;
using ::testing::ElementsAre;

Target AppTarget() {
  net::Target t;
  t.scheme = "https";
  t.host = "app.examplehealth.test";
  t.port = 443;
  t.domain = "examplehealth.test";
  return t;
}

TEST(FingerprintBuilderTest, CopiesTargetTlsAndDns) {
  EndpointObservation endpoint;
  endpoint.addresses = {"::1", "127.0.0.1"};
  endpoint.address_outcome = v1::PROBE_OUTCOME_OK;
  endpoint.tls.set_present(true);
  endpoint.tls.set_subject_organization("Example Health");
  endpoint.observed_at = absl::FromUnixSeconds(2000);
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.entries = {"cerner-client-id=zz", "cerner-client-id=abc"};
  txt.observed_at = absl::FromUnixSeconds(1000);

  v1::Fingerprint fp = BuildFingerprint(AppTarget(), endpoint, txt, "abc", "cerner-client-id");
  EXPECT_EQ(fp.host(), "app.examplehealth.test");
  EXPECT_EQ(fp.port(), 443u);
  EXPECT_EQ(fp.domain(), "examplehealth.test");
  EXPECT_EQ(fp.scheme(), "https");
  EXPECT_FALSE(fp.host_is_ip_literal());
  EXPECT_EQ(fp.tls().subject_organization(), "Example Health");
  EXPECT_THAT(fp.dns().addresses(), ElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(fp.dns().txt_values(), ElementsAre("cerner-client-id=abc", "cerner-client-id=zz"));
  EXPECT_TRUE(fp.dns().client_id_txt_present());
  EXPECT_EQ(fp.dns().address_outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(fp.dns().txt_outcome(), v1::PROBE_OUTCOME_OK);
  EXPECT_EQ(fp.captured_at().seconds(), 1000);
}

TEST(FingerprintBuilderTest, ClientIdMustMatchExactly) {
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.entries = {"cerner-client-id=abcd"};
  EndpointObservation endpoint;
  endpoint.observed_at = absl::FromUnixSeconds(5);
  EXPECT_FALSE(BuildFingerprint(AppTarget(), endpoint, txt, "abc", "cerner-client-id")
                   .dns()
                   .client_id_txt_present());
  EXPECT_FALSE(BuildFingerprint(AppTarget(), endpoint, txt, "", "cerner-client-id")
                   .dns()
                   .client_id_txt_present());
  // Unset TXT time is ignored for captured_at.
  EXPECT_EQ(BuildFingerprint(AppTarget(), endpoint, txt, "abc", "cerner-client-id")
                .captured_at()
                .seconds(),
            5);
}

TEST(FingerprintBuilderTest, CarriesRefusalsAndErrors) {
  EndpointObservation endpoint;
  endpoint.addresses = {"127.0.0.1"};
  endpoint.refused_addresses = {"127.0.0.1"};
  endpoint.address_outcome = v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED;
  endpoint.address_error = "every address is refused";
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_NXDOMAIN;
  txt.error = "TXT examplehealth.test: Domain name not found";
  v1::Fingerprint fp = BuildFingerprint(AppTarget(), endpoint, txt, "abc", "cerner-client-id");
  EXPECT_THAT(fp.dns().refused_addresses(), ElementsAre("127.0.0.1"));
  EXPECT_EQ(fp.dns().address_outcome(), v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED);
  EXPECT_EQ(fp.dns().txt_outcome(), v1::PROBE_OUTCOME_NXDOMAIN);
  EXPECT_EQ(fp.dns().error(),
            "every address is refused; TXT examplehealth.test: Domain name not found");
  EXPECT_FALSE(fp.has_captured_at());
}

TEST(FingerprintBuilderTest, ClientEntryKeyIgnoresCaseClientIdDoesNot) {
  EXPECT_TRUE(HasClientEntry({"cerner-client-id=app-1"}, "app-1", "cerner-client-id"));
  EXPECT_TRUE(HasClientEntry({"Cerner-Client-ID=app-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id=app-10"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id=APP-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"other-key=app-1"}, "app-1", "cerner-client-id"));
  EXPECT_FALSE(HasClientEntry({"cerner-client-id"}, "app-1", "cerner-client-id"));
}

TEST(FingerprintBuilderTest, UnsetTimesAreIgnored) {
  const absl::Time t = absl::FromUnixSeconds(1800000000);
  EndpointObservation endpoint;
  endpoint.observed_at = t;
  TxtObservation txt;  // observed_at unset
  txt.outcome = v1::PROBE_OUTCOME_NOT_APPLICABLE;
  v1::Fingerprint fp = BuildFingerprint(Target{}, endpoint, txt, "a", "k");
  EXPECT_EQ(fp.captured_at().seconds(), absl::ToUnixSeconds(t));
  v1::Fingerprint none =
      BuildFingerprint(Target{}, EndpointObservation{}, TxtObservation{}, "a", "k");
  EXPECT_FALSE(none.has_captured_at());
}

// Bytes that are not UTF-8 never reach a proto string: a fingerprint with
// one would not parse at the store, and the grant could never be suspended.
TEST(FingerprintBuilderTest, EveryStringIsValidUtf8AndTheClientIsMatchedOnRawBytes) {
  EndpointObservation endpoint;
  endpoint.observed_at = absl::FromUnixSeconds(5);
  endpoint.tls.set_subject_organization("Acme\xFF\xFE");
  endpoint.tls.add_subject_alt_names("x\xFF.example.test");
  endpoint.address_error = "A x\xC3: no answer";
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.entries = {
      "cerner-client-id=\xFF\xFE"
      "abc",
      "cerner-client-id=ok"};
  txt.observed_at = absl::FromUnixSeconds(5);

  v1::Fingerprint fp = BuildFingerprint(AppTarget(), endpoint, txt, "ok", "cerner-client-id");
  EXPECT_THAT(fp.dns().txt_values(),
              ElementsAre("cerner-client-id=\\xFF\\xFEabc", "cerner-client-id=ok"));
  EXPECT_TRUE(fp.dns().client_id_txt_present());
  EXPECT_EQ(fp.tls().subject_organization(), "Acme\\xFF\\xFE");
  EXPECT_THAT(fp.tls().subject_alt_names(), ElementsAre("x\\xFF.example.test"));
  EXPECT_EQ(fp.dns().error(), "A x\\xC3: no answer");
  v1::Fingerprint parsed;
  ASSERT_TRUE(parsed.ParseFromString(fp.SerializeAsString()));

  // The escaped text of an entry is not the raw entry: "\xFFabc" published
  // as bytes does not count as the client "\\xFFabc" written out.
  EXPECT_FALSE(BuildFingerprint(AppTarget(), endpoint, txt, "\\xFF\\xFEabc", "cerner-client-id")
                   .dns()
                   .client_id_txt_present());
}

// The TLS part of a fingerprint for a leaf with these DNS names (built in
// memory with API OpenSSL and BoringSSL share; unsigned: only its fields are
// read).
v1::TlsFingerprint TlsWithNames(const std::vector<std::string>& dns_names) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Big Cert Health"), -1, -1, 0);
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  for (const std::string& dns : dns_names) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size()));
    GENERAL_NAME_set0_value(name, GEN_DNS, text);
    sk_GENERAL_NAME_push(names, name);
  }
  X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(names);
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, cert);
  X509_STORE* trust = X509_STORE_new();
  v1::TlsFingerprint tls;
  ChainContext context;
  context.host = "app.examplehealth.test";
  context.now = absl::FromUnixSeconds(1800000000);
  DescribeCertificateChain(chain, trust, context, &tls);
  X509_STORE_free(trust);
  sk_X509_pop_free(chain, X509_free);
  return tls;
}

std::vector<std::string> ManyNames(int n, const std::string& last_label = "") {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    names.push_back(absl::StrCat("host-", i, "-with-a-rather-long-label.examplehealth.test"));
  }
  if (!last_label.empty()) names.back() = last_label;
  return names;
}

// A certificate with 3,000 names (and an app with 3,000 TXT entries and
// addresses) made a 54 KB-per-list fingerprint; every grant read in a batch
// paid for it. What is kept is bounded, and a change past the kept values is
// still visible in the hash.
TEST(FingerprintBuilderTest, ThreeThousandSansAreKeptBoundedWithCountAndHash) {
  constexpr int kMany = 3000;
  EndpointObservation endpoint;
  endpoint.observed_at = absl::FromUnixSeconds(5);
  endpoint.tls = TlsWithNames(ManyNames(kMany));
  ASSERT_EQ(endpoint.tls.subject_organization(), "Big Cert Health");
  for (int i = 0; i < kMany; ++i) {
    endpoint.addresses.push_back(absl::StrCat("127.0.", i / 250, ".", i % 250));
  }
  TxtObservation txt;
  txt.outcome = v1::PROBE_OUTCOME_OK;
  txt.observed_at = absl::FromUnixSeconds(5);
  for (int i = 0; i < kMany; ++i) {
    txt.entries.push_back(absl::StrCat("cerner-client-id=app-", i, std::string(300, 'v')));
  }
  txt.entries.push_back("cerner-client-id=zzz-me");  // sorts last: past the kept values

  const v1::Fingerprint fp =
      BuildFingerprint(AppTarget(), endpoint, txt, "zzz-me", "cerner-client-id");
  EXPECT_EQ(fp.tls().subject_alt_names_size(), static_cast<int>(kMaxKeptValues));
  EXPECT_EQ(fp.tls().subject_alt_names(0), ManyNames(1)[0]);
  EXPECT_EQ(fp.tls().subject_alt_names_count(), kMany);
  EXPECT_EQ(fp.tls().subject_alt_names_sha256().size(), 64u);
  EXPECT_EQ(fp.dns().txt_values_size(), static_cast<int>(kMaxKeptValues));
  EXPECT_EQ(fp.dns().txt_values_count(), kMany + 1);
  for (const std::string& value : fp.dns().txt_values()) {
    EXPECT_LE(value.size(), kMaxValueBytes);
  }
  // Still found although it is not among the kept values.
  EXPECT_TRUE(fp.dns().client_id_txt_present());
  EXPECT_EQ(fp.dns().addresses_size(), static_cast<int>(kMaxKeptValues));
  EXPECT_EQ(fp.dns().addresses_count(), kMany);
  EXPECT_LT(fp.ByteSizeLong(), 64u * 1024)
      << "a fingerprint must stay small whatever the app sends";

  // A change to the last name only: the kept names are the same, the hash is not.
  const v1::TlsFingerprint changed = TlsWithNames(ManyNames(kMany, "evil.example.test"));
  EXPECT_THAT(changed.subject_alt_names(),
              ::testing::ElementsAreArray(fp.tls().subject_alt_names()));
  EXPECT_NE(changed.subject_alt_names_sha256(), fp.tls().subject_alt_names_sha256());
}

}  // namespace
}  // namespace apptrust::probe
