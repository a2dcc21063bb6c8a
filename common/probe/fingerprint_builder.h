// Assembles the v1::Fingerprint the decision service stores at approval and
// compares at refresh, from one endpoint observation and one TXT observation
// of a target (DESIGN.md §3). Pure: no I/O, no clock.
#ifndef APPTRUST_COMMON_PROBE_FINGERPRINT_BUILDER_H_
#define APPTRUST_COMMON_PROBE_FINGERPRINT_BUILDER_H_

#include "absl/strings/string_view.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/prober.h"

namespace apptrust::probe {

// host, port, domain, scheme, host_is_ip_literal from `target`; tls from the
// endpoint observation; dns: addresses, refused addresses and outcomes from
// both observations, txt_values = txt.entries, client_id_txt_present when
// "<txt_key>=<client_id>" is among them (never for an empty client id), error
// = the address and TXT error texts; captured_at = the earlier of the two
// observed_at times (an unset time, absl::UnixEpoch(), is ignored).
// Every string in the result is valid UTF-8 (common/text/utf8.h): TXT values
// are escaped after the client's entry was looked for in their raw bytes.
// True when `entries` hold "<txt_key>=<client_id>": the key compared without
// case (DNS TXT keys are conventionally case-insensitive), the client id
// exactly.
bool HasClientEntry(const std::vector<std::string>& entries, absl::string_view client_id,
                    absl::string_view txt_key);

v1::Fingerprint BuildFingerprint(const net::Target& target, const EndpointObservation& endpoint,
                                 const TxtObservation& txt, absl::string_view client_id,
                                 absl::string_view txt_key);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_FINGERPRINT_BUILDER_H_
