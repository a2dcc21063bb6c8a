#include "common/server/flag_checks.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/net/host_port.h"

namespace apptrust::server {
namespace {

std::string& HelpSourceDir() {
  static std::string dir;
  return dir;
}

}  // namespace

void ConfigureUsage(absl::string_view program, absl::string_view summary,
                    absl::string_view source_dir) {
  HelpSourceDir() = std::string(source_dir);
  absl::FlagsUsageConfig config;
  config.contains_helpshort_flags = [](absl::string_view path) {
    // The security flags both services share (server_security_flags.h).
    return absl::StrContains(path, HelpSourceDir()) ||
           absl::StrContains(path, "common/server/server_security_flags");
  };
  config.contains_help_flags = config.contains_helpshort_flags;
  config.version_string = [] { return std::string("AppTrust " APPTRUST_VERSION "\n"); };
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(absl::StrCat(program, ": ", summary));
}

void ExitIfBadFlag(absl::string_view program, absl::string_view flag, absl::string_view value,
                   const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: invalid --%s=%s: %s\n", std::string(program).c_str(),
               std::string(flag).c_str(), std::string(value).c_str(),
               std::string(status.message()).c_str());
  std::exit(2);
}

absl::Status FlagError(absl::string_view flag, absl::string_view value,
                       const absl::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", value, ": ", status.message()));
}

absl::Status CheckAddress(absl::string_view flag, const std::string& value) {
  return FlagError(flag, value, net::ParseHostPort(value).status());
}

void ExitIfBadFlags(absl::string_view program, const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: invalid %s\n", std::string(program).c_str(),
               std::string(status.message()).c_str());
  std::exit(2);
}

void CheckAddressFlag(absl::string_view program, absl::string_view flag, const std::string& value) {
  ExitIfBadFlag(program, flag, value, net::ParseHostPort(value).status());
}

void AnnounceListener(absl::string_view program, absl::string_view name,
                      absl::string_view address) {
  std::printf("%s: %s listening on %s\n", std::string(program).c_str(), std::string(name).c_str(),
              std::string(address).c_str());
  std::fflush(stdout);
}

}  // namespace apptrust::server
