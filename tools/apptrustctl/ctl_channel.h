// apptrustctl's channels to the services, plaintext or (mutual) TLS from its
// --tls_* flags: --tls_ca_file (the CA the service's certificate must chain
// to), --tls_cert_file/--tls_key_file (the operator's client certificate,
// for services that require mutual TLS) and --tls_server_name (the name the
// service's certificate holds when --target/--store is an IP address or a
// port-forward). The same flags serve --target and --store: one operator
// identity, one CA.
#ifndef APPTRUST_TOOLS_APPTRUSTCTL_CTL_CHANNEL_H_
#define APPTRUST_TOOLS_APPTRUSTCTL_CTL_CHANNEL_H_

#include <memory>
#include <string>

#include "grpcpp/channel.h"

namespace apptrust::ctl {

// A channel to `target` with the --tls_* flags' credentials. Exits with
// status 2 and a message naming the flag when a TLS file cannot be used.
std::shared_ptr<grpc::Channel> Channel(const std::string& target);

}  // namespace apptrust::ctl

#endif  // APPTRUST_TOOLS_APPTRUSTCTL_CTL_CHANNEL_H_
