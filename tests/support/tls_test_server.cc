#include "tests/support/tls_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace apptrust::testing {
namespace {

void BlockSigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string SslError(absl::string_view what) {
  unsigned long code = ERR_get_error();
  char text[256] = "unknown";
  if (code != 0) {
    ERR_error_string_n(code, text, sizeof(text));
  }
  ERR_clear_error();
  return absl::StrCat(what, ": ", text);
}

// Waits until `fd` is readable, the server stops, or `timeout` passes.
// True when `fd` is readable.
bool WaitReadable(int fd, int stop_fd, int timeout_ms) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  if (poll(fds, 2, timeout_ms) <= 0) {
    return false;
  }
  return fds[1].revents == 0 && fds[0].revents != 0;
}

int OcspCallback(SSL* ssl, void* arg) {
  const auto* der = static_cast<const std::string*>(arg);
  if (der == nullptr || der->empty()) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(der->size()));
  std::copy(der->begin(), der->end(), copy);
  SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(der->size()));
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

struct TlsTestServer::Context {
  SSL_CTX* ctx = nullptr;
  TlsServerMode mode = TlsServerMode::kNormal;
  absl::Duration handshake_delay;
  std::string ocsp;  // must outlive ctx (the callback's argument)
  ~Context() {
    if (ctx != nullptr) {
      SSL_CTX_free(ctx);
    }
  }
};

absl::StatusOr<std::shared_ptr<TlsTestServer::Context>> TlsTestServer::BuildContext(
    const IssuedCert& cert, const TlsTestServerOptions& options, TlsServerMode mode) {
  auto context = std::make_shared<Context>();
  context->mode = mode;
  context->handshake_delay = options.handshake_delay;
  context->ocsp = options.ocsp_response;
  context->ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* ctx = context->ctx;
  if (ctx == nullptr) {
    return absl::InternalError(SslError("SSL_CTX_new"));
  }
  SSL_CTX_set_num_tickets(ctx, 0);
  if (mode == TlsServerMode::kTls10And11) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
  } else {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  }
  BIO* bio = BIO_new_mem_buf(cert.chain_pem.data(), static_cast<int>(cert.chain_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  bool ok = leaf != nullptr && SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  std::vector<X509*> rest;
  while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    rest.push_back(extra);
  }
  ERR_clear_error();  // end of PEM data
  BIO_free(bio);
  for (X509* extra : rest) {
    ok = ok && SSL_CTX_add1_chain_cert(ctx, extra) == 1;
  }
  if (!rest.empty()) {
    for (int i = 0; i < options.extra_chain_copies; ++i) {
      ok = ok && SSL_CTX_add1_chain_cert(ctx, rest.back()) == 1;
    }
  }
  for (X509* extra : rest) {
    X509_free(extra);
  }
  BIO* key_bio = BIO_new_mem_buf(cert.key_pem.data(), static_cast<int>(cert.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  ok = ok && key != nullptr && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!ok) {
    return absl::InternalError(SslError("loading the certificate chain"));
  }
  if (!context->ocsp.empty()) {
    SSL_CTX_set_tlsext_status_cb(ctx, &OcspCallback);
    SSL_CTX_set_tlsext_status_arg(ctx, &context->ocsp);
  }
  return context;
}

absl::StatusOr<std::unique_ptr<TlsTestServer>> TlsTestServer::Start(
    const IssuedCert& cert, const TlsTestServerOptions& options) {
  std::unique_ptr<TlsTestServer> server(new TlsTestServer());
  server->bind_address_ = options.bind_address;
  {
    absl::StatusOr<std::shared_ptr<Context>> context =
        server->BuildContext(cert, options, options.mode);
    if (!context.ok()) {
      return context.status();
    }
    absl::MutexLock lock(&server->mutex_);
    server->context_ = *context;
    server->cert_ = cert;
    server->options_ = options;
  }
  bool v6 = options.bind_address.find(':') != std::string::npos;
  sockaddr_storage storage;
  std::memset(&storage, 0, sizeof(storage));
  socklen_t length;
  if (v6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, options.bind_address.c_str(), &sin6->sin6_addr) != 1) {
      return absl::InvalidArgumentError("bad bind address " + options.bind_address);
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    if (inet_pton(AF_INET, options.bind_address.c_str(), &sin->sin_addr) != 1) {
      return absl::InvalidArgumentError("bad bind address " + options.bind_address);
    }
    length = sizeof(sockaddr_in);
  }
  server->listen_fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server->listen_fd_ < 0 ||
      bind(server->listen_fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      listen(server->listen_fd_, 512) != 0) {
    return absl::InternalError(
        absl::StrCat("listen on ", options.bind_address, ": ", std::strerror(errno)));
  }
  getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&storage), &length);
  server->port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  server->stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

TlsTestServer::~TlsTestServer() {
  uint64_t one = 1;
  if (stop_fd_ >= 0) {
    ssize_t ignored = write(stop_fd_, &one, sizeof(one));
    (void)ignored;
  }
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mutex_);
    threads.swap(connections_);
  }
  for (std::thread& t : threads) {
    t.join();
  }
  if (listen_fd_ >= 0) {
    close(listen_fd_);
  }
  if (stop_fd_ >= 0) {
    close(stop_fd_);
  }
}

std::string TlsTestServer::address() const {
  if (bind_address_.find(':') != std::string::npos) {
    return absl::StrCat("[", bind_address_, "]:", port_);
  }
  return absl::StrCat(bind_address_, ":", port_);
}

absl::Status TlsTestServer::SetCertificate(const IssuedCert& cert,
                                           const TlsTestServerOptions& options) {
  TlsServerMode mode;
  {
    absl::MutexLock lock(&mutex_);
    mode = context_->mode;
  }
  absl::StatusOr<std::shared_ptr<Context>> context = BuildContext(cert, options, mode);
  if (!context.ok()) {
    return context.status();
  }
  absl::MutexLock lock(&mutex_);
  context_ = *context;
  cert_ = cert;
  options_ = options;
  return absl::OkStatus();
}

absl::Status TlsTestServer::SetCertificate(const IssuedCert& cert) {
  TlsTestServerOptions options;
  {
    absl::MutexLock lock(&mutex_);
    options = options_;
  }
  return SetCertificate(cert, options);
}

void TlsTestServer::SetMode(TlsServerMode mode) {
  IssuedCert cert;
  TlsTestServerOptions options;
  {
    absl::MutexLock lock(&mutex_);
    cert = cert_;
    options = options_;
  }
  absl::StatusOr<std::shared_ptr<Context>> context = BuildContext(cert, options, mode);
  if (!context.ok()) {
    return;
  }
  absl::MutexLock lock(&mutex_);
  context_ = *context;
}

absl::Status TlsTestServer::SetHandshakeDelay(absl::Duration delay) {
  IssuedCert cert;
  TlsTestServerOptions options;
  {
    absl::MutexLock lock(&mutex_);
    cert = cert_;
    options = options_;
  }
  options.handshake_delay = delay;
  return SetCertificate(cert, options);
}

bool TlsTestServer::WaitForHandshakes(int n, absl::Duration timeout) const {
  absl::Time until = absl::Now() + timeout;
  while (handshakes_.load() < n) {
    if (absl::Now() > until) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

void TlsTestServer::AcceptLoop() {
  BlockSigpipe();
  while (true) {
    if (!WaitReadable(listen_fd_, stop_fd_, -1)) {
      return;
    }
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    accepted_.fetch_add(1);
    absl::MutexLock lock(&mutex_);
    connections_.emplace_back([this, fd] {
      BlockSigpipe();
      Serve(fd);
      close(fd);
    });
  }
}

void TlsTestServer::Serve(int fd) {
  std::shared_ptr<Context> context;
  {
    absl::MutexLock lock(&mutex_);
    context = context_;
  }
  char buffer[4096];
  switch (context->mode) {
    case TlsServerMode::kCloseAtOnce:
      return;
    case TlsServerMode::kSilent:
      // Never speak; hold the connection until the peer leaves or we stop.
      while (WaitReadable(fd, stop_fd_, -1)) {
        if (recv(fd, buffer, sizeof(buffer), 0) <= 0) {
          return;
        }
      }
      return;
    case TlsServerMode::kGarbage: {
      if (WaitReadable(fd, stop_fd_, 10000)) {
        recv(fd, buffer, sizeof(buffer), 0);
      }
      static constexpr char kJunk[] =
          "\x00\x01\x02 this is not TLS at all \xff\xfe\xfd garbage garbage garbage\r\n";
      send(fd, kJunk, sizeof(kJunk) - 1, MSG_NOSIGNAL);
      absl::SleepFor(absl::Milliseconds(50));
      return;
    }
    case TlsServerMode::kPlainHttp: {
      if (WaitReadable(fd, stop_fd_, 10000)) {
        recv(fd, buffer, sizeof(buffer), 0);
      }
      static constexpr char kResponse[] =
          "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
          "Connection: close\r\n\r\nbad request";
      send(fd, kResponse, sizeof(kResponse) - 1, MSG_NOSIGNAL);
      absl::SleepFor(absl::Milliseconds(50));
      return;
    }
    case TlsServerMode::kNormal:
    case TlsServerMode::kTls10And11:
      // A slow host: bounded, so the destructor's wait for this thread is too.
      absl::SleepFor(context->handshake_delay);
      break;
  }
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  SSL* ssl = SSL_new(context->ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    handshakes_.fetch_add(1);
    // Serve until the client closes (probes close right after the handshake).
    while (WaitReadable(fd, stop_fd_, 10000)) {
      if (SSL_read(ssl, buffer, sizeof(buffer)) <= 0) {
        break;
      }
    }
  }
  ERR_clear_error();
  SSL_free(ssl);
}

}  // namespace apptrust::testing
