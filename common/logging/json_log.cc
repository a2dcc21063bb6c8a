#include "common/logging/json_log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace apptrust::logging {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
absl::Mutex write_mutex;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

void AppendKey(std::string& out, absl::string_view key) {
  out.push_back(',');
  AppendJsonString(out, key);
  out.push_back(':');
}

}  // namespace

void SetMinLevel(Level level) { min_level.store(static_cast<int>(level)); }

bool Enabled(Level level) { return static_cast<int>(level) >= min_level.load(); }

absl::StatusOr<Level> ParseLevel(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warning" || lower == "warn") return Level::kWarning;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level '", text, "' (want debug, info, warning or error)"));
}

void AppendJsonString(std::string& out, absl::string_view value) {
  out.push_back('"');
  for (const unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

Line::Line(Level level, absl::string_view message) : enabled_(Enabled(level)) {
  if (!enabled_) return;
  buffer_ = "{\"time\":";
  AppendJsonString(buffer_,
                   absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  buffer_ += ",\"level\":";
  AppendJsonString(buffer_, LevelName(level));
  buffer_ += ",\"msg\":";
  AppendJsonString(buffer_, message);
}

Line::~Line() {
  if (!enabled_) return;
  buffer_ += "}\n";
  absl::MutexLock lock(&write_mutex);
  const char* data = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written <= 0) break;
    data += written;
    left -= static_cast<size_t>(written);
  }
}

Line& Line::Field(absl::string_view key, absl::string_view value) {
  if (!enabled_) return *this;
  AppendKey(buffer_, key);
  AppendJsonString(buffer_, value);
  return *this;
}

Line& Line::Field(absl::string_view key, int64_t value) {
  if (!enabled_) return *this;
  AppendKey(buffer_, key);
  absl::StrAppend(&buffer_, value);
  return *this;
}

Line& Line::Field(absl::string_view key, bool value) {
  if (!enabled_) return *this;
  AppendKey(buffer_, key);
  buffer_ += value ? "true" : "false";
  return *this;
}

Line& Line::Field(absl::string_view key, absl::Duration value) {
  if (!enabled_) return *this;
  AppendKey(buffer_, absl::StrCat(key, "_seconds"));
  absl::StrAppend(&buffer_, absl::ToDoubleSeconds(value));
  return *this;
}

}  // namespace apptrust::logging
