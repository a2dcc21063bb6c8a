// The registrable domain ("eTLD+1") of a host name, from the Public Suffix
// List. AppTrust shows the patient this domain and looks for the app's TXT
// record there (DESIGN.md §1), so `app.examplehealth.co.uk` and
// `login.examplehealth.co.uk` both belong to `examplehealth.co.uk`, while
// `x.my-project.github.io` belongs to `my-project.github.io` (github.io is a
// public suffix: every project there is a different owner).
//
// The list is Debian's `publicsuffix` package, loaded once per process on
// first use (thread-safe; later calls only read it). Names under a TLD the
// list does not know (such as `.test`, used by the tests) follow the PSL's
// default rule "*": the eTLD is the last label, so `app.examplehealth.test`
// gives `examplehealth.test`.
#ifndef APPTRUST_COMMON_NET_ETLD_H_
#define APPTRUST_COMMON_NET_ETLD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apptrust::net {

// `host` must be normalised (lower case, A-labels, no trailing dot), as
// ParseRedirectUri returns it. A host that is itself a public suffix (or a
// single label such as `localhost`) has no eTLD+1: the host itself is
// returned, so that the caller still has one stable domain to show and to
// look up. FAILED_PRECONDITION when the Public Suffix List cannot be loaded,
// INVALID_ARGUMENT for an empty host.
absl::StatusOr<std::string> RegistrableDomain(absl::string_view host);

// Where the list is read from (for diagnostics): the path that was loaded, or
// "built-in" when libpsl's compiled-in copy had to be used.
std::string PublicSuffixListSource();

}  // namespace apptrust::net

#endif  // APPTRUST_COMMON_NET_ETLD_H_
