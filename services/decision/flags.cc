#include "services/decision/flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/config/policy_config.h"
#include "common/net/host_port.h"
#include "common/server/flag_checks.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address host:port (port 0 picks an ephemeral port, printed on start)");
ABSL_FLAG(std::string, store, "127.0.0.1:50052", "Address host:port of apptrust-store");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9101",
          "Prometheus /metrics listen address host:port");
ABSL_FLAG(std::string, policy, "",
          "Path to policy.textproto (apptrust.v1.PolicyConfig); empty means the defaults");
ABSL_FLAG(std::string, dns_servers, "",
          "Comma-separated DNS servers host:port; empty means the system resolver");
ABSL_FLAG(std::string, trust_store, "",
          "CA bundle (PEM) that app certificates must chain to; empty means the system bundle");
ABSL_FLAG(std::string, probe_allow_cidrs, "",
          "Comma-separated CIDRs the probe may contact although they are private, loopback or "
          "otherwise refused by default (tests: 127.0.0.0/8)");
ABSL_FLAG(absl::Duration, probe_timeout, absl::Seconds(5),
          "Upper bound of one probe (DNS + connect + TLS handshake)");
ABSL_FLAG(absl::Duration, cache_ttl, absl::Minutes(5),
          "How long an observation is reused; 0s disables caching");
ABSL_FLAG(absl::Duration, grant_cache_ttl, absl::ZeroDuration(),
          "Fallback for --grant_watch_max_lag=0s only: how long this replica reuses a grant it "
          "read from the store, so a suspension, deletion or re-approval made through another "
          "replica is seen up to this late; 0s (default) reads the store on every refresh "
          "(see docs/OPERATING.md)");
ABSL_FLAG(absl::Duration, grant_watch_max_lag, absl::Seconds(1),
          "The grant cache (on by default) answers refreshes from memory while a heartbeat "
          "sent on the store's change stream at most this long ago has come back, which proves "
          "every change committed before it was applied; otherwise refreshes read the store. "
          "0s turns the grant cache off (see docs/OPERATING.md)");
ABSL_FLAG(int64_t, grant_cache_max_entries, 100000, "Most grants the grant cache holds");
ABSL_FLAG(int64_t, grant_cache_max_bytes, int64_t{64} << 20,
          "Most bytes the grant cache holds (serialized grants and their keys)");
ABSL_FLAG(int64_t, cache_max_entries, 100000, "Most observations kept (least recently used go)");
ABSL_FLAG(int64_t, cache_max_bytes, int64_t{128} << 20,
          "Most bytes of observations kept, per kind (endpoint, TXT): what an app's certificate "
          "and records really hold is counted, so inflated certificates cannot fill the pod");
ABSL_FLAG(std::string, web_listen, "127.0.0.1:8080",
          "HTTP listen address of the page behind every error_uri");
ABSL_FLAG(std::string, log_level, "info", "Minimum log level: debug, info, warning, error");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight RPCs may take before they are cancelled");
ABSL_FLAG(std::string, store_tls_ca_file, "",
          "PEM CA bundle the store's certificate must chain to; setting any --store_tls_* file "
          "turns on TLS to the store (empty CA: the system roots)");
ABSL_FLAG(std::string, store_tls_cert_file, "",
          "PEM certificate chain this service presents to the store (mutual TLS)");
ABSL_FLAG(std::string, store_tls_key_file, "", "PEM private key of --store_tls_cert_file");
ABSL_FLAG(bool, allow_insecure_store, false,
          "Allow a plaintext channel to a --store that is not on loopback (a network you trust): "
          "whoever is on the path could then change the grants a refresh is judged against");
ABSL_FLAG(std::string, store_tls_server_name, "",
          "Name the store's certificate must hold when it is not the host of --store");

namespace apptrust::decision {
namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  // "a:53, b:53" is two servers, not "a:53" and " b:53".
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

absl::Status CheckDuration(absl::string_view flag, absl::Duration value, absl::Duration minimum,
                           absl::string_view rule) {
  if (value >= minimum) return absl::OkStatus();
  return server::FlagError(flag, absl::FormatDuration(value), absl::InvalidArgumentError(rule));
}

absl::Status CheckAtLeast(absl::string_view flag, int64_t value, int64_t minimum,
                          absl::string_view rule) {
  if (value >= minimum) return absl::OkStatus();
  return server::FlagError(flag, std::to_string(value), absl::InvalidArgumentError(rule));
}

}  // namespace

absl::StatusOr<DecisionFlags> ReadDecisionFlags() {
  DecisionFlags flags;
  flags.listen = absl::GetFlag(FLAGS_listen);
  flags.store = absl::GetFlag(FLAGS_store);
  flags.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  flags.web_listen = absl::GetFlag(FLAGS_web_listen);
  for (const auto& [flag, value] :
       {std::pair<const char*, const std::string&>{"listen", flags.listen},
        {"metrics_listen", flags.metrics_listen},
        {"web_listen", flags.web_listen},
        {"store", flags.store}}) {
    if (absl::Status s = server::CheckAddress(flag, value); !s.ok()) return s;
  }
  flags.dns_servers = SplitList(absl::GetFlag(FLAGS_dns_servers));
  for (const std::string& dns_server : flags.dns_servers) {
    if (absl::Status s = server::CheckAddress("dns_servers", dns_server); !s.ok()) return s;
  }

  const std::string log_level = absl::GetFlag(FLAGS_log_level);
  auto level = logging::ParseLevel(log_level);
  if (!level.ok()) return server::FlagError("log_level", log_level, level.status());
  flags.log_level = *level;

  flags.policy_path = absl::GetFlag(FLAGS_policy);
  auto policy = config::LoadPolicyConfig(flags.policy_path);
  if (!policy.ok()) return server::FlagError("policy", flags.policy_path, policy.status());
  flags.policy = *std::move(policy);

  flags.trust_store = absl::GetFlag(FLAGS_trust_store);
  const std::string allow_cidrs = absl::GetFlag(FLAGS_probe_allow_cidrs);
  auto cidrs = net::ParseCidrList(allow_cidrs);
  if (!cidrs.ok()) return server::FlagError("probe_allow_cidrs", allow_cidrs, cidrs.status());
  flags.probe_allow_cidrs = *std::move(cidrs);

  flags.probe_timeout = absl::GetFlag(FLAGS_probe_timeout);
  flags.cache_ttl = absl::GetFlag(FLAGS_cache_ttl);
  flags.grant_cache_ttl = absl::GetFlag(FLAGS_grant_cache_ttl);
  flags.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  flags.grant_watch_max_lag = absl::GetFlag(FLAGS_grant_watch_max_lag);
  const int64_t grant_max_entries = absl::GetFlag(FLAGS_grant_cache_max_entries);
  const int64_t grant_max_bytes = absl::GetFlag(FLAGS_grant_cache_max_bytes);
  const int64_t max_entries = absl::GetFlag(FLAGS_cache_max_entries);
  const int64_t max_bytes = absl::GetFlag(FLAGS_cache_max_bytes);
  for (absl::Status s : {
           CheckDuration("probe_timeout", flags.probe_timeout, absl::Nanoseconds(1),
                         "must be positive"),
           CheckDuration("cache_ttl", flags.cache_ttl, absl::ZeroDuration(),
                         "must not be negative"),
           CheckDuration("grant_cache_ttl", flags.grant_cache_ttl, absl::ZeroDuration(),
                         "must not be negative"),
           CheckDuration("shutdown_grace", flags.shutdown_grace, absl::ZeroDuration(),
                         "must not be negative"),
           CheckDuration("grant_watch_max_lag", flags.grant_watch_max_lag, absl::ZeroDuration(),
                         "must not be negative"),
           flags.grant_watch_max_lag > absl::ZeroDuration() &&
                   (flags.grant_watch_max_lag < absl::Milliseconds(20) ||
                    flags.grant_watch_max_lag > absl::Minutes(1))
               ? server::FlagError(
                     "grant_watch_max_lag", absl::FormatDuration(flags.grant_watch_max_lag),
                     absl::InvalidArgumentError("must be 0s (off) or between 20ms and 1m"))
               : absl::OkStatus(),
           CheckAtLeast("grant_cache_max_entries", grant_max_entries, 1, "must be at least 1"),
           CheckAtLeast("grant_cache_max_bytes", grant_max_bytes, int64_t{1} << 20,
                        "must be at least 1048576 (1 MiB)"),
           CheckAtLeast("cache_max_entries", max_entries, 1, "must be at least 1"),
           CheckAtLeast("cache_max_bytes", max_bytes, int64_t{1} << 20,
                        "must be at least 1048576 (1 MiB)"),
       }) {
    if (!s.ok()) return s;
  }
  flags.grant_cache_max_entries = static_cast<size_t>(grant_max_entries);
  flags.grant_cache_max_bytes = static_cast<size_t>(grant_max_bytes);
  flags.cache_max_entries = static_cast<size_t>(max_entries);
  flags.cache_max_bytes = static_cast<size_t>(max_bytes);

  auto security = server::ReadServerSecurityFlags(flags.listen);
  if (!security.ok()) return security.status();
  flags.security = *std::move(security);
  flags.store_tls.ca_file = absl::GetFlag(FLAGS_store_tls_ca_file);
  flags.store_tls.cert_file = absl::GetFlag(FLAGS_store_tls_cert_file);
  flags.store_tls.key_file = absl::GetFlag(FLAGS_store_tls_key_file);
  flags.store_tls.server_name = absl::GetFlag(FLAGS_store_tls_server_name);
  flags.store_tls.refresh_interval = flags.security.tls.refresh_interval;
  if (absl::Status s =
          server::CheckTlsFiles(flags.store_tls, {"store_tls_cert_file", "store_tls_key_file",
                                                  "store_tls_ca_file", "store_tls_server_name"});
      !s.ok()) {
    return s;
  }
  // The store's answers decide ALLOW or SUSPEND: off loopback they travel
  // authenticated, or only when the operator said the network is trusted.
  if (!flags.store_tls.tls() && !absl::GetFlag(FLAGS_allow_insecure_store)) {
    auto store = net::ParseHostPort(flags.store);
    if (store.ok() && !server::IsLoopbackHost(store->host)) {
      return server::FlagError(
          "store", flags.store,
          absl::InvalidArgumentError(
              "a plaintext channel to a store off loopback lets whoever is on the path change "
              "the grants refreshes are judged against: set --store_tls_ca_file (and "
              "--store_tls_cert_file/--store_tls_key_file for mutual TLS), or "
              "--allow_insecure_store on a network you trust"));
    }
  }
  return flags;
}

}  // namespace apptrust::decision
