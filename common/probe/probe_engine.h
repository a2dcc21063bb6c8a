// The probe engine: the production Prober (prober.h). It resolves the
// redirect host with c-ares, applies the SSRF address policy, and completes a
// TLS handshake with the one address it chose — all on a single event-loop
// thread, so many probes are in flight at once without a thread each, and
// each is bounded by its caller's deadline and the configured caps.
//
// What callers may rely on (beyond prober.h):
// - Connections go only to an address this engine itself resolved for this
//   probe (or the IP literal of the URI); nothing is looked up twice, so a
//   DNS answer cannot change between the check and the connection.
// - Address choice: the resolved addresses are ordered IPv4 first, then
//   IPv6, each in sorted textual order; refused ones are listed in
//   `refused_addresses` and never contacted; the first allowed one is the
//   only one contacted (no fallback: one probe, one connection). When every
//   address is refused, address_outcome and tls.outcome are
//   ADDRESS_NOT_ALLOWED and no connection is made.
// - EndpointObservation.address_outcome: OK, NXDOMAIN, NO_DATA, SERVFAIL
//   (also REFUSED), TIMEOUT, ERROR, LOCAL_ERROR, ADDRESS_NOT_ALLOWED;
//   NOT_APPLICABLE for an IP-literal host (no DNS; the literal is the
//   address). A and AAAA are combined: any addresses → OK; else NXDOMAIN if
//   either said so; else a failure (policy::IsProbeFailure; LOCAL_ERROR
//   before the others) if either failed; else NO_DATA.
// - tls.outcome: as tls_probe.h says when a handshake was attempted;
//   NOT_APPLICABLE for http:// (no connection is made at all); otherwise,
//   when no address could be contacted, the address outcome (NXDOMAIN,
//   TIMEOUT, ADDRESS_NOT_ALLOWED, ...) with `error` saying why.
// - TxtObservation.outcome: OK, NXDOMAIN, NO_DATA, SERVFAIL, TIMEOUT, ERROR
//   (TXT bigger than max_txt_bytes), LOCAL_ERROR, NOT_APPLICABLE (the domain
//   is an IP literal).
// - LOCAL_ERROR anywhere means this process lacked a descriptor, memory or
//   a local port (local_resource_error.h): nothing was learned about the app. OK with no entries
//   means TXT records exist but none for the key.
// - observed_at is the injected clock's time when the observation completed.
// - Certificate trust is computed at the injected clock, ignoring validity
//   dates (certificate_facts.h).
// - Revocation (tls.revocation, revocation_outcome, revocation_error,
//   crl_url): after a handshake with a trusted chain, the leaf's CRL is
//   fetched, verified and consulted as revocation_checker.h says, through
//   the same address policy as the probe; the CRL cache is shared by every
//   probe of this engine. An untrusted chain is not checked (NOT_APPLICABLE:
//   it suspends on its own). A CRL still downloading at the probe's deadline
//   is revocation_outcome TIMEOUT, the certificate facts kept; the download
//   goes on (up to crl_timeout) for the probes after it.
#ifndef APPTRUST_COMMON_PROBE_PROBE_ENGINE_H_
#define APPTRUST_COMMON_PROBE_PROBE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net/address_policy.h"
#include "common/probe/prober.h"

namespace apptrust::probe {

struct ProbeEngineOptions {
  // DNS servers as "host:port" ("127.0.0.1:5353", "[::1]:53"); empty = the
  // system resolver configuration.
  std::vector<std::string> dns_servers;
  // PEM bundle or hashed directory; empty = the system CA bundle.
  std::string trust_store_path;
  // Ranges the SSRF policy admits although they are refused by default
  // (net::ParseCidrList("127.0.0.0/8,::1/128") in tests).
  std::vector<net::Cidr> allow_cidrs;
  // Bounds TCP connect plus TLS handshake (the caller's deadline may end the
  // probe sooner).
  absl::Duration connect_timeout = absl::Seconds(10);
  // What c-ares spends on one query (retries included) before TIMEOUT.
  absl::Duration dns_timeout = absl::Seconds(5);
  // Caps: a peer exceeding them yields outcome ERROR with the reason.
  int max_chain_certs = 10;
  size_t max_chain_bytes = 100 * 1024;
  size_t max_txt_bytes = 32 * 1024;
  // CRL downloads: body cap, redirects followed, time for one download
  // (independent of a probe's deadline: see above).
  size_t max_crl_bytes = 8 * 1024 * 1024;
  int max_crl_redirects = 3;
  absl::Duration crl_timeout = absl::Seconds(10);
  // The CRL cache (entries kept until their nextUpdate).
  size_t crl_cache_entries = 1000;
  size_t crl_cache_bytes = 64 * 1024 * 1024;
  // Time for certificate and CRL checks and observed_at; default absl::Now.
  std::function<absl::Time()> clock;
};

class ProbeEngine : public Prober {
 public:
  // INVALID_ARGUMENT for a bad DNS server list or an unreadable trust store.
  static absl::StatusOr<std::unique_ptr<ProbeEngine>> Create(ProbeEngineOptions options);
  // Completes every probe still in flight with outcome ERROR ("probe engine
  // shut down"), then stops the loop thread. Do not call Observe* during or
  // after destruction.
  ~ProbeEngine() override;

  // Thread-safe; see prober.h and the header comment.
  void ObserveEndpoint(const net::Target& target, absl::Time deadline,
                       EndpointCallback done) override;
  void ObserveTxt(const std::string& domain, const std::string& txt_key, absl::Time deadline,
                  TxtCallback done) override;

  // Probes accepted and not yet completed (for a metrics gauge).
  int in_flight() const;
  // CRL downloads started since creation (cache misses after singleflight).
  int crl_fetches() const;

 private:
  class Impl;
  explicit ProbeEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_PROBE_ENGINE_H_
