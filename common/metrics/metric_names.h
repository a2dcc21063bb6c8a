// Every metric AppTrust exports, in one list: the names, types, labels and
// help texts that the code registers, that the Grafana dashboard and the
// Prometheus alert rules query, and that the README's metrics table shows
// (printed by `apptrust_metric_names --format=markdown`). tests/deploy fails
// when a dashboard panel or an alert rule names a metric that is not here, so
// code, dashboard, alerts and documentation cannot drift apart.
//
// Names follow Prometheus conventions: counters end in `_total`, durations
// are histograms in `_seconds`, label values are lower case.
#ifndef APPTRUST_COMMON_METRICS_METRIC_NAMES_H_
#define APPTRUST_COMMON_METRICS_METRIC_NAMES_H_

namespace apptrust::metrics {

// Decision service.
inline constexpr char kDecisionsTotal[] = "apptrust_decisions_total";
inline constexpr char kDecisionDurationSeconds[] = "apptrust_decision_duration_seconds";
inline constexpr char kProbeDurationSeconds[] = "apptrust_probe_duration_seconds";
inline constexpr char kCacheRequestsTotal[] = "apptrust_cache_requests_total";
inline constexpr char kGrantCacheRequestsTotal[] = "apptrust_grant_cache_requests_total";
inline constexpr char kProbesInFlight[] = "apptrust_probes_in_flight";
inline constexpr char kStoreClientDurationSeconds[] = "apptrust_store_client_duration_seconds";
inline constexpr char kStoreClientErrorsTotal[] = "apptrust_store_client_errors_total";
inline constexpr char kEnrollmentsTotal[] = "apptrust_enrollments_total";
inline constexpr char kSuspensionsTotal[] = "apptrust_suspensions_total";
inline constexpr char kGrantWatchConnected[] = "apptrust_grant_watch_connected";
inline constexpr char kGrantWatchCaughtUp[] = "apptrust_grant_watch_caught_up";
inline constexpr char kGrantWatchLagSeconds[] = "apptrust_grant_watch_lag_seconds";
inline constexpr char kGrantWatchRevision[] = "apptrust_grant_watch_revision";
inline constexpr char kGrantWatchStreamEndsTotal[] = "apptrust_grant_watch_stream_ends_total";
inline constexpr char kGrantCacheResyncsTotal[] = "apptrust_grant_cache_resyncs_total";
inline constexpr char kGrantCacheEntries[] = "apptrust_grant_cache_entries";
inline constexpr char kGrantCacheBytes[] = "apptrust_grant_cache_bytes";
inline constexpr char kSweepAppsAtRisk[] = "apptrust_sweep_apps_at_risk";
inline constexpr char kSweepGrantsAtRisk[] = "apptrust_sweep_grants_at_risk";
inline constexpr char kSweepLastPassCompletedTimestampSeconds[] =
    "apptrust_sweep_last_pass_completed_timestamp_seconds";
inline constexpr char kSweepPassDurationSeconds[] = "apptrust_sweep_pass_duration_seconds";
inline constexpr char kSweepLeaseHeld[] = "apptrust_sweep_lease_held";
inline constexpr char kSweepProbesTotal[] = "apptrust_sweep_probes_total";
inline constexpr char kWebhookDeliveriesTotal[] = "apptrust_webhook_deliveries_total";
inline constexpr char kWebhookQueueDepth[] = "apptrust_webhook_queue_depth";
inline constexpr char kWebhookDeliverySeconds[] = "apptrust_webhook_delivery_seconds";
// Store service.
inline constexpr char kStoreRpcsTotal[] = "apptrust_store_rpcs_total";
inline constexpr char kStoreRpcDurationSeconds[] = "apptrust_store_rpc_duration_seconds";
inline constexpr char kGrants[] = "apptrust_grants";
inline constexpr char kStoreCommitsTotal[] = "apptrust_store_commits_total";
inline constexpr char kStoreCommittedWritesTotal[] = "apptrust_store_committed_writes_total";
inline constexpr char kStoreDatabaseUp[] = "apptrust_store_database_up";
// Both services (common/metrics/metrics_server.cc).
inline constexpr char kBuildInfo[] = "apptrust_build_info";

enum class MetricType { kCounter, kGauge, kHistogram };

struct MetricSpec {
  const char* name;
  MetricType type;
  // Which binary exports it: "decision", "store" or "both".
  const char* service;
  // Label names, comma-separated, in the order the code uses them.
  const char* labels;
  // The HELP text; also the README's description.
  const char* help;
};

inline constexpr MetricSpec kAllMetrics[] = {
    {kDecisionsTotal, MetricType::kCounter, "decision", "rpc,verdict,reason",
     "Answered DecisionService RPCs by rpc (Enroll, CheckRefresh, Inspect), verdict (allow, "
     "suspend, error) and primary reason (kebab case, e.g. tls-cert-expired, or none)."},
    {kDecisionDurationSeconds, MetricType::kHistogram, "decision", "rpc",
     "Time from receiving a DecisionService RPC to answering it."},
    {kProbeDurationSeconds, MetricType::kHistogram, "decision", "kind,outcome",
     "Duration of one probe by kind (endpoint: DNS A/AAAA + TLS handshake; txt: the TXT lookup) "
     "and outcome (ok, timeout, nxdomain, ...)."},
    {kCacheRequestsTotal, MetricType::kCounter, "decision", "result",
     "Observation cache lookups by result: hit, miss (a probe started), coalesced (joined a "
     "probe in flight), stale (a failed probe was answered from an older observation)."},
    {kGrantCacheRequestsTotal, MetricType::kCounter, "decision", "result",
     "Grant reads by result: hit (answered from this replica's memory), miss (read from "
     "apptrust-store, then held), bypass (read from apptrust-store because the grant cache is "
     "not caught up with the store's change stream, or the caller asked for a newer revision)."},
    {kProbesInFlight, MetricType::kGauge, "decision", "", "Probes started and not yet finished."},
    {kStoreClientDurationSeconds, MetricType::kHistogram, "decision", "method",
     "Duration of the decision service's calls to apptrust-store, by store method."},
    {kStoreClientErrorsTotal, MetricType::kCounter, "decision", "method,code",
     "Calls to apptrust-store that failed, by store method and gRPC status code."},
    {kEnrollmentsTotal, MetricType::kCounter, "decision", "label",
     "Successful enrollments by the label shown to the patient: unknown_app, identified, "
     "validated."},
    {kSuspensionsTotal, MetricType::kCounter, "decision", "reason",
     "Grants this replica suspended, by primary reason (kebab case)."},
    {kGrantWatchConnected, MetricType::kGauge, "decision", "",
     "1 while this replica's change stream from apptrust-store (WatchGrants) is open."},
    {kGrantWatchCaughtUp, MetricType::kGauge, "decision", "",
     "1 while the grant cache answers from memory: its stream is open and a heartbeat sent at "
     "most --grant_watch_max_lag ago came back. 0: every refresh reads the store."},
    {kGrantWatchLagSeconds, MetricType::kGauge, "decision", "",
     "Age of the newest heartbeat the store echoed on the change stream (+Inf when none on the "
     "current stream); the cache answers from memory while it is at most --grant_watch_max_lag."},
    {kGrantWatchRevision, MetricType::kGauge, "decision", "",
     "The store revision up to which this replica's grant cache has applied every change."},
    {kGrantWatchStreamEndsTotal, MetricType::kCounter, "decision", "code",
     "Change streams from apptrust-store that ended, by gRPC status code."},
    {kGrantCacheResyncsTotal, MetricType::kCounter, "decision", "reason",
     "Times the grant cache dropped everything and started over, by reason: out_of_range (its "
     "position is past the store's change retention, or from another database), store_changed "
     "(the store id changed), token_refused (the store could not read its resume token)."},
    {kGrantCacheEntries, MetricType::kGauge, "decision", "", "Grants held by the grant cache."},
    {kGrantCacheBytes, MetricType::kGauge, "decision", "",
     "Bytes held by the grant cache (serialized grants, keys and bookkeeping), bounded by "
     "--grant_cache_max_bytes."},
    {kSweepAppsAtRisk, MetricType::kGauge, "decision", "reason",
     "Apps (tenant, client id) at risk in the last complete sweep pass, by reason (kebab case: "
     "what a refresh would suspend for now, or cert-expiring-soon). Exported by the replica "
     "holding the sweep lease (0 on the others)."},
    {kSweepGrantsAtRisk, MetricType::kGauge, "decision", "reason",
     "ACTIVE grants (patients) of the apps at risk in the last complete sweep pass, by reason."},
    {kSweepLastPassCompletedTimestampSeconds, MetricType::kGauge, "decision", "",
     "Unix time when this replica last completed a sweep pass (0: never)."},
    {kSweepPassDurationSeconds, MetricType::kGauge, "decision", "",
     "How long this replica's last complete sweep pass took."},
    {kSweepLeaseHeld, MetricType::kGauge, "decision", "",
     "1 while this replica holds the sweep lease (only the holder sweeps), else 0."},
    {kSweepProbesTotal, MetricType::kCounter, "decision", "",
     "Apps the sweep observed (through the observation cache, so a fresh observation is "
     "reused rather than probed again)."},
    {kWebhookDeliveriesTotal, MetricType::kCounter, "decision", "endpoint,outcome",
     "Webhook deliveries to app developers by endpoint id and outcome: delivered, retried (an "
     "attempt failed and will be repeated), failed (given up), dropped (refused by a full queue "
     "or abandoned at shutdown)."},
    {kWebhookQueueDepth, MetricType::kGauge, "decision", "",
     "Webhook deliveries accepted and not yet delivered or given up."},
    {kWebhookDeliverySeconds, MetricType::kHistogram, "decision", "",
     "Duration of one webhook delivery attempt, from DNS to the receiver's answer."},
    {kStoreRpcsTotal, MetricType::kCounter, "store", "method,code",
     "FingerprintStore RPCs answered, by method and gRPC status code."},
    {kStoreRpcDurationSeconds, MetricType::kHistogram, "store", "method",
     "Time the store took to answer a FingerprintStore RPC."},
    {kGrants, MetricType::kGauge, "store", "state",
     "Grants in the database by state: active, suspended."},
    {kStoreCommitsTotal, MetricType::kCounter, "store", "",
     "Database transactions committed (one fsync each). Concurrent writes share one (group "
     "commit): committed_writes / commits is the writes per fsync."},
    {kStoreCommittedWritesTotal, MetricType::kCounter, "store", "",
     "Writes (PutGrant, SuspendGrant, DeleteGrant) committed to the database."},
    {kStoreDatabaseUp, MetricType::kGauge, "store", "",
     "1 while the store's database answers, 0 while it does not (the store's health is then "
     "NOT_SERVING); checked every second."},
    {kBuildInfo, MetricType::kGauge, "both", "service,version",
     "Build information; the value is always 1."},
};

// Series Prometheus itself makes while scraping, which dashboards and alerts
// may also query.
inline constexpr const char* kPrometheusSeries[] = {"up"};

// Upper bounds (seconds) of every duration histogram: 100 µs to 10 s, so the
// cached path (sub-millisecond) and a probe at its timeout are both resolved.
inline constexpr double kDurationBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                              0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                              1,      2.5,     5,      10};

}  // namespace apptrust::metrics

#endif  // APPTRUST_COMMON_METRICS_METRIC_NAMES_H_
