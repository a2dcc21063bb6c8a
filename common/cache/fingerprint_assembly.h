// Assembling a fingerprint: the probe engine reports the endpoint (addresses
// and TLS handshake at host:port) and the TXT records at the eTLD+1
// separately, because they are cached separately (many hosts share a
// domain's TXT records); the policy judges one v1::Fingerprint. This is the
// single place that turns the two observations into it, including whether
// the client's own `<txt_key>=<client_id>` entry is present.
#ifndef APPTRUST_COMMON_CACHE_FINGERPRINT_ASSEMBLY_H_
#define APPTRUST_COMMON_CACHE_FINGERPRINT_ASSEMBLY_H_

#include "absl/strings/string_view.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/prober.h"

namespace apptrust::cache {

// Fills host, port, domain, scheme and host_is_ip_literal from `target`; tls
// from the endpoint observation as is; dns.addresses (sorted, de-duplicated),
// refused_addresses, address_outcome from the endpoint; dns.txt_values
// (sorted, de-duplicated), txt_outcome and error from the TXT observation;
// client_id_txt_present when an entry equals "<txt_key>=<client_id>" (the
// key compared case-insensitively, the client id exactly); captured_at = the
// older of the two observation times (an unset time, absl::UnixEpoch(), is
// ignored), so a fingerprint never claims to be fresher than its oldest part.
v1::Fingerprint AssembleFingerprint(const probe::Target& target,
                                    const probe::EndpointObservation& endpoint,
                                    const probe::TxtObservation& txt, absl::string_view client_id,
                                    absl::string_view txt_key);

// Whether `entries` hold "<txt_key>=<client_id>" (see above).
bool HasClientEntry(const std::vector<std::string>& entries, absl::string_view client_id,
                    absl::string_view txt_key);

}  // namespace apptrust::cache

#endif  // APPTRUST_COMMON_CACHE_FINGERPRINT_ASSEMBLY_H_
