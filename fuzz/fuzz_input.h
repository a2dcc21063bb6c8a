// How the fuzz targets cut one libFuzzer input into the several arguments a
// parser takes: newline-separated fields, so that seed inputs are readable
// text files a reviewer can write by hand (fuzz/corpus/<target>/).
#ifndef APPTRUST_FUZZ_FUZZ_INPUT_H_
#define APPTRUST_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace apptrust::fuzz {

// The first `count - 1` newline-terminated fields of `data`, then the rest
// (newlines included) as the last field; missing fields are empty. Always
// `count` elements.
inline std::vector<std::string> SplitFields(const uint8_t* data, size_t size, size_t count) {
  absl::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> fields;
  while (fields.size() + 1 < count) {
    const size_t newline = rest.find('\n');
    fields.emplace_back(rest.substr(0, newline));
    rest = newline == absl::string_view::npos ? absl::string_view() : rest.substr(newline + 1);
  }
  fields.emplace_back(rest);
  return fields;
}

// Stops the run when a property every input must keep is broken: libFuzzer
// reports the input like any crash.
#define APPTRUST_FUZZ_CHECK(condition)                                                      \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

}  // namespace apptrust::fuzz

#endif  // APPTRUST_FUZZ_FUZZ_INPUT_H_
