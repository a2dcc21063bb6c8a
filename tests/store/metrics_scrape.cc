#include "tests/store/metrics_scrape.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tests/support/http_client.h"

namespace apptrust::testing {

absl::StatusOr<std::string> ScrapeMetrics(const std::string& address) {
  absl::StatusOr<HttpResponse> response = HttpRequest(address, "GET", "/metrics");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET /metrics: HTTP ", response->status));
  }
  return response->body;
}

std::optional<double> SeriesValue(const std::string& metrics_text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(metrics_text, '\n')) {
    if (line.size() > series.size() && line.substr(0, series.size()) == series &&
        line[series.size()] == ' ') {
      double value;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
    }
  }
  return std::nullopt;
}

}  // namespace apptrust::testing
