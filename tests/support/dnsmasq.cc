#include "tests/support/dnsmasq.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace apptrust::testing {
namespace {

// Binds UDP and TCP on 127.0.0.1 to one free port. The sockets are returned
// open (caller closes) so the port can be reserved or handed over.
absl::StatusOr<uint16_t> BindPair(int* udp, int* tcp, uint16_t port) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    *udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (bind(*udp, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(*udp);
      if (port != 0) {
        return absl::UnavailableError("port busy");
      }
      continue;
    }
    socklen_t len = sizeof(addr);
    getsockname(*udp, reinterpret_cast<sockaddr*>(&addr), &len);
    *tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(*tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(*tcp, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(*udp);
      close(*tcp);
      if (port != 0) {
        return absl::UnavailableError("port busy");
      }
      continue;
    }
    return ntohs(addr.sin_port);
  }
  return absl::UnavailableError("no free UDP+TCP port pair on 127.0.0.1");
}

// dnsmasq's config syntax: inside quotes, \\ \" \n \t \r are escapes.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace

DnsRecords& DnsRecords::AddHost(std::string name, std::vector<std::string> addresses) {
  hosts.push_back({std::move(name), std::move(addresses)});
  return *this;
}

DnsRecords& DnsRecords::AddTxt(std::string name, std::vector<std::string> strings) {
  txt.push_back({std::move(name), std::move(strings)});
  return *this;
}

absl::StatusOr<std::unique_ptr<Dnsmasq>> Dnsmasq::Start(const DnsRecords& records) {
  std::unique_ptr<Dnsmasq> dns(new Dnsmasq());
  int udp, tcp;
  absl::StatusOr<uint16_t> port = BindPair(&udp, &tcp, 0);
  if (!port.ok()) {
    return port.status();
  }
  close(udp);
  close(tcp);
  dns->port_ = *port;
  if (absl::Status s = dns->Launch(records); !s.ok()) {
    return s;
  }
  return dns;
}

Dnsmasq::~Dnsmasq() {
  if (process_ != nullptr) {
    process_->Signal(SIGTERM);
    (void)process_->Wait(absl::Seconds(5));
  }
}

std::string Dnsmasq::server() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status Dnsmasq::Restart(const DnsRecords& records) {
  if (process_ != nullptr) {
    process_->Signal(SIGTERM);
    absl::StatusOr<int> code = process_->Wait(absl::Seconds(5));
    if (!code.ok()) {
      return code.status();
    }
    process_.reset();
  }
  return Launch(records);
}

absl::Status Dnsmasq::Launch(const DnsRecords& records) {
  std::string conf = dir_.File(absl::StrCat("dnsmasq-", ++generation_, ".conf"));
  {
    std::ofstream out(conf, std::ios::trunc);
    for (const std::string& zone : records.local_zones) {
      out << "local=/" << zone << "/\n";
    }
    for (const DnsRecords::Host& host : records.hosts) {
      out << "host-record=" << host.name;
      for (const std::string& a : host.addresses) {
        out << "," << a;
      }
      out << "\n";
    }
    for (const DnsRecords::Txt& txt : records.txt) {
      out << "txt-record=" << txt.name;
      for (const std::string& s : txt.strings) {
        out << "," << Quote(s);
      }
      out << "\n";
    }
    if (!out) {
      return absl::InternalError("cannot write " + conf);
    }
  }
  // The port was just released (or was dnsmasq's own before a restart); a
  // bind race with another process is retried.
  absl::Status last = absl::UnknownError("dnsmasq did not start");
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start({
        "dnsmasq",
        "--keep-in-foreground",
        "--log-facility=-",
        "--conf-file=" + conf,
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        absl::StrCat("--port=", port_),
        "--cache-size=0",
        "--pid-file=",
        "--user=root",
        "--group=root",
        "--local-ttl=0",
    });
    if (!process.ok()) {
      return process.status();
    }
    if ((*process)->WaitForOutput("started, version", absl::Seconds(10))) {
      process_ = std::move(*process);
      return absl::OkStatus();
    }
    last =
        absl::UnavailableError(absl::StrCat("dnsmasq did not start: ", (*process)->stderr_text()));
    absl::SleepFor(absl::Milliseconds(100));
  }
  return last;
}

absl::StatusOr<std::unique_ptr<SilentDnsServer>> SilentDnsServer::Start() {
  std::unique_ptr<SilentDnsServer> server(new SilentDnsServer());
  absl::StatusOr<uint16_t> port = BindPair(&server->udp_fd_, &server->tcp_fd_, 0);
  if (!port.ok()) {
    return port.status();
  }
  server->port_ = *port;
  // TCP: bound but not listening, so a TCP attempt is refused at once; UDP
  // queries are received by nobody.
  return server;
}

SilentDnsServer::~SilentDnsServer() {
  if (udp_fd_ >= 0) {
    close(udp_fd_);
  }
  if (tcp_fd_ >= 0) {
    close(tcp_fd_);
  }
}

std::string SilentDnsServer::server() const { return absl::StrCat("127.0.0.1:", port_); }

int SilentDnsServer::ReceivedQueries() {
  char buffer[4096];
  while (recv(udp_fd_, buffer, sizeof(buffer), MSG_DONTWAIT) >= 0) ++received_;
  return received_;
}

}  // namespace apptrust::testing
