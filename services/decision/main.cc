// apptrust-decision: the DecisionService the token gateway calls on approval
// and on every refresh.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "common/cache/observation_cache.h"
#include "common/config/policy_config.h"
#include "common/logging/json_log.h"
#include "common/metrics/metrics_server.h"
#include "common/net/address_policy.h"
#include "common/probe/probe_engine.h"
#include "common/server/flag_checks.h"
#include "common/server/grpc_server.h"
#include "services/decision/decider.h"
#include "services/decision/decision_metrics.h"
#include "services/decision/decision_service.h"
#include "services/decision/flags.h"
#include "services/decision/grant_cache.h"
#include "services/decision/grpc_store_client.h"
#include "services/decision/metered_prober.h"
#include "services/decision/store_health_watch.h"
#include "services/decision/web/explanation_server.h"
#include "services/decision/web/store_suspension_lookup.h"
#include "services/decision/web/tenant_contacts.h"

namespace {

constexpr char kProgram[] = "apptrust-decision";

namespace config = apptrust::config;
namespace decision = apptrust::decision;
namespace logging = apptrust::logging;
namespace server = apptrust::server;

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  server::PrepareServiceProcess();
  server::ConfigureUsage(kProgram,
                         "decides at every refresh whether an app is still what the patient "
                         "approved",
                         "services/decision/");
  absl::ParseCommandLine(argc, argv);

  const std::string listen = absl::GetFlag(FLAGS_listen);
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  const std::string store = absl::GetFlag(FLAGS_store);
  const std::string log_level = absl::GetFlag(FLAGS_log_level);
  server::CheckAddressFlag(kProgram, "listen", listen);
  server::CheckAddressFlag(kProgram, "metrics_listen", metrics_listen);
  server::CheckAddressFlag(kProgram, "web_listen", absl::GetFlag(FLAGS_web_listen));
  server::CheckAddressFlag(kProgram, "store", store);
  const std::string dns_servers = absl::GetFlag(FLAGS_dns_servers);
  for (const std::string& dns_server : SplitList(dns_servers)) {
    server::CheckAddressFlag(kProgram, "dns_servers", dns_server);
  }
  auto level = logging::ParseLevel(log_level);
  server::ExitIfBadFlag(kProgram, "log_level", log_level, level.status());
  logging::SetMinLevel(*level);

  const std::string policy_path = absl::GetFlag(FLAGS_policy);
  auto policy = config::LoadPolicyConfig(policy_path);
  server::ExitIfBadFlag(kProgram, "policy", policy_path, policy.status());

  const std::string allow_cidrs_text = absl::GetFlag(FLAGS_probe_allow_cidrs);
  auto allow_cidrs = apptrust::net::ParseCidrList(allow_cidrs_text);
  server::ExitIfBadFlag(kProgram, "probe_allow_cidrs", allow_cidrs_text, allow_cidrs.status());

  const absl::Duration probe_timeout = absl::GetFlag(FLAGS_probe_timeout);
  if (probe_timeout <= absl::ZeroDuration()) {
    server::ExitIfBadFlag(kProgram, "probe_timeout", absl::FormatDuration(probe_timeout),
                          absl::InvalidArgumentError("must be positive"));
  }
  const absl::Duration cache_ttl = absl::GetFlag(FLAGS_cache_ttl);
  if (cache_ttl < absl::ZeroDuration()) {
    server::ExitIfBadFlag(kProgram, "cache_ttl", absl::FormatDuration(cache_ttl),
                          absl::InvalidArgumentError("must not be negative"));
  }
  const absl::Duration grant_cache_ttl = absl::GetFlag(FLAGS_grant_cache_ttl);
  if (grant_cache_ttl < absl::ZeroDuration()) {
    server::ExitIfBadFlag(kProgram, "grant_cache_ttl", absl::FormatDuration(grant_cache_ttl),
                          absl::InvalidArgumentError("must not be negative"));
  }
  const int64_t cache_max_entries = absl::GetFlag(FLAGS_cache_max_entries);
  if (cache_max_entries < 1) {
    server::ExitIfBadFlag(kProgram, "cache_max_entries", std::to_string(cache_max_entries),
                          absl::InvalidArgumentError("must be at least 1"));
  }

  auto metrics = apptrust::metrics::MetricsServer::Start(metrics_listen, kProgram);
  server::ExitIfBadFlag(kProgram, "metrics_listen", metrics_listen, metrics.status());
  decision::DecisionMetrics decision_metrics((*metrics)->registry());

  apptrust::probe::ProbeEngineOptions engine_options;
  engine_options.dns_servers = SplitList(dns_servers);
  engine_options.trust_store_path = absl::GetFlag(FLAGS_trust_store);
  engine_options.allow_cidrs = *allow_cidrs;
  engine_options.connect_timeout = probe_timeout;
  engine_options.dns_timeout = probe_timeout;
  auto engine = apptrust::probe::ProbeEngine::Create(std::move(engine_options));
  if (!engine.ok()) {
    std::fprintf(stderr,
                 "%s: cannot start the probe engine (check --dns_servers and "
                 "--trust_store): %s\n",
                 kProgram, std::string(engine.status().message()).c_str());
    return 2;
  }

  apptrust::cache::ObservationCacheOptions cache_options;
  cache_options.ttl = cache_ttl;
  cache_options.max_entries = static_cast<size_t>(cache_max_entries);
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

  auto store_channel = decision::GrpcStoreClient::MakeChannel(store);
  decision::GrpcStoreClient store_client(
      store_channel, store,
      [&decision_metrics](const char* method, int code, absl::Duration latency) {
        decision_metrics.RecordStoreCall(method, static_cast<grpc::StatusCode>(code), latency);
      });

  decision::GrantCacheOptions grant_cache_options;
  grant_cache_options.ttl = grant_cache_ttl;
  grant_cache_options.max_entries = static_cast<size_t>(cache_max_entries);
  grant_cache_options.on_lookup = [&decision_metrics](bool hit) {
    decision_metrics.RecordGrantCacheLookup(hit);
  };
  decision::CachingStoreClient grant_cache(store_client, std::move(grant_cache_options));

  decision::DeciderOptions decider_options;
  decider_options.policy = *policy;
  decider_options.probe_timeout = probe_timeout;
  decider_options.metrics = &decision_metrics;
  decision::Decider decider(std::move(decider_options), grant_cache, cache);
  decision::DecisionServiceImpl decision_service(decider);

  // The page behind every error_uri: suspensions from the store, each
  // tenant's support contact and manage URL from the policy.
  const std::string web_listen = absl::GetFlag(FLAGS_web_listen);
  auto web_server = apptrust::web::ExplanationServer::Start(
      web_listen, apptrust::web::MakeStoreSuspensionLookup(store_channel),
      apptrust::web::TenantContactsFromPolicy(*policy));
  server::ExitIfBadFlag(kProgram, "web_listen", web_listen, web_server.status());

  auto grpc_server = server::GrpcServer::Start(listen, {&decision_service});
  server::ExitIfBadFlag(kProgram, "listen", listen, grpc_server.status());
  server::GrpcServer& grpc = **grpc_server;
  // Not ready until the store answers: no refresh can be decided without it.
  grpc.SetServing(false);
  auto store_watch = std::make_unique<decision::StoreHealthWatch>(
      store_channel, absl::Seconds(1), [&grpc, &grant_cache](bool serving) {
        // Grants remembered from a store that stopped answering are not its
        // state any more: no refresh is allowed from memory while it is gone.
        if (!serving) grant_cache.Clear();
        grpc.SetServing(serving);
      });

  server::AnnounceListener(kProgram, "grpc", grpc.address());
  server::AnnounceListener(kProgram, "metrics", (*metrics)->address());
  server::AnnounceListener(kProgram, "web", (*web_server)->address());
  logging::Info("started")
      .Field("service", kProgram)
      .Field("grpc", grpc.address())
      .Field("metrics", (*metrics)->address())
      .Field("store", store)
      .Field("policy", policy_path.empty() ? "(defaults)" : policy_path);

  const int signal_number = server::GrpcServer::WaitForTermination();
  logging::Info("stopping").Field("signal", signal_number);
  store_watch.reset();
  grpc.Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  logging::Info("stopped");
  return 0;
}
