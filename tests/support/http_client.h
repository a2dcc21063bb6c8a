// The tests' one HTTP/1.1 client: blocking, one request per connection
// (Connection: close) to a loopback address, the whole response read until
// the server closes. Enough to check status, headers and body of the
// explanation page exactly as a browser would receive them, to scrape
// /metrics, and to query a test Prometheus.
#ifndef APPTRUST_TESTS_SUPPORT_HTTP_CLIENT_H_
#define APPTRUST_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace apptrust::testing {

struct HttpResponse {
  int status = 0;
  // Header names lower-cased; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  // How many times each (lower-cased) header name appeared.
  std::map<std::string, int> header_counts;
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// Sends `method target HTTP/1.1` to `address` ("127.0.0.1:8080") with a Host
// header, Connection: close and `headers`.
absl::StatusOr<HttpResponse> HttpRequest(
    const std::string& address, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    absl::Duration timeout = absl::Seconds(15));

// Sends `raw` bytes as they are (malformed requests) and parses the answer.
absl::StatusOr<HttpResponse> HttpRawRequest(const std::string& address, const std::string& raw,
                                            absl::Duration timeout = absl::Seconds(15));

// "http://127.0.0.1:1234/errors/x?y=1" → {"127.0.0.1:1234", "/errors/x?y=1"}.
absl::StatusOr<std::pair<std::string, std::string>> SplitHttpUrl(absl::string_view url);

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_HTTP_CLIENT_H_
