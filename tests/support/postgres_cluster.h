// A throw-away PostgreSQL 15 server for tests: Debian's postgresql-15
// binaries (/usr/lib/postgresql/15/bin) run on a data directory of its own in
// a TempDir, listening on 127.0.0.1 on an ephemeral port and on a unix socket
// inside that directory. Everything is removed when the object goes away.
// A primary's data directory is a copy of a template (initdb, the roles, the
// database) that the first test to need it leaves in the build tree: a
// start then takes a fraction of a second instead of an initdb's seconds.
//
// PostgreSQL refuses to run as root. When the test runs as root (CI does),
// every server-side program (initdb, postgres, pg_basebackup, pg_ctl) runs as
// the unprivileged `postgres` user that Debian's package creates, through
// `runuser -u postgres`, and the TempDir is handed to that user; otherwise
// they run as the current user. Clients (psql, the store) run as the caller.
//
// What a primary offers a client, as a production database would:
//  - a role `apptrust` (random password(), scram-sha-256) owning a database
//    `apptrust`; every TCP connection needs the password (pg_hba.conf:
//    scram-sha-256 for `host`), so a test proves that PGPASSFILE or a
//    password file reaches libpq. uri() carries no password.
//  - optionally TLS: a server certificate for 127.0.0.1 and localhost from a
//    TestPki, so `sslmode=verify-full&sslrootcert=root_ca_path()` works.
// The fixture itself talks to the server as the superuser `postgres` over
// the unix socket (trust; the socket's directory is reachable by its owner
// and root only).
//
// Replication: StartStandby() clones a primary with pg_basebackup -R -X
// stream and starts it as a hot standby streaming from it;
// EnableSynchronousStandby() then makes every commit on the primary wait for
// the standby (synchronous_standby_names = 'ANY 1 (*)'). Kill() is a power
// loss (SIGKILL to the postmaster and every process it started); Promote()
// turns a standby into a primary.
//
// The postmaster is started with the parent-death signal SIGKILL (setpriv
// --pdeathsig), so a test binary that dies (a crash, a ctest timeout) takes
// its servers with it: start clusters from a thread that outlives them (the
// test body's thread), since Linux sends that signal when the starting
// thread exits.
//
// A test process that dies without running destructors leaves its
// directories behind; the next one to start a server removes them.
//
// Thread-compatible: one thread at a time per object; Psql() is thread-safe.
#ifndef APPTRUST_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
#define APPTRUST_TESTS_SUPPORT_POSTGRES_CLUSTER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"

namespace apptrust::testing {

struct PostgresOptions {
  // postgresql.conf values; the defaults are what production runs with.
  bool fsync = true;
  std::string synchronous_commit = "on";
  // Serve TLS with a certificate for 127.0.0.1 and localhost issued by a
  // fresh TestPki (root_ca_path()). TCP connections without TLS are still
  // accepted (sslmode=disable).
  bool tls = false;
  // More postgresql.conf lines ("max_connections = 50").
  std::vector<std::string> settings;
};

class PostgresCluster {
 public:
  static constexpr absl::string_view kDatabase = "apptrust";
  static constexpr absl::string_view kUser = "apptrust";

  // A copy of a template data directory (initdb, the roles and the database:
  // made once per build tree), started, with fresh passwords. Fails with the
  // server's log when it does not start.
  static absl::StatusOr<std::unique_ptr<PostgresCluster>> StartPrimary(
      const PostgresOptions& options = {});
  // Stops the server (fast) if it runs and removes its directory.
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // A new hot standby of this server: pg_basebackup -R -X stream over TCP
  // (a replication role with a password), started on its own port, with the
  // same TLS certificate. Returns once it accepts read-only connections;
  // WaitStreaming() says when it follows. The standby has the same role,
  // database and password. This server must be running.
  absl::StatusOr<std::unique_ptr<PostgresCluster>> StartStandby();

  // Until pg_stat_replication on this server shows `standby` streaming.
  absl::Status WaitStreaming(const PostgresCluster& standby,
                             absl::Duration timeout = absl::Seconds(30));
  // synchronous_standby_names = 'ANY 1 (*)' (ALTER SYSTEM, pg_reload_conf),
  // then waits until a standby is reported synchronous. Call it only once a
  // standby streams: from then on every commit waits for a standby, and
  // without one it waits for ever.
  absl::Status EnableSynchronousStandby(absl::Duration timeout = absl::Seconds(30));

  // SIGKILL to the postmaster and to every process it started, at once: the
  // machine losing power. Returns once they are all gone.
  absl::Status Kill();
  // Fast shutdown (SIGINT: open sessions are ended, the last checkpoint
  // written). Returns once the postmaster has exited.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(60));
  // Starts the server again on the same port and data directory (crash
  // recovery after Kill()); returns once it accepts connections.
  absl::Status Restart();
  // pg_ctl promote on a standby; returns once pg_is_in_recovery() is false.
  absl::Status Promote(absl::Duration timeout = absl::Seconds(60));
  bool running();

  // Runs `sql` as the superuser over the unix socket (psql -X -A -t, stops
  // at the first error) in database `database`. Returns what psql printed,
  // without the final newline; an error with psql's stderr otherwise.
  absl::StatusOr<std::string> Sql(absl::string_view sql, absl::string_view database = kDatabase);

  // Runs `sql` with psql as a client of `uri` (a libpq URI or conninfo),
  // with every PG* variable of the environment removed except `env`
  // ({"PGPASSFILE", path}); PGPASSFILE defaults to a missing file so a
  // ~/.pgpass never helps. Output as for Sql().
  static absl::StatusOr<std::string> Psql(
      const std::string& uri, absl::string_view sql,
      const std::vector<std::pair<std::string, std::string>>& env = {});

  // "postgresql://apptrust@127.0.0.1:PORT/apptrust", with "?query" appended
  // when `query` is not empty. No password.
  std::string uri(absl::string_view query = "") const;
  // "sslmode=verify-full&sslrootcert=PATH" for a TLS server, else "".
  std::string tls_query() const;
  // One URI naming several servers, in order:
  // "postgresql://apptrust@127.0.0.1:P1,127.0.0.1:P2/apptrust?QUERY".
  static std::string MultiHostUri(const std::vector<const PostgresCluster*>& clusters,
                                  absl::string_view query = "target_session_attrs=read-write");
  // Writes a password file in libpq's PGPASSFILE format (mode 0600) with
  // one line per cluster: "127.0.0.1:PORT:apptrust:apptrust:PASSWORD".
  static absl::Status WritePassFile(const std::string& path,
                                    const std::vector<const PostgresCluster*>& clusters);

  const std::string& password() const { return password_; }
  std::string host() const { return "127.0.0.1"; }
  uint16_t port() const { return port_; }
  std::string host_port() const;  // "127.0.0.1:PORT"
  // The directory of the unix socket (libpq's host=DIR).
  const std::string& socket_dir() const { return dir_.path(); }
  const std::string& data_dir() const { return data_dir_; }
  // The CA file for sslrootcert= (empty without TLS).
  const std::string& root_ca_path() const { return root_ca_path_; }
  // The postmaster's process id while it runs (from postmaster.pid).
  pid_t postmaster_pid() const { return postmaster_pid_; }
  // Every live process of this server (they all work in data_dir()): empty
  // after Kill() or Stop().
  std::vector<pid_t> server_processes() const;

 private:
  PostgresCluster() = default;
  // The data directory of a stopped server with the roles (no passwords)
  // and the database: what every primary starts from a copy of.
  static absl::StatusOr<std::string> TemplateDataDir();
  static absl::StatusOr<std::string> BuildTemplate();
  // Hands dir_ to the server user and writes the TLS files (tls_*_pem_).
  absl::Status PrepareDirectory();
  absl::Status Launch();

  PostgresOptions options_;
  TempDir dir_;
  std::string data_dir_;
  std::string password_;
  std::string replication_password_;
  uint16_t port_ = 0;
  // Server certificate chain, key and root CA (PEM), empty without TLS; a
  // standby serves the same ones.
  std::string tls_chain_pem_, tls_key_pem_, tls_root_pem_;
  std::string cert_path_, key_path_, root_ca_path_;
  std::unique_ptr<Subprocess> server_;
  pid_t postmaster_pid_ = -1;
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
