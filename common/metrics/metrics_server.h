// The Prometheus endpoint of a service: GET /metrics on --metrics_listen, in
// the Prometheus text format, served by prometheus-cpp's embedded civetweb.
// It runs with the civetweb limits of common/server/civetweb_limits.h, so
// idle sockets cannot keep Prometheus from scraping.
// The registry is shared by everything in the process that records metrics;
// every service exports apptrust_build_info{service,version}.
#ifndef APPTRUST_COMMON_METRICS_METRICS_SERVER_H_
#define APPTRUST_COMMON_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"

namespace apptrust::metrics {

class MetricsServer {
 public:
  // Binds `listen` ("host:port"; port 0 picks one). Fails with a message
  // naming the address when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                              const std::string& service_name);

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }
  // The bound address with the actual port.
  const std::string& address() const { return address_; }

 private:
  MetricsServer() = default;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
};

}  // namespace apptrust::metrics

#endif  // APPTRUST_COMMON_METRICS_METRICS_SERVER_H_
