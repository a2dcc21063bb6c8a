// Bounded HTTP GETs for the probe (CRLs), through libcurl's multi interface
// driven by the probe engine's EventLoop: no thread per fetch, no blocking.
//
// Every fetch obeys the same address rules as a probe of an app:
// - only http:// URLs;
// - the host is resolved once, by the engine's own DnsResolver, and the
//   address policy (common/net/address_policy.h) picks the address; libcurl
//   is told to connect to exactly that address (CURLOPT_CONNECT_TO, an IP
//   literal, so libcurl looks nothing up) and its socket-open hook refuses
//   any other; proxies from the environment are ignored;
// - redirects are followed by this class, not libcurl, each one resolved and
//   checked like the first, at most `max_redirects` of them;
// - the body is capped at `max_bytes` (a larger one is refused, not cut),
//   and the whole fetch, redirects included, ends by its deadline.
//
// Outcomes (HttpFetchResult.outcome): OK (status 200, body complete);
// TIMEOUT; CONNECTION_REFUSED; CONNECTION_RESET; ADDRESS_NOT_ALLOWED (every
// address of a host refused); NXDOMAIN / NO_DATA / SERVFAIL (the host did not
// resolve); LOCAL_ERROR (this process lacked a descriptor or memory);
// ERROR for everything else (another status, too many redirects, a body over
// the cap, a malformed URL), with `error` saying which.
#ifndef APPTRUST_COMMON_PROBE_HTTP_FETCHER_H_
#define APPTRUST_COMMON_PROBE_HTTP_FETCHER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/net/address_policy.h"
#include "common/probe/dns_resolver.h"
#include "common/probe/event_loop.h"

namespace apptrust::probe {

struct HttpFetchResult {
  v1::ProbeOutcome outcome = v1::PROBE_OUTCOME_UNSPECIFIED;
  std::string error;      // for outcomes other than OK
  std::string body;       // OK only
  std::string final_url;  // the URL the body came from (after redirects)
};

class HttpFetcher {
 public:
  struct Options {
    size_t max_bytes = 8 * 1024 * 1024;
    int max_redirects = 3;
  };
  using Done = std::function<void(HttpFetchResult)>;

  // Loop thread (or before the loop runs). `loop`, `resolver` and `policy`
  // outlive the fetcher.
  static absl::StatusOr<std::unique_ptr<HttpFetcher>> Create(EventLoop* loop, DnsResolver* resolver,
                                                             const net::AddressPolicy* policy,
                                                             Options options);
  // Loop thread only. Fetches in flight complete with ERROR ("shutting down").
  ~HttpFetcher();

  // Loop thread only. Calls `done` exactly once, on the loop thread, never
  // from inside Get, no later than `deadline` (plus scheduling slack).
  void Get(const std::string& url, absl::Time deadline, Done done);

 private:
  class Impl;
  explicit HttpFetcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_HTTP_FETCHER_H_
