// Whether a leaf certificate is revoked, from its issuer's CRL (crl.h),
// fetched over HTTP (http_fetcher.h) and cached for every app it covers.
//
// What callers may rely on:
// - Nothing is fetched for a leaf valid for 7 days or less, a leaf without
//   an http:// CRL distribution point, or when the peer did not send the
//   leaf's issuer (NOT_APPLICABLE / ERROR, see Check).
// - A CRL counts only when it parses, names the leaf's issuer, verifies with
//   the issuer's key from the observed chain and is current at the injected
//   clock (thisUpdate <= now < nextUpdate). A CRL that cannot be fetched or
//   verified is a probe failure, never a revocation.
// - Cache: one entry per URL, kept until its nextUpdate, bounded in entries
//   and bytes (least recently used out first); entries are shared by every
//   app whose leaf names the URL and re-verified against each leaf's own
//   issuer. Concurrent checks needing the same URL share one fetch
//   (singleflight). Failed fetches are not cached.
// Loop thread only, like everything on the probe engine's EventLoop.
#ifndef APPTRUST_COMMON_PROBE_REVOCATION_CHECKER_H_
#define APPTRUST_COMMON_PROBE_REVOCATION_CHECKER_H_

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/crl.h"
#include "common/probe/http_fetcher.h"

namespace apptrust::probe {

struct RevocationResult {
  // REVOCATION_GOOD / REVOKED when outcome is OK, else REVOCATION_UNKNOWN.
  v1::Revocation revocation = v1::REVOCATION_UNKNOWN;
  // OK; NOT_APPLICABLE (nothing to check); a probe failure otherwise
  // (fetch failures keep the fetcher's outcome; a CRL that does not parse or
  // verify, or a missing issuer, is ERROR).
  v1::ProbeOutcome outcome = v1::PROBE_OUTCOME_UNSPECIFIED;
  std::string error;    // for outcomes other than OK
  std::string crl_url;  // the CRL consulted, when there was one
};

class RevocationChecker {
 public:
  struct Options {
    size_t cache_max_entries = 1000;
    size_t cache_max_bytes = 64 * 1024 * 1024;
    // What one download may take.
    absl::Duration fetch_timeout = absl::Seconds(10);
    std::function<absl::Time()> clock;  // default absl::Now
  };
  using Done = std::function<void(RevocationResult)>;

  // `fetcher` outlives the checker.
  RevocationChecker(HttpFetcher* fetcher, Options options);
  // Checks waiting on a fetch complete with ERROR ("shutting down").
  ~RevocationChecker();

  // Calls `done` exactly once on the loop thread (at once when nothing needs
  // fetching or the cache answers). `issuer` may be null (the peer did not
  // send it). A download takes at most `fetch_timeout`, whatever the
  // caller's own deadline: a caller that gives up early (the probe engine
  // does at the probe's deadline) leaves it running for the cache and the
  // checks sharing it.
  void Check(X509Ptr leaf, X509Ptr issuer, Done done);

  // CRL downloads started so far (for tests and metrics).
  int fetches_started() const { return fetches_started_; }

 private:
  struct Waiter {
    X509Ptr leaf;
    X509Ptr issuer;
    Done done;
  };
  struct Entry {
    std::shared_ptr<X509_CRL> crl;
    absl::Time next_update;
    size_t bytes = 0;
    std::list<std::string>::iterator recency;
  };

  void OnFetched(const std::string& url, HttpFetchResult result);
  RevocationResult Judge(const std::string& url, X509_CRL* crl, X509* leaf, X509* issuer) const;
  void Store(const std::string& url, std::shared_ptr<X509_CRL> crl, size_t bytes);
  void Evict(const std::string& url);

  HttpFetcher* fetcher_;
  Options options_;
  int fetches_started_ = 0;
  std::unordered_map<std::string, std::vector<Waiter>> pending_;
  std::unordered_map<std::string, Entry> cache_;
  std::list<std::string> recency_;  // most recently used first
  size_t cached_bytes_ = 0;
};

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_REVOCATION_CHECKER_H_
