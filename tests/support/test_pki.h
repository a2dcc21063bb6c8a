// A throw-away public-key infrastructure generated in-process at test time
// (OpenSSL 3 API, ECDSA keys for the CAs so creation takes milliseconds): a
// root CA, an intermediate CA signed by it, and leaf certificates issued by
// the intermediate with whatever a test needs — DNS names, subject O/L/ST/C,
// the CA/Browser Forum policy OID (DV/OV/EV/IV/none), validity window, RSA or
// ECDSA key, or self-signed. Every file lands in the PKI's own TempDir;
// `root_pem_path()` is what a probe or service takes as its trust store
// (--trust_store). It can also sign OCSP responses for its leaves, so a TLS
// test server can staple "revoked" or "good", and issue CRLs (current,
// expired, or signed by another key) that an HTTP server on loopback serves
// at the URL a leaf names in its CRL distribution points. A second issuing
// CA under the same root lets a test move an app to another CA.
//
// Thread-compatible: issue from one thread at a time.
#ifndef APPTRUST_TESTS_SUPPORT_TEST_PKI_H_
#define APPTRUST_TESTS_SUPPORT_TEST_PKI_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"

namespace apptrust::testing {

enum class CertPolicy { kNone, kDv, kOv, kEv, kIv };
enum class KeyType { kEcdsaP256, kRsa2048 };

struct LeafOptions {
  // subjectAltName DNS entries; the first is also the default CN.
  std::vector<std::string> dns_names = {"app.examplehealth.test"};
  // subjectAltName IP entries ("127.0.0.1", "::1").
  std::vector<std::string> ip_addresses;
  // subjectAltName URI entries: workload identities for mutual TLS
  // ("spiffe://hospital.example/ns/apptrust/sa/decision").
  std::vector<std::string> uris;
  // extendedKeyUsage: "serverAuth" for app and service certificates;
  // a client certificate for mutual TLS needs "clientAuth".
  std::string extended_key_usage = "serverAuth";
  std::string common_name;  // default: dns_names[0]
  std::string organization;
  std::string locality;
  std::string state;
  std::string country;  // two letters
  CertPolicy policy = CertPolicy::kOv;
  // Defaults: now - 1 day .. now + 90 days (absl::Now()).
  absl::Time not_before = absl::InfinitePast();
  absl::Time not_after = absl::InfinitePast();
  KeyType key_type = KeyType::kEcdsaP256;
  // Signed by its own key, no chain (not by the intermediate).
  bool self_signed = false;
  // Issued by "AppTrust Test Issuing CA 2" instead (same root).
  bool second_issuer = false;
  // crlDistributionPoints URIs ("http://127.0.0.1:8080/issuing.crl").
  std::vector<std::string> crl_urls;
};

struct CrlOptions {
  // Serials listed as revoked (IssuedCert::serial_hex).
  std::vector<std::string> revoked_serials_hex;
  // Defaults: now - 1 hour .. now + 7 days.
  absl::Time this_update = absl::InfinitePast();
  absl::Time next_update = absl::InfinitePast();
  // Of the second issuing CA instead of the first.
  bool second_issuer = false;
  // Names the issuing CA but is signed by an unrelated key.
  bool signed_by_other_key = false;
};

// A client certificate for mutual TLS: `uri` as its only URI SAN (and CN),
// no DNS names, extendedKeyUsage clientAuth.
LeafOptions ClientIdentity(const std::string& uri);

// The Example Health organisation used across tests (OV, Kansas City).
LeafOptions ExampleHealthOv(std::vector<std::string> dns_names = {"app.examplehealth.test"});

struct IssuedCert {
  std::string cert_pem;   // the leaf alone
  std::string chain_pem;  // leaf + intermediate: what a server sends
  std::string key_pem;    // the leaf's private key (PKCS#8)
  std::string cert_path;  // files in the PKI's directory
  std::string chain_path;
  std::string key_path;
  std::string leaf_sha256;  // lower-case hex over the DER
  std::string spki_sha256;
  std::string serial_hex;  // upper-case hex, as the probe reports it
  std::string issuer_pem;  // the certificate that signed it (itself if self-signed)
};

class TestPki {
 public:
  // Root CA "AppTrust Test Root CA" and intermediate "AppTrust Test Issuing CA".
  static absl::StatusOr<std::unique_ptr<TestPki>> Create();
  ~TestPki();

  absl::StatusOr<IssuedCert> Issue(const LeafOptions& options);

  // DER OCSPResponse (successful, basic) for `cert`, signed by its issuer:
  // status revoked (keyCompromise, an hour ago) or good.
  absl::StatusOr<std::string> OcspResponse(const IssuedCert& cert, bool revoked);

  // DER CRL of an issuing CA (RFC 5280 v2, no extensions but the CRL number).
  absl::StatusOr<std::string> Crl(const CrlOptions& options);

  // PEM of the root CA and its path: the trust store for probes.
  const std::string& root_pem() const { return root_pem_; }
  const std::string& root_pem_path() const { return root_path_; }
  const std::string& intermediate_pem() const { return intermediate_pem_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  struct Keys;
  TestPki();
  TempDir dir_;
  std::unique_ptr<Keys> keys_;
  std::string root_pem_, root_path_, intermediate_pem_;
  int next_serial_ = 0x1000;
  int issued_ = 0;
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_TEST_PKI_H_
