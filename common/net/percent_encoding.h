// Percent-encoding (RFC 3986 §2.1) in one place: the redirect URI parser
// decodes hosts with it, the error_uri builder encodes path segments and
// query values with it, and the explanation page decodes its query string.
//
// Decoding is strict: a '%' must be followed by two hex digits, or the whole
// text is refused (INVALID_ARGUMENT whose message says where, without a
// field name: the caller knows which field it decoded and adds it). Decoded
// bytes are returned as they are; whether they must be UTF-8 is the caller's
// rule.
#ifndef APPTRUST_COMMON_NET_PERCENT_ENCODING_H_
#define APPTRUST_COMMON_NET_PERCENT_ENCODING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apptrust::net {

// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool IsUnreserved(char c);

// Encodes every byte except unreserved characters and those in `keep`, with
// upper-case hex digits (RFC 3986 §2.1 "should").
std::string PercentEncode(absl::string_view text, absl::string_view keep = "");

// Encodes only the bytes 0x80-0xFF: the RFC 3987 §3.1 mapping of an IRI to a
// URI for text already known to be UTF-8. ASCII passes unchanged.
std::string PercentEncodeNonAscii(absl::string_view text);

// How '+' decodes: itself (URI components) or a space
// (application/x-www-form-urlencoded query strings).
enum class PlusDecoding { kLiteral, kSpace };

absl::StatusOr<std::string> PercentDecode(absl::string_view text,
                                          PlusDecoding plus = PlusDecoding::kLiteral);

}  // namespace apptrust::net

#endif  // APPTRUST_COMMON_NET_PERCENT_ENCODING_H_
