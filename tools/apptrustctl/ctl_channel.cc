#include "tools/apptrustctl/ctl_channel.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "common/server/tls_credentials.h"
#include "grpcpp/create_channel.h"

ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA bundle the services' certificates must chain to; setting any --tls_* file "
          "turns on TLS (empty CA: the system roots)");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM client certificate chain (mutual TLS: the operator's identity)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name the service's certificate must hold when it is not the host of --target/--store");

namespace apptrust::ctl {

std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
  server::TlsClientOptions tls;
  tls.ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  tls.server_name = absl::GetFlag(FLAGS_tls_server_name);
  if (absl::Status s = server::CheckTlsFiles(
          tls, {"tls_cert_file", "tls_key_file", "tls_ca_file", "tls_server_name"});
      !s.ok()) {
    std::fprintf(stderr, "apptrustctl: invalid %s\n", std::string(s.message()).c_str());
    std::exit(2);
  }
  grpc::ChannelArguments args;
  std::shared_ptr<grpc::ChannelCredentials> credentials = server::MakeChannelCredentials(tls, args);
  return grpc::CreateCustomChannel(target, credentials, args);
}

}  // namespace apptrust::ctl
