// A webhook receiver on loopback for tests: a real HTTPS/1.1 server (OpenSSL,
// a certificate from the TestPki) that records every request it reads and
// answers as the test scripts it — 204 by default, a given status (with an
// optional Retry-After) for the next N requests, or nothing at all (it reads
// the request and keeps the connection open without a word, like a hung
// application server).
//
// One request per connection ("Connection: close"), each connection on its
// own short-lived thread (a fixture, not a model for production code). The
// destructor stops accepting, releases silent connections and joins every
// thread. Thread-safe.
#ifndef APPTRUST_TESTS_SUPPORT_WEBHOOK_RECEIVER_H_
#define APPTRUST_TESTS_SUPPORT_WEBHOOK_RECEIVER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/support/test_pki.h"

namespace apptrust::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;  // "/hook?x=1"
  // Header names in lower case; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;
  int answered_status = 0;  // 0: kept silent
};

struct ReceiverAnswer {
  int status = 204;
  std::string retry_after;  // sent as Retry-After when not empty
  bool silent = false;      // read the request, never answer

  static ReceiverAnswer Status(int status, std::string retry_after = "") {
    ReceiverAnswer answer;
    answer.status = status;
    answer.retry_after = std::move(retry_after);
    return answer;
  }
  static ReceiverAnswer Silent() {
    ReceiverAnswer answer;
    answer.silent = true;
    return answer;
  }
};

class WebhookReceiver {
 public:
  // Listens on 127.0.0.1 (a port the kernel picks) and serves `cert`'s chain;
  // a receiver URL must name a host the certificate holds (an IP SAN
  // 127.0.0.1, or a DNS name the test's dnsmasq maps to 127.0.0.1).
  static absl::StatusOr<std::unique_ptr<WebhookReceiver>> Start(const IssuedCert& cert);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  uint16_t port() const { return port_; }
  // "https://<host>:<port><path>".
  std::string Url(const std::string& host = "127.0.0.1", const std::string& path = "/hook") const;

  // The next `count` requests get `answer`; later ones the default again.
  void AnswerNext(int count, ReceiverAnswer answer);
  // The answer for requests no AnswerNext covers (initially 204).
  void SetDefaultAnswer(ReceiverAnswer answer);

  // Every request read so far, in arrival order.
  std::vector<ReceivedRequest> Requests() const;
  // Waits until at least `count` requests have been read. False on timeout.
  bool WaitForRequests(size_t count, absl::Duration timeout = absl::Seconds(30)) const;

 private:
  WebhookReceiver() = default;
  void AcceptLoop();
  void Serve(int fd);
  ReceiverAnswer NextAnswer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  struct SslContext;
  std::unique_ptr<SslContext> ssl_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: readable once the destructor runs
  uint16_t port_ = 0;
  std::thread acceptor_;

  mutable absl::Mutex mutex_;
  std::vector<std::thread> connections_ ABSL_GUARDED_BY(mutex_);
  std::vector<ReceivedRequest> requests_ ABSL_GUARDED_BY(mutex_);
  std::deque<ReceiverAnswer> scripted_ ABSL_GUARDED_BY(mutex_);
  ReceiverAnswer default_answer_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_WEBHOOK_RECEIVER_H_
