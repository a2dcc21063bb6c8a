// How times are written for people and for machines, in UTC, in one place:
// RFC 3339 to the second for logs, JSON and details ("2026-11-28T12:00:00Z"),
// and the day as a patient reads it in English ("28 November 2026").
#ifndef APPTRUST_COMMON_TIME_TIME_FORMAT_H_
#define APPTRUST_COMMON_TIME_TIME_FORMAT_H_

#include <string>

#include "absl/time/time.h"

namespace apptrust::timeconv {

// "2026-11-28T12:00:00Z" (UTC, whole seconds).
std::string FormatRfc3339(absl::Time time);

// "28 November 2026" (UTC).
std::string FormatHumanDate(absl::Time time);

}  // namespace apptrust::timeconv

#endif  // APPTRUST_COMMON_TIME_TIME_FORMAT_H_
