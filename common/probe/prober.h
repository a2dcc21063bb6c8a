// The probe engine's interface: observe what an app's redirect host shows
// right now. The decision service depends on this interface only, so its
// logic is unit-tested with a fake while the engine itself is tested against
// real TLS servers and a real dnsmasq.
//
// Both operations are asynchronous: they return at once and call `done`
// exactly once, on the engine's event-loop thread, no later than `deadline`
// (plus scheduling slack). `done` must not block. Network outcomes (NXDOMAIN,
// timeouts, refused addresses, failed handshakes) are results carried in the
// observation's `outcome` fields, never errors.
#ifndef APPTRUST_COMMON_PROBE_PROBER_H_
#define APPTRUST_COMMON_PROBE_PROBER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/net/target.h"

namespace apptrust::probe {

// Addresses of the host and the TLS handshake with the first address the
// probe is allowed to contact (host:port).
struct EndpointObservation {
  // A and AAAA results, sorted textual form (IP literal: the literal).
  std::vector<std::string> addresses;
  // Addresses the SSRF policy refused (never contacted).
  std::vector<std::string> refused_addresses;
  v1::ProbeOutcome address_outcome = v1::PROBE_OUTCOME_UNSPECIFIED;
  // Human-readable text for address outcomes other than OK (added field).
  std::string address_error;
  // tls.outcome says how the handshake ended; NOT_APPLICABLE for http://.
  v1::TlsFingerprint tls;
  absl::Time observed_at;
};

// TXT records at a domain (the eTLD+1).
struct TxtObservation {
  v1::ProbeOutcome outcome = v1::PROBE_OUTCOME_UNSPECIFIED;
  // Every "<txt_key>=<value>" entry found, whether as separate records, as
  // several strings of one record, or whitespace-separated in one string;
  // sorted and de-duplicated. Entries of other keys are dropped. Raw bytes as
  // published (possibly not UTF-8): BuildFingerprint makes them proto-safe.
  std::vector<std::string> entries;
  std::string error;
  absl::Time observed_at;
};

class Prober {
 public:
  using EndpointCallback = std::function<void(EndpointObservation)>;
  using TxtCallback = std::function<void(TxtObservation)>;

  virtual ~Prober() = default;

  // Resolves target.host (A and AAAA), applies the address policy, and for
  // https connects to the first allowed address and completes a TLS handshake
  // with SNI = target.host. Connects only to addresses it resolved itself.
  virtual void ObserveEndpoint(const net::Target& target, absl::Time deadline,
                               EndpointCallback done) = 0;

  // Looks up TXT records at `domain` and extracts the `txt_key` entries.
  virtual void ObserveTxt(const std::string& domain, const std::string& txt_key,
                          absl::Time deadline, TxtCallback done) = 0;
};

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_PROBER_H_
