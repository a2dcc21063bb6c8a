// A real DNS server for probe tests: the `dnsmasq` binary (Debian package
// dnsmasq-base) started as a child process on an ephemeral loopback port,
// serving only the records a test gives it (--no-resolv --no-hosts, no
// upstream). Names under the authoritative zones (default "test") that have no
// record get NXDOMAIN; a name with records of other types gets NO_DATA.
// Restart() replaces the records on the same port, to simulate a change.
//
// Pass server() ("127.0.0.1:PORT") as the probe's DNS server. For an
// unreachable DNS server use SilentDnsServer.
#ifndef APPTRUST_TESTS_SUPPORT_DNSMASQ_H_
#define APPTRUST_TESTS_SUPPORT_DNSMASQ_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace apptrust::testing {

struct DnsRecords {
  struct Host {
    std::string name;
    // IPv4 and IPv6 (also "::ffff:127.0.0.1") addresses: A and AAAA records.
    std::vector<std::string> addresses;
  };
  struct Txt {
    std::string name;
    // The character-strings of ONE record (each at most 255 bytes; may
    // contain spaces and newlines). Several Txt with one name = several
    // records.
    std::vector<std::string> strings;
  };
  std::vector<Host> hosts;
  std::vector<Txt> txt;
  // Zones answered locally only: unknown names get NXDOMAIN.
  std::vector<std::string> local_zones = {"test"};

  DnsRecords& AddHost(std::string name, std::vector<std::string> addresses);
  DnsRecords& AddTxt(std::string name, std::vector<std::string> strings);
};

class Dnsmasq {
 public:
  static absl::StatusOr<std::unique_ptr<Dnsmasq>> Start(const DnsRecords& records);
  ~Dnsmasq();

  // Stops dnsmasq and starts it again on the same port with `records`.
  absl::Status Restart(const DnsRecords& records);

  std::string server() const;  // "127.0.0.1:PORT"
  uint16_t port() const { return port_; }

 private:
  Dnsmasq() = default;
  absl::Status Launch(const DnsRecords& records);

  TempDir dir_;
  uint16_t port_ = 0;
  int generation_ = 0;
  std::unique_ptr<Subprocess> process_;
};

// A UDP (and TCP) socket bound on 127.0.0.1 that never answers: a DNS server
// that is "unreachable" without sending traffic anywhere but loopback.
class SilentDnsServer {
 public:
  static absl::StatusOr<std::unique_ptr<SilentDnsServer>> Start();
  ~SilentDnsServer();
  std::string server() const;  // "127.0.0.1:PORT"
  // UDP queries received so far (reads and discards what has arrived).
  int ReceivedQueries();

 private:
  SilentDnsServer() = default;
  int received_ = 0;
  int udp_fd_ = -1;
  int tcp_fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_DNSMASQ_H_
