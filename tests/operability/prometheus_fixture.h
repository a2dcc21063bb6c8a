// Fixtures of the operability tests: a real Prometheus server (Debian's
// `prometheus` package) on loopback scraping given targets, read back
// through its HTTP API; and a minimal TLS server on loopback whose
// certificate a test can swap, so the decision service has something to
// probe and, after a swap, something to suspend.
#ifndef APPTRUST_TESTS_OPERABILITY_PROMETHEUS_FIXTURE_H_
#define APPTRUST_TESTS_OPERABILITY_PROMETHEUS_FIXTURE_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace apptrust::testing {

// The path of the prometheus binary, or "" when it is not installed.
std::string FindPrometheusBinary();

// A port on 127.0.0.1 that was free a moment ago (for programs that print no
// bound address, like prometheus).
absl::StatusOr<int> PickFreeLoopbackPort();

// GET http://127.0.0.1:port/path; returns the body of a 200 answer.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path_and_query);

struct Sample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

class PrometheusServer {
 public:
  struct Job {
    std::string name;
    std::vector<std::string> targets;  // host:port serving /metrics
  };
  // Starts prometheus with a 1 s scrape interval, `rule_files` loaded, the
  // TSDB in `dir`, and the web API on a free loopback port; returns once it
  // answers /-/ready.
  static absl::StatusOr<std::unique_ptr<PrometheusServer>> Start(
      const std::string& binary, const std::string& dir, const std::vector<Job>& jobs,
      const std::vector<std::string>& rule_files);

  // An instant query through /api/v1/query.
  absl::StatusOr<std::vector<Sample>> Query(const std::string& promql);

  // Repeats Query until `accept` returns true or `timeout` passes; returns the
  // last result either way (a test then asserts on it, so a timeout shows
  // what Prometheus had).
  std::vector<Sample> QueryUntil(const std::string& promql,
                                 const std::function<bool(const std::vector<Sample>&)>& accept,
                                 absl::Duration timeout = absl::Seconds(30));

  // The body of /api/v1/rules (JSON).
  absl::StatusOr<std::string> Rules();

  int port() const { return port_; }
  Subprocess& process() { return *process_; }

 private:
  PrometheusServer() = default;
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
};

// Accepts TLS connections on 127.0.0.1:<ephemeral>, completes the handshake
// with the current certificate and closes. Runs one thread; stops in the
// destructor.
class LoopbackTlsServer {
 public:
  static absl::StatusOr<std::unique_ptr<LoopbackTlsServer>> Start(const std::string& cert_path,
                                                                  const std::string& key_path);
  ~LoopbackTlsServer();

  // Later handshakes present this certificate.
  absl::Status SetCertificate(const std::string& cert_path, const std::string& key_path);
  int port() const { return port_; }

 private:
  LoopbackTlsServer() = default;
  void Serve();

  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  absl::Mutex mutex_;
  SSL_CTX* ctx_ ABSL_GUARDED_BY(mutex_) = nullptr;
  std::thread thread_;
};

// With the openssl command line, in `dir`: a CA (<ca>.crt, <ca>.key), and a
// server certificate for IP 127.0.0.1 issued by it (<leaf>.crt, <leaf>.key).
absl::Status MakeTestCa(const std::string& dir, const std::string& ca);
absl::Status IssueLoopbackCert(const std::string& dir, const std::string& ca,
                               const std::string& leaf);

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_OPERABILITY_PROMETHEUS_FIXTURE_H_
