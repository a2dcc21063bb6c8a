#include "common/probe/dns_resolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/policy/probe_outcome.h"
#include "common/probe/local_resource_error.h"
#include "common/text/utf8.h"

namespace apptrust::probe {
namespace {

// The UDP receive buffer c-ares asks for (see Create).
constexpr int kReceiveBufferBytes = 4 << 20;

struct PendingQuery {
  DnsResolver::Type type;
  DnsResolver::Callback callback;
  std::string name;
};

void OnQueryDone(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  std::unique_ptr<PendingQuery> query(static_cast<PendingQuery*>(arg));
  DnsAnswer answer;
  if (status != ARES_SUCCESS) {
    answer.outcome = OutcomeForAresStatus(status);
    const char* kind = query->type == DnsResolver::Type::kA      ? "A"
                       : query->type == DnsResolver::Type::kAaaa ? "AAAA"
                                                                 : "TXT";
    answer.error = absl::StrCat(kind, " ", query->name, ": ", ares_strerror(status));
    // c-ares turns a socket it could not open into "server unreachable";
    // when this process is out of descriptors or memory, that is our
    // failure, not the name server's.
    int shortage = 0;
    if (policy::IsProbeFailure(answer.outcome) && answer.outcome != v1::PROBE_OUTCOME_TIMEOUT &&
        !CanOpenSocket(&shortage)) {
      answer.outcome = v1::PROBE_OUTCOME_LOCAL_ERROR;
      absl::StrAppend(&answer.error,
                      " (this process cannot open a socket: ", std::strerror(shortage), ")");
    }
  } else {
    ParseDnsAnswer(query->type, query->name, abuf, alen, &answer);
  }
  // The error text ends up in a fingerprint (a proto string); c-ares's texts
  // are ASCII today, the name is ours, but nothing here should rely on that.
  answer.error = text::ToValidUtf8(answer.error);
  query->callback(std::move(answer));
}

}  // namespace

void ParseDnsAnswer(DnsResolver::Type type, absl::string_view name, const unsigned char* abuf,
                    int alen, DnsAnswer* answer) {
  switch (type) {
    case DnsResolver::Type::kA: {
      hostent* host = nullptr;
      int rc = ares_parse_a_reply(abuf, alen, &host, nullptr, nullptr);
      if (rc != ARES_SUCCESS) {
        answer->outcome = OutcomeForAresStatus(rc);
        answer->error = absl::StrCat("A ", name, ": ", ares_strerror(rc));
        return;
      }
      for (char** a = host->h_addr_list; a != nullptr && *a != nullptr; ++a) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, *a, text, sizeof(text));
        answer->addresses.push_back(text);
      }
      ares_free_hostent(host);
      break;
    }
    case DnsResolver::Type::kAaaa: {
      hostent* host = nullptr;
      int rc = ares_parse_aaaa_reply(abuf, alen, &host, nullptr, nullptr);
      if (rc != ARES_SUCCESS) {
        answer->outcome = OutcomeForAresStatus(rc);
        answer->error = absl::StrCat("AAAA ", name, ": ", ares_strerror(rc));
        return;
      }
      for (char** a = host->h_addr_list; a != nullptr && *a != nullptr; ++a) {
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, *a, text, sizeof(text));
        answer->addresses.push_back(text);
      }
      ares_free_hostent(host);
      break;
    }
    case DnsResolver::Type::kTxt: {
      ares_txt_ext* txt = nullptr;
      int rc = ares_parse_txt_reply_ext(abuf, alen, &txt);
      if (rc != ARES_SUCCESS) {
        answer->outcome = OutcomeForAresStatus(rc);
        answer->error = absl::StrCat("TXT ", name, ": ", ares_strerror(rc));
        return;
      }
      for (ares_txt_ext* t = txt; t != nullptr; t = t->next) {
        if (t->record_start || answer->txt_records.empty()) {
          answer->txt_records.emplace_back();
        }
        answer->txt_records.back().emplace_back(reinterpret_cast<const char*>(t->txt), t->length);
        answer->txt_bytes += t->length;
      }
      ares_free_data(txt);
      break;
    }
  }
  answer->outcome = answer->addresses.empty() && answer->txt_records.empty()
                        ? v1::PROBE_OUTCOME_NO_DATA
                        : v1::PROBE_OUTCOME_OK;
}

v1::ProbeOutcome OutcomeForAresStatus(int status) {
  switch (status) {
    case ARES_SUCCESS:
      return v1::PROBE_OUTCOME_OK;
    case ARES_ENOTFOUND:
      return v1::PROBE_OUTCOME_NXDOMAIN;
    case ARES_ENODATA:
      return v1::PROBE_OUTCOME_NO_DATA;
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_ECONNREFUSED:
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
      return v1::PROBE_OUTCOME_SERVFAIL;
    case ARES_ETIMEOUT:
      return v1::PROBE_OUTCOME_TIMEOUT;
    case ARES_ENOMEM:
      return v1::PROBE_OUTCOME_LOCAL_ERROR;
    default:
      return v1::PROBE_OUTCOME_ERROR;
  }
}

absl::StatusOr<std::unique_ptr<DnsResolver>> DnsResolver::Create(EventLoop* loop,
                                                                 const Options& options) {
  static std::once_flag init_once;
  static int init_status = ARES_SUCCESS;
  std::call_once(init_once, [] { init_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (init_status != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("ares_library_init: ", ares_strerror(init_status)));
  }
  std::unique_ptr<DnsResolver> resolver(new DnsResolver(loop));
  ares_options opts;
  std::memset(&opts, 0, sizeof(opts));
  int tries = options.tries < 1 ? 1 : options.tries;
  int64_t per_try_ms = absl::ToInt64Milliseconds(options.query_timeout) / tries;
  opts.timeout = static_cast<int>(per_try_ms < 100 ? 100 : per_try_ms);
  opts.tries = tries;
  // EDNS lets large TXT sets arrive in one UDP answer; c-ares falls back to
  // TCP by itself when an answer is still truncated.
  opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS;
  opts.ednspsz = 1232;
  opts.sock_state_cb = &DnsResolver::SocketStateCallback;
  opts.sock_state_cb_data = resolver.get();
  opts.lookups = const_cast<char*>("b");
  // Hundreds of answers can arrive at once on the one UDP socket; with the
  // default receive buffer (~208 KiB, each datagram costing far more than its
  // size) the kernel drops some and those lookups wait for a retry. The
  // kernel caps this at net.core.rmem_max.
  opts.socket_receive_buffer_size = kReceiveBufferBytes;
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ |
             ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_RCVBUF;
  int rc = ares_init_options(&resolver->channel_, &opts, mask);
  if (rc != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("ares_init_options: ", ares_strerror(rc)));
  }
  if (!options.servers.empty()) {
    std::string csv = absl::StrJoin(options.servers, ",");
    rc = ares_set_servers_ports_csv(resolver->channel_, csv.c_str());
    if (rc != ARES_SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("dns servers '", csv, "': ", ares_strerror(rc)));
    }
  }
  return resolver;
}

DnsResolver::~DnsResolver() {
  if (timer_armed_) {
    loop_->CancelTimer(timer_);
  }
  timer_armed_ = false;
  if (channel_ != nullptr) {
    // Completes pending queries with ARES_EDESTRUCTION (→ ERROR) and closes
    // sockets through the state callback.
    ares_destroy(channel_);
    channel_ = nullptr;
  }
}

void DnsResolver::Query(const std::string& name, Type type, Callback callback) {
  auto key = std::make_pair(name, type);
  auto [it, first] = waiting_.try_emplace(key);
  it->second.push_back(std::move(callback));
  if (!first) return;
  auto answer_all = [this, key = std::move(key)](DnsAnswer answer) {
    auto node = waiting_.extract(key);
    if (node.empty()) return;
    std::vector<Callback>& callbacks = node.mapped();
    for (size_t i = 0; i + 1 < callbacks.size(); ++i) callbacks[i](answer);
    callbacks.back()(std::move(answer));
  };
  auto* query = new PendingQuery{type, std::move(answer_all), name};
  int rr_type = type == Type::kA ? ns_t_a : type == Type::kAaaa ? ns_t_aaaa : ns_t_txt;
  ares_query(channel_, name.c_str(), ns_c_in, rr_type, &OnQueryDone, query);
  ArmTimer();
}

void DnsResolver::SocketStateCallback(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<DnsResolver*>(data);
  if (!readable && !writable) {
    self->loop_->UnwatchFd(fd);
    return;
  }
  self->loop_->WatchFd(fd, readable != 0, writable != 0, [self, fd](bool r, bool w) {
    if (self->channel_ == nullptr) {
      return;
    }
    ares_process_fd(self->channel_, r ? fd : ARES_SOCKET_BAD, w ? fd : ARES_SOCKET_BAD);
    self->ArmTimer();
  });
}

void DnsResolver::ArmTimer() {
  if (channel_ == nullptr) {
    return;
  }
  if (timer_armed_) {
    loop_->CancelTimer(timer_);
  }
  timer_armed_ = false;
  timeval max{1, 0};
  timeval tv;
  timeval* next = ares_timeout(channel_, &max, &tv);
  absl::Duration wait = absl::Seconds(next->tv_sec) + absl::Microseconds(next->tv_usec);
  timer_ = loop_->AddTimer(absl::Now() + wait, [this] {
    timer_armed_ = false;
    OnTimer();
  });
  timer_armed_ = true;
}

void DnsResolver::OnTimer() {
  if (channel_ == nullptr) {
    return;
  }
  ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  ArmTimer();
}

HostAddresses CombineAddressAnswers(const std::vector<DnsAnswer>& answers) {
  HostAddresses combined;
  std::vector<std::string> errors;
  bool nxdomain = false;
  v1::ProbeOutcome failure = v1::PROBE_OUTCOME_UNSPECIFIED;
  for (const DnsAnswer& answer : answers) {
    combined.addresses.insert(combined.addresses.end(), answer.addresses.begin(),
                              answer.addresses.end());
    nxdomain = nxdomain || answer.outcome == v1::PROBE_OUTCOME_NXDOMAIN;
    // The first failure names the outcome, except that a local one wins:
    // a lookup we could not make must not pass for the name server's.
    if (policy::IsProbeFailure(answer.outcome) &&
        (failure == v1::PROBE_OUTCOME_UNSPECIFIED || policy::IsLocalFailure(answer.outcome))) {
      failure = answer.outcome;
    }
    if (!answer.error.empty()) {
      errors.push_back(answer.error);
    }
  }
  std::sort(combined.addresses.begin(), combined.addresses.end());
  combined.addresses.erase(std::unique(combined.addresses.begin(), combined.addresses.end()),
                           combined.addresses.end());
  combined.outcome = !combined.addresses.empty()                ? v1::PROBE_OUTCOME_OK
                     : nxdomain                                 ? v1::PROBE_OUTCOME_NXDOMAIN
                     : failure != v1::PROBE_OUTCOME_UNSPECIFIED ? failure
                                                                : v1::PROBE_OUTCOME_NO_DATA;
  combined.error = absl::StrJoin(errors, "; ");
  return combined;
}

}  // namespace apptrust::probe
