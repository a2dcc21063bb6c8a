#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/net/host_port.h"

namespace apptrust::testing {
namespace {

absl::StatusOr<int> Connect(const std::string& address, absl::Duration timeout) {
  auto host_port = net::ParseHostPort(address, /*allow_ephemeral=*/false);
  if (!host_port.ok()) return host_port.status();
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, host_port->host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(host_port->port);
    length = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host_port->host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(host_port->port);
    length = sizeof(*v6);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("not an IP literal: ", address));
  }
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect ", address, ": ", std::strerror(error)));
  }
  return fd;
}

absl::StatusOr<HttpResponse> Parse(const std::string& raw) {
  const size_t end_of_head = raw.find("\r\n\r\n");
  if (end_of_head == std::string::npos) {
    return absl::DataLossError(absl::StrCat("no complete response head in: ", raw));
  }
  HttpResponse response;
  std::vector<std::string> lines =
      absl::StrSplit(absl::string_view(raw).substr(0, end_of_head), "\r\n");
  std::vector<absl::string_view> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status_line[1], &response.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    const std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    response.headers[name] = std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    ++response.header_counts[name];
  }
  response.body = raw.substr(end_of_head + 4);
  return response;
}

}  // namespace

absl::StatusOr<HttpResponse> HttpRawRequest(const std::string& address, const std::string& raw,
                                            absl::Duration timeout) {
  auto fd = Connect(address, timeout);
  if (!fd.ok()) return fd.status();
  size_t sent = 0;
  while (sent < raw.size()) {
    const ssize_t n = send(*fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (and close) before reading it all
    sent += static_cast<size_t>(n);
  }
  std::string received;
  char buffer[16384];
  while (true) {
    const ssize_t n = recv(*fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      received.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && received.empty()) {
      const int error = errno;
      close(*fd);
      return absl::DeadlineExceededError(
          absl::StrCat("no response from ", address, ": ", std::strerror(error)));
    }
    break;
  }
  close(*fd);
  return Parse(received);
}

absl::StatusOr<HttpResponse> HttpRequest(
    const std::string& address, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, absl::Duration timeout) {
  std::string raw = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", address,
                                 "\r\nConnection: close\r\nUser-Agent: apptrust-test\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&raw, name, ": ", value, "\r\n");
  raw += "\r\n";
  return HttpRawRequest(address, raw, timeout);
}

absl::StatusOr<std::pair<std::string, std::string>> SplitHttpUrl(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat("not an http:// URL: ", url));
  }
  const size_t slash = url.find('/');
  if (slash == absl::string_view::npos) return std::make_pair(std::string(url), std::string("/"));
  return std::make_pair(std::string(url.substr(0, slash)), std::string(url.substr(slash)));
}

}  // namespace apptrust::testing
