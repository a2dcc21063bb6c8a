#include "tests/support/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace apptrust::testing {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 4 * 1024 * 1024;

// Both descriptors polled: true when `fd` has input (or hung up) before the
// receiver stops or `timeout_ms` passes.
bool InputBeforeStop(int fd, int stop_fd, int timeout_ms) {
  pollfd watched[] = {{stop_fd, POLLIN, 0}, {fd, POLLIN, 0}};
  return poll(watched, 2, timeout_ms) > 0 && watched[0].revents == 0;
}

}  // namespace

struct WebhookReceiver::SslContext {
  SSL_CTX* ctx = nullptr;
  ~SslContext() { SSL_CTX_free(ctx); }
};

absl::StatusOr<std::unique_ptr<WebhookReceiver>> WebhookReceiver::Start(const IssuedCert& cert) {
  std::unique_ptr<WebhookReceiver> receiver(new WebhookReceiver());
  receiver->ssl_ = std::make_unique<SslContext>();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  receiver->ssl_->ctx = ctx;
  if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx, cert.chain_path.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, cert.key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_clear_error();
    return absl::InternalError("webhook receiver: cannot load " + cert.chain_path);
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  receiver->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receiver->listen_fd_ < 0 ||
      bind(receiver->listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(receiver->listen_fd_, 64) != 0 ||
      getsockname(receiver->listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::InternalError(absl::StrCat("webhook receiver: listen: ", std::strerror(errno)));
  }
  receiver->port_ = ntohs(address.sin_port);
  receiver->stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  receiver->acceptor_ = std::thread([r = receiver.get()] { r->AcceptLoop(); });
  return receiver;
}

WebhookReceiver::~WebhookReceiver() {
  if (stop_fd_ >= 0) {
    const uint64_t stop = 1;
    ssize_t written = write(stop_fd_, &stop, sizeof(stop));
    (void)written;
  }
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  std::vector<std::thread> connections;
  {
    absl::MutexLock lock(&mutex_);
    connections.swap(connections_);
  }
  for (std::thread& connection : connections) {
    connection.join();
  }
  for (int fd : {listen_fd_, stop_fd_}) {
    if (fd >= 0) {
      close(fd);
    }
  }
}

std::string WebhookReceiver::Url(const std::string& host, const std::string& path) const {
  return absl::StrCat("https://", host, ":", port_, path);
}

void WebhookReceiver::AnswerNext(int count, ReceiverAnswer answer) {
  absl::MutexLock lock(&mutex_);
  for (int i = 0; i < count; ++i) {
    scripted_.push_back(answer);
  }
}

void WebhookReceiver::SetDefaultAnswer(ReceiverAnswer answer) {
  absl::MutexLock lock(&mutex_);
  default_answer_ = std::move(answer);
}

std::vector<ReceivedRequest> WebhookReceiver::Requests() const {
  absl::MutexLock lock(&mutex_);
  return requests_;
}

bool WebhookReceiver::WaitForRequests(size_t count, absl::Duration timeout) const {
  auto enough = [this, count]()
                    ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return requests_.size() >= count; };
  absl::MutexLock lock(&mutex_);
  return mutex_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

ReceiverAnswer WebhookReceiver::NextAnswer() {
  if (scripted_.empty()) {
    return default_answer_;
  }
  ReceiverAnswer answer = std::move(scripted_.front());
  scripted_.pop_front();
  return answer;
}

void WebhookReceiver::AcceptLoop() {
  while (InputBeforeStop(listen_fd_, stop_fd_, -1)) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    absl::MutexLock lock(&mutex_);
    connections_.emplace_back([this, fd] {
      // A client that leaves mid-answer must not kill the test with SIGPIPE.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      Serve(fd);
      close(fd);
    });
  }
}

void WebhookReceiver::Serve(int fd) {
  // Bounded, so the destructor's join is too.
  const timeval io_timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &io_timeout, sizeof(io_timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &io_timeout, sizeof(io_timeout));
  SSL* ssl = SSL_new(ssl_->ctx);
  SSL_set_fd(ssl, fd);
  auto read_some = [&](std::string& into) {
    if (SSL_pending(ssl) == 0 && !InputBeforeStop(fd, stop_fd_, 10000)) {
      return false;
    }
    char chunk[16 * 1024];
    int n = SSL_read(ssl, chunk, sizeof(chunk));
    if (n <= 0) {
      return false;
    }
    into.append(chunk, static_cast<size_t>(n));
    return true;
  };

  std::string data;
  size_t header_end = std::string::npos;
  if (SSL_accept(ssl) == 1) {
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos &&
           data.size() < kMaxHeaderBytes && read_some(data)) {
    }
  }
  ReceivedRequest request;
  size_t content_length = 0;
  bool parsed = header_end != std::string::npos;
  if (parsed) {
    std::vector<absl::string_view> lines =
        absl::StrSplit(absl::string_view(data).substr(0, header_end), "\r\n");
    std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
    parsed = request_line.size() == 3;
    if (parsed) {
      request.method = std::string(request_line[0]);
      request.target = std::string(request_line[1]);
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) {
        continue;
      }
      request.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      parsed = absl::SimpleAtoi(it->second, &content_length) && content_length <= kMaxBodyBytes;
    }
  }
  if (parsed) {
    request.body = data.substr(header_end + 4);
    while (request.body.size() < content_length && read_some(request.body)) {
    }
    parsed = request.body.size() == content_length;
  }
  if (parsed) {
    ReceiverAnswer answer;
    {
      absl::MutexLock lock(&mutex_);
      answer = NextAnswer();
      request.answered_status = answer.silent ? 0 : answer.status;
      requests_.push_back(request);
    }
    if (answer.silent) {
      // Hold the connection without a word until the client gives up or
      // the receiver stops.
      std::string ignored;
      while (read_some(ignored)) {
      }
    } else {
      std::string response = absl::StrCat("HTTP/1.1 ", answer.status, " Scripted\r\n",
                                          "Content-Length: 0\r\nConnection: close\r\n");
      if (!answer.retry_after.empty()) {
        absl::StrAppend(&response, "Retry-After: ", answer.retry_after, "\r\n");
      }
      response += "\r\n";
      SSL_write(ssl, response.data(), static_cast<int>(response.size()));
      SSL_shutdown(ssl);
    }
  }
  ERR_clear_error();
  SSL_free(ssl);
}

}  // namespace apptrust::testing
