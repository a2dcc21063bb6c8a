// What one civetweb listener (the page behind error_uri, each service's
// /metrics) lets its peers hold. Civetweb gives every accepted connection a
// worker thread of its own until the request has been read, so a peer that
// opens sockets and sends nothing (slowloris) holds one worker per socket
// for the request timeout; with civetweb's defaults (the page had 4 workers
// and 10 s, /metrics 2 and 30 s) four idle sockets delayed the page by 9.7 s
// and one new idle socket every 10 s kept /metrics down for good.
//
// The limits below make idle sockets cheap to outlast: enough workers that
// hundreds of idle sockets still leave one free for a real request, a
// request timeout that frees a held worker within seconds, keep-alive off
// (a finished request releases its worker at once), and a bounded queue of
// accepted connections, so one listener holds at most worker_threads +
// connection_queue descriptors; further connections wait in the kernel's
// listen backlog, which costs no descriptor. Workers are threads whose
// stacks are reserved, not used: 256 idle workers cost a few MiB of memory.
// docs/OPERATING.md "Limits" lists the values and why.
#ifndef APPTRUST_COMMON_SERVER_CIVETWEB_LIMITS_H_
#define APPTRUST_COMMON_SERVER_CIVETWEB_LIMITS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace apptrust::server {

struct CivetwebLimits {
  // Connections served at once, idle ones included.
  int worker_threads = 256;
  // Accepted connections waiting for a worker (civetweb's default is 20).
  int connection_queue = 64;
  // Time to receive a whole request (and to send a response): what a silent
  // peer costs a worker. A real client's request arrives in one round trip.
  absl::Duration request_timeout = absl::Seconds(3);
};

// Civetweb option name/value pairs for `limits` ("num_threads", "256", ...),
// to append to a listener's own options (prometheus::Exposer takes them as
// one flat vector; mg_start2 as a null-terminated array of C strings).
// Keep-alive is off; linger is left unset on purpose: with SO_LINGER a close
// blocks the worker until a peer that does not read has taken the response.
std::vector<std::string> CivetwebLimitOptions(const CivetwebLimits& limits);

}  // namespace apptrust::server

#endif  // APPTRUST_COMMON_SERVER_CIVETWEB_LIMITS_H_
