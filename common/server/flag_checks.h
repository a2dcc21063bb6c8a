// Start-up checks shared by the service binaries: a flag value that cannot be
// used stops the process with exit code 2 and a message naming the flag, e.g.
//   apptrust-store: invalid --listen=nowhere: 'nowhere' is not a host:port address: missing ':port'
#ifndef APPTRUST_COMMON_SERVER_FLAG_CHECKS_H_
#define APPTRUST_COMMON_SERVER_FLAG_CHECKS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace apptrust::server {

// Shows only the flags defined under `source_dir` (e.g. "services/store/") and
// the shared security flags (server_security_flags.h) in --help, next to the
// standard --help/--version flags.
void ConfigureUsage(absl::string_view program, absl::string_view summary,
                    absl::string_view source_dir);

// Exits with status 2 when `status` is not OK, naming the flag and its value.
void ExitIfBadFlag(absl::string_view program, absl::string_view flag, absl::string_view value,
                   const absl::Status& status);

// INVALID_ARGUMENT "--flag=value: why" when `status` is not OK; OK otherwise.
// The form flag readers return, so main() prints and exits in one place.
absl::Status FlagError(absl::string_view flag, absl::string_view value, const absl::Status& status);

// OK when `value` parses as host:port; otherwise FlagError.
absl::Status CheckAddress(absl::string_view flag, const std::string& value);

// Prints "program: invalid --flag=value: why" and exits with status 2 when
// `status` (from FlagError) is not OK.
void ExitIfBadFlags(absl::string_view program, const absl::Status& status);

// Exits with status 2 unless `value` parses as host:port.
void CheckAddressFlag(absl::string_view program, absl::string_view flag, const std::string& value);

// Prints one "name=address" line to stdout and flushes it: tests and the
// README's start command read where each listener is bound from here.
void AnnounceListener(absl::string_view program, absl::string_view name, absl::string_view address);

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_FLAG_CHECKS_H_
