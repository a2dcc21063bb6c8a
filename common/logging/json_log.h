// Structured logs: one JSON object per line on stderr, e.g.
//   {"time":"2026-11-28T14:55:01.123Z","level":"info","msg":"listening","address":"127.0.0.1:50051"}
// Lines are written with a single write(2) under a lock, so lines from
// concurrent threads never interleave. Grant ids may be logged; tokens never
// reach this service and must never be logged.
#ifndef APPTRUST_COMMON_LOGGING_JSON_LOG_H_
#define APPTRUST_COMMON_LOGGING_JSON_LOG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace apptrust::logging {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below `level` are dropped. Default kInfo.
void SetMinLevel(Level level);
bool Enabled(Level level);

// "debug", "info", "warning" (or "warn"), "error".
absl::StatusOr<Level> ParseLevel(absl::string_view text);

// Appends `value` to `out` as a JSON string literal, quotes included.
void AppendJsonString(std::string& out, absl::string_view value);

// One log line, emitted when the object is destroyed (end of the statement):
//   logging::Info("grant suspended").Field("grant_id", id).Field("reason", r);
class Line {
 public:
  Line(Level level, absl::string_view message);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& Field(absl::string_view key, absl::string_view value);
  Line& Field(absl::string_view key, const char* value) {
    return Field(key, absl::string_view(value));
  }
  Line& Field(absl::string_view key, const std::string& value) {
    return Field(key, absl::string_view(value));
  }
  Line& Field(absl::string_view key, int64_t value);
  Line& Field(absl::string_view key, int value) { return Field(key, int64_t{value}); }
  Line& Field(absl::string_view key, uint32_t value) { return Field(key, int64_t{value}); }
  Line& Field(absl::string_view key, bool value);
  // Emitted as seconds with a "_seconds" suffix added to the key.
  Line& Field(absl::string_view key, absl::Duration value);

 private:
  bool enabled_;
  std::string buffer_;
};

inline Line Debug(absl::string_view message) { return Line(Level::kDebug, message); }
inline Line Info(absl::string_view message) { return Line(Level::kInfo, message); }
inline Line Warning(absl::string_view message) { return Line(Level::kWarning, message); }
inline Line Error(absl::string_view message) { return Line(Level::kError, message); }

}  // namespace apptrust::logging

#endif  // APPTRUST_COMMON_LOGGING_JSON_LOG_H_
