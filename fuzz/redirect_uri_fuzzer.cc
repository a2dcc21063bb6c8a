// ParseRedirectUri, NormalizeHost and HostForDisplay on any bytes: an app
// registers whatever redirect URI it likes, and the gateway passes it on.
// Beyond "no crash, no undefined behaviour": what ParseRedirectUri returns
// is already normal (NormalizeHost leaves its host unchanged), so one host
// never becomes two cache entries or two fingerprints.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/etld.h"
#include "common/net/redirect_uri.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  namespace net = apptrust::net;

  absl::StatusOr<net::Target> target = net::ParseRedirectUri(input);
  if (target.ok()) {
    APPTRUST_FUZZ_CHECK(!target->host.empty());
    APPTRUST_FUZZ_CHECK(!target->domain.empty());
    APPTRUST_FUZZ_CHECK(target->scheme == "https" || target->scheme == "http");
    absl::StatusOr<std::string> again = net::NormalizeHost(target->host);
    APPTRUST_FUZZ_CHECK(again.ok() && *again == target->host);
    net::HostForDisplay(target->host);
  } else {
    APPTRUST_FUZZ_CHECK(!target.status().message().empty());
  }

  absl::StatusOr<std::string> host = net::NormalizeHost(input);
  if (host.ok()) {
    absl::StatusOr<std::string> again = net::NormalizeHost(*host);
    APPTRUST_FUZZ_CHECK(again.ok() && *again == *host);
    net::RegistrableDomain(*host).status().IgnoreError();
  }
  net::HostForDisplay(input);
  return 0;
}
