// Bounded HTTP requests through libcurl's multi interface driven by the probe
// engine's EventLoop: no thread per fetch, no blocking. The probe GETs CRLs
// with it (Get); webhooks POST to app developers' endpoints (Send).
//
// Every fetch obeys the same address rules as a probe of an app:
// - only the schemes the request admits (Get: http:// only);
// - the host is resolved once, by the engine's own DnsResolver, and the
//   address policy (common/net/address_policy.h) picks the address; libcurl
//   is told to connect to exactly that address (CURLOPT_CONNECT_TO, an IP
//   literal, so libcurl looks nothing up) and its socket-open hook refuses
//   any other; proxies from the environment are ignored;
// - redirects are followed by this class, not libcurl, each one resolved and
//   checked like the first, at most `max_redirects` of them (Send: only when
//   the request asks for it);
// - the body is capped at `max_bytes` (a larger one is refused, not cut,
//   unless Options.cut_body_at_cap), and the whole fetch, redirects
//   included, ends by its deadline;
// - https:// is verified against Options.ca_file (empty: the system store)
//   and the URL's host name, never against the pinned address.
//
// Outcomes (HttpFetchResult.outcome) of Get: OK (status 200, body complete);
// TIMEOUT; CONNECTION_REFUSED; CONNECTION_RESET; ADDRESS_NOT_ALLOWED (every
// address of a host refused); NXDOMAIN / NO_DATA / SERVFAIL (the host did not
// resolve); LOCAL_ERROR (this process lacked a descriptor or memory);
// ERROR for everything else (another status, too many redirects, a body over
// the cap, a malformed URL), with `error` saying which. Send answers OK for
// any HTTP response (its status in `http_status`) and the same failures
// otherwise.
#ifndef APPTRUST_COMMON_PROBE_HTTP_FETCHER_H_
#define APPTRUST_COMMON_PROBE_HTTP_FETCHER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/net/address_policy.h"
#include "common/probe/dns_resolver.h"
#include "common/probe/event_loop.h"

namespace apptrust::probe {

struct HttpFetchResult {
  v1::ProbeOutcome outcome = v1::PROBE_OUTCOME_UNSPECIFIED;
  std::string error;        // for outcomes other than OK
  std::string body;         // OK only
  std::string final_url;    // the URL the body came from (after redirects)
  int http_status = 0;      // Send: the response's status (OK outcome only)
  std::string retry_after;  // Send: the Retry-After header as received, if any
};

// A request for HttpFetcher::Send.
struct HttpRequest {
  std::string method = "GET";  // "GET" or "POST"
  std::string url;
  // Lower-case schemes the URL (and every redirect) may use.
  std::vector<std::string> schemes = {"http"};
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // POST only
  bool follow_redirects = true;
};

// A URL as libcurl reads it, so the URL checked and the URL fetched are read
// the same way.
struct HttpUrlParts {
  std::string scheme;  // lower case
  std::string host;    // without brackets for an IPv6 literal
  long port = 0;       // the scheme's default when the URL names none
};
// INVALID_ARGUMENT for a URL libcurl cannot parse or one without a host.
absl::StatusOr<HttpUrlParts> ParseHttpUrl(const std::string& url);

class HttpFetcher {
 public:
  struct Options {
    size_t max_bytes = 8 * 1024 * 1024;
    int max_redirects = 3;
    // Bodies over max_bytes are cut at it and the response kept (for callers
    // that only want the status), instead of failing the fetch.
    bool cut_body_at_cap = false;
    // PEM bundle that verifies https:// servers; empty: the system store.
    std::string ca_file;
    std::string user_agent = "apptrust-probe";
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

  // Loop thread only. Like Get, for any request; `done` gets OK with the
  // status of whatever HTTP response arrived (redirects followed only when
  // the request says so).
  void Send(HttpRequest request, absl::Time deadline, Done done);

 private:
  class Impl;
  explicit HttpFetcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_HTTP_FETCHER_H_
