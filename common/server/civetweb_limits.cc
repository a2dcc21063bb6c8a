#include "common/server/civetweb_limits.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace apptrust::server {

std::vector<std::string> CivetwebLimitOptions(const CivetwebLimits& limits) {
  const int64_t timeout_ms =
      std::max<int64_t>(1, absl::ToInt64Milliseconds(limits.request_timeout));
  return {"num_threads",           absl::StrCat(std::max(1, limits.worker_threads)),
          "connection_queue",      absl::StrCat(std::max(1, limits.connection_queue)),
          "request_timeout_ms",    absl::StrCat(timeout_ms),
          "enable_keep_alive",     "no",
          "keep_alive_timeout_ms", absl::StrCat(timeout_ms)};
}

}  // namespace apptrust::server
