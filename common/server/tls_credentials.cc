#include "common/server/tls_credentials.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/server/flag_checks.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace apptrust::server {
namespace {

using grpc::experimental::FileWatcherCertificateProvider;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("cannot read the file");
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Every certificate of a PEM bundle, in order; an error when there is none.
absl::StatusOr<std::vector<X509Ptr>> ReadCertificates(const std::string& path) {
  auto pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the end of the bundle reads as an error
  if (certs.empty()) return absl::InvalidArgumentError("holds no PEM certificate");
  return certs;
}

absl::StatusOr<std::unique_ptr<EVP_PKEY, PkeyDeleter>> ReadKey(const std::string& path) {
  auto pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError("holds no unencrypted PEM private key");
  }
  return key;
}

// A certificate chain and its key: both or neither, both readable, and the
// key the first certificate's.
absl::Status CheckIdentity(const std::string& cert_file, const std::string& key_file,
                           const TlsFlagNames& names) {
  if (cert_file.empty() && key_file.empty()) return absl::OkStatus();
  if (cert_file.empty()) {
    return FlagError(
        names.cert_file, cert_file,
        absl::InvalidArgumentError(absl::StrCat("must be set with --", names.key_file)));
  }
  if (key_file.empty()) {
    return FlagError(
        names.key_file, key_file,
        absl::InvalidArgumentError(absl::StrCat("must be set with --", names.cert_file)));
  }
  auto certs = ReadCertificates(cert_file);
  if (!certs.ok()) return FlagError(names.cert_file, cert_file, certs.status());
  auto key = ReadKey(key_file);
  if (!key.ok()) return FlagError(names.key_file, key_file, key.status());
  if (X509_check_private_key(certs->front().get(), key->get()) != 1) {
    ERR_clear_error();
    return FlagError(names.key_file, key_file,
                     absl::InvalidArgumentError(absl::StrCat(
                         "is not the key of the first certificate in --", names.cert_file)));
  }
  return absl::OkStatus();
}

absl::Status CheckBundle(const std::string& file, absl::string_view flag) {
  if (file.empty()) return absl::OkStatus();
  return FlagError(flag, file, ReadCertificates(file).status());
}

unsigned int RefreshSeconds(absl::Duration interval) {
  // gRPC's watcher counts whole seconds and needs at least one.
  return static_cast<unsigned int>(
      std::clamp<int64_t>(absl::ToInt64Seconds(interval), 1, int64_t{24} * 3600));
}

}  // namespace

absl::Status CheckTlsFiles(const TlsServerOptions& options, const TlsFlagNames& names) {
  if (absl::Status s = CheckIdentity(options.cert_file, options.key_file, names); !s.ok()) {
    return s;
  }
  if (options.mutual() && !options.tls()) {
    return FlagError(names.ca_file, options.client_ca_file,
                     absl::InvalidArgumentError(
                         absl::StrCat("needs --", names.cert_file, " and --", names.key_file,
                                      " (mutual TLS is TLS with client certificates)")));
  }
  return CheckBundle(options.client_ca_file, names.ca_file);
}

absl::Status CheckTlsFiles(const TlsClientOptions& options, const TlsFlagNames& names) {
  if (absl::Status s = CheckIdentity(options.cert_file, options.key_file, names); !s.ok()) {
    return s;
  }
  if (!options.server_name.empty() && !options.tls() && !names.server_name.empty()) {
    return FlagError(names.server_name, options.server_name,
                     absl::InvalidArgumentError(absl::StrCat("needs TLS (--", names.ca_file,
                                                             " or --", names.cert_file, ")")));
  }
  return CheckBundle(options.ca_file, names.ca_file);
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsServerOptions& options) {
  if (!options.tls()) return grpc::InsecureServerCredentials();
  auto provider = std::make_shared<FileWatcherCertificateProvider>(
      options.key_file, options.cert_file, options.client_ca_file,
      RefreshSeconds(options.refresh_interval));
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (options.mutual()) {
    tls.watch_root_certs();
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsClientOptions& options,
                                                                 grpc::ChannelArguments& args) {
  if (!options.tls()) return grpc::InsecureChannelCredentials();
  auto provider = std::make_shared<FileWatcherCertificateProvider>(
      options.key_file, options.cert_file, options.ca_file,
      RefreshSeconds(options.refresh_interval));
  grpc::experimental::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(provider);
  // Without a CA file gRPC verifies against the system's roots.
  if (!options.ca_file.empty()) tls.watch_root_certs();
  if (!options.cert_file.empty()) tls.watch_identity_key_cert_pairs();
  tls.set_verify_server_certs(true);
  if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  return grpc::experimental::TlsCredentials(tls);
}

bool IsLoopbackHost(absl::string_view host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

}  // namespace apptrust::server
