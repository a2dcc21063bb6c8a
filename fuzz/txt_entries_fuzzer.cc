// The TXT path of the probe on any bytes a name server may send: the DNS
// answer message read into records (ParseDnsAnswer: c-ares' parser and the
// grouping of character-strings by record), then the app's entries picked
// out (ExtractTxtEntries). The same bytes are also read as records directly
// (one record per line, character-strings separated by tabs), so the
// extraction is explored without the DNS framing in the way.
//
// What every input keeps: the entries are sorted, unique, and each is
// "<key>=<non-empty value>" with the key spelled as asked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/probe/dns_resolver.h"
#include "common/probe/txt_entries.h"
#include "fuzz/fuzz_input.h"

namespace {

constexpr absl::string_view kKey = "cerner-client-id";

void CheckEntries(const std::vector<std::vector<std::string>>& records) {
  const std::vector<std::string> entries = apptrust::probe::ExtractTxtEntries(records, kKey);
  for (size_t i = 0; i < entries.size(); ++i) {
    APPTRUST_FUZZ_CHECK(absl::StartsWith(entries[i], kKey));
    APPTRUST_FUZZ_CHECK(entries[i].size() > kKey.size() + 1 && entries[i][kKey.size()] == '=');
    if (i > 0) APPTRUST_FUZZ_CHECK(entries[i - 1] < entries[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace probe = apptrust::probe;
  probe::DnsAnswer answer;
  probe::ParseDnsAnswer(probe::DnsResolver::Type::kTxt, "app.example", data, static_cast<int>(size),
                        &answer);
  size_t bytes = 0;
  for (const auto& record : answer.txt_records) {
    for (const std::string& text : record) bytes += text.size();
  }
  APPTRUST_FUZZ_CHECK(bytes == answer.txt_bytes);
  CheckEntries(answer.txt_records);

  std::vector<std::vector<std::string>> records;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    records.push_back(absl::StrSplit(line, '\t'));
  }
  CheckEntries(records);
  return 0;
}
