// Network text → proto strings. A proto3 `string` must hold valid UTF-8: a
// message with one invalid byte in a string field fails to parse on the
// other side (the store answers INTERNAL, the grant is never suspended). What
// a probed app sends (certificate fields, SANs, TXT records, error texts that
// echo peer data) is arbitrary bytes, so every such string passes through
// ToValidUtf8 before it is set on a proto.
//
// The escaped form is visible and reversible: valid UTF-8 is returned
// unchanged; in a string that is not valid UTF-8, every byte that is not part
// of a well-formed sequence becomes `\xHH` (upper-case hex) and every
// backslash becomes `\x5C`, so in an escaped string each `\xHH` stands for
// exactly one original byte. (A valid string that happens to contain the text
// `\xFF` is not escaped; where the raw bytes matter, keep them separately, as
// a hash or hex.)
//
// Validity is RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF),
// nothing above U+10FFFF. NUL and control characters are valid UTF-8 and kept.
#ifndef APPTRUST_COMMON_TEXT_UTF8_H_
#define APPTRUST_COMMON_TEXT_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace apptrust::text {

// True when `bytes` is well-formed UTF-8 (RFC 3629).
bool IsValidUtf8(absl::string_view bytes);

// `bytes` itself when valid; otherwise the escaped form described above.
std::string ToValidUtf8(absl::string_view bytes);

// The longest prefix of valid UTF-8 `text` that is at most `max_bytes` long
// and ends on a character boundary; when `text` is longer, the prefix is
// followed by "…" (U+2026) and the whole stays within `max_bytes`
// (`max_bytes` >= 3). Bounds what one network string may cost in a
// fingerprint while keeping it valid UTF-8 and showing that it was cut.
std::string TruncateUtf8(absl::string_view text, size_t max_bytes);

}  // namespace apptrust::text

#endif  // APPTRUST_COMMON_TEXT_UTF8_H_
