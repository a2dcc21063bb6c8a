#include "common/probe/crl.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/probe/certificate_facts.h"
#include "common/time/time_format.h"

namespace apptrust::probe {
X509Ptr ShareCertificate(X509* cert) {
  if (cert != nullptr) {
    X509_up_ref(cert);
  }
  return X509Ptr(cert);
}

std::vector<std::string> HttpCrlDistributionPoints(X509* leaf) {
  std::vector<std::string> urls;
  auto* points = static_cast<STACK_OF(DIST_POINT)*>(
      X509_get_ext_d2i(leaf, NID_crl_distribution_points, nullptr, nullptr));
  if (points == nullptr) {
    return urls;
  }
  const int point_count = static_cast<int>(sk_DIST_POINT_num(points));
  for (int i = 0; i < point_count; ++i) {
    DIST_POINT* point = sk_DIST_POINT_value(points, i);
    if (point->distpoint == nullptr || point->distpoint->type != 0) {
      continue;  // a relative name: no URL
    }
    GENERAL_NAMES* names = point->distpoint->name.fullname;
    const int name_count = static_cast<int>(sk_GENERAL_NAME_num(names));
    for (int j = 0; j < name_count; ++j) {
      GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) {
        continue;
      }
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      std::string url(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
      if (absl::StartsWithIgnoreCase(url, "http://") && url.find('\0') == std::string::npos) {
        urls.push_back(std::move(url));
      }
    }
  }
  sk_DIST_POINT_pop_free(points, DIST_POINT_free);
  return urls;
}

bool IsShortLived(X509* leaf) {
  std::optional<absl::Time> not_before = Asn1TimeToTime(X509_get0_notBefore(leaf));
  std::optional<absl::Time> not_after = Asn1TimeToTime(X509_get0_notAfter(leaf));
  return not_before && not_after && *not_after - *not_before <= kShortLivedValidity;
}

X509* FindIssuer(STACK_OF(X509) * chain, X509* leaf) {
  X509* found = nullptr;
  const int count = static_cast<int>(sk_X509_num(chain));
  for (int i = 1; i < count && found == nullptr; ++i) {
    X509* candidate = sk_X509_value(chain, i);
    if (X509_NAME_cmp(X509_get_subject_name(candidate), X509_get_issuer_name(leaf)) != 0) {
      continue;
    }
    EVP_PKEY* key = X509_get_pubkey(candidate);
    if (key != nullptr && X509_verify(leaf, key) == 1) {
      found = candidate;
    }
    EVP_PKEY_free(key);
  }
  ERR_clear_error();
  return found;
}

absl::StatusOr<X509CrlPtr> ParseCrl(absl::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (crl == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("not a DER CRL (", der.size(), " bytes)"));
  }
  return crl;
}

absl::Status VerifyCrl(X509_CRL* crl, X509* issuer, absl::Time now) {
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
    return absl::FailedPreconditionError("CRL issuer is not the certificate's issuer");
  }
  EVP_PKEY* key = X509_get_pubkey(issuer);
  const bool signed_by_issuer = key != nullptr && X509_CRL_verify(crl, key) == 1;
  EVP_PKEY_free(key);
  ERR_clear_error();
  if (!signed_by_issuer) {
    return absl::FailedPreconditionError("CRL signature does not verify with the issuer's key");
  }
  std::optional<absl::Time> this_update = Asn1TimeToTime(X509_CRL_get0_lastUpdate(crl));
  std::optional<absl::Time> next_update = CrlNextUpdate(crl);
  if (!this_update || !next_update) {
    return absl::FailedPreconditionError("CRL lacks thisUpdate or nextUpdate");
  }
  if (now < *this_update) {
    return absl::FailedPreconditionError(
        absl::StrCat("CRL not yet valid (thisUpdate ", timeconv::FormatRfc3339(*this_update), ")"));
  }
  if (now >= *next_update) {
    return absl::FailedPreconditionError(
        absl::StrCat("CRL expired (nextUpdate ", timeconv::FormatRfc3339(*next_update), ")"));
  }
  return absl::OkStatus();
}

std::optional<absl::Time> CrlNextUpdate(X509_CRL* crl) {
  return Asn1TimeToTime(X509_CRL_get0_nextUpdate(crl));
}

bool CrlListsSerial(X509_CRL* crl, X509* leaf) {
  X509_REVOKED* entry = nullptr;
  // 1: listed; 2: listed with reason removeFromCRL (a delta CRL's "no longer
  // revoked"), which a full CRL does not carry; 0: not listed.
  bool listed = X509_CRL_get0_by_serial(crl, &entry, X509_get_serialNumber(leaf)) == 1;
  ERR_clear_error();
  return listed;
}

}  // namespace apptrust::probe
