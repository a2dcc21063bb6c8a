#include "common/probe/tls_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/probe/certificate_facts.h"
#include "common/probe/local_resource_error.h"
#include "common/text/utf8.h"

namespace apptrust::probe {
namespace {

std::string LastSslError() {
  unsigned long code = ERR_peek_last_error();
  if (code == 0) {
    return "unknown TLS error";
  }
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// Drains the error queue, returning the SSL library's reason codes.
std::vector<int> SslErrorReasons() {
  std::vector<int> reasons;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    if (ERR_GET_LIB(code) == ERR_LIB_SSL) {
      reasons.push_back(ERR_GET_REASON(code));
    }
  }
  return reasons;
}

STACK_OF(X509) * PeerChain(SSL* ssl) {
#ifdef APPTRUST_BORINGSSL
  return SSL_get_peer_full_cert_chain(ssl);
#else
  return SSL_get_peer_cert_chain(ssl);  // client side: includes the leaf
#endif
}

}  // namespace

absl::StatusOr<SslCtxPtr> NewProbeSslContext(size_t max_chain_bytes) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) {
    return absl::InternalError("SSL_CTX_new failed: " + LastSslError());
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
#ifndef APPTRUST_BORINGSSL
  // Observe outdated servers instead of refusing them: the policy judges.
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
  SSL_CTX_set_options(ctx.get(), SSL_OP_LEGACY_SERVER_CONNECT);
#else
  SSL_CTX_set_cipher_list(ctx.get(), "ALL");
#endif
  SSL_CTX_set_max_cert_list(ctx.get(), max_chain_bytes);
  ERR_clear_error();
  return ctx;
}

std::shared_ptr<TlsProbe> TlsProbe::Start(EventLoop* loop, const TlsProbeSettings& settings,
                                          const net::IpAddress& address, uint16_t port,
                                          const std::string& host, bool host_is_ip_literal,
                                          absl::Time deadline, Done done) {
  std::shared_ptr<TlsProbe> probe(new TlsProbe(loop, settings));
  probe->host_ = host;
  probe->host_is_ip_literal_ = host_is_ip_literal;
  probe->done_ = std::move(done);
  probe->Begin(address, port, deadline);
  return probe;
}

TlsProbe::~TlsProbe() { Close(); }

void TlsProbe::Cancel() {
  finished_ = true;
  done_ = nullptr;
  Close();
}

void TlsProbe::Close() {
  if (timer_ != 0) {
    loop_->CancelTimer(timer_);
  }
  timer_ = 0;
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    loop_->UnwatchFd(fd_);
    close(fd_);
    fd_ = -1;
  }
}

void TlsProbe::Finish(v1::ProbeOutcome outcome, std::string error) {
  if (finished_) {
    return;
  }
  finished_ = true;
  v1::TlsFingerprint tls;
  tls.set_outcome(outcome);
  // OpenSSL's error texts can quote what the peer sent.
  tls.set_error(text::ToValidUtf8(error));
  tls.set_peer_address(peer_address_);
  Close();
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) {
    done(std::move(tls), PeerCertificates{});
  }
}

void TlsProbe::Begin(const net::IpAddress& address, uint16_t port, absl::Time deadline) {
  // An IPv4-mapped address is the IPv4 host it names; connect to it as such.
  net::IpAddress target = address.MappedV4().value_or(address);
  peer_address_ = address.ToString();
  budget_ = deadline - absl::Now();
  std::weak_ptr<TlsProbe> weak = weak_from_this();
  timer_ = loop_->AddTimer(deadline, [weak] {
    if (auto self = weak.lock()) {
      self->timer_ = 0;
      self->Finish(v1::PROBE_OUTCOME_TIMEOUT,
                   self->connected_ ? absl::StrCat("no TLS handshake within ",
                                                   absl::FormatDuration(self->budget_),
                                                   " (peer silent or too slow)")
                                    : absl::StrCat("TCP connect did not complete within ",
                                                   absl::FormatDuration(self->budget_)));
    }
  });

  sockaddr_storage storage;
  std::memset(&storage, 0, sizeof(storage));
  socklen_t length;
  if (target.is_v6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, target.bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, target.bytes.data(), 4);
    length = sizeof(sockaddr_in);
  }
  fd_ = socket(target.is_v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    const int error = errno;
    Finish(OutcomeForErrno(error, v1::PROBE_OUTCOME_ERROR),
           absl::StrCat("socket: ", std::strerror(error)));
    return;
  }
  int rc = connect(fd_, reinterpret_cast<sockaddr*>(&storage), length);
  if (rc == 0) {
    StartHandshake();
    return;
  }
  if (errno != EINPROGRESS) {
    int error = errno;
    Finish(error == ECONNREFUSED ? v1::PROBE_OUTCOME_CONNECTION_REFUSED
                                 : OutcomeForErrno(error, v1::PROBE_OUTCOME_ERROR),
           absl::StrCat("connect: ", std::strerror(error)));
    return;
  }
  std::weak_ptr<TlsProbe> self = weak_from_this();
  loop_->WatchFd(fd_, false, true, [self](bool, bool) {
    if (auto probe = self.lock()) {
      probe->OnConnectReady();
    }
  });
}

void TlsProbe::OnConnectReady() {
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
    error = errno;
  }
  if (error == EINPROGRESS) {
    return;
  }
  if (error != 0) {
    v1::ProbeOutcome outcome = OutcomeForErrno(error, v1::PROBE_OUTCOME_ERROR);
    if (error == ECONNREFUSED) {
      outcome = v1::PROBE_OUTCOME_CONNECTION_REFUSED;
    }
    if (error == ECONNRESET) {
      outcome = v1::PROBE_OUTCOME_CONNECTION_RESET;
    }
    if (error == ETIMEDOUT) {
      outcome = v1::PROBE_OUTCOME_TIMEOUT;
    }
    Finish(outcome, absl::StrCat("connect: ", std::strerror(error)));
    return;
  }
  StartHandshake();
}

void TlsProbe::StartHandshake() {
  connected_ = true;
  ssl_ = SSL_new(settings_.ssl_ctx);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    // Fails only when memory runs out: ours, not the app's.
    Finish(v1::PROBE_OUTCOME_LOCAL_ERROR, "SSL_new: " + LastSslError());
    return;
  }
  if (!host_is_ip_literal_) {
    SSL_set_tlsext_host_name(ssl_, host_.c_str());
  }
  SSL_set_connect_state(ssl_);
  std::weak_ptr<TlsProbe> self = weak_from_this();
  loop_->WatchFd(fd_, true, false, [self](bool, bool) {
    if (auto probe = self.lock()) {
      probe->ContinueHandshake();
    }
  });
  ContinueHandshake();
}

void TlsProbe::ContinueHandshake() {
  if (finished_) {
    return;
  }
  ERR_clear_error();
  errno = 0;
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    Inspect();
    return;
  }
  int saved_errno = errno;
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      loop_->UpdateFd(fd_, true, false);
      return;
    case SSL_ERROR_WANT_WRITE:
      loop_->UpdateFd(fd_, false, true);
      return;
    case SSL_ERROR_ZERO_RETURN:
      Finish(v1::PROBE_OUTCOME_CONNECTION_RESET, "peer closed the connection during the handshake");
      return;
    case SSL_ERROR_SYSCALL:
      if (saved_errno == 0 || saved_errno == ECONNRESET || saved_errno == EPIPE) {
        Finish(v1::PROBE_OUTCOME_CONNECTION_RESET,
               saved_errno == 0 ? "peer closed the connection during the handshake"
                                : absl::StrCat("handshake: ", std::strerror(saved_errno)));
      } else {
        Finish(OutcomeForErrno(saved_errno, v1::PROBE_OUTCOME_ERROR),
               absl::StrCat("handshake: ", std::strerror(saved_errno)));
      }
      return;
    default: {
      std::string text = LastSslError();
      std::vector<int> reasons = SslErrorReasons();
      auto has = [&](int reason) {
        return std::find(reasons.begin(), reasons.end(), reason) != reasons.end();
      };
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
      // OpenSSL 3 reports a close without close_notify as a protocol error;
      // for the probe it is the peer hanging up, like a reset.
      if (has(SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        Finish(v1::PROBE_OUTCOME_CONNECTION_RESET,
               "peer closed the connection during the handshake");
        return;
      }
#endif
      if (has(SSL_R_EXCESSIVE_MESSAGE_SIZE)) {
        Finish(v1::PROBE_OUTCOME_ERROR,
               absl::StrCat("certificate chain larger than the cap of ", settings_.max_chain_bytes,
                            " bytes (", text, ")"));
        return;
      }
      Finish(v1::PROBE_OUTCOME_NO_TLS, absl::StrCat("no TLS handshake: ", text));
      return;
    }
  }
}

void TlsProbe::Inspect() {
  STACK_OF(X509)* chain = PeerChain(ssl_);
  if (chain == nullptr || sk_X509_num(chain) == 0) {
    Finish(v1::PROBE_OUTCOME_NO_TLS, "handshake completed without a server certificate");
    return;
  }
  int count = static_cast<int>(sk_X509_num(chain));
  if (count > settings_.max_chain_certs) {
    Finish(v1::PROBE_OUTCOME_ERROR, absl::StrCat("peer sent ", count, " certificates (cap ",
                                                 settings_.max_chain_certs, ")"));
    return;
  }
  size_t bytes = 0;
  for (int i = 0; i < count; ++i) {
    int len = i2d_X509(sk_X509_value(chain, i), nullptr);
    bytes += len > 0 ? static_cast<size_t>(len) : 0;
  }
  if (bytes > settings_.max_chain_bytes) {
    Finish(v1::PROBE_OUTCOME_ERROR,
           absl::StrCat("certificate chain of ", bytes, " bytes exceeds the cap of ",
                        settings_.max_chain_bytes));
    return;
  }

  v1::TlsFingerprint tls;
  tls.set_outcome(v1::PROBE_OUTCOME_OK);
  tls.set_present(true);
  tls.set_peer_address(peer_address_);
  tls.set_protocol_version(SSL_get_version(ssl_));
  tls.set_tls12_or_newer(SSL_version(ssl_) >= TLS1_2_VERSION);
  ChainContext context;
  context.host = host_;
  context.host_is_ip_literal = host_is_ip_literal_;
  context.now = settings_.clock ? settings_.clock() : absl::Now();
  DescribeCertificateChain(chain, settings_.trust, context, &tls);

  // Filled by the revocation check; a stapled OCSP response is not read:
  // its signature is not verified, so it is not evidence.
  tls.set_revocation(v1::REVOCATION_UNKNOWN);
  PeerCertificates peer;
  peer.leaf = ShareCertificate(sk_X509_value(chain, 0));
  peer.issuer = ShareCertificate(FindIssuer(chain, peer.leaf.get()));
  // Best-effort close_notify; the probe never waits for the peer's.
  SSL_shutdown(ssl_);
  ERR_clear_error();

  finished_ = true;
  Close();
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) {
    done(std::move(tls), std::move(peer));
  }
}

}  // namespace apptrust::probe
