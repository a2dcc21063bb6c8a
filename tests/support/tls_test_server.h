// A real TLS server on a loopback port, in-process on its own threads, for
// probe and end-to-end tests. It serves a certificate chain from the TestPki
// (swappable at runtime: enroll, swap to an expired / DV / other-org cert,
// refresh) and can behave like the hostile or outdated peers the probe must
// survive. It counts accepted TCP connections and completed TLS handshakes so
// tests can assert "exactly one handshake" (singleflight) or "no connection
// at all" (SSRF refusal).
//
// Each accepted connection is served on its own short-lived thread (a test
// fixture, not a model for production code). SIGPIPE is blocked on those
// threads. The destructor closes the listener and waits for every
// connection thread.
#ifndef APPTRUST_TESTS_SUPPORT_TLS_TEST_SERVER_H_
#define APPTRUST_TESTS_SUPPORT_TLS_TEST_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/support/test_pki.h"

namespace apptrust::testing {

enum class TlsServerMode {
  kNormal,       // TLS 1.2–1.3 handshake with the configured chain
  kSilent,       // accepts and never sends a byte
  kGarbage,      // answers the ClientHello with non-TLS junk, then closes
  kPlainHttp,    // answers with an HTTP/1.1 response, then closes
  kTls10And11,   // TLS 1.0 and 1.1 only (security level 0)
  kCloseAtOnce,  // accepts and closes immediately
};

struct TlsTestServerOptions {
  TlsServerMode mode = TlsServerMode::kNormal;
  // "127.0.0.1" or "::1".
  std::string bind_address = "127.0.0.1";
  // Appends this many extra copies of the intermediate to the chain sent
  // (a "huge chain"; the probe's chain caps must stop it).
  int extra_chain_copies = 0;
  // DER OCSP response to staple when the client asks (TestPki::OcspResponse).
  std::string ocsp_response;
  // A slow but healthy host: waits this long after accepting before it
  // answers the ClientHello (kNormal and kTls10And11).
  absl::Duration handshake_delay = absl::ZeroDuration();
};

class TlsTestServer {
 public:
  static absl::StatusOr<std::unique_ptr<TlsTestServer>> Start(
      const IssuedCert& cert, const TlsTestServerOptions& options = {});
  ~TlsTestServer();
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;

  uint16_t port() const { return port_; }
  // "127.0.0.1:port" or "[::1]:port".
  std::string address() const;

  // Serves `cert` (and the given options' chain copies / OCSP staple) to
  // connections accepted from now on.
  absl::Status SetCertificate(const IssuedCert& cert, const TlsTestServerOptions& options);
  absl::Status SetCertificate(const IssuedCert& cert);  // keeps the current options
  void SetMode(TlsServerMode mode);
  // Keeps the certificate and mode; sets options.handshake_delay.
  absl::Status SetHandshakeDelay(absl::Duration delay);

  int accepted_connections() const { return accepted_.load(); }
  int completed_handshakes() const { return handshakes_.load(); }
  // Waits until completed_handshakes() >= n (the server side finishes its
  // handshake a moment after the client). False on timeout.
  bool WaitForHandshakes(int n, absl::Duration timeout = absl::Seconds(10)) const;

 private:
  struct Context;
  TlsTestServer() = default;
  void AcceptLoop();
  void Serve(int fd);
  absl::StatusOr<std::shared_ptr<Context>> BuildContext(const IssuedCert& cert,
                                                        const TlsTestServerOptions& options,
                                                        TlsServerMode mode);

  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: readable once stopping
  uint16_t port_ = 0;
  std::string bind_address_;
  std::atomic<int> accepted_{0};
  std::atomic<int> handshakes_{0};
  std::thread acceptor_;

  mutable absl::Mutex mutex_;
  std::shared_ptr<Context> context_ ABSL_GUARDED_BY(mutex_);
  IssuedCert cert_ ABSL_GUARDED_BY(mutex_);
  TlsTestServerOptions options_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::thread> connections_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_TLS_TEST_SERVER_H_
