#include "common/probe/probe_engine.h"

#include <algorithm>
#include <atomic>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "common/policy/probe_outcome.h"
#include "common/probe/address_choice.h"
#include "common/probe/certificate_facts.h"
#include "common/probe/dns_resolver.h"
#include "common/probe/event_loop.h"
#include "common/probe/fingerprint_limits.h"
#include "common/probe/http_fetcher.h"
#include "common/probe/revocation_checker.h"
#include "common/probe/tls_probe.h"
#include "common/probe/txt_entries.h"

namespace apptrust::probe {
namespace {

constexpr char kShutDown[] = "probe engine shut down";

}  // namespace

class ProbeEngine::Impl {
 public:
  struct EndpointJob {
    net::Target target;
    absl::Time deadline;
    EndpointCallback done;
    EndpointObservation observation;
    int dns_pending = 0;
    std::vector<DnsAnswer> answers;
    std::shared_ptr<TlsProbe> tls;
    bool checking_revocation = false;
    EventLoop::TimerId timer = 0;
  };
  struct TxtJob {
    std::string domain;
    std::string key;
    TxtCallback done;
    EventLoop::TimerId timer = 0;
  };

  explicit Impl(ProbeEngineOptions options)
      : options_(std::move(options)), policy_(options_.allow_cidrs) {
    if (!options_.clock) {
      options_.clock = [] { return absl::Now(); };
    }
  }

  absl::Status Init() {
    absl::StatusOr<X509StorePtr> trust = LoadTrustStore(options_.trust_store_path);
    if (!trust.ok()) {
      return trust.status();
    }
    trust_ = std::move(*trust);
    absl::StatusOr<SslCtxPtr> ctx = NewProbeSslContext(options_.max_chain_bytes);
    if (!ctx.ok()) {
      return ctx.status();
    }
    ssl_ctx_ = std::move(*ctx);
    DnsResolver::Options dns;
    dns.servers = options_.dns_servers;
    dns.query_timeout = options_.dns_timeout;
    absl::StatusOr<std::unique_ptr<DnsResolver>> resolver = DnsResolver::Create(&loop_, dns);
    if (!resolver.ok()) {
      return resolver.status();
    }
    resolver_ = std::move(*resolver);
    HttpFetcher::Options crl_fetch;
    crl_fetch.max_bytes = options_.max_crl_bytes;
    crl_fetch.max_redirects = options_.max_crl_redirects;
    absl::StatusOr<std::unique_ptr<HttpFetcher>> fetcher =
        HttpFetcher::Create(&loop_, resolver_.get(), &policy_, crl_fetch);
    if (!fetcher.ok()) {
      return fetcher.status();
    }
    fetcher_ = std::move(*fetcher);
    RevocationChecker::Options revocation;
    revocation.cache_max_entries = options_.crl_cache_entries;
    revocation.cache_max_bytes = options_.crl_cache_bytes;
    revocation.fetch_timeout = options_.crl_timeout;
    revocation.clock = options_.clock;
    revocation_ = std::make_unique<RevocationChecker>(fetcher_.get(), revocation);
    tls_settings_.ssl_ctx = ssl_ctx_.get();
    tls_settings_.trust = trust_.get();
    tls_settings_.max_chain_certs = options_.max_chain_certs;
    tls_settings_.max_chain_bytes = options_.max_chain_bytes;
    tls_settings_.clock = options_.clock;
    return loop_.Start();
  }

  // Runs on the caller's thread; everything else on the loop.
  void Shutdown() {
    absl::Notification done;
    loop_.Post([this, &done] {
      shutting_down_ = true;
      std::vector<uint64_t> ids;
      for (const auto& [id, job] : endpoint_jobs_) {
        ids.push_back(id);
      }
      for (uint64_t id : ids) {
        FinishEndpointWithFailure(id, v1::PROBE_OUTCOME_ERROR, kShutDown);
      }
      ids.clear();
      for (const auto& [id, job] : txt_jobs_) {
        ids.push_back(id);
      }
      for (uint64_t id : ids) {
        TxtObservation observation;
        observation.outcome = v1::PROBE_OUTCOME_ERROR;
        observation.error = kShutDown;
        FinishTxt(id, std::move(observation));
      }
      // Checks and downloads still waiting find their jobs gone.
      revocation_ = nullptr;
      fetcher_ = nullptr;
      resolver_.reset();
      done.Notify();
    });
    done.WaitForNotification();
  }

  void ObserveEndpoint(const net::Target& target, absl::Time deadline, EndpointCallback done) {
    in_flight_.fetch_add(1);
    loop_.Post([this, target, deadline, done = std::move(done)]() mutable {
      StartEndpoint(target, deadline, std::move(done));
    });
  }

  void ObserveTxt(const std::string& domain, const std::string& key, absl::Time deadline,
                  TxtCallback done) {
    in_flight_.fetch_add(1);
    loop_.Post([this, domain, key, deadline, done = std::move(done)]() mutable {
      StartTxt(domain, key, deadline, std::move(done));
    });
  }

  int in_flight() const { return in_flight_.load(); }
  int crl_fetches() const { return crl_fetches_.load(); }

 private:
  // ---- endpoint ----------------------------------------------------------

  void StartEndpoint(const net::Target& target, absl::Time deadline, EndpointCallback done) {
    uint64_t id = next_id_++;
    auto job = std::make_shared<EndpointJob>();
    job->target = target;
    job->deadline = deadline;
    job->done = std::move(done);
    endpoint_jobs_[id] = job;
    if (shutting_down_) {
      FinishEndpointWithFailure(id, v1::PROBE_OUTCOME_ERROR, kShutDown);
      return;
    }
    job->timer = loop_.AddTimer(deadline, [this, id] {
      auto it = endpoint_jobs_.find(id);
      if (it == endpoint_jobs_.end()) {
        return;
      }
      it->second->timer = 0;
      if (it->second->checking_revocation) {
        v1::TlsFingerprint& tls = it->second->observation.tls;
        tls.set_revocation_outcome(v1::PROBE_OUTCOME_TIMEOUT);
        tls.set_revocation_error("CRL not fetched by the deadline");
        FinishEndpoint(id);
        return;
      }
      bool resolving = it->second->dns_pending > 0;
      FinishEndpointWithFailure(id, v1::PROBE_OUTCOME_TIMEOUT,
                                resolving ? "address lookup did not finish by the deadline"
                                          : "TLS handshake did not finish by the deadline");
    });

    if (target.host_is_ip_literal) {
      job->observation.addresses = {target.host};
      job->observation.address_outcome = v1::PROBE_OUTCOME_NOT_APPLICABLE;
      ConnectOrFinish(id);
      return;
    }
    job->dns_pending = 2;
    for (DnsResolver::Type type : {DnsResolver::Type::kA, DnsResolver::Type::kAaaa}) {
      resolver_->Query(target.host, type, [this, id](DnsAnswer answer) {
        auto it = endpoint_jobs_.find(id);
        if (it == endpoint_jobs_.end()) {
          return;  // finished (deadline) already
        }
        EndpointJob& job = *it->second;
        job.answers.push_back(std::move(answer));
        if (--job.dns_pending == 0) {
          OnAddressesResolved(id);
        }
      });
    }
  }

  void OnAddressesResolved(uint64_t id) {
    EndpointJob& job = *endpoint_jobs_.at(id);
    EndpointObservation& obs = job.observation;
    HostAddresses combined = CombineAddressAnswers(job.answers);
    obs.addresses = std::move(combined.addresses);
    obs.address_outcome = combined.outcome;
    if (obs.addresses.empty()) {
      obs.address_error = std::move(combined.error);
      FinishEndpointWithFailure(id, obs.address_outcome,
                                absl::StrCat("no address to connect to: ", obs.address_error));
      return;
    }
    ConnectOrFinish(id);
  }

  void ConnectOrFinish(uint64_t id) {
    EndpointJob& job = *endpoint_jobs_.at(id);
    EndpointObservation& obs = job.observation;
    AddressChoice choice = ChooseAddresses(obs.addresses, policy_);
    obs.refused_addresses = choice.refused;
    const std::vector<net::IpAddress>& allowed = choice.allowed;
    const std::vector<std::string>& refusals = choice.refusals;
    if (allowed.empty()) {
      obs.address_outcome = v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED;
      obs.address_error = absl::StrCat("every address is refused by the address policy: ",
                                       absl::StrJoin(refusals, ", "));
      FinishEndpointWithFailure(id, v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED, obs.address_error);
      return;
    }
    if (job.target.scheme != "https") {
      obs.tls.set_outcome(v1::PROBE_OUTCOME_NOT_APPLICABLE);
      obs.tls.set_error(absl::StrCat("scheme ", job.target.scheme, ": no TLS"));
      FinishEndpoint(id);
      return;
    }
    absl::Time tls_deadline = std::min(job.deadline, absl::Now() + options_.connect_timeout);
    job.tls = TlsProbe::Start(&loop_, tls_settings_, allowed.front(), job.target.port,
                              job.target.host, job.target.host_is_ip_literal, tls_deadline,
                              [this, id](v1::TlsFingerprint tls, PeerCertificates peer) {
                                auto it = endpoint_jobs_.find(id);
                                if (it == endpoint_jobs_.end()) {
                                  return;
                                }
                                it->second->tls.reset();
                                it->second->observation.tls = std::move(tls);
                                CheckRevocationOrFinish(id, std::move(peer));
                              });
  }

  void CheckRevocationOrFinish(uint64_t id, PeerCertificates peer) {
    EndpointJob& job = *endpoint_jobs_.at(id);
    v1::TlsFingerprint& tls = job.observation.tls;
    if (tls.outcome() != v1::PROBE_OUTCOME_OK || peer.leaf == nullptr) {
      FinishEndpoint(id);
      return;
    }
    if (!tls.chain_trusted()) {
      tls.set_revocation_outcome(v1::PROBE_OUTCOME_NOT_APPLICABLE);
      tls.set_revocation_error("chain not trusted: revocation not checked");
      FinishEndpoint(id);
      return;
    }
    job.checking_revocation = true;
    const int fetches_before = revocation_->fetches_started();
    revocation_->Check(std::move(peer.leaf), std::move(peer.issuer),
                       [this, id](RevocationResult result) {
                         auto it = endpoint_jobs_.find(id);
                         if (it == endpoint_jobs_.end()) {
                           return;
                         }
                         v1::TlsFingerprint& tls = it->second->observation.tls;
                         tls.set_revocation(result.revocation);
                         tls.set_revocation_outcome(result.outcome);
                         // Both quote the certificate's URL: peer bytes.
                         tls.set_revocation_error(BoundedText(result.error, kMaxNameBytes));
                         tls.set_crl_url(BoundedText(result.crl_url, kMaxNameBytes));
                         FinishEndpoint(id);
                       });
    crl_fetches_.fetch_add(revocation_->fetches_started() - fetches_before);
  }

  void FinishEndpointWithFailure(uint64_t id, v1::ProbeOutcome outcome, std::string error) {
    auto it = endpoint_jobs_.find(id);
    if (it == endpoint_jobs_.end()) {
      return;
    }
    EndpointObservation& obs = it->second->observation;
    if (obs.address_outcome == v1::PROBE_OUTCOME_UNSPECIFIED) {
      obs.address_outcome = outcome;
      obs.address_error = error;
    }
    obs.tls.set_outcome(outcome);
    obs.tls.set_error(std::move(error));
    if (it->second->target.scheme != "https" && outcome != v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED) {
      obs.tls.set_outcome(v1::PROBE_OUTCOME_NOT_APPLICABLE);
    }
    FinishEndpoint(id);
  }

  void FinishEndpoint(uint64_t id) {
    auto it = endpoint_jobs_.find(id);
    if (it == endpoint_jobs_.end()) {
      return;
    }
    std::shared_ptr<EndpointJob> job = std::move(it->second);
    endpoint_jobs_.erase(it);
    if (job->timer != 0) {
      loop_.CancelTimer(job->timer);
    }
    if (job->tls) {
      job->tls->Cancel();
    }
    job->observation.observed_at = options_.clock();
    in_flight_.fetch_sub(1);
    job->done(std::move(job->observation));
  }

  // ---- TXT ---------------------------------------------------------------

  void StartTxt(const std::string& domain, const std::string& key, absl::Time deadline,
                TxtCallback done) {
    uint64_t id = next_id_++;
    auto job = std::make_shared<TxtJob>();
    job->domain = domain;
    job->key = key;
    job->done = std::move(done);
    txt_jobs_[id] = job;
    TxtObservation early;
    if (shutting_down_) {
      early.outcome = v1::PROBE_OUTCOME_ERROR;
      early.error = kShutDown;
    } else if (net::ParseIpAddress(domain).ok()) {
      early.outcome = v1::PROBE_OUTCOME_NOT_APPLICABLE;
      early.error = "an IP literal has no TXT records";
    } else if (domain.empty()) {
      early.outcome = v1::PROBE_OUTCOME_ERROR;
      early.error = "empty domain";
    }
    if (early.outcome != v1::PROBE_OUTCOME_UNSPECIFIED) {
      FinishTxt(id, std::move(early));
      return;
    }
    job->timer = loop_.AddTimer(deadline, [this, id] {
      auto it = txt_jobs_.find(id);
      if (it == txt_jobs_.end()) {
        return;
      }
      it->second->timer = 0;
      TxtObservation observation;
      observation.outcome = v1::PROBE_OUTCOME_TIMEOUT;
      observation.error = "TXT lookup did not finish by the deadline";
      FinishTxt(id, std::move(observation));
    });
    resolver_->Query(domain, DnsResolver::Type::kTxt, [this, id](const DnsAnswer& answer) {
      auto it = txt_jobs_.find(id);
      if (it == txt_jobs_.end()) {
        return;
      }
      TxtObservation observation;
      observation.outcome = answer.outcome;
      observation.error = answer.error;
      if (answer.outcome == v1::PROBE_OUTCOME_OK) {
        if (answer.txt_bytes > options_.max_txt_bytes) {
          observation.outcome = v1::PROBE_OUTCOME_ERROR;
          observation.error =
              absl::StrCat("TXT records at ", it->second->domain, " total ", answer.txt_bytes,
                           " bytes (cap ", options_.max_txt_bytes, ")");
        } else {
          observation.entries = ExtractTxtEntries(answer.txt_records, it->second->key);
        }
      }
      FinishTxt(id, std::move(observation));
    });
  }

  void FinishTxt(uint64_t id, TxtObservation observation) {
    auto it = txt_jobs_.find(id);
    if (it == txt_jobs_.end()) {
      return;
    }
    std::shared_ptr<TxtJob> job = std::move(it->second);
    txt_jobs_.erase(it);
    if (job->timer != 0) {
      loop_.CancelTimer(job->timer);
    }
    observation.observed_at = options_.clock();
    in_flight_.fetch_sub(1);
    job->done(std::move(observation));
  }

  ProbeEngineOptions options_;
  net::AddressPolicy policy_;
  EventLoop loop_;
  X509StorePtr trust_;
  SslCtxPtr ssl_ctx_;
  TlsProbeSettings tls_settings_;
  std::unique_ptr<DnsResolver> resolver_;          // loop thread only after Init
  std::unique_ptr<HttpFetcher> fetcher_;           // loop thread only after Init
  std::unique_ptr<RevocationChecker> revocation_;  // loop thread only after Init
  std::atomic<int> in_flight_{0};
  std::atomic<int> crl_fetches_{0};

  // Loop-thread state.
  bool shutting_down_ = false;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<EndpointJob>> endpoint_jobs_;
  std::unordered_map<uint64_t, std::shared_ptr<TxtJob>> txt_jobs_;
};

absl::StatusOr<std::unique_ptr<ProbeEngine>> ProbeEngine::Create(ProbeEngineOptions options) {
  if (options.max_chain_certs < 1 || options.max_chain_bytes < 1024 || options.max_txt_bytes < 1) {
    return absl::InvalidArgumentError("probe caps must be positive (chain bytes at least 1024)");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status status = impl->Init(); !status.ok()) {
    return status;
  }
  return std::unique_ptr<ProbeEngine>(new ProbeEngine(std::move(impl)));
}

ProbeEngine::ProbeEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ProbeEngine::~ProbeEngine() { impl_->Shutdown(); }

void ProbeEngine::ObserveEndpoint(const net::Target& target, absl::Time deadline,
                                  EndpointCallback done) {
  impl_->ObserveEndpoint(target, deadline, std::move(done));
}

void ProbeEngine::ObserveTxt(const std::string& domain, const std::string& txt_key,
                             absl::Time deadline, TxtCallback done) {
  impl_->ObserveTxt(domain, txt_key, deadline, std::move(done));
}

int ProbeEngine::in_flight() const { return impl_->in_flight(); }

int ProbeEngine::crl_fetches() const { return impl_->crl_fetches(); }

}  // namespace apptrust::probe
