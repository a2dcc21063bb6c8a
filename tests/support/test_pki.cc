#include "tests/support/test_pki.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace apptrust::testing {
namespace {

std::string SslError(absl::string_view what) {
  unsigned long code = ERR_get_error();
  char text[256] = "unknown";
  if (code != 0) {
    ERR_error_string_n(code, text, sizeof(text));
  }
  ERR_clear_error();
  return absl::StrCat(what, ": ", text);
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr NewKey(KeyType type) {
  if (type == KeyType::kRsa2048) {
    return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  }
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

std::string Bio2String(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len > 0 ? len : 0);
  BIO_free(bio);
  return out;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  return Bio2String(bio);
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  return Bio2String(bio);
}

std::string Hex(const unsigned char* data, size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}

std::string Sha256OfDer(int len, unsigned char* der) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, len, digest);
  OPENSSL_free(der);
  return Hex(digest, sizeof(digest));
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return false;
  }
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

void AddName(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) {
    return;
  }
  X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
}

struct CertSpec {
  int serial;
  X509_NAME* subject;  // owned by caller
  absl::Time not_before, not_after;
  bool ca;
  std::vector<std::pair<int, std::string>> extensions;
  std::string extended_key_usage = "serverAuth";
};

// Builds and signs a certificate; `issuer` null means self-signed.
absl::StatusOr<X509Ptr> MakeCert(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                                 EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_set_subject_name(cert.get(), spec.subject);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : spec.subject);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(spec.not_after));
  X509_set_pubkey(cert.get(), key);
  X509* issuer_for_ext = issuer ? issuer : cert.get();
  bool ok = AddExt(cert.get(), issuer_for_ext, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) {
    ok = ok && AddExt(cert.get(), issuer_for_ext, NID_authority_key_identifier, "keyid:always");
  }
  if (spec.ca) {
    ok = ok && AddExt(cert.get(), issuer_for_ext, NID_basic_constraints, "critical,CA:TRUE");
    ok = ok && AddExt(cert.get(), issuer_for_ext, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && AddExt(cert.get(), issuer_for_ext, NID_basic_constraints, "critical,CA:FALSE");
    ok = ok && AddExt(cert.get(), issuer_for_ext, NID_key_usage,
                      "critical,digitalSignature,keyEncipherment");
    ok = ok && AddExt(cert.get(), issuer_for_ext, NID_ext_key_usage, spec.extended_key_usage);
  }
  for (const auto& [nid, value] : spec.extensions) {
    if (nid == NID_certificate_policies) {
      // Built directly: the config-string form wants a config database.
      CERTIFICATEPOLICIES* policies = CERTIFICATEPOLICIES_new();
      POLICYINFO* info = POLICYINFO_new();
      ASN1_OBJECT_free(info->policyid);
      info->policyid = OBJ_txt2obj(value.c_str(), /*no_name=*/1);
      sk_POLICYINFO_push(policies, info);
      ok = ok && info->policyid != nullptr &&
           X509_add1_ext_i2d(cert.get(), NID_certificate_policies, policies, 0,
                             X509V3_ADD_DEFAULT) == 1;
      CERTIFICATEPOLICIES_free(policies);
      continue;
    }
    ok = ok && AddExt(cert.get(), issuer_for_ext, nid, value);
  }
  if (!ok) {
    return absl::InternalError(SslError("adding extensions"));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return absl::InternalError(SslError("X509_sign"));
  }
  return cert;
}

const char* PolicyOid(CertPolicy policy) {
  switch (policy) {
    case CertPolicy::kDv:
      return "2.23.140.1.2.1";
    case CertPolicy::kOv:
      return "2.23.140.1.2.2";
    case CertPolicy::kIv:
      return "2.23.140.1.2.3";
    case CertPolicy::kEv:
      return "2.23.140.1.1";
    case CertPolicy::kNone:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

struct TestPki::Keys {
  PkeyPtr root_key, intermediate_key, second_key;
  X509Ptr root, intermediate, second;
  std::string second_pem;
};

LeafOptions ClientIdentity(const std::string& uri) {
  LeafOptions options;
  options.dns_names = {};
  options.uris = {uri};
  // A CN holds at most 64 characters: the identity's last segment.
  options.common_name = uri.substr(uri.rfind('/') + 1);
  options.policy = CertPolicy::kNone;
  options.extended_key_usage = "clientAuth";
  return options;
}

LeafOptions ExampleHealthOv(std::vector<std::string> dns_names) {
  LeafOptions options;
  options.dns_names = std::move(dns_names);
  options.organization = "Example Health, Inc.";
  options.locality = "Kansas City";
  options.state = "MO";
  options.country = "US";
  options.policy = CertPolicy::kOv;
  return options;
}

TestPki::TestPki() : keys_(std::make_unique<Keys>()) {}
TestPki::~TestPki() = default;

absl::StatusOr<std::unique_ptr<TestPki>> TestPki::Create() {
  std::unique_ptr<TestPki> pki(new TestPki());
  Keys& k = *pki->keys_;
  k.root_key = NewKey(KeyType::kEcdsaP256);
  k.intermediate_key = NewKey(KeyType::kEcdsaP256);
  if (!k.root_key || !k.intermediate_key) {
    return absl::InternalError(SslError("keygen"));
  }
  absl::Time now = absl::Now();

  X509_NAME* root_name = X509_NAME_new();
  AddName(root_name, "O", "AppTrust Test PKI");
  AddName(root_name, "CN", "AppTrust Test Root CA");
  CertSpec root_spec{1,    root_name, now - absl::Hours(24 * 365), now + absl::Hours(24 * 3650),
                     true, {}};
  absl::StatusOr<X509Ptr> root = MakeCert(root_spec, k.root_key.get(), nullptr, k.root_key.get());
  X509_NAME_free(root_name);
  if (!root.ok()) {
    return root.status();
  }
  k.root = std::move(*root);

  X509_NAME* int_name = X509_NAME_new();
  AddName(int_name, "O", "AppTrust Test PKI");
  AddName(int_name, "CN", "AppTrust Test Issuing CA");
  CertSpec intermediate{2,    int_name, now - absl::Hours(24 * 365), now + absl::Hours(24 * 3650),
                        true, {}};
  absl::StatusOr<X509Ptr> inter =
      MakeCert(intermediate, k.intermediate_key.get(), k.root.get(), k.root_key.get());
  X509_NAME_free(int_name);
  if (!inter.ok()) {
    return inter.status();
  }
  k.intermediate = std::move(*inter);

  k.second_key = NewKey(KeyType::kEcdsaP256);
  X509_NAME* second_name = X509_NAME_new();
  AddName(second_name, "O", "AppTrust Test PKI");
  AddName(second_name, "CN", "AppTrust Test Issuing CA 2");
  CertSpec second{3,    second_name, now - absl::Hours(24 * 365), now + absl::Hours(24 * 3650),
                  true, {}};
  absl::StatusOr<X509Ptr> second_ca =
      MakeCert(second, k.second_key.get(), k.root.get(), k.root_key.get());
  X509_NAME_free(second_name);
  if (!second_ca.ok()) {
    return second_ca.status();
  }
  k.second = std::move(*second_ca);
  k.second_pem = CertPem(k.second.get());

  pki->root_pem_ = CertPem(k.root.get());
  pki->intermediate_pem_ = CertPem(k.intermediate.get());
  pki->root_path_ = pki->dir_.File("root.pem");
  if (absl::Status s = WriteFile(pki->root_path_, pki->root_pem_); !s.ok()) {
    return s;
  }
  return pki;
}

absl::StatusOr<IssuedCert> TestPki::Issue(const LeafOptions& options) {
  PkeyPtr key = NewKey(options.key_type);
  if (!key) {
    return absl::InternalError(SslError("leaf keygen"));
  }
  absl::Time now = absl::Now();
  X509_NAME* name = X509_NAME_new();
  AddName(name, "C", options.country);
  AddName(name, "ST", options.state);
  AddName(name, "L", options.locality);
  AddName(name, "O", options.organization);
  std::string cn = options.common_name;
  if (cn.empty() && !options.dns_names.empty()) {
    cn = options.dns_names[0];
  }
  AddName(name, "CN", cn);
  CertSpec spec{
      next_serial_++,
      name,
      options.not_before == absl::InfinitePast() ? now - absl::Hours(24) : options.not_before,
      options.not_after == absl::InfinitePast() ? now + absl::Hours(24 * 90) : options.not_after,
      false,
      {}};
  std::vector<std::string> sans;
  for (const std::string& dns : options.dns_names) {
    sans.push_back("DNS:" + dns);
  }
  for (const std::string& ip : options.ip_addresses) {
    sans.push_back("IP:" + ip);
  }
  for (const std::string& uri : options.uris) {
    sans.push_back("URI:" + uri);
  }
  spec.extended_key_usage = options.extended_key_usage;
  if (!sans.empty()) {
    spec.extensions.emplace_back(NID_subject_alt_name, absl::StrJoin(sans, ","));
  }
  if (const char* oid = PolicyOid(options.policy)) {
    spec.extensions.emplace_back(NID_certificate_policies, oid);
  }
  if (!options.crl_urls.empty()) {
    std::vector<std::string> uris;
    for (const std::string& url : options.crl_urls) {
      uris.push_back("URI:" + url);
    }
    spec.extensions.emplace_back(NID_crl_distribution_points, absl::StrJoin(uris, ","));
  }
  X509* ca = options.second_issuer ? keys_->second.get() : keys_->intermediate.get();
  EVP_PKEY* ca_key =
      options.second_issuer ? keys_->second_key.get() : keys_->intermediate_key.get();
  const std::string& ca_pem = options.second_issuer ? keys_->second_pem : intermediate_pem_;
  X509* issuer = options.self_signed ? nullptr : ca;
  EVP_PKEY* issuer_key = options.self_signed ? key.get() : ca_key;
  absl::StatusOr<X509Ptr> cert = MakeCert(spec, key.get(), issuer, issuer_key);
  X509_NAME_free(name);
  if (!cert.ok()) {
    return cert.status();
  }

  IssuedCert out;
  out.cert_pem = CertPem(cert->get());
  out.key_pem = KeyPem(key.get());
  out.issuer_pem = options.self_signed ? out.cert_pem : ca_pem;
  out.chain_pem = options.self_signed ? out.cert_pem : out.cert_pem + ca_pem;
  unsigned char* der = nullptr;
  int len = i2d_X509(cert->get(), &der);
  out.leaf_sha256 = Sha256OfDer(len, der);
  der = nullptr;
  len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert->get()), &der);
  out.spki_sha256 = Sha256OfDer(len, der);
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert->get()), nullptr);
  char* hex = BN_bn2hex(bn);
  out.serial_hex = hex;
  OPENSSL_free(hex);
  BN_free(bn);

  int n = ++issued_;
  out.cert_path = dir_.File(absl::StrCat("leaf", n, ".pem"));
  out.chain_path = dir_.File(absl::StrCat("leaf", n, "-chain.pem"));
  out.key_path = dir_.File(absl::StrCat("leaf", n, "-key.pem"));
  for (auto [path, contents] :
       {std::pair{out.cert_path, out.cert_pem}, std::pair{out.chain_path, out.chain_pem},
        std::pair{out.key_path, out.key_pem}}) {
    if (absl::Status s = WriteFile(path, contents); !s.ok()) {
      return s;
    }
  }
  return out;
}

absl::StatusOr<std::string> TestPki::OcspResponse(const IssuedCert& cert, bool revoked) {
  BIO* bio = BIO_new_mem_buf(cert.cert_pem.data(), static_cast<int>(cert.cert_pem.size()));
  X509Ptr leaf(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!leaf) {
    return absl::InvalidArgumentError(SslError("reading leaf"));
  }
  if (cert.issuer_pem != intermediate_pem_) {
    return absl::InvalidArgumentError("OCSP responses only for certificates this PKI issued");
  }
  X509* issuer = keys_->intermediate.get();
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), leaf.get(), issuer);
  OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
  time_t now = absl::ToTimeT(absl::Now());
  ASN1_TIME* this_update = ASN1_TIME_set(nullptr, now - 60);
  ASN1_TIME* next_update = ASN1_TIME_set(nullptr, now + 3600);
  ASN1_TIME* revoked_at = ASN1_TIME_set(nullptr, now - 3600);
  OCSP_SINGLERESP* single = OCSP_basic_add1_status(
      basic, id, revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
      revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : 0, revoked ? revoked_at : nullptr, this_update,
      next_update);
  std::string out;
  absl::Status status;
  if (single == nullptr || OCSP_basic_sign(basic, issuer, keys_->intermediate_key.get(),
                                           EVP_sha256(), nullptr, 0) != 1) {
    status = absl::InternalError(SslError("building the OCSP response"));
  } else {
    OCSP_RESPONSE* response = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic);
    unsigned char* der = nullptr;
    int len = i2d_OCSP_RESPONSE(response, &der);
    if (len > 0) {
      out.assign(reinterpret_cast<char*>(der), len);
    }
    OPENSSL_free(der);
    OCSP_RESPONSE_free(response);
  }
  ASN1_TIME_free(this_update);
  ASN1_TIME_free(next_update);
  ASN1_TIME_free(revoked_at);
  OCSP_CERTID_free(id);
  OCSP_BASICRESP_free(basic);
  if (!status.ok()) {
    return status;
  }
  return out;
}

absl::StatusOr<std::string> TestPki::Crl(const CrlOptions& options) {
  X509* ca = options.second_issuer ? keys_->second.get() : keys_->intermediate.get();
  PkeyPtr other_key;
  EVP_PKEY* key = options.second_issuer ? keys_->second_key.get() : keys_->intermediate_key.get();
  if (options.signed_by_other_key) {
    other_key = NewKey(KeyType::kEcdsaP256);
    key = other_key.get();
  }
  absl::Time now = absl::Now();
  absl::Time this_update =
      options.this_update == absl::InfinitePast() ? now - absl::Hours(1) : options.this_update;
  absl::Time next_update =
      options.next_update == absl::InfinitePast() ? now + absl::Hours(24 * 7) : options.next_update;
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);  // v2
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
  ASN1_TIME* last = ASN1_TIME_set(nullptr, absl::ToTimeT(this_update));
  ASN1_TIME* next = ASN1_TIME_set(nullptr, absl::ToTimeT(next_update));
  X509_CRL_set1_lastUpdate(crl, last);
  X509_CRL_set1_nextUpdate(crl, next);
  bool ok = true;
  for (const std::string& serial_hex : options.revoked_serials_hex) {
    BIGNUM* bn = nullptr;
    ok = ok && BN_hex2bn(&bn, serial_hex.c_str()) > 0;
    X509_REVOKED* entry = X509_REVOKED_new();
    ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn, nullptr);
    ok = ok && serial != nullptr && X509_REVOKED_set_serialNumber(entry, serial) == 1 &&
         X509_REVOKED_set_revocationDate(entry, last) == 1 &&
         X509_CRL_add0_revoked(crl, entry) == 1;
    ASN1_INTEGER_free(serial);
    BN_free(bn);
  }
  X509_CRL_sort(crl);
  ok = ok && X509_CRL_sign(crl, key, EVP_sha256()) > 0;
  std::string out;
  unsigned char* der = nullptr;
  int len = ok ? i2d_X509_CRL(crl, &der) : 0;
  if (len > 0) {
    out.assign(reinterpret_cast<char*>(der), len);
  }
  OPENSSL_free(der);
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_free(crl);
  if (out.empty()) {
    return absl::InternalError(SslError("building the CRL"));
  }
  return out;
}

}  // namespace apptrust::testing
