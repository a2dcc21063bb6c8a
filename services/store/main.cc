// apptrust-store: the FingerprintStore gRPC service (grants, fingerprints,
// suspensions) on an embedded SQLite database.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "common/logging/json_log.h"
#include "common/metrics/metrics_server.h"
#include "common/server/flag_checks.h"
#include "common/server/grpc_server.h"
#include "common/server/server_security_flags.h"
#include "services/store/audit_sweeper.h"
#include "services/store/flags.h"
#include "services/store/sqlite_backend.h"
#include "services/store/store_metrics.h"
#include "services/store/store_service.h"

namespace {

constexpr char kProgram[] = "apptrust-store";

namespace logging = apptrust::logging;
namespace metrics = apptrust::metrics;
namespace server = apptrust::server;
namespace store = apptrust::store;

}  // namespace

int main(int argc, char** argv) {
  server::PrepareServiceProcess();
  server::ConfigureUsage(kProgram, "durable grants, fingerprints and suspensions over gRPC",
                         "services/store/");
  absl::ParseCommandLine(argc, argv);

  const std::string listen = absl::GetFlag(FLAGS_listen);
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  const std::string log_level = absl::GetFlag(FLAGS_log_level);
  server::CheckAddressFlag(kProgram, "listen", listen);
  server::CheckAddressFlag(kProgram, "metrics_listen", metrics_listen);
  auto level = logging::ParseLevel(log_level);
  server::ExitIfBadFlag(kProgram, "log_level", log_level, level.status());
  logging::SetMinLevel(*level);

  auto security = server::ReadServerSecurityFlags(listen);
  server::ExitIfBadFlags(kProgram, security.status());

  const std::string db = absl::GetFlag(FLAGS_db);
  if (db.empty()) {
    server::ExitIfBadFlag(kProgram, "db", db, absl::InvalidArgumentError("must not be empty"));
  }

  store::AuditSweeperOptions sweeper_options;
  sweeper_options.retention = absl::GetFlag(FLAGS_audit_retention);
  sweeper_options.interval = absl::GetFlag(FLAGS_audit_sweep_interval);
  if (sweeper_options.retention <= absl::ZeroDuration()) {
    server::ExitIfBadFlag(
        kProgram, "audit_retention", absl::FormatDuration(sweeper_options.retention),
        absl::InvalidArgumentError("must be positive (inf keeps entries forever)"));
  }
  if (sweeper_options.interval <= absl::ZeroDuration() ||
      sweeper_options.interval == absl::InfiniteDuration()) {
    server::ExitIfBadFlag(kProgram, "audit_sweep_interval",
                          absl::FormatDuration(sweeper_options.interval),
                          absl::InvalidArgumentError("must be positive and finite"));
  }

  auto metrics = metrics::MetricsServer::Start(metrics_listen, kProgram);
  server::ExitIfBadFlag(kProgram, "metrics_listen", metrics_listen, metrics.status());
  store::StoreMetrics store_metrics((*metrics)->registry());
  store::StoreLimits limits;
  limits.reads.max_running = absl::GetFlag(FLAGS_max_running_reads);
  limits.reads.max_waiting = absl::GetFlag(FLAGS_max_waiting_reads);
  if (limits.reads.max_running < 1) {
    server::ExitIfBadFlag(kProgram, "max_running_reads", std::to_string(limits.reads.max_running),
                          absl::InvalidArgumentError("must be at least 1"));
  }
  if (limits.reads.max_waiting < 0) {
    server::ExitIfBadFlag(kProgram, "max_waiting_reads", std::to_string(limits.reads.max_waiting),
                          absl::InvalidArgumentError("must not be negative"));
  }
  // Running and waiting reads each hold a gRPC thread of the listener; a
  // quarter of them stays for writes, or a read stall would starve them.
  const int read_threads = server::GrpcListenerLimits{}.max_threads * 3 / 4;
  if (limits.reads.max_running + limits.reads.max_waiting > read_threads) {
    server::ExitIfBadFlag(
        kProgram, "max_waiting_reads", std::to_string(limits.reads.max_waiting),
        absl::InvalidArgumentError(absl::StrCat(
            "with --max_running_reads=", limits.reads.max_running, " at most ",
            read_threads - limits.reads.max_running,
            " (reads running and waiting each hold one of the listener's ",
            server::GrpcListenerLimits{}.max_threads, " threads; a quarter stays for writes)")));
  }
  store::StoreService store_service(&store_metrics, absl::Now, limits);

  auto grpc_server = server::GrpcServer::Start(listen, {&store_service}, {},
                                               server::MakeGrpcServerSecurity(*security));
  server::ExitIfBadFlag(kProgram, "listen", listen, grpc_server.status());
  // Health says NOT_SERVING (and RPCs UNAVAILABLE) until the database is open
  // and migrated, so that no load balancer routes to a store without one.
  (*grpc_server)->SetServing(false);

  store::SqliteOptions sqlite_options;
  sqlite_options.on_commit = [&store_metrics](int64_t writes) {
    store_metrics.RecordCommit(writes);
  };
  auto backend = store::SqliteBackend::Open(db, std::move(sqlite_options));
  absl::Status attached =
      backend.ok() ? store_service.AttachBackend(backend->get()) : backend.status();
  if (!attached.ok()) {
    std::fprintf(stderr, "%s: cannot open --db=%s: %s\n", kProgram, db.c_str(),
                 std::string(attached.message()).c_str());
    logging::Error("cannot open database").Field("db", db).Field("error", attached.message());
    // Nothing was served and nothing is open: skip the listeners' teardown
    // (the metrics listener takes seconds to stop) and exit at once.
    std::fflush(stderr);
    std::_Exit(1);
  }
  logging::Info("database open").Field("db", db);
  // Declared after the backend, so destroyed (its thread stopped) before it.
  store::AuditSweeper audit_sweeper(backend->get(), sweeper_options);
  (*grpc_server)->SetServing(true);

  server::AnnounceListener(kProgram, "grpc", (*grpc_server)->address());
  if (!(*grpc_server)->health_address().empty()) {
    server::AnnounceListener(kProgram, "health", (*grpc_server)->health_address());
  }
  server::AnnounceListener(kProgram, "metrics", (*metrics)->address());
  logging::Info("started")
      .Field("service", kProgram)
      .Field("grpc", (*grpc_server)->address())
      .Field("metrics", (*metrics)->address())
      .Field("db", db)
      .Field("tls", !security->tls.tls()     ? "off"
                    : security->tls.mutual() ? "mutual"
                                             : "server")
      .Field("authz_policy", security->authz_policy_path)
      .Field("open_files_limit", server::OpenFileLimit());

  const int signal_number = server::GrpcServer::WaitForTermination();
  logging::Info("stopping").Field("signal", signal_number);
  (*grpc_server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  logging::Info("stopped");
  return 0;
}
