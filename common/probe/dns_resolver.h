// Asynchronous DNS queries with c-ares, driven by the probe EventLoop.
//
// One c-ares channel serves every probe; its sockets are registered with the
// loop through c-ares' socket-state callback, and its retransmission timer is
// a loop timer, so lookups never block and never need a thread. Queries go to
// the configured servers (host:port list) or, when none are given, to the
// system resolver configuration (/etc/resolv.conf, via c-ares defaults).
// Queries are exact names (no search list, no hosts file): the probe looks up
// exactly the redirect host and its eTLD+1.
//
// Results are classified into the ProbeOutcome values the policy cares about:
// NXDOMAIN, NO_DATA, SERVFAIL (also REFUSED and unreachable servers),
// TIMEOUT, ERROR, LOCAL_ERROR (c-ares out of memory, or a failed query while
// this process cannot open a socket: local_resource_error.h). Callbacks run on the loop thread; a
// query whose caller has given up still completes, and its callback must then ignore the result.
#ifndef APPTRUST_COMMON_PROBE_DNS_RESOLVER_H_
#define APPTRUST_COMMON_PROBE_DNS_RESOLVER_H_

#include <ares.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apptrust/v1/types.pb.h"
#include "common/probe/event_loop.h"

namespace apptrust::probe {

struct DnsAnswer {
  v1::ProbeOutcome outcome = v1::PROBE_OUTCOME_UNSPECIFIED;
  std::string error;  // for outcomes other than OK
  // A/AAAA: addresses in textual form (unsorted, as received).
  std::vector<std::string> addresses;
  // TXT: one entry per record, each the record's character-strings in order.
  std::vector<std::vector<std::string>> txt_records;
  // Total bytes of TXT character-strings received (for the TXT cap).
  size_t txt_bytes = 0;
};

// Maps a c-ares status to a ProbeOutcome (ARES_SUCCESS → OK).
v1::ProbeOutcome OutcomeForAresStatus(int status);

// The A and AAAA answers for one host, combined as every probe reads them:
// any addresses → OK; else NXDOMAIN if either said so; else a failure
// (policy::IsProbeFailure; LOCAL_ERROR before the others) if either failed;
// else NO_DATA.
struct HostAddresses {
  std::vector<std::string> addresses;  // sorted, de-duplicated textual form
  v1::ProbeOutcome outcome = v1::PROBE_OUTCOME_UNSPECIFIED;
  std::string error;  // the answers' error texts, joined
};
HostAddresses CombineAddressAnswers(const std::vector<DnsAnswer>& answers);

class DnsResolver {
 public:
  enum class Type { kA, kAaaa, kTxt };
  using Callback = std::function<void(DnsAnswer)>;

  struct Options {
    // "host:port" entries ("127.0.0.1:5353", "[::1]:53"); empty = system.
    std::vector<std::string> servers;
    // Total time c-ares spends on one query (split over `tries`); the probe's
    // own deadline usually ends a query earlier.
    absl::Duration query_timeout = absl::Seconds(5);
    int tries = 2;
  };

  // Call on the loop thread (or before the loop runs anything else).
  static absl::StatusOr<std::unique_ptr<DnsResolver>> Create(EventLoop* loop,
                                                             const Options& options);
  // Loop thread only. Pending queries complete with ERROR ("shutting down").
  ~DnsResolver();

  // Loop thread only. `callback` is called exactly once, on the loop thread.
  // A query for a name and type already in flight joins it: the resolver
  // sees one question, however many probes ask it at once.
  void Query(const std::string& name, Type type, Callback callback);

 private:
  explicit DnsResolver(EventLoop* loop) : loop_(loop) {}
  static void SocketStateCallback(void* data, ares_socket_t fd, int readable, int writable);
  void ArmTimer();
  void OnTimer();

  EventLoop* loop_;
  // Callbacks waiting on each question in flight (loop thread only).
  absl::flat_hash_map<std::pair<std::string, Type>, std::vector<Callback>> waiting_;
  ares_channel channel_ = nullptr;
  EventLoop::TimerId timer_ = 0;
  bool timer_armed_ = false;
};

// Reads one DNS answer message (`abuf`, as a name server sent it) of a query
// of `type` for `name` into `answer`: addresses, or TXT records grouped by
// record. A message c-ares cannot parse gives its outcome and an error naming
// the query. The bytes are the network's: any length and content is safe.
void ParseDnsAnswer(DnsResolver::Type type, absl::string_view name, const unsigned char* abuf,
                    int alen, DnsAnswer* answer);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_DNS_RESOLVER_H_
