// One non-blocking TLS observation of one address: TCP connect, TLS handshake
// with SNI, then the certificate facts (certificate_facts.h), the negotiated
// protocol. Driven by the EventLoop; no thread. Revocation is checked
// afterwards, from the issuer's CRL (revocation_checker.h).
//
// The client accepts whatever the server negotiates from TLS 1.0 to 1.3 (and
// any cipher, security level 0 on OpenSSL): the probe's job is to observe an
// outdated server as "TLSv1" and let the policy judge it, not to fail the
// handshake. Certificates are never rejected during the handshake; trust and
// host-name matching are computed afterwards and reported.
//
// How it ends (TlsFingerprint.outcome): OK; CONNECTION_REFUSED; CONNECTION_RESET
// (reset, or closed before a handshake completed); NO_TLS (the peer answered
// with something that is not an acceptable TLS handshake: plain HTTP, garbage,
// no common version or cipher, a fatal alert); TIMEOUT (connect or handshake
// not finished by the deadline: a silent peer costs one timer); ERROR (a cap
// was exceeded — chain longer than max_chain_certs or larger than
// max_chain_bytes — or another failure; see `error`); LOCAL_ERROR (this
// process lacked a descriptor, memory or a local port: local_resource_error.h).
#ifndef APPTRUST_COMMON_PROBE_TLS_PROBE_H_
#define APPTRUST_COMMON_PROBE_TLS_PROBE_H_

#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/net/address_policy.h"
#include "common/probe/crl.h"
#include "common/probe/event_loop.h"

namespace apptrust::probe {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

// The probe's client context: TLS 1.0–1.3, no verification during the
// handshake, certificate messages capped at
// `max_chain_bytes`.
absl::StatusOr<SslCtxPtr> NewProbeSslContext(size_t max_chain_bytes);

struct TlsProbeSettings {
  SSL_CTX* ssl_ctx = nullptr;   // from NewProbeSslContext; outlives the probe
  X509_STORE* trust = nullptr;  // outlives the probe
  int max_chain_certs = 10;
  size_t max_chain_bytes = 64 * 1024;
  std::function<absl::Time()> clock;  // for verification time
};

// The leaf and, when the peer sent it, the certificate that issued it: what
// the revocation check needs after the connection is gone.
struct PeerCertificates {
  X509Ptr leaf;
  X509Ptr issuer;
};

class TlsProbe : public std::enable_shared_from_this<TlsProbe> {
 public:
  // `peer` is empty unless the handshake completed (outcome OK).
  using Done = std::function<void(v1::TlsFingerprint, PeerCertificates peer)>;

  // Loop thread only. Connects to `address`:`port` (exactly that address: no
  // lookup happens here), sends SNI `host` unless it is an IP literal, and
  // calls `done` exactly once on the loop thread, no later than `deadline` —
  // unless Cancel() is called first.
  static std::shared_ptr<TlsProbe> Start(EventLoop* loop, const TlsProbeSettings& settings,
                                         const net::IpAddress& address, uint16_t port,
                                         const std::string& host, bool host_is_ip_literal,
                                         absl::Time deadline, Done done);
  ~TlsProbe();

  // Loop thread only. Abandons the probe: closes the socket, `done` is not
  // called.
  void Cancel();

 private:
  TlsProbe(EventLoop* loop, const TlsProbeSettings& settings) : loop_(loop), settings_(settings) {}
  void Begin(const net::IpAddress& address, uint16_t port, absl::Time deadline);
  void OnConnectReady();
  void StartHandshake();
  void ContinueHandshake();
  void Inspect();
  void Finish(v1::ProbeOutcome outcome, std::string error);
  void Close();

  EventLoop* loop_;
  TlsProbeSettings settings_;
  std::string host_;
  bool host_is_ip_literal_ = false;
  std::string peer_address_;
  Done done_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  bool finished_ = false;
  EventLoop::TimerId timer_ = 0;
  absl::Duration budget_;
};

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_TLS_PROBE_H_
