#include "common/probe/fingerprint_limits.h"

#include "absl/strings/str_cat.h"
#include "common/probe/certificate_facts.h"
#include "common/text/utf8.h"

namespace apptrust::probe {

KeptValues KeepBounded(const std::vector<std::string>& values) {
  KeptValues out;
  out.count = static_cast<int32_t>(values.size());
  std::string all;
  for (const std::string& value : values) {
    absl::StrAppend(&all, value.size(), ":", value);
    if (out.kept.size() < kMaxKeptValues) {
      out.kept.push_back(BoundedText(value, kMaxValueBytes));
    }
  }
  out.sha256 = Sha256Hex(all);
  return out;
}

std::string BoundedText(const std::string& raw, size_t max_bytes) {
  return text::TruncateUtf8(text::ToValidUtf8(raw), max_bytes);
}

}  // namespace apptrust::probe
