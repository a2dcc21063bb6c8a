#include "common/time/time_format.h"

#include "absl/strings/str_cat.h"

namespace apptrust::timeconv {

std::string FormatRfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

std::string FormatHumanDate(absl::Time time) {
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  const absl::CivilDay day = absl::ToCivilDay(time, absl::UTCTimeZone());
  return absl::StrCat(day.day(), " ", kMonths[day.month() - 1], " ", day.year());
}

}  // namespace apptrust::timeconv
