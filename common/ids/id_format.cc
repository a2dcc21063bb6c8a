#include "common/ids/id_format.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace apptrust::ids {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status CheckLength(absl::string_view field, absl::string_view value, size_t max) {
  if (value.empty()) return Invalid(field, "must not be empty");
  if (value.size() > max) {
    return Invalid(field, absl::StrCat("must be at most ", max, " bytes, got ", value.size()));
  }
  return absl::OkStatus();
}

absl::Status BadByte(absl::string_view field, absl::string_view rule, size_t i, char c) {
  return Invalid(field, absl::StrCat("must be ", rule, "; byte ", i, " is 0x",
                                     absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2)));
}

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

}  // namespace

absl::Status ValidateId(absl::string_view field, absl::string_view value) {
  if (absl::Status length = CheckLength(field, value, kMaxIdBytes); !length.ok()) return length;
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c > 0x7e) return BadByte(field, "printable ASCII", i, value[i]);
  }
  return absl::OkStatus();
}

absl::Status ValidateSuspensionId(absl::string_view field, absl::string_view value) {
  if (absl::Status length = CheckLength(field, value, kMaxSuspensionIdBytes); !length.ok()) {
    return length;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (!IsUnreserved(value[i])) {
      return BadByte(field, "letters, digits, '-', '.', '_' or '~'", i, value[i]);
    }
  }
  // Dot-segments (RFC 3986 §5.2.4) are removed from a URL's path by browsers
  // and servers, so they would never reach the page as an id.
  if (value == "." || value == "..") return Invalid(field, "must not be '.' or '..'");
  return absl::OkStatus();
}

bool IsValidSuspensionId(absl::string_view value) { return ValidateSuspensionId("", value).ok(); }

}  // namespace apptrust::ids
