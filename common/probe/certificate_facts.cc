#include "common/probe/certificate_facts.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/probe/fingerprint_limits.h"
#include "common/text/utf8.h"

namespace apptrust::probe {
namespace {

std::string DerOf(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) {
    return "";
  }
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  return out;
}

std::string SpkiDerOf(X509* cert) {
  X509_PUBKEY* key = X509_get_X509_PUBKEY(cert);
  if (key == nullptr) {
    return "";
  }
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(key, &der);
  if (len <= 0) {
    return "";
  }
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  return out;
}

// Subject attributes come in several ASN.1 string types (UTF8String,
// PrintableString, BMPString, UniversalString, T61String, ...):
// ASN1_STRING_to_UTF8 converts each to UTF-8, but what it returns is still
// the peer's bytes (a UTF8String may hold invalid UTF-8, a BMPString lone
// surrogates), so it is validated too. A string that cannot be converted is
// kept as its escaped raw bytes: never empty, so it still differs from the
// value the patient was shown.
std::string NameEntry(X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) {
    return "";
  }
  X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, index);
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    ERR_clear_error();
    return text::ToValidUtf8(absl::string_view(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)), ASN1_STRING_length(data)));
  }
  std::string out = text::ToValidUtf8(absl::string_view(reinterpret_cast<char*>(utf8), len));
  OPENSSL_free(utf8);
  return out;
}

std::string NameRfc2253(X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) {
    return "";
  }
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  const uint8_t* data = nullptr;
  size_t len = 0;
#ifdef APPTRUST_BORINGSSL
  BIO_mem_contents(bio, &data, &len);
#else
  char* ptr = nullptr;
  long n = BIO_get_mem_data(bio, &ptr);
  data = reinterpret_cast<const uint8_t*>(ptr);
  len = n > 0 ? static_cast<size_t>(n) : 0;
#endif
  // Escaped by XN_FLAG_RFC2253 already, unless the name holds bytes the
  // printer passes through; validated like every other peer string.
  std::string out = text::ToValidUtf8(absl::string_view(reinterpret_cast<const char*>(data), len));
  BIO_free(bio);
  return out;
}

std::string SerialHex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  if (bn == nullptr) {
    return "";
  }
  char* hex = BN_bn2hex(bn);
  // Upper case in both libraries (BoringSSL's BN_bn2hex writes lower case).
  std::string out = absl::AsciiStrToUpper(hex != nullptr ? hex : "");
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

v1::ValidationLevel ValidationLevelOf(X509* cert) {
  auto* policies = static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(cert, NID_certificate_policies, nullptr, nullptr));
  if (policies == nullptr) {
    return v1::VALIDATION_LEVEL_NONE;
  }
  v1::ValidationLevel level = v1::VALIDATION_LEVEL_NONE;
  // Several OIDs may appear; the strongest claim wins (EV > OV > IV > DV).
  auto rank = [](v1::ValidationLevel l) {
    switch (l) {
      case v1::VALIDATION_LEVEL_EV:
        return 4;
      case v1::VALIDATION_LEVEL_OV:
        return 3;
      case v1::VALIDATION_LEVEL_IV:
        return 2;
      case v1::VALIDATION_LEVEL_DV:
        return 1;
      default:
        return 0;
    }
  };
  const int count = static_cast<int>(sk_POLICYINFO_num(policies));
  for (int i = 0; i < count; ++i) {
    POLICYINFO* info = sk_POLICYINFO_value(policies, i);
    char oid[80];
    if (OBJ_obj2txt(oid, sizeof(oid), info->policyid, /*no_name=*/1) <= 0) {
      continue;
    }
    absl::string_view text(oid);
    v1::ValidationLevel found = v1::VALIDATION_LEVEL_NONE;
    if (text == "2.23.140.1.1") {
      found = v1::VALIDATION_LEVEL_EV;
    }
    if (text == "2.23.140.1.2.2") {
      found = v1::VALIDATION_LEVEL_OV;
    }
    if (text == "2.23.140.1.2.3") {
      found = v1::VALIDATION_LEVEL_IV;
    }
    if (text == "2.23.140.1.2.1") {
      found = v1::VALIDATION_LEVEL_DV;
    }
    if (rank(found) > rank(level)) {
      level = found;
    }
  }
  CERTIFICATEPOLICIES_free(policies);
  return level;
}

void AddDnsSans(X509* cert, v1::TlsFingerprint* out) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) {
    return;
  }
  std::vector<std::string> raw;
  const int count = static_cast<int>(sk_GENERAL_NAME_num(names));
  for (int i = 0; i < count; ++i) {
    GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_DNS) {
      continue;
    }
    const ASN1_STRING* dns = name->d.dNSName;
    raw.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                     ASN1_STRING_length(dns));
  }
  GENERAL_NAMES_free(names);
  // An IA5String by definition, but nothing stops a peer from sending any
  // bytes, or thousands of names: kept bounded and valid UTF-8.
  KeptValues kept = KeepBounded(raw);
  for (std::string& name : kept.kept) {
    out->add_subject_alt_names(std::move(name));
  }
  out->set_subject_alt_names_count(kept.count);
  out->set_subject_alt_names_sha256(std::move(kept.sha256));
}

std::string KeyTypeOf(X509* cert) {
  EVP_PKEY* key = X509_get_pubkey(cert);
  if (key == nullptr) {
    return "";
  }
  std::string type;
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_RSA:
      type = "RSA";
      break;
    case EVP_PKEY_EC:
      type = "EC";
      break;
    case EVP_PKEY_ED25519:
      type = "ED25519";
      break;
    default:
      type = "OTHER";
      break;
  }
  EVP_PKEY_free(key);
  return type;
}

// Validity dates are the policy's business (not_before/not_after), so they
// never make the chain untrusted.
int IgnoreValidityDates(int ok, X509_STORE_CTX* ctx) {
  if (ok) {
    return ok;
  }
  switch (X509_STORE_CTX_get_error(ctx)) {
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return 1;
    default:
      return 0;
  }
}

// Issued by itself: subject == issuer and the signature verifies with its own
// key. (X509_check_issued would also demand keyCertSign, which a self-signed
// server certificate usually lacks.)
bool IsSelfSigned(X509* cert) {
  if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0) {
    return false;
  }
  EVP_PKEY* key = X509_get_pubkey(cert);
  if (key == nullptr) {
    return false;
  }
  bool verified = X509_verify(cert, key) == 1;
  EVP_PKEY_free(key);
  ERR_clear_error();
  return verified;
}

}  // namespace

// Via ASN1_TIME_diff against the epoch: the conversion both libraries offer.
std::optional<absl::Time> Asn1TimeToTime(const ASN1_TIME* time) {
  if (time == nullptr) {
    return std::nullopt;
  }
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  if (epoch == nullptr) {
    return std::nullopt;
  }
  int days = 0, seconds = 0;
  bool ok = ASN1_TIME_diff(&days, &seconds, epoch, time) == 1;
  ASN1_TIME_free(epoch);
  if (!ok) {
    return std::nullopt;
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(days) * 86400 + seconds);
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string SerialBytes(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  if (bn == nullptr) {
    return "";
  }
  std::string out(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

absl::StatusOr<X509StorePtr> LoadTrustStore(const std::string& path) {
  X509StorePtr store(X509_STORE_new());
  if (store == nullptr) {
    return absl::ResourceExhaustedError("X509_STORE_new failed");
  }
  int ok;
  if (path.empty()) {
    ok = X509_STORE_set_default_paths(store.get());
  } else {
    struct stat info;
    if (stat(path.c_str(), &info) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("trust store '", path, "' does not exist"));
    }
    bool is_dir = S_ISDIR(info.st_mode);
    ok = X509_STORE_load_locations(store.get(), is_dir ? nullptr : path.c_str(),
                                   is_dir ? path.c_str() : nullptr);
  }
  ERR_clear_error();
  if (ok != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "trust store '", path.empty() ? "(system default)" : path, "' could not be loaded"));
  }
  return store;
}

void DescribeCertificateChain(STACK_OF(X509) * chain, X509_STORE* trust,
                              const ChainContext& context, v1::TlsFingerprint* out) {
  X509* leaf = sk_X509_value(chain, 0);
  out->set_chain_length(static_cast<int32_t>(sk_X509_num(chain)));
  out->set_leaf_sha256(Sha256Hex(DerOf(leaf)));
  out->set_spki_sha256(Sha256Hex(SpkiDerOf(leaf)));
  X509_NAME* subject = X509_get_subject_name(leaf);
  auto attribute = [&](int nid) {
    return text::TruncateUtf8(NameEntry(subject, nid), kMaxAttributeBytes);
  };
  out->set_subject_organization(attribute(NID_organizationName));
  out->set_subject_locality(attribute(NID_localityName));
  out->set_subject_state(attribute(NID_stateOrProvinceName));
  out->set_subject_country(attribute(NID_countryName));
  out->set_subject_common_name(attribute(NID_commonName));
  AddDnsSans(leaf, out);
  out->set_issuer(text::TruncateUtf8(NameRfc2253(X509_get_issuer_name(leaf)), kMaxNameBytes));
  out->set_serial(SerialHex(leaf));
  if (std::optional<absl::Time> t = Asn1TimeToTime(X509_get0_notBefore(leaf))) {
    out->mutable_not_before()->set_seconds(absl::ToUnixSeconds(*t));
  }
  if (std::optional<absl::Time> t = Asn1TimeToTime(X509_get0_notAfter(leaf))) {
    out->mutable_not_after()->set_seconds(absl::ToUnixSeconds(*t));
  }
  out->set_validation_level(ValidationLevelOf(leaf));
  out->set_key_type(KeyTypeOf(leaf));
  out->set_self_signed(IsSelfSigned(leaf));

  if (context.host_is_ip_literal) {
    out->set_hostname_matches(X509_check_ip_asc(leaf, context.host.c_str(), 0) == 1);
  } else {
    out->set_hostname_matches(
        X509_check_host(leaf, context.host.data(), context.host.size(), 0, nullptr) == 1);
  }

  X509_STORE_CTX* verify = X509_STORE_CTX_new();
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  const int count = static_cast<int>(sk_X509_num(chain));
  for (int i = 1; i < count; ++i) {
    sk_X509_push(untrusted, sk_X509_value(chain, i));
  }
  bool trusted = false;
  std::string error;
  if (verify != nullptr && untrusted != nullptr &&
      X509_STORE_CTX_init(verify, trust, leaf, untrusted) == 1) {
    X509_STORE_CTX_set_time(verify, 0, absl::ToTimeT(context.now));
    X509_STORE_CTX_set_purpose(verify, X509_PURPOSE_SSL_SERVER);
    X509_STORE_CTX_set_verify_cb(verify, &IgnoreValidityDates);
    trusted = X509_verify_cert(verify) == 1;
    if (!trusted) {
      error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(verify));
    }
  } else {
    error = "could not set up verification";
  }
  ERR_clear_error();
  sk_X509_free(untrusted);  // does not own the certificates
  X509_STORE_CTX_free(verify);
  out->set_chain_trusted(trusted);
  out->set_verify_error(text::ToValidUtf8(error));
}

}  // namespace apptrust::probe
