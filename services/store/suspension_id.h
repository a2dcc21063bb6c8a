// Suspension ids: 128 random bits from the kernel's CSPRNG, as 32 lower-case
// hex digits. The id is the last path segment of a public error_uri, so it
// must not be guessable (an explanation page must not be enumerable).
#ifndef APPTRUST_SERVICES_STORE_SUSPENSION_ID_H_
#define APPTRUST_SERVICES_STORE_SUSPENSION_ID_H_

#include <string>

namespace apptrust::store {

std::string NewSuspensionId();

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_SUSPENSION_ID_H_
