// apptrust-store: the FingerprintStore gRPC service (grants, fingerprints,
// suspensions) on an embedded SQLite database or on PostgreSQL (--db).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "common/logging/json_log.h"
#include "common/metrics/metrics_server.h"
#include "common/server/flag_checks.h"
#include "common/server/grpc_server.h"
#include "common/server/server_security_flags.h"
#include "services/store/audit_sweeper.h"
#include "services/store/backend_copy.h"
#include "services/store/change_log_sweeper.h"
#include "services/store/flags.h"
#include "services/store/postgres_backend.h"
#include "services/store/sqlite_backend.h"
#include "services/store/store_metrics.h"
#include "services/store/store_service.h"

namespace {

constexpr char kProgram[] = "apptrust-store";

namespace logging = apptrust::logging;
namespace metrics = apptrust::metrics;
namespace server = apptrust::server;
namespace store = apptrust::store;

// A SIGTERM or SIGINT waiting for WaitForTermination() (they are blocked).
bool TerminationPending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

[[noreturn]] void ExitCannotOpen(const std::string& db, const absl::Status& status) {
  std::fprintf(stderr, "%s: cannot open --db=%s: %s\n", kProgram, db.c_str(),
               std::string(status.message()).c_str());
  logging::Error("cannot open database").Field("db", db).Field("error", status.message());
  // Nothing was served and nothing is open: skip the listeners' teardown
  // (the metrics listener takes seconds to stop) and exit at once.
  std::fflush(stderr);
  std::_Exit(1);
}

store::PostgresOptions PostgresOptionsFromFlags(const std::string& db) {
  store::PostgresOptions options;
  options.uri = db;
  options.pool_size = absl::GetFlag(FLAGS_db_pool_size);
  if (options.pool_size < 1) {
    server::ExitIfBadFlag(kProgram, "db_pool_size", std::to_string(options.pool_size),
                          absl::InvalidArgumentError("must be at least 1"));
  }
  options.max_statement_timeout = absl::GetFlag(FLAGS_db_statement_timeout);
  if (options.max_statement_timeout <= absl::ZeroDuration() ||
      options.max_statement_timeout == absl::InfiniteDuration()) {
    server::ExitIfBadFlag(kProgram, "db_statement_timeout",
                          absl::FormatDuration(options.max_statement_timeout),
                          absl::InvalidArgumentError("must be positive and finite"));
  }
  const std::string password_file = absl::GetFlag(FLAGS_db_password_file);
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!in || !std::getline(in, options.password) || options.password.empty()) {
      server::ExitIfBadFlag(kProgram, "db_password_file", password_file,
                            absl::InvalidArgumentError("cannot read a password from it"));
    }
    if (!options.password.empty() && options.password.back() == '\r') options.password.pop_back();
  }
  return options;
}

// Opens the PostgreSQL backend, waiting (with backoff, NOT_SERVING
// meanwhile) while the database cannot be reached: a store replica started
// before its database, or during a failover, comes up by itself. A
// configuration error (URI, password, a schema from the future) ends it.
std::unique_ptr<store::PostgresBackend> OpenPostgres(const store::PostgresOptions& options) {
  absl::Duration pause = absl::Milliseconds(200);
  while (true) {
    auto backend = store::PostgresBackend::Open(options, absl::Now() + absl::Seconds(30));
    if (backend.ok()) return std::move(*backend);
    const absl::StatusCode code = backend.status().code();
    if (code != absl::StatusCode::kUnavailable && code != absl::StatusCode::kDeadlineExceeded) {
      ExitCannotOpen(options.uri, backend.status());
    }
    logging::Warning("database unreachable, retrying")
        .Field("db", options.uri)
        .Field("error", backend.status().message())
        .Field("retry_in", absl::FormatDuration(pause));
    absl::SleepFor(pause);
    if (TerminationPending()) std::_Exit(0);
    pause = std::min(pause * 2, absl::Seconds(5));
  }
}

// apptrust-store --copy_from_sqlite=FILE --db=postgresql://...: copies, prints
// the counts, exits.
[[noreturn]] void CopyFromSqlite(const std::string& sqlite_path, const std::string& db) {
  if (!store::IsPostgresUri(db)) {
    server::ExitIfBadFlag(
        kProgram, "db", db,
        absl::InvalidArgumentError("--copy_from_sqlite copies into PostgreSQL: --db must be a "
                                   "postgresql:// URI"));
  }
  if (!std::filesystem::is_regular_file(sqlite_path)) {
    server::ExitIfBadFlag(kProgram, "copy_from_sqlite", sqlite_path,
                          absl::NotFoundError("no such file"));
  }
  auto from = store::SqliteBackend::Open(sqlite_path);
  if (!from.ok()) ExitCannotOpen(sqlite_path, from.status());
  auto to =
      store::PostgresBackend::Open(PostgresOptionsFromFlags(db), absl::Now() + absl::Seconds(30));
  if (!to.ok()) ExitCannotOpen(db, to.status());
  auto counts = store::CopySqliteToPostgres(**from, **to, absl::Seconds(30));
  if (!counts.ok()) {
    std::fprintf(stderr, "%s: copy from %s failed: %s\n", kProgram, sqlite_path.c_str(),
                 std::string(counts.status().message()).c_str());
    std::exit(1);
  }
  std::printf("%s: copied %s into PostgreSQL: %s\n", kProgram, sqlite_path.c_str(),
              counts->ToString().c_str());
  std::fflush(stdout);
  std::_Exit(0);
}

// The store's health (and so its readiness) follows its database: NOT_SERVING
// while the database does not answer, so that load balancers send calls to a
// replica that can serve them.
class ReachabilityWatch {
 public:
  ReachabilityWatch(store::GrantBackend* backend, server::GrpcServer* server,
                    store::StoreMetrics* metrics)
      : thread_([this, backend, server, metrics] { Run(backend, server, metrics); }) {}
  ~ReachabilityWatch() {
    stop_ = true;
    thread_.join();
  }

 private:
  void Run(store::GrantBackend* backend, server::GrpcServer* server,
           store::StoreMetrics* metrics) {
    bool serving = true;
    metrics->SetDatabaseUp(true);
    while (!stop_) {
      absl::SleepFor(absl::Seconds(1));
      const absl::Status reachable = backend->CheckReachable(absl::Now() + absl::Seconds(2));
      if (reachable.ok() == serving) continue;
      serving = reachable.ok();
      server->SetServing(serving);
      metrics->SetDatabaseUp(serving);
      if (serving) {
        logging::Info("database reachable again: serving");
      } else {
        logging::Error("database unreachable: not serving").Field("error", reachable.message());
      }
    }
  }
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

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
  if (const std::string copy = absl::GetFlag(FLAGS_copy_from_sqlite); !copy.empty()) {
    CopyFromSqlite(copy, db);
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

  store::ChangeLogSweeperOptions change_sweeper_options;
  change_sweeper_options.retention = absl::GetFlag(FLAGS_change_retention);
  change_sweeper_options.keep_revisions = absl::GetFlag(FLAGS_change_retention_revisions);
  change_sweeper_options.interval = absl::GetFlag(FLAGS_change_sweep_interval);
  if (change_sweeper_options.retention <= absl::ZeroDuration() ||
      change_sweeper_options.retention == absl::InfiniteDuration()) {
    server::ExitIfBadFlag(kProgram, "change_retention",
                          absl::FormatDuration(change_sweeper_options.retention),
                          absl::InvalidArgumentError("must be positive and finite"));
  }
  if (change_sweeper_options.keep_revisions < 1) {
    server::ExitIfBadFlag(kProgram, "change_retention_revisions",
                          std::to_string(change_sweeper_options.keep_revisions),
                          absl::InvalidArgumentError("must be at least 1"));
  }
  if (change_sweeper_options.interval <= absl::ZeroDuration() ||
      change_sweeper_options.interval == absl::InfiniteDuration()) {
    server::ExitIfBadFlag(kProgram, "change_sweep_interval",
                          absl::FormatDuration(change_sweeper_options.interval),
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
  limits.watch.poll_interval = absl::GetFlag(FLAGS_watch_poll_interval);
  if (limits.watch.poll_interval < absl::Milliseconds(10) ||
      limits.watch.poll_interval > absl::Seconds(1)) {
    server::ExitIfBadFlag(kProgram, "watch_poll_interval",
                          absl::FormatDuration(limits.watch.poll_interval),
                          absl::InvalidArgumentError("must be between 10ms and 1s"));
  }
  limits.watch.progress_interval = absl::GetFlag(FLAGS_watch_progress_interval);
  if (limits.watch.progress_interval <= absl::ZeroDuration() ||
      limits.watch.progress_interval == absl::InfiniteDuration()) {
    server::ExitIfBadFlag(kProgram, "watch_progress_interval",
                          absl::FormatDuration(limits.watch.progress_interval),
                          absl::InvalidArgumentError("must be positive and finite"));
  }
  limits.watch.max_watchers = absl::GetFlag(FLAGS_max_watchers);
  // Each stream holds a listener thread for its life; an eighth of them
  // stays for writes.
  const int watch_threads = server::GrpcListenerLimits{}.max_threads * 7 / 8 -
                            limits.reads.max_running - limits.reads.max_waiting;
  if (limits.watch.max_watchers < 0 || limits.watch.max_watchers > watch_threads) {
    server::ExitIfBadFlag(
        kProgram, "max_watchers", std::to_string(limits.watch.max_watchers),
        absl::InvalidArgumentError(absl::StrCat(
            "must be between 0 and ", watch_threads,
            " (streams and reads each hold one of the listener's ",
            server::GrpcListenerLimits{}.max_threads, " threads; an eighth stays for writes)")));
  }
  store::StoreService store_service(&store_metrics, absl::Now, limits);

  auto grpc_server = server::GrpcServer::Start(listen, {&store_service}, {},
                                               server::MakeGrpcServerSecurity(*security));
  server::ExitIfBadFlag(kProgram, "listen", listen, grpc_server.status());
  // Health says NOT_SERVING (and RPCs UNAVAILABLE) until the database is open
  // and migrated, so that no load balancer routes to a store without one.
  (*grpc_server)->SetServing(false);

  std::unique_ptr<store::GrantBackend> backend;
  if (store::IsPostgresUri(db)) {
    store::PostgresOptions options = PostgresOptionsFromFlags(db);
    options.on_commit = [&store_metrics](int64_t writes) { store_metrics.RecordCommit(writes); };
    backend = OpenPostgres(options);
  } else {
    store::SqliteOptions sqlite_options;
    sqlite_options.on_commit = [&store_metrics](int64_t writes) {
      store_metrics.RecordCommit(writes);
    };
    auto sqlite = store::SqliteBackend::Open(db, std::move(sqlite_options));
    if (!sqlite.ok()) ExitCannotOpen(db, sqlite.status());
    backend = std::move(*sqlite);
  }
  if (absl::Status attached = store_service.AttachBackend(backend.get()); !attached.ok()) {
    ExitCannotOpen(db, attached);
  }
  logging::Info("database open").Field("db", db);
  // Declared after the backend, so destroyed (its thread stopped) before it.
  store::AuditSweeper audit_sweeper(backend.get(), sweeper_options);
  store::ChangeLogSweeper change_sweeper(backend.get(), change_sweeper_options);
  (*grpc_server)->SetServing(true);
  ReachabilityWatch reachability(backend.get(), grpc_server->get(), &store_metrics);

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
