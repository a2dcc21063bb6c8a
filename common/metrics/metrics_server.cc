#include "common/metrics/metrics_server.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/net/host_port.h"
#include "common/server/civetweb_limits.h"
#include "prometheus/gauge.h"

namespace apptrust::metrics {

#ifndef APPTRUST_VERSION
#define APPTRUST_VERSION "dev"
#endif

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, const std::string& service_name) {
  auto host_port = net::ParseHostPort(listen);
  if (!host_port.ok()) return host_port.status();
  std::unique_ptr<MetricsServer> out(new MetricsServer());
  out->registry_ = std::make_shared<prometheus::Registry>();
  try {
    // civetweb wants IPv6 literals in brackets, as ToString() writes them.
    // The same worker, timeout and connection limits as the page: idle
    // sockets must not blind monitoring (civetweb_limits.h).
    std::vector<std::string> options = {"listening_ports", host_port->ToString()};
    for (std::string& value : server::CivetwebLimitOptions(server::CivetwebLimits{})) {
      options.push_back(std::move(value));
    }
    out->exposer_ = std::make_unique<prometheus::Exposer>(std::move(options));
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host_port->ToString(), ": ", e.what()));
  }
  out->exposer_->RegisterCollectable(out->registry_);
  const auto ports = out->exposer_->GetListeningPorts();
  net::HostPort bound = *host_port;
  if (!ports.empty()) bound.port = static_cast<uint16_t>(ports.front());
  out->address_ = bound.ToString();

  prometheus::BuildGauge()
      .Name("apptrust_build_info")
      .Help("Build information; the value is always 1.")
      .Register(*out->registry_)
      .Add({{"service", service_name}, {"version", APPTRUST_VERSION}})
      .Set(1);
  return out;
}

}  // namespace apptrust::metrics
