// The store's Prometheus metrics, registered on the process's MetricsServer
// registry. The names are a contract: deploy/'s dashboard and alert rules are
// written against them.
//
//   apptrust_store_rpcs_total{method,code}         counter, one per finished RPC
//   apptrust_store_rpc_duration_seconds{method}    histogram, 100 µs .. 10 s
//   apptrust_grants{state="active"|"suspended"}    gauge, grants in the database
//   apptrust_store_commits_total                  counter, database commits
//   apptrust_store_committed_writes_total         counter, writes they held
//
// `method` is the RPC name ("PutGrant"), `code` the gRPC code name ("OK",
// "NOT_FOUND"). The grant gauges are set from a count at start-up and then
// moved by every write the service makes (the store is the only writer of its
// database).
#ifndef APPTRUST_SERVICES_STORE_STORE_METRICS_H_
#define APPTRUST_SERVICES_STORE_STORE_METRICS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/store/grant_backend.h"

namespace apptrust::store {

// "OK", "INVALID_ARGUMENT", ... as gRPC spells the codes.
std::string GrpcCodeName(grpc::StatusCode code);

class StoreMetrics {
 public:
  explicit StoreMetrics(prometheus::Registry& registry);

  void RecordRpc(absl::string_view method, grpc::StatusCode code, absl::Duration elapsed);
  void SetGrantCounts(const GrantCounts& counts);
  // A grant moved from `from` to `to`; GRANT_STATE_UNSPECIFIED stands for
  // "did not exist" (creation, deletion).
  void GrantMoved(apptrust::v1::GrantState from, apptrust::v1::GrantState to);
  // One database commit that held `writes` writes (SqliteOptions::on_commit).
  void RecordCommit(int64_t writes);
  // Whether the database answered the last reachability check.
  void SetDatabaseUp(bool up);

 private:
  prometheus::Gauge* GaugeFor(apptrust::v1::GrantState state);

  prometheus::Family<prometheus::Counter>& rpcs_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Gauge>& grants_;
  prometheus::Gauge& active_;
  prometheus::Gauge& suspended_;
  prometheus::Counter& commits_;
  prometheus::Counter& committed_writes_;
  prometheus::Gauge& database_up_;
};

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_STORE_METRICS_H_
