#include "common/probe/fingerprint_builder.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/probe/fingerprint_limits.h"
#include "common/text/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace apptrust::probe {
namespace {

// The last line of defence for "a fingerprint is always a valid proto": every
// string field, however it was filled, made valid UTF-8 (a no-op when the
// probe already did so, as it should).
void MakeStringsValidUtf8(google::protobuf::Message& message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          const std::string value = reflection->GetRepeatedString(message, field, i);
          if (!text::IsValidUtf8(value)) {
            reflection->SetRepeatedString(&message, field, i, text::ToValidUtf8(value));
          }
        }
      } else {
        const std::string value = reflection->GetString(message, field);
        if (!text::IsValidUtf8(value)) {
          reflection->SetString(&message, field, text::ToValidUtf8(value));
        }
      }
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          MakeStringsValidUtf8(*reflection->MutableRepeatedMessage(&message, field, i));
        }
      } else {
        MakeStringsValidUtf8(*reflection->MutableMessage(&message, field));
      }
    }
  }
}

}  // namespace

bool HasClientEntry(const std::vector<std::string>& entries, absl::string_view client_id,
                    absl::string_view txt_key) {
  for (const std::string& entry : entries) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    const absl::string_view view(entry);
    if (absl::EqualsIgnoreCase(view.substr(0, eq), txt_key) && view.substr(eq + 1) == client_id) {
      return true;
    }
  }
  return false;
}

v1::Fingerprint BuildFingerprint(const net::Target& target, const EndpointObservation& endpoint,
                                 const TxtObservation& txt, absl::string_view client_id,
                                 absl::string_view txt_key) {
  v1::Fingerprint fp;
  fp.set_host(target.host);
  fp.set_port(target.port);
  fp.set_domain(target.domain);
  fp.set_scheme(target.scheme);
  fp.set_host_is_ip_literal(target.host_is_ip_literal);
  *fp.mutable_tls() = endpoint.tls;

  v1::DnsFingerprint* dns = fp.mutable_dns();
  // Every list bounded (fingerprint_limits.h): a host with thousands of
  // addresses or TXT entries costs no more than one with a hundred.
  std::vector<std::string> addresses = endpoint.addresses;
  std::sort(addresses.begin(), addresses.end());
  KeptValues kept_addresses = KeepBounded(addresses);
  for (std::string& a : kept_addresses.kept) {
    dns->add_addresses(std::move(a));
  }
  dns->set_addresses_count(kept_addresses.count);
  std::vector<std::string> refused = endpoint.refused_addresses;
  std::sort(refused.begin(), refused.end());
  refused.erase(std::unique(refused.begin(), refused.end()), refused.end());
  KeptValues kept_refused = KeepBounded(refused);
  for (std::string& a : kept_refused.kept) {
    dns->add_refused_addresses(std::move(a));
  }
  dns->set_refused_addresses_count(kept_refused.count);
  dns->set_address_outcome(endpoint.address_outcome);
  dns->set_txt_outcome(txt.outcome);
  // The client's entry is looked for in all the raw bytes; what is stored is
  // the bounded, valid-UTF-8 form (escaping and cutting can reorder or merge
  // values, hence sorted and de-duplicated again), with the count and hash
  // of the full list.
  std::vector<std::string> entries = txt.entries;
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  dns->set_client_id_txt_present(!client_id.empty() && HasClientEntry(entries, client_id, txt_key));
  KeptValues kept_txt = KeepBounded(entries);
  dns->set_txt_values_count(kept_txt.count);
  dns->set_txt_values_sha256(std::move(kept_txt.sha256));
  std::vector<std::string> values = std::move(kept_txt.kept);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  for (std::string& v : values) dns->add_txt_values(std::move(v));
  std::vector<std::string> errors;
  if (!endpoint.address_error.empty()) {
    errors.push_back(endpoint.address_error);
  }
  if (!txt.error.empty()) {
    errors.push_back(txt.error);
  }
  dns->set_error(text::ToValidUtf8(absl::StrJoin(errors, "; ")));

  absl::Time captured = absl::InfiniteFuture();
  for (absl::Time t : {endpoint.observed_at, txt.observed_at}) {
    if (t != absl::UnixEpoch() && t != absl::InfinitePast() && t < captured) {
      captured = t;
    }
  }
  if (captured != absl::InfiniteFuture()) {
    const int64_t nanos = absl::ToUnixNanos(captured);
    fp.mutable_captured_at()->set_seconds(nanos / 1000000000);
    fp.mutable_captured_at()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  MakeStringsValidUtf8(fp);
  return fp;
}

}  // namespace apptrust::probe
