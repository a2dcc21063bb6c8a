#include "common/webhook/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace apptrust::webhook {
namespace {

std::string HmacSha256Hex(absl::string_view key, absl::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

std::string Sign(absl::string_view secret, int64_t unix_seconds, absl::string_view body) {
  return HmacSha256Hex(secret, absl::StrCat(unix_seconds, ".", body));
}

std::string SignatureHeaderValue(absl::string_view secret, int64_t unix_seconds,
                                 absl::string_view body) {
  return absl::StrCat("v1=", Sign(secret, unix_seconds, body));
}

bool VerifySignature(absl::string_view secret, absl::string_view timestamp, absl::string_view body,
                     absl::string_view header_value) {
  if (!absl::ConsumePrefix(&header_value, "v1=")) {
    return false;
  }
  const std::string expected = HmacSha256Hex(secret, absl::StrCat(timestamp, ".", body));
  return header_value.size() == expected.size() &&
         CRYPTO_memcmp(header_value.data(), expected.data(), expected.size()) == 0;
}

}  // namespace apptrust::webhook
