// Reads a service's Prometheus /metrics page over loopback HTTP, and finds
// one series' value in it, so tests can check what the dashboard will see.
#ifndef APPTRUST_TESTS_STORE_METRICS_SCRAPE_H_
#define APPTRUST_TESTS_STORE_METRICS_SCRAPE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace apptrust::testing {

// GET http://<address>/metrics; the body.
absl::StatusOr<std::string> ScrapeMetrics(const std::string& address);

// The value of the line that starts with `series` followed by a space, e.g.
// series = `apptrust_grants{state="active"}`. Labels must be written in the
// order prometheus-cpp prints them (alphabetical).
std::optional<double> SeriesValue(const std::string& metrics_text, const std::string& series);

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_STORE_METRICS_SCRAPE_H_
