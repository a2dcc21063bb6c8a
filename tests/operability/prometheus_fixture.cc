#include "tests/operability/prometheus_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "openssl/err.h"
#include "openssl/ssl.h"
#include "tests/support/http_client.h"

namespace apptrust::testing {
namespace {

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string OpenSslError() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

}  // namespace

std::string FindPrometheusBinary() {
  if (const char* explicit_path = std::getenv("APPTRUST_PROMETHEUS_BIN")) return explicit_path;
  for (const char* candidate : {"/usr/bin/prometheus", "/usr/local/bin/prometheus"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

absl::StatusOr<int> PickFreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("bind: ", std::strerror(errno)));
  }
  close(fd);
  return ntohs(address.sin_port);
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path_and_query) {
  absl::StatusOr<HttpResponse> response =
      HttpRequest(absl::StrCat("127.0.0.1:", port), "GET", path_and_query);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("HTTP ", response->status, ": ", response->body.substr(0, 500)));
  }
  return response->body;
}

absl::StatusOr<std::unique_ptr<PrometheusServer>> PrometheusServer::Start(
    const std::string& binary, const std::string& dir, const std::vector<Job>& jobs,
    const std::vector<std::string>& rule_files) {
  const std::string config_path = dir + "/prometheus.yml";
  {
    std::ofstream config(config_path);
    config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
              "  evaluation_interval: 1s\n";
    if (!rule_files.empty()) {
      config << "rule_files:\n";
      for (const auto& file : rule_files) config << "  - \"" << file << "\"\n";
    }
    config << "scrape_configs:\n";
    for (const auto& job : jobs) {
      config << "  - job_name: \"" << job.name << "\"\n    static_configs:\n"
             << "      - targets: [\"" << absl::StrJoin(job.targets, "\", \"") << "\"]\n";
    }
    if (!config) return absl::InternalError("cannot write " + config_path);
  }
  absl::Status last_error = absl::UnavailableError("not started");
  // The port is picked before prometheus binds it; another process may take
  // it in between, so try a few ports.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto port = PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    std::unique_ptr<PrometheusServer> server(new PrometheusServer());
    server->port_ = *port;
    auto process = Subprocess::Start(
        {binary, "--config.file=" + config_path,
         "--storage.tsdb.path=" + dir + "/data-" + std::to_string(attempt),
         "--web.listen-address=127.0.0.1:" + std::to_string(*port), "--log.level=warn"});
    if (!process.ok()) return process.status();
    server->process_ = std::move(*process);
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline && server->process_->running()) {
      if (HttpGet(*port, "/-/ready").ok()) return server;
      absl::SleepFor(absl::Milliseconds(100));
    }
    last_error = absl::UnavailableError(absl::StrCat("prometheus did not become ready on port ",
                                                     *port, ": ", server->process_->stderr_text()));
  }
  return last_error;
}

absl::StatusOr<std::vector<Sample>> PrometheusServer::Query(const std::string& promql) {
  auto body = HttpGet(port_, "/api/v1/query?query=" + UrlEncode(promql));
  if (!body.ok()) return body.status();
  google::protobuf::Struct answer;
  if (!google::protobuf::util::JsonStringToMessage(*body, &answer).ok()) {
    return absl::InternalError("unparsable answer: " + *body);
  }
  const auto& fields = answer.fields();
  if (!fields.contains("status") || fields.at("status").string_value() != "success") {
    return absl::InvalidArgumentError(absl::StrCat("query '", promql, "' failed: ", *body));
  }
  std::vector<Sample> samples;
  const auto& data = fields.at("data").struct_value().fields();
  if (data.at("resultType").string_value() != "vector") {
    return absl::InvalidArgumentError("not an instant vector: " + *body);
  }
  for (const auto& item : data.at("result").list_value().values()) {
    Sample sample;
    const auto& series = item.struct_value().fields();
    for (const auto& [name, value] : series.at("metric").struct_value().fields()) {
      sample.labels[name] = value.string_value();
    }
    const auto& pair = series.at("value").list_value().values();
    if (pair.size() != 2 || !absl::SimpleAtod(pair[1].string_value(), &sample.value)) {
      return absl::InternalError("unexpected sample in " + *body);
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::vector<Sample> PrometheusServer::QueryUntil(
    const std::string& promql, const std::function<bool(const std::vector<Sample>&)>& accept,
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<Sample> last;
  while (true) {
    auto samples = Query(promql);
    if (samples.ok()) {
      last = *samples;
      if (accept(last)) return last;
    }
    if (absl::Now() >= deadline) return last;
    absl::SleepFor(absl::Milliseconds(250));
  }
}

absl::StatusOr<std::string> PrometheusServer::Rules() { return HttpGet(port_, "/api/v1/rules"); }

absl::StatusOr<std::unique_ptr<LoopbackTlsServer>> LoopbackTlsServer::Start(
    const std::string& cert_path, const std::string& key_path) {
  // A probe that hangs up mid-handshake must not kill the test with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<LoopbackTlsServer> server(new LoopbackTlsServer());
  if (auto status = server->SetCertificate(cert_path, key_path); !status.ok()) return status;
  server->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (server->listen_fd_ < 0 ||
      bind(server->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(server->listen_fd_, 64) != 0 ||
      getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      pipe2(server->stop_pipe_, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("TLS server socket: ", std::strerror(errno)));
  }
  server->port_ = ntohs(address.sin_port);
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

LoopbackTlsServer::~LoopbackTlsServer() {
  if (thread_.joinable()) {
    const char stop = 's';
    (void)!write(stop_pipe_[1], &stop, 1);
    thread_.join();
  }
  for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]}) {
    if (fd >= 0) close(fd);
  }
  absl::MutexLock lock(&mutex_);
  SSL_CTX_free(ctx_);
}

absl::Status LoopbackTlsServer::SetCertificate(const std::string& cert_path,
                                               const std::string& key_path) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx, cert_path.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(ctx);
    return absl::InternalError("TLS server certificate: " + OpenSslError());
  }
  absl::MutexLock lock(&mutex_);
  SSL_CTX_free(ctx_);
  ctx_ = ctx;
  return absl::OkStatus();
}

void LoopbackTlsServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Bounded: a client that stalls costs at most these timeouts.
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    SSL* ssl;
    {
      absl::MutexLock lock(&mutex_);
      ssl = SSL_new(ctx_);
    }
    if (ssl != nullptr) {
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    ERR_clear_error();
    close(fd);
  }
}

namespace {

absl::Status RunOpenSsl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  auto process = Subprocess::Start(args);
  if (!process.ok()) return process.status();
  auto code = (*process)->Wait(absl::Seconds(30));
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("openssl ", args[1], " failed: ", (*process)->stderr_text()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MakeTestCa(const std::string& dir, const std::string& ca) {
  return RunOpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-days", "30", "-subj", "/O=AppTrust Operability Test/CN=" + ca,
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign", "-keyout", dir + "/" + ca + ".key",
                     "-out", dir + "/" + ca + ".crt"});
}

absl::Status IssueLoopbackCert(const std::string& dir, const std::string& ca,
                               const std::string& leaf) {
  const std::string base = dir + "/" + leaf;
  {
    std::ofstream extensions(base + ".ext");
    extensions << "basicConstraints=critical,CA:FALSE\n"
                  "keyUsage=critical,digitalSignature\n"
                  "extendedKeyUsage=serverAuth\n"
                  "subjectAltName=IP:127.0.0.1\n";
  }
  if (auto status =
          RunOpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-subj", "/CN=127.0.0.1", "-keyout", base + ".key", "-out", base + ".csr"});
      !status.ok()) {
    return status;
  }
  return RunOpenSsl({"x509", "-req", "-in", base + ".csr", "-CA", dir + "/" + ca + ".crt", "-CAkey",
                     dir + "/" + ca + ".key", "-CAcreateserial", "-days", "30", "-extfile",
                     base + ".ext", "-out", base + ".crt"});
}

}  // namespace apptrust::testing
