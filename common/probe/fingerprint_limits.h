// How much of what an app shows a fingerprint keeps. A fingerprint is stored
// with the grant and read on every refresh, often many grants in one store
// call; one app's certificate with thousands of names (or thousands of TXT
// entries or addresses) must not make those reads exceed a message limit and
// fail other patients' refreshes. So each list keeps its first
// kMaxKeptValues values, each value at most kMaxValueBytes, plus the length
// of the full list and a SHA-256 over all of it: a change anywhere is still
// detected, only not spelled out past the kept values. Single fields (subject
// attributes, issuer) are bounded too.
//
// With these bounds a fingerprint stays well under 64 KiB whatever the app
// sends (two lists of 100 × 255 bytes, two of 100 addresses, a few short
// fields), which is what the store's grant size limit assumes.
#ifndef APPTRUST_COMMON_PROBE_FINGERPRINT_LIMITS_H_
#define APPTRUST_COMMON_PROBE_FINGERPRINT_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace apptrust::probe {

inline constexpr size_t kMaxKeptValues = 100;
// A DNS name is at most 253 bytes; TXT character-strings at most 255.
inline constexpr size_t kMaxValueBytes = 255;
// Subject attributes (O, L, ST, C, CN); X.520 bounds them far lower.
inline constexpr size_t kMaxAttributeBytes = 255;
// The issuer's whole distinguished name (RFC 2253 text).
inline constexpr size_t kMaxNameBytes = 1024;

struct KeptValues {
  // Valid UTF-8 (escaped as common/text/utf8.h says), each cut to
  // kMaxValueBytes, at most kMaxKeptValues of them, in the input's order.
  std::vector<std::string> kept;
  // Size of the full input.
  int32_t count = 0;
  // SHA-256 (lower hex) over the full input, raw bytes, each value
  // length-prefixed (so ["ab"] and ["a","b"] differ).
  std::string sha256;
};

// `values` in the order to keep them (raw bytes as observed).
KeptValues KeepBounded(const std::vector<std::string>& values);

// A single peer string, valid UTF-8 and at most `max_bytes`.
std::string BoundedText(const std::string& raw, size_t max_bytes);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_FINGERPRINT_LIMITS_H_
