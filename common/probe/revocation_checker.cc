#include "common/probe/revocation_checker.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/policy/probe_outcome.h"

namespace apptrust::probe {
namespace {

RevocationResult Failure(v1::ProbeOutcome outcome, std::string error, const std::string& url) {
  RevocationResult result;
  result.outcome = outcome;
  result.error = std::move(error);
  result.crl_url = url;
  return result;
}

}  // namespace

RevocationChecker::RevocationChecker(HttpFetcher* fetcher, Options options)
    : fetcher_(fetcher), options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = [] { return absl::Now(); };
  }
}

RevocationChecker::~RevocationChecker() {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [url, waiters] : pending) {
    for (Waiter& waiter : waiters) {
      waiter.done(Failure(v1::PROBE_OUTCOME_ERROR, "revocation checker shut down", url));
    }
  }
}

void RevocationChecker::Check(X509Ptr leaf, X509Ptr issuer, Done done) {
  if (IsShortLived(leaf.get())) {
    done(Failure(v1::PROBE_OUTCOME_NOT_APPLICABLE,
                 "valid for 7 days or less: no revocation check needed", ""));
    return;
  }
  std::vector<std::string> urls = HttpCrlDistributionPoints(leaf.get());
  if (urls.empty()) {
    done(Failure(v1::PROBE_OUTCOME_NOT_APPLICABLE, "no http:// CRL distribution point", ""));
    return;
  }
  const std::string& url = urls.front();
  if (issuer == nullptr) {
    done(Failure(v1::PROBE_OUTCOME_ERROR,
                 "the server did not send the certificate's issuer: its CRL cannot be verified",
                 url));
    return;
  }
  auto cached = cache_.find(url);
  if (cached != cache_.end()) {
    if (options_.clock() < cached->second.next_update) {
      recency_.splice(recency_.begin(), recency_, cached->second.recency);
      std::shared_ptr<X509_CRL> crl = cached->second.crl;
      done(Judge(url, crl.get(), leaf.get(), issuer.get()));
      return;
    }
    Evict(url);
  }
  auto [waiting, first] = pending_.try_emplace(url);
  waiting->second.push_back(Waiter{std::move(leaf), std::move(issuer), std::move(done)});
  if (!first) {
    return;  // a fetch of this URL is in flight: share it
  }
  ++fetches_started_;
  fetcher_->Get(url, absl::Now() + options_.fetch_timeout,
                [this, url](HttpFetchResult result) { OnFetched(url, std::move(result)); });
}

void RevocationChecker::OnFetched(const std::string& url, HttpFetchResult result) {
  auto it = pending_.find(url);
  if (it == pending_.end()) {
    return;
  }
  std::vector<Waiter> waiters = std::move(it->second);
  pending_.erase(it);
  if (result.outcome != v1::PROBE_OUTCOME_OK) {
    // What is definitive for an app's host (NXDOMAIN, refused addresses) is
    // for a CRL only a download that failed.
    v1::ProbeOutcome outcome =
        policy::IsProbeFailure(result.outcome) ? result.outcome : v1::PROBE_OUTCOME_ERROR;
    for (Waiter& waiter : waiters) {
      waiter.done(Failure(outcome, absl::StrCat("CRL not fetched: ", result.error), url));
    }
    return;
  }
  absl::StatusOr<X509CrlPtr> parsed = ParseCrl(result.body);
  if (!parsed.ok()) {
    for (Waiter& waiter : waiters) {
      waiter.done(Failure(v1::PROBE_OUTCOME_ERROR,
                          absl::StrCat("CRL from ", url, ": ", parsed.status().message()), url));
    }
    return;
  }
  std::shared_ptr<X509_CRL> crl(parsed->release(), X509_CRL_free);
  bool verified_once = false;
  for (Waiter& waiter : waiters) {
    RevocationResult judged = Judge(url, crl.get(), waiter.leaf.get(), waiter.issuer.get());
    verified_once = verified_once || judged.outcome == v1::PROBE_OUTCOME_OK;
    waiter.done(std::move(judged));
  }
  // Only a CRL some issuer vouched for is kept: garbage is fetched again.
  if (verified_once) {
    Store(url, std::move(crl), result.body.size());
  }
}

RevocationResult RevocationChecker::Judge(const std::string& url, X509_CRL* crl, X509* leaf,
                                          X509* issuer) const {
  absl::Status verified = VerifyCrl(crl, issuer, options_.clock());
  if (!verified.ok()) {
    return Failure(v1::PROBE_OUTCOME_ERROR,
                   absl::StrCat("CRL from ", url, ": ", verified.message()), url);
  }
  RevocationResult result;
  result.outcome = v1::PROBE_OUTCOME_OK;
  result.crl_url = url;
  result.revocation = CrlListsSerial(crl, leaf) ? v1::REVOCATION_REVOKED : v1::REVOCATION_GOOD;
  return result;
}

void RevocationChecker::Store(const std::string& url, std::shared_ptr<X509_CRL> crl, size_t bytes) {
  std::optional<absl::Time> next_update = CrlNextUpdate(crl.get());
  if (!next_update || bytes > options_.cache_max_bytes || options_.cache_max_entries == 0) {
    return;
  }
  Evict(url);
  while (!recency_.empty() && (cache_.size() >= options_.cache_max_entries ||
                               cached_bytes_ + bytes > options_.cache_max_bytes)) {
    std::string oldest = recency_.back();
    Evict(oldest);
  }
  recency_.push_front(url);
  cache_[url] = Entry{std::move(crl), *next_update, bytes, recency_.begin()};
  cached_bytes_ += bytes;
}

void RevocationChecker::Evict(const std::string& url) {
  auto it = cache_.find(url);
  if (it == cache_.end()) {
    return;
  }
  cached_bytes_ -= it->second.bytes;
  recency_.erase(it->second.recency);
  cache_.erase(it);
}

}  // namespace apptrust::probe
