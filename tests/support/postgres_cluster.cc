#include "tests/support/postgres_cluster.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "tests/support/test_pki.h"

namespace apptrust::testing {
namespace {

constexpr absl::string_view kBinDir = "/usr/lib/postgresql/15/bin";
constexpr absl::string_view kServerUser = "postgres";
constexpr absl::string_view kReplicationUser = "replicator";
constexpr absl::Duration kStartTimeout = absl::Seconds(60);

std::string Bin(absl::string_view program) { return absl::StrCat(kBinDir, "/", program); }

bool IsRoot() { return geteuid() == 0; }

// `argv` as the server user: through runuser when we are root.
std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
  if (!IsRoot()) return argv;
  std::vector<std::string> wrapped = {"runuser", "-u", std::string(kServerUser), "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

// Runs a program to completion; its stdout, or an error with its stderr.
absl::StatusOr<std::string> Run(std::vector<std::string> argv,
                                absl::Duration timeout = absl::Seconds(120)) {
  const std::string what = absl::StrJoin(argv, " ");
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(argv));
  if (!process.ok()) return process.status();
  absl::StatusOr<int> code = (*process)->Wait(timeout);
  if (!code.ok()) return absl::DeadlineExceededError(absl::StrCat(what, ": still running"));
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat(what, " exited with ", *code, ": ", (*process)->stderr_text()));
  }
  return (*process)->stdout_text();
}

void LogStep(absl::string_view step, absl::Time started) {
  std::fprintf(stderr, "postgres_cluster: %.*s took %s\n", static_cast<int>(step.size()),
               step.data(), absl::FormatDuration(absl::Now() - started).c_str());
}

absl::Status GiveToServerUser(const std::string& path) {
  if (!IsRoot()) return absl::OkStatus();
  const passwd* user = getpwnam(std::string(kServerUser).c_str());
  if (user == nullptr) {
    return absl::FailedPreconditionError(
        "no user 'postgres' (the postgresql-15 package creates it; scripts/bootstrap)");
  }
  if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, absl::string_view content, mode_t mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out || chmod(path.c_str(), mode) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

std::string RandomHex(int bytes) {
  std::random_device random;
  std::string out;
  for (int i = 0; i < bytes; ++i)
    absl::StrAppend(&out, absl::Hex(random() & 0xff, absl::kZeroPad2));
  return out;
}

absl::StatusOr<uint16_t> FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!bound) return absl::InternalError(absl::StrCat("bind: ", std::strerror(errno)));
  return ntohs(address.sin_port);
}

// The processes of one server: every postgres process works in its data
// directory. Zombies (already dead, not yet reaped by init) do not count.
std::vector<pid_t> ProcessesIn(const std::string& data_dir) {
  std::vector<pid_t> found;
  std::error_code error;
  const std::filesystem::path wanted = std::filesystem::weakly_canonical(data_dir, error);
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (const dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    const std::string base = absl::StrCat("/proc/", pid);
    std::filesystem::path cwd = std::filesystem::read_symlink(base + "/cwd", error);
    if (error || cwd != wanted) continue;
    const std::string stat = ReadProcFile(base + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z') continue;
    found.push_back(pid);
  }
  closedir(proc);
  return found;
}

absl::Status WaitGone(const std::string& data_dir, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<pid_t> left;
  while (!(left = ProcessesIn(data_dir)).empty()) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("server processes still running: ", absl::StrJoin(left, " ")));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

// Polls `sql` on `cluster` until it prints `expected`.
absl::Status WaitForSql(PostgresCluster& cluster, absl::string_view sql, absl::string_view expected,
                        absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (true) {
    absl::StatusOr<std::string> out = cluster.Sql(sql, "postgres");
    last = out.ok() ? *out : out.status().ToString();
    if (out.ok() && *out == expected) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("'", sql, "' printed '", last, "', not '", expected, "'"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

// A test process that dies (a crash, an abort, a ctest timeout) runs no
// destructor: its servers die with it (--pdeathsig) but its directories stay,
// a data directory each. The next test process removes those whose owner is
// gone.
constexpr absl::string_view kOwnerFile = "postgres_cluster.owner";

void RemoveDirectoriesOfDeadTests() {
  const char* base = std::getenv("TMPDIR");
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(base != nullptr ? base : "/tmp", error)) {
    if (!absl::StartsWith(entry.path().filename().string(), "apptrust-test-")) continue;
    std::ifstream owner_file(entry.path() / std::string(kOwnerFile));
    pid_t owner = 0;
    if (!(owner_file >> owner) || owner <= 0) continue;
    if (kill(owner, 0) == 0 || errno != ESRCH) continue;
    if (!ProcessesIn((entry.path() / "data").string()).empty()) continue;
    std::filesystem::remove_all(entry.path(), error);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresCluster>> PostgresCluster::StartPrimary(
    const PostgresOptions& options) {
  const absl::Time started = absl::Now();
  absl::StatusOr<std::string> template_data = TemplateDataDir();
  if (!template_data.ok()) return template_data.status();

  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  cluster->options_ = options;
  cluster->password_ = RandomHex(16);
  cluster->replication_password_ = RandomHex(16);
  if (options.tls) {
    absl::StatusOr<std::unique_ptr<TestPki>> pki = TestPki::Create();
    if (!pki.ok()) return pki.status();
    LeafOptions leaf;
    leaf.dns_names = {"localhost"};
    leaf.ip_addresses = {"127.0.0.1"};
    leaf.common_name = "localhost";
    leaf.policy = CertPolicy::kNone;
    absl::StatusOr<IssuedCert> cert = (*pki)->Issue(leaf);
    if (!cert.ok()) return cert.status();
    cluster->tls_chain_pem_ = cert->chain_pem;
    cluster->tls_key_pem_ = cert->key_pem;
    cluster->tls_root_pem_ = (*pki)->root_pem();
  }
  if (absl::Status prepared = cluster->PrepareDirectory(); !prepared.ok()) return prepared;

  absl::StatusOr<std::string> copied = Run({"cp", "-a", *template_data, cluster->data_dir_});
  if (!copied.ok()) return copied.status();
  std::string settings =
      absl::StrCat("\n# postgres_cluster\nfsync = ", options.fsync ? "on" : "off",
                   "\nsynchronous_commit = ", options.synchronous_commit, "\n");
  for (const std::string& line : options.settings) absl::StrAppend(&settings, line, "\n");
  {
    std::ofstream conf(cluster->data_dir_ + "/postgresql.conf", std::ios::app);
    conf << settings;
    if (!conf) return absl::InternalError("cannot append to postgresql.conf");
  }
  absl::StatusOr<uint16_t> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  cluster->port_ = *port;
  if (absl::Status launched = cluster->Launch(); !launched.ok()) return launched;

  // The template's roles have no password yet: no TCP login before this.
  absl::StatusOr<std::string> passwords = cluster->Sql(
      absl::StrCat("ALTER ROLE ", kUser, " PASSWORD '", cluster->password_, "'; ALTER ROLE ",
                   kReplicationUser, " PASSWORD '", cluster->replication_password_, "'"),
      "postgres");
  if (!passwords.ok()) return passwords.status();
  LogStep(absl::StrCat("start primary on port ", cluster->port_), started);
  return cluster;
}

absl::StatusOr<std::string> PostgresCluster::TemplateDataDir() {
  static const absl::StatusOr<std::string>* const data_dir = [] {
    RemoveDirectoriesOfDeadTests();
    return new absl::StatusOr<std::string>(BuildTemplate());
  }();
  return *data_dir;
}

absl::StatusOr<std::string> PostgresCluster::BuildTemplate() {
  // In the build tree: made once by the first test that needs it, reused by
  // every later test process and run. The suffix changes with what is made.
  const std::string cache = APPTRUST_POSTGRES_TEMPLATE_DIR;
  const std::string cached_data = cache + "/data";
  if (std::filesystem::exists(cached_data + "/PG_VERSION")) return cached_data;
  if (!std::filesystem::exists(Bin("initdb"))) {
    return absl::FailedPreconditionError(
        absl::StrCat(Bin("initdb"), " is missing: install postgresql-15 (scripts/bootstrap)"));
  }
  const absl::Time started = absl::Now();
  std::unique_ptr<PostgresCluster> seed(new PostgresCluster());
  if (absl::Status prepared = seed->PrepareDirectory(); !prepared.ok()) return prepared;
  // --no-sync: the template's files need not reach the disk; the servers'
  // own fsync setting is unaffected.
  absl::StatusOr<std::string> initdb =
      Run(AsServerUser({Bin("initdb"), "-D", seed->data_dir_, "-U", std::string(kServerUser),
                        "--encoding=UTF8", "--locale=C", "--auth-local=trust",
                        "--auth-host=scram-sha-256", "--no-sync", "--no-instructions"}));
  if (!initdb.ok()) return initdb.status();
  // The fixture uses the socket as superuser (trust: only the directory's
  // owner and root reach it); every TCP client needs its password.
  if (absl::Status hba = WriteFile(seed->data_dir_ + "/pg_hba.conf",
                                   "# TYPE  DATABASE     USER  ADDRESS        METHOD\n"
                                   "local   all          all                  trust\n"
                                   "local   replication  all                  trust\n"
                                   "host    all          all   127.0.0.1/32   scram-sha-256\n"
                                   "host    replication  all   127.0.0.1/32   scram-sha-256\n",
                                   0600);
      !hba.ok()) {
    return hba;
  }
  absl::StatusOr<uint16_t> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  seed->port_ = *port;
  if (absl::Status launched = seed->Launch(); !launched.ok()) return launched;
  // Separate statements: CREATE DATABASE cannot run in a transaction block.
  for (const std::string& sql :
       {absl::StrCat("CREATE ROLE ", kUser, " LOGIN"),
        absl::StrCat("CREATE ROLE ", kReplicationUser, " REPLICATION LOGIN"),
        absl::StrCat("CREATE DATABASE ", kDatabase, " OWNER ", kUser)}) {
    absl::StatusOr<std::string> done = seed->Sql(sql, "postgres");
    if (!done.ok()) return done.status();
  }
  if (absl::Status stopped = seed->Stop(); !stopped.ok()) return stopped;
  // Published whole by one rename: test processes running at once may each
  // build one; the first rename wins and the others drop theirs.
  const std::string staging = absl::StrCat(cache, ".staging-", getpid());
  std::error_code error;
  std::filesystem::remove_all(staging, error);
  std::filesystem::create_directories(staging, error);
  absl::StatusOr<std::string> copied = Run({"cp", "-a", seed->data_dir_, staging + "/data"});
  if (!copied.ok()) return copied.status();
  if (rename(staging.c_str(), cache.c_str()) != 0) std::filesystem::remove_all(staging, error);
  if (!std::filesystem::exists(cached_data + "/PG_VERSION")) {
    return absl::InternalError(absl::StrCat("cannot publish the template at ", cache));
  }
  LogStep("initdb and roles (template, once per build tree)", started);
  return cached_data;
}

absl::Status PostgresCluster::PrepareDirectory() {
  // Whose directory this is, for RemoveDirectoriesOfDeadTests().
  if (absl::Status owner = WriteFile(dir_.File(kOwnerFile), absl::StrCat(getpid()), 0644);
      !owner.ok()) {
    return owner;
  }
  if (absl::Status given = GiveToServerUser(dir_.path()); !given.ok()) return given;
  if (IsRoot() && !Run(AsServerUser({"test", "-w", dir_.path()})).ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the postgres user cannot reach ", dir_.path(),
                     ": set TMPDIR to a directory every user can traverse (/tmp)"));
  }
  data_dir_ = dir_.File("data");
  if (tls_chain_pem_.empty()) return absl::OkStatus();
  cert_path_ = dir_.File("server.crt");
  key_path_ = dir_.File("server.key");
  root_ca_path_ = dir_.File("root.crt");
  for (const auto& [path, pem, mode] :
       {std::tuple{cert_path_, tls_chain_pem_, 0644}, std::tuple{key_path_, tls_key_pem_, 0600},
        std::tuple{root_ca_path_, tls_root_pem_, 0644}}) {
    if (absl::Status written = WriteFile(path, pem, static_cast<mode_t>(mode)); !written.ok()) {
      return written;
    }
    if (absl::Status given = GiveToServerUser(path); !given.ok()) return given;
  }
  return absl::OkStatus();
}

absl::Status PostgresCluster::Launch() {
  const absl::Time started = absl::Now();
  // Instance settings go on the command line; postgresql.conf (copied to a
  // standby by pg_basebackup) and ALTER SYSTEM keep the rest.
  std::vector<std::string> server = {"setpriv",
                                     "--pdeathsig",
                                     "KILL",
                                     "--",
                                     Bin("postgres"),
                                     "-D",
                                     data_dir_,
                                     "-p",
                                     absl::StrCat(port_),
                                     "-h",
                                     host(),
                                     "-k",
                                     socket_dir(),
                                     "-c",
                                     absl::StrCat("cluster_name=apptrust_", port_),
                                     "-c",
                                     absl::StrCat("log_line_prefix=%m pg:", port_, " [%p] ")};
  if (!cert_path_.empty()) {
    server.insert(server.end(), {"-c", "ssl=on", "-c", "ssl_cert_file=" + cert_path_, "-c",
                                 "ssl_key_file=" + key_path_});
  }
  // The inner setpriv ties the postmaster to its parent; as root that is
  // runuser (which forks), tied to this thread by the outer one.
  std::vector<std::string> argv = AsServerUser(std::move(server));
  if (IsRoot()) argv.insert(argv.begin(), {"setpriv", "--pdeathsig", "KILL", "--"});

  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(argv));
  if (!process.ok()) return process.status();
  server_ = std::move(*process);
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (!server_->WaitForOutput("ready to accept", absl::Milliseconds(50))) {
    if (!server_->running() || absl::Now() > deadline) {
      const std::string log = server_->stderr_text();
      server_.reset();
      return absl::UnavailableError(
          absl::StrCat("postgres on port ", port_, " did not start: ", log));
    }
  }
  std::ifstream pid_file(data_dir_ + "/postmaster.pid");
  std::string first_line;
  std::getline(pid_file, first_line);
  if (!absl::SimpleAtoi(first_line, &postmaster_pid_)) {
    return absl::InternalError("cannot read postmaster.pid");
  }
  LogStep(absl::StrCat("postgres start on port ", port_), started);
  return absl::OkStatus();
}

PostgresCluster::~PostgresCluster() {
  if (server_ == nullptr) return;
  if (!Stop(absl::Seconds(20)).ok()) (void)Kill();
}

absl::StatusOr<std::unique_ptr<PostgresCluster>> PostgresCluster::StartStandby() {
  const absl::Time started = absl::Now();
  std::unique_ptr<PostgresCluster> standby(new PostgresCluster());
  standby->options_ = options_;
  standby->password_ = password_;
  standby->replication_password_ = replication_password_;
  standby->tls_chain_pem_ = tls_chain_pem_;
  standby->tls_key_pem_ = tls_key_pem_;
  standby->tls_root_pem_ = tls_root_pem_;
  if (absl::Status prepared = standby->PrepareDirectory(); !prepared.ok()) return prepared;
  // -R writes primary_conninfo (this connection, password included) and
  // standby.signal; -X stream brings the WAL written during the copy.
  absl::StatusOr<std::string> backup =
      Run(AsServerUser({Bin("pg_basebackup"), "-D", standby->data_dir_, "-R", "-X", "stream",
                        "--checkpoint=fast", "--no-sync", "-d",
                        absl::StrCat("host=", host(), " port=", port_, " user=", kReplicationUser,
                                     " password=", replication_password_)}));
  if (!backup.ok()) return backup.status();
  LogStep("pg_basebackup", started);
  // A standby cloned after EnableSynchronousStandby() would, once promoted,
  // wait for a standby of its own on every commit.
  const std::string auto_conf = standby->data_dir_ + "/postgresql.auto.conf";
  std::ifstream in(auto_conf);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (!absl::StartsWith(line, "synchronous_standby_names")) absl::StrAppend(&kept, line, "\n");
  }
  in.close();
  {
    std::ofstream out(auto_conf, std::ios::trunc);
    out << kept;
    if (!out) return absl::InternalError("cannot rewrite postgresql.auto.conf");
  }
  absl::StatusOr<uint16_t> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  standby->port_ = *port;
  if (absl::Status launched = standby->Launch(); !launched.ok()) return launched;
  LogStep(absl::StrCat("start standby on port ", standby->port_), started);
  return standby;
}

absl::Status PostgresCluster::WaitStreaming(const PostgresCluster& standby,
                                            absl::Duration timeout) {
  const absl::Time started = absl::Now();
  absl::Status streaming = WaitForSql(
      *this,
      absl::StrCat("SELECT state FROM pg_stat_replication WHERE application_name = 'apptrust_",
                   standby.port_, "'"),
      "streaming", timeout);
  if (streaming.ok()) LogStep("standby streaming", started);
  return streaming;
}

absl::Status PostgresCluster::EnableSynchronousStandby(absl::Duration timeout) {
  const absl::Time started = absl::Now();
  absl::StatusOr<std::string> streaming =
      Sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", "postgres");
  if (!streaming.ok()) return streaming.status();
  if (*streaming == "0") {
    return absl::FailedPreconditionError(
        "no standby streams: every commit would wait for ever (WaitStreaming first)");
  }
  for (absl::string_view sql :
       {"ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (*)'", "SELECT pg_reload_conf()"}) {
    absl::StatusOr<std::string> done = Sql(sql, "postgres");
    if (!done.ok()) return done.status();
  }
  absl::Status synchronous = WaitForSql(*this,
                                        "SELECT count(*) > 0 FROM pg_stat_replication "
                                        "WHERE sync_state IN ('sync', 'quorum')",
                                        "t", timeout);
  if (synchronous.ok()) LogStep("synchronous standby", started);
  return synchronous;
}

absl::Status PostgresCluster::Kill() {
  if (server_ == nullptr) return absl::FailedPreconditionError("not running");
  kill(postmaster_pid_, SIGKILL);
  for (pid_t pid : ProcessesIn(data_dir_)) kill(pid, SIGKILL);
  (void)server_->Wait(absl::Seconds(10));
  server_.reset();
  postmaster_pid_ = -1;
  return WaitGone(data_dir_, absl::Seconds(10));
}

absl::Status PostgresCluster::Stop(absl::Duration timeout) {
  if (server_ == nullptr) return absl::OkStatus();
  kill(postmaster_pid_, SIGINT);
  absl::StatusOr<int> code = server_->Wait(timeout);
  if (!code.ok()) return code.status();
  server_.reset();
  postmaster_pid_ = -1;
  return WaitGone(data_dir_, absl::Seconds(10));
}

absl::Status PostgresCluster::Restart() {
  if (server_ != nullptr) return absl::FailedPreconditionError("still running");
  return Launch();
}

absl::Status PostgresCluster::Promote(absl::Duration timeout) {
  const absl::Time started = absl::Now();
  absl::StatusOr<std::string> promoted =
      Run(AsServerUser({Bin("pg_ctl"), "promote", "-D", data_dir_, "-w", "-t",
                        absl::StrCat(absl::ToInt64Seconds(timeout))}),
          timeout + absl::Seconds(5));
  if (!promoted.ok()) return promoted.status();
  absl::Status primary = WaitForSql(*this, "SELECT pg_is_in_recovery()", "f", timeout);
  if (primary.ok()) LogStep("promote", started);
  return primary;
}

std::vector<pid_t> PostgresCluster::server_processes() const { return ProcessesIn(data_dir_); }

bool PostgresCluster::running() { return server_ != nullptr && server_->running(); }

absl::StatusOr<std::string> PostgresCluster::Sql(absl::string_view sql,
                                                 absl::string_view database) {
  return Psql(absl::StrCat("host=", socket_dir(), " port=", port_, " user=", kServerUser,
                           " dbname=", database),
              sql);
}

absl::StatusOr<std::string> PostgresCluster::Psql(
    const std::string& uri, absl::string_view sql,
    const std::vector<std::pair<std::string, std::string>>& env) {
  // env -i: no PGPASSWORD, PGSSLMODE, PGSERVICE… from the test's environment.
  std::vector<std::string> argv = {"env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                   "PGPASSFILE=/nonexistent/pgpass", "PGCONNECT_TIMEOUT=10"};
  for (const auto& [name, value] : env) argv.push_back(absl::StrCat(name, "=", value));
  argv.insert(argv.end(), {Bin("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri,
                           "-c", std::string(sql)});
  absl::StatusOr<std::string> out = Run(std::move(argv), absl::Seconds(60));
  if (!out.ok()) return out.status();
  return std::string(absl::StripSuffix(*out, "\n"));
}

std::string PostgresCluster::host_port() const { return absl::StrCat(host(), ":", port_); }

std::string PostgresCluster::uri(absl::string_view query) const {
  return MultiHostUri({this}, query);
}

std::string PostgresCluster::tls_query() const {
  if (root_ca_path_.empty()) return "";
  return absl::StrCat("sslmode=verify-full&sslrootcert=", root_ca_path_);
}

std::string PostgresCluster::MultiHostUri(const std::vector<const PostgresCluster*>& clusters,
                                          absl::string_view query) {
  std::vector<std::string> hosts;
  for (const PostgresCluster* cluster : clusters) hosts.push_back(cluster->host_port());
  return absl::StrCat("postgresql://", kUser, "@", absl::StrJoin(hosts, ","), "/", kDatabase,
                      query.empty() ? "" : "?", query);
}

absl::Status PostgresCluster::WritePassFile(const std::string& path,
                                            const std::vector<const PostgresCluster*>& clusters) {
  // Fields are separated by ':'; '\' and ':' inside one are escaped.
  auto escape = [](absl::string_view field) {
    std::string out;
    for (char c : field) {
      if (c == '\\' || c == ':') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  };
  std::string content;
  for (const PostgresCluster* cluster : clusters) {
    absl::StrAppend(&content, cluster->host(), ":", cluster->port_, ":", kDatabase, ":", kUser, ":",
                    escape(cluster->password_), "\n");
  }
  // libpq ignores a password file that others can read.
  return WriteFile(path, content, 0600);
}

}  // namespace apptrust::testing
