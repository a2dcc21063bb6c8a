// apptrust-decision: the DecisionService the token gateway calls on approval
// and on every refresh.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/cache/observation_cache.h"
#include "common/config/policy_config.h"
#include "common/logging/json_log.h"
#include "common/metrics/metrics_server.h"
#include "common/net/address_policy.h"
#include "common/probe/probe_engine.h"
#include "common/server/flag_checks.h"
#include "common/server/grpc_server.h"
#include "services/decision/coherent_grant_cache.h"
#include "services/decision/decider.h"
#include "services/decision/decision_metrics.h"
#include "services/decision/decision_service.h"
#include "services/decision/flags.h"
#include "services/decision/grant_cache.h"
#include "services/decision/grant_watch.h"
#include "services/decision/grpc_store_client.h"
#include "services/decision/metered_prober.h"
#include "services/decision/store_health_watch.h"
#include "services/decision/sweep_flags.h"
#include "services/decision/sweeper.h"
#include "services/decision/web/explanation_server.h"
#include "services/decision/web/store_suspension_lookup.h"
#include "services/decision/web/tenant_contacts.h"
#include "services/decision/webhook_sweep_notifier.h"

namespace {

constexpr char kProgram[] = "apptrust-decision";

namespace config = apptrust::config;
namespace decision = apptrust::decision;
namespace logging = apptrust::logging;
namespace server = apptrust::server;

}  // namespace

int main(int argc, char** argv) {
  server::PrepareServiceProcess();
  server::ConfigureUsage(kProgram,
                         "decides at every refresh whether an app is still what the patient "
                         "approved",
                         "services/decision/");
  absl::ParseCommandLine(argc, argv);
  auto flags = decision::ReadDecisionFlags();
  server::ExitIfBadFlags(kProgram, flags.status());
  logging::SetMinLevel(flags->log_level);
  auto sweep_flags = decision::ReadSweepFlags();
  server::ExitIfBadFlags(kProgram, sweep_flags.status());
  const std::string& metrics_listen = flags->metrics_listen;

  auto metrics = apptrust::metrics::MetricsServer::Start(metrics_listen, kProgram);
  server::ExitIfBadFlag(kProgram, "metrics_listen", metrics_listen, metrics.status());
  decision::DecisionMetrics decision_metrics((*metrics)->registry());

  apptrust::probe::ProbeEngineOptions engine_options;
  engine_options.dns_servers = flags->dns_servers;
  engine_options.trust_store_path = flags->trust_store;
  engine_options.allow_cidrs = flags->probe_allow_cidrs;
  engine_options.connect_timeout = flags->probe_timeout;
  engine_options.dns_timeout = flags->probe_timeout;
  auto engine = apptrust::probe::ProbeEngine::Create(std::move(engine_options));
  if (!engine.ok()) {
    std::fprintf(stderr,
                 "%s: cannot start the probe engine (check --dns_servers and "
                 "--trust_store): %s\n",
                 kProgram, std::string(engine.status().message()).c_str());
    return 2;
  }

  apptrust::cache::ObservationCacheOptions cache_options;
  cache_options.ttl = flags->cache_ttl;
  cache_options.max_entries = flags->cache_max_entries;
  cache_options.max_bytes = flags->cache_max_bytes;
  // Every probe runs to this bound, whoever asked for it (see ObservationCache).
  cache_options.probe_timeout = flags->probe_timeout;
  cache_options.max_staleness = config::kMaxStaleness;
  cache_options.on_event = [&decision_metrics](const apptrust::cache::CacheEvent& event) {
    using apptrust::cache::CacheEventKind;
    switch (event.kind) {
      case CacheEventKind::kHit:
        return decision_metrics.RecordCacheResult(decision::CacheResult::kHit);
      case CacheEventKind::kMiss:
        return decision_metrics.RecordCacheResult(decision::CacheResult::kMiss);
      case CacheEventKind::kCoalesced:
        return decision_metrics.RecordCacheResult(decision::CacheResult::kCoalesced);
      case CacheEventKind::kStale:
        return decision_metrics.RecordCacheResult(decision::CacheResult::kStale);
      case CacheEventKind::kEviction:
        return;
    }
  };
  // Probe durations and probes in flight are recorded around the engine.
  decision::MeteredProber metered_prober(engine->get(), &decision_metrics);
  apptrust::cache::ObservationCache cache(metered_prober, cache_options);

  auto store_channel = decision::GrpcStoreClient::MakeChannel(flags->store, flags->store_tls);
  decision::GrpcStoreClient store_client(
      store_channel, flags->store,
      [&decision_metrics](const char* method, int code, absl::Duration latency) {
        decision_metrics.RecordStoreCall(method, static_cast<grpc::StatusCode>(code), latency);
      });

  // The grant cache: coherent with the store's change stream by default
  // (--grant_watch_max_lag), or the TTL fallback when that is off.
  decision::CoherentGrantCacheOptions coherent_options;
  coherent_options.max_lag = flags->grant_watch_max_lag;
  coherent_options.max_entries = flags->grant_cache_max_entries;
  coherent_options.max_bytes = flags->grant_cache_max_bytes;
  coherent_options.on_lookup = [&decision_metrics](decision::GrantLookup lookup) {
    if (lookup == decision::GrantLookup::kBypass) return decision_metrics.RecordGrantCacheBypass();
    decision_metrics.RecordGrantCacheLookup(lookup == decision::GrantLookup::kHit);
  };
  coherent_options.on_resync = [&decision_metrics](const char* reason) {
    logging::Warning("grant cache starting over").Field("reason", reason);
    decision_metrics.RecordGrantCacheResync(reason);
  };
  decision::CoherentGrantCache coherent_cache(store_client, std::move(coherent_options));
  decision::GrantCacheOptions grant_cache_options;
  grant_cache_options.ttl = flags->grant_cache_ttl;
  grant_cache_options.max_entries = flags->cache_max_entries;
  grant_cache_options.on_lookup = [&decision_metrics](bool hit) {
    decision_metrics.RecordGrantCacheLookup(hit);
  };
  decision::CachingStoreClient ttl_cache(store_client, std::move(grant_cache_options));
  const bool coherent = flags->grant_watch_max_lag > absl::ZeroDuration();
  if (coherent && flags->grant_cache_ttl > absl::ZeroDuration()) {
    logging::Warning("--grant_cache_ttl is ignored: the coherent grant cache is on")
        .Field("grant_watch_max_lag", absl::FormatDuration(flags->grant_watch_max_lag));
  }
  decision::StoreClient& grant_source =
      coherent ? static_cast<decision::StoreClient&>(coherent_cache) : ttl_cache;
  std::unique_ptr<decision::GrantWatch> grant_watch;
  if (coherent) {
    decision::GrantWatchOptions watch_options;
    watch_options.heartbeat_interval =
        std::max(flags->grant_watch_max_lag / 4, absl::Milliseconds(5));
    watch_options.stall_timeout = std::max(flags->grant_watch_max_lag * 5, absl::Seconds(5));
    watch_options.on_tick = [&decision_metrics, &coherent_cache] {
      decision_metrics.SetGrantWatch(coherent_cache.State());
    };
    watch_options.on_stream_end = [&decision_metrics](const grpc::Status& status) {
      decision_metrics.RecordGrantWatchStreamEnd(status.error_code());
    };
    grant_watch = std::make_unique<decision::GrantWatch>(store_channel, coherent_cache,
                                                         std::move(watch_options));
  }

  decision::DeciderOptions decider_options;
  decider_options.policy = flags->policy;
  decider_options.metrics = &decision_metrics;
  decision::Decider decider(std::move(decider_options), grant_source, cache);
  decision::DecisionServiceImpl decision_service(decider);

  // The page behind every error_uri: suspensions from the store, each
  // tenant's support contact and manage URL from the policy.
  const std::string& web_listen = flags->web_listen;
  auto web_server = apptrust::web::ExplanationServer::Start(
      web_listen, apptrust::web::MakeStoreSuspensionLookup(store_channel),
      apptrust::web::TenantContactsFromPolicy(flags->policy));
  server::ExitIfBadFlag(kProgram, "web_listen", web_listen, web_server.status());

  auto grpc_server = server::GrpcServer::Start(flags->listen, {&decision_service}, {},
                                               server::MakeGrpcServerSecurity(flags->security));
  server::ExitIfBadFlag(kProgram, "listen", flags->listen, grpc_server.status());
  server::GrpcServer& grpc = **grpc_server;
  // Not ready until the store answers: no refresh can be decided without it.
  grpc.SetServing(false);
  auto store_watch = std::make_unique<decision::StoreHealthWatch>(
      store_channel, absl::Seconds(1), [&grpc, &ttl_cache](bool serving) {
        // Grants remembered from a store that stopped answering are not its
        // state any more: no refresh is allowed from memory while it is gone.
        // (The coherent cache stops at once by itself: its stream ends.)
        if (!serving) ttl_cache.Clear();
        grpc.SetServing(serving);
      });

  // The sweep (off unless --sweep_interval is set): one replica at a time,
  // through the same observation cache as refreshes.
  decision::GrpcSweepStore sweep_store(store_channel);
  decision::SweepMetrics sweep_metrics((*metrics)->registry());
  std::unique_ptr<decision::Sweeper> sweeper;
  // Developers hear of their apps at risk through the tenants' webhooks,
  // sent under the probe's address policy and trust store.
  auto webhooks = apptrust::webhook::WebhookDirectory::Load(flags->policy);
  server::ExitIfBadFlag(kProgram, "policy", flags->policy_path, webhooks.status());
  std::unique_ptr<apptrust::webhook::WebhookSender> webhook_sender;
  std::unique_ptr<decision::WebhookSweepNotifier> notifier;
  if (sweep_flags->interval > absl::ZeroDuration() && !webhooks->empty()) {
    apptrust::webhook::WebhookSenderOptions sender_options;
    sender_options.ca_file = flags->trust_store;
    sender_options.address_policy = apptrust::net::AddressPolicy(flags->probe_allow_cidrs);
    sender_options.dns.servers = flags->dns_servers;
    sender_options.initial_backoff = sweep_flags->webhook_initial_backoff;
    auto sender = apptrust::webhook::WebhookSender::Create(std::move(sender_options),
                                                           &(*metrics)->registry());
    server::ExitIfBadFlag(kProgram, "webhook_initial_backoff",
                          absl::FormatDuration(sweep_flags->webhook_initial_backoff),
                          sender.status());
    webhook_sender = *std::move(sender);
    notifier = std::make_unique<decision::WebhookSweepNotifier>(*webhooks, *webhook_sender);
  }
  if (sweep_flags->interval > absl::ZeroDuration()) {
    decision::SweeperOptions sweep_options;
    sweep_options.policy = flags->policy;
    sweep_options.interval = sweep_flags->interval;
    sweep_options.probes_per_second = sweep_flags->probes_per_second;
    sweep_options.jitter = sweep_flags->jitter;
    sweep_options.lease_ttl = sweep_flags->lease_ttl;
    sweep_options.holder = decision::MakeSweepHolder();
    sweeper = std::make_unique<decision::Sweeper>(std::move(sweep_options), sweep_store, cache,
                                                  &sweep_metrics, notifier.get());
    sweeper->Start();
  }

  server::AnnounceListener(kProgram, "grpc", grpc.address());
  if (!grpc.health_address().empty()) {
    server::AnnounceListener(kProgram, "health", grpc.health_address());
  }
  server::AnnounceListener(kProgram, "metrics", (*metrics)->address());
  server::AnnounceListener(kProgram, "web", (*web_server)->address());
  logging::Info("started")
      .Field("service", kProgram)
      .Field("grpc", grpc.address())
      .Field("metrics", (*metrics)->address())
      .Field("store", flags->store)
      .Field("grant_watch_max_lag", absl::FormatDuration(flags->grant_watch_max_lag))
      .Field("policy", flags->policy_path.empty() ? "(defaults)" : flags->policy_path)
      .Field("tls", !flags->security.tls.tls()     ? "off"
                    : flags->security.tls.mutual() ? "mutual"
                                                   : "server")
      .Field("authz_policy", flags->security.authz_policy_path)
      .Field("store_tls", flags->store_tls.tls())
      .Field("open_files_limit", server::OpenFileLimit());

  const int signal_number = server::GrpcServer::WaitForTermination();
  logging::Info("stopping").Field("signal", signal_number);
  sweeper.reset();
  notifier.reset();
  webhook_sender.reset();
  store_watch.reset();
  grpc.Shutdown(flags->shutdown_grace);
  grant_watch.reset();
  logging::Info("stopped");
  return 0;
}
