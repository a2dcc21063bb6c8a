#include "common/probe/http_fetcher.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/probe/address_choice.h"
#include "common/probe/local_resource_error.h"

namespace apptrust::probe {
namespace {

std::optional<net::IpAddress> SockaddrAddress(const sockaddr* address) {
  net::IpAddress ip;
  if (address->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address);
    ip.is_v6 = false;
    std::memcpy(ip.bytes.data(), &sin->sin_addr, 4);
    return ip;
  }
  if (address->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address);
    ip.is_v6 = true;
    std::memcpy(ip.bytes.data(), &sin6->sin6_addr, 16);
    return ip;
  }
  return std::nullopt;
}

std::once_flag curl_initialized;

}  // namespace

// libcurl's own parser, so the URL fetched and the URL checked are read the
// same way.
absl::StatusOr<HttpUrlParts> ParseHttpUrl(const std::string& url) {
  CURLU* handle = curl_url();
  if (handle == nullptr) {
    return absl::ResourceExhaustedError("curl_url failed");
  }
  HttpUrlParts parts;
  absl::Status status = absl::OkStatus();
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    status = absl::InvalidArgumentError(absl::StrCat("malformed URL \"", url, "\""));
  } else {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(handle, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
      status = absl::InvalidArgumentError(absl::StrCat("URL without host \"", url, "\""));
    } else {
      parts.scheme = absl::AsciiStrToLower(scheme);
      parts.host = host;
      parts.port = std::strtol(port, nullptr, 10);
      if (parts.host.size() > 2 && parts.host.front() == '[' && parts.host.back() == ']') {
        parts.host = parts.host.substr(1, parts.host.size() - 2);
      }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(handle);
  if (!status.ok()) {
    return status;
  }
  return parts;
}

class HttpFetcher::Impl {
 public:
  struct Fetch {
    uint64_t id = 0;
    HttpRequest request;
    std::string url;  // the request's, or the redirect being followed
    absl::Time deadline;
    Done done;
    int redirects = 0;
    HttpUrlParts parts;
    int dns_pending = 0;
    std::vector<DnsAnswer> answers;
    net::IpAddress address;
    CURL* easy = nullptr;
    curl_slist* connect_to = nullptr;
    curl_slist* headers = nullptr;
    std::string body;
    bool too_large = false;
    int socket_errno = 0;
    bool wrong_address = false;
    size_t max_bytes_for_write = 0;
    bool cut_at_cap = false;
    EventLoop::TimerId timer = 0;
  };

  Impl(EventLoop* loop, DnsResolver* resolver, const net::AddressPolicy* policy, Options options)
      : loop_(loop), resolver_(resolver), policy_(policy), options_(options) {}

  absl::Status Init() {
    std::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    if (multi_ == nullptr) {
      return absl::ResourceExhaustedError("curl_multi_init failed");
    }
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Impl::SocketCallback);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Impl::TimerCallback);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    return absl::OkStatus();
  }

  ~Impl() {
    alive_.reset();
    std::vector<uint64_t> ids;
    for (const auto& [id, fetch] : fetches_) {
      ids.push_back(id);
    }
    for (uint64_t id : ids) {
      Complete(id, v1::PROBE_OUTCOME_ERROR, "HTTP fetcher shut down");
    }
    if (curl_timer_ != 0) {
      loop_->CancelTimer(curl_timer_);
    }
    if (multi_ != nullptr) {
      curl_multi_cleanup(multi_);
    }
  }

  void Send(HttpRequest request, absl::Time deadline, Done done) {
    uint64_t id = next_id_++;
    auto fetch = std::make_unique<Fetch>();
    fetch->id = id;
    fetch->url = request.url;
    fetch->request = std::move(request);
    fetch->deadline = deadline;
    fetch->done = std::move(done);
    fetch->timer = loop_->AddTimer(deadline, [this, id] {
      auto it = fetches_.find(id);
      if (it == fetches_.end()) {
        return;
      }
      it->second->timer = 0;
      Complete(id, v1::PROBE_OUTCOME_TIMEOUT,
               absl::StrCat(it->second->request.method, " ", it->second->url,
                            " did not finish by the deadline"));
    });
    fetches_[id] = std::move(fetch);
    // Started from the loop, so `done` never runs inside Get.
    std::weak_ptr<bool> alive = alive_;
    loop_->Post([this, alive, id] {
      if (alive.lock()) {
        Start(id);
      }
    });
  }

 private:
  Fetch* Find(uint64_t id) {
    auto it = fetches_.find(id);
    return it == fetches_.end() ? nullptr : it->second.get();
  }

  void Start(uint64_t id) {
    Fetch* fetch = Find(id);
    if (fetch == nullptr) {
      return;
    }
    absl::StatusOr<HttpUrlParts> parts = ParseHttpUrl(fetch->url);
    if (!parts.ok()) {
      Complete(id, v1::PROBE_OUTCOME_ERROR, std::string(parts.status().message()));
      return;
    }
    const std::vector<std::string>& schemes = fetch->request.schemes;
    if (std::find(schemes.begin(), schemes.end(), parts->scheme) == schemes.end()) {
      Complete(id, v1::PROBE_OUTCOME_ERROR,
               absl::StrCat("only ", absl::StrJoin(schemes, ":// or "),
                            ":// URLs are fetched, not \"", fetch->url, "\""));
      return;
    }
    fetch->parts = *std::move(parts);
    fetch->answers.clear();
    if (net::ParseIpAddress(fetch->parts.host).ok()) {
      Connect(id, {fetch->parts.host});
      return;
    }
    fetch->dns_pending = 2;
    std::weak_ptr<bool> alive = alive_;
    for (DnsResolver::Type type : {DnsResolver::Type::kA, DnsResolver::Type::kAaaa}) {
      resolver_->Query(fetch->parts.host, type, [this, alive, id](DnsAnswer answer) {
        if (!alive.lock()) {
          return;
        }
        Fetch* fetch = Find(id);
        if (fetch == nullptr) {
          return;
        }
        fetch->answers.push_back(std::move(answer));
        if (--fetch->dns_pending == 0) {
          OnResolved(id);
        }
      });
    }
  }

  void OnResolved(uint64_t id) {
    Fetch* fetch = Find(id);
    HostAddresses combined = CombineAddressAnswers(fetch->answers);
    if (combined.addresses.empty()) {
      Complete(id, combined.outcome,
               absl::StrCat("no address for ", fetch->parts.host, ": ", combined.error));
      return;
    }
    Connect(id, combined.addresses);
  }

  void Connect(uint64_t id, const std::vector<std::string>& addresses) {
    Fetch* fetch = Find(id);
    AddressChoice choice = ChooseAddresses(addresses, *policy_);
    if (choice.allowed.empty()) {
      Complete(id, v1::PROBE_OUTCOME_ADDRESS_NOT_ALLOWED,
               absl::StrCat(
                   "every address of ", fetch->parts.host,
                   " is refused by the address policy: ", absl::StrJoin(choice.refusals, ", ")));
      return;
    }
    const net::IpAddress& first = choice.allowed.front();
    fetch->address = first.MappedV4().value_or(first);
    fetch->body.clear();
    fetch->too_large = false;
    fetch->max_bytes_for_write = options_.max_bytes;
    fetch->cut_at_cap = options_.cut_body_at_cap;
    fetch->socket_errno = 0;
    fetch->wrong_address = false;

    fetch->easy = curl_easy_init();
    if (fetch->easy == nullptr) {
      Complete(id, v1::PROBE_OUTCOME_LOCAL_ERROR, "curl_easy_init failed");
      return;
    }
    CURL* easy = fetch->easy;
    const std::string literal = fetch->address.is_v6
                                    ? absl::StrCat("[", fetch->address.ToString(), "]")
                                    : fetch->address.ToString();
    const std::string url_host = fetch->parts.host.find(':') != std::string::npos
                                     ? absl::StrCat("[", fetch->parts.host, "]")
                                     : fetch->parts.host;
    fetch->connect_to = curl_slist_append(
        nullptr,
        absl::StrCat(url_host, ":", fetch->parts.port, ":", literal, ":", fetch->parts.port)
            .c_str());
    const long remaining_ms = std::max<long>(
        1, static_cast<long>(absl::ToInt64Milliseconds(fetch->deadline - absl::Now())));
    const std::string protocols = absl::StrJoin(fetch->request.schemes, ",");
    curl_easy_setopt(easy, CURLOPT_URL, fetch->url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, protocols.c_str());
    if (fetch->request.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, fetch->request.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(fetch->request.body.size()));
    }
    for (const std::string& header : fetch->request.headers) {
      fetch->headers = curl_slist_append(fetch->headers, header.c_str());
    }
    // No "Expect: 100-continue" round trip: the body goes with the headers.
    fetch->headers = curl_slist_append(fetch->headers, "Expect:");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, fetch->headers);
    if (!options_.ca_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_PROXY, "");
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(easy, CURLOPT_CONNECT_TO, fetch->connect_to);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Impl::OpenSocket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, fetch);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::Write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, fetch);
    if (!options_.cut_body_at_cap) {
      curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(options_.max_bytes));
    }
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, remaining_ms);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, fetch);
    if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
      Complete(id, v1::PROBE_OUTCOME_LOCAL_ERROR, "curl_multi_add_handle failed");
    }
  }

  // libcurl opens its sockets here: only to the address this fetch chose.
  static curl_socket_t OpenSocket(void* data, curlsocktype, curl_sockaddr* address) {
    auto* fetch = static_cast<Fetch*>(data);
    std::optional<net::IpAddress> target =
        SockaddrAddress(reinterpret_cast<const sockaddr*>(&address->addr));
    if (!target || !(*target == fetch->address)) {
      fetch->wrong_address = true;
      return CURL_SOCKET_BAD;
    }
    int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd < 0) {
      fetch->socket_errno = errno;
      return CURL_SOCKET_BAD;
    }
    return fd;
  }

  static size_t Write(char* data, size_t size, size_t count, void* user) {
    auto* fetch = static_cast<Fetch*>(user);
    const size_t bytes = size * count;
    if (fetch->body.size() + bytes > fetch->max_bytes_for_write) {
      if (fetch->cut_at_cap) {
        fetch->body.append(data, fetch->max_bytes_for_write - fetch->body.size());
        return bytes;  // the rest is read and dropped
      }
      fetch->too_large = true;
      return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    fetch->body.append(data, bytes);
    return bytes;
  }

  static int SocketCallback(CURL*, curl_socket_t fd, int what, void* user, void*) {
    auto* self = static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      self->loop_->UnwatchFd(fd);
      return 0;
    }
    const bool read = what == CURL_POLL_IN || what == CURL_POLL_INOUT;
    const bool write = what == CURL_POLL_OUT || what == CURL_POLL_INOUT;
    self->loop_->WatchFd(fd, read, write, [self, fd](bool readable, bool writable) {
      int mask = (readable ? CURL_CSELECT_IN : 0) | (writable ? CURL_CSELECT_OUT : 0);
      self->Drive(fd, mask);
    });
    return 0;
  }

  static int TimerCallback(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (self->curl_timer_ != 0) {
      self->loop_->CancelTimer(self->curl_timer_);
      self->curl_timer_ = 0;
    }
    if (timeout_ms >= 0) {
      self->curl_timer_ =
          self->loop_->AddTimer(absl::Now() + absl::Milliseconds(timeout_ms), [self] {
            self->curl_timer_ = 0;
            self->Drive(CURL_SOCKET_TIMEOUT, 0);
          });
    }
    return 0;
  }

  void Drive(curl_socket_t fd, int mask) {
    int running = 0;
    curl_multi_socket_action(multi_, fd, mask, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) {
        continue;
      }
      Fetch* fetch = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &fetch);
      OnTransferDone(fetch->id, message->data.result);
    }
  }

  void OnTransferDone(uint64_t id, CURLcode code) {
    Fetch* fetch = Find(id);
    if (fetch == nullptr) {
      return;
    }
    if (code != CURLE_OK) {
      v1::ProbeOutcome outcome = v1::PROBE_OUTCOME_ERROR;
      std::string error =
          absl::StrCat(fetch->request.method, " ", fetch->url, ": ", curl_easy_strerror(code));
      if (fetch->too_large || code == CURLE_FILESIZE_EXCEEDED) {
        error = absl::StrCat(fetch->request.method, " ", fetch->url,
                             ": body larger than the cap of ", options_.max_bytes, " bytes");
      } else if (fetch->socket_errno != 0) {
        outcome = OutcomeForErrno(fetch->socket_errno, v1::PROBE_OUTCOME_ERROR);
        error = absl::StrCat(fetch->request.method, " ", fetch->url,
                             ": socket: ", std::strerror(fetch->socket_errno));
      } else if (fetch->wrong_address) {
        error = absl::StrCat(fetch->request.method, " ", fetch->url,
                             ": connection to an address not chosen refused");
      } else if (code == CURLE_OPERATION_TIMEDOUT) {
        outcome = v1::PROBE_OUTCOME_TIMEOUT;
      } else if (code == CURLE_COULDNT_CONNECT) {
        outcome = v1::PROBE_OUTCOME_CONNECTION_REFUSED;
      } else if (code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR ||
                 code == CURLE_GOT_NOTHING || code == CURLE_PARTIAL_FILE) {
        outcome = v1::PROBE_OUTCOME_CONNECTION_RESET;
      } else if (code == CURLE_OUT_OF_MEMORY) {
        outcome = v1::PROBE_OUTCOME_LOCAL_ERROR;
      }
      Complete(id, outcome, std::move(error));
      return;
    }
    long status = 0;
    curl_easy_getinfo(fetch->easy, CURLINFO_RESPONSE_CODE, &status);
    char* location = nullptr;
    curl_easy_getinfo(fetch->easy, CURLINFO_REDIRECT_URL, &location);
    if (!fetch->request.follow_redirects || status / 100 != 3 || location == nullptr) {
      HttpFetchResult result;
      result.outcome = v1::PROBE_OUTCOME_OK;
      result.http_status = static_cast<int>(status);
      result.body = std::move(fetch->body);
      result.final_url = fetch->url;
      curl_header* retry_after = nullptr;
      if (curl_easy_header(fetch->easy, "Retry-After", 0, CURLH_HEADER, -1, &retry_after) ==
          CURLHE_OK) {
        result.retry_after = retry_after->value;
      }
      Finish(id, std::move(result));
      return;
    }
    {
      if (fetch->redirects >= options_.max_redirects) {
        Complete(id, v1::PROBE_OUTCOME_ERROR,
                 absl::StrCat(fetch->request.method, " ", fetch->url, ": more than ",
                              options_.max_redirects, " redirects"));
        return;
      }
      fetch->redirects++;
      fetch->url = location;
      ReleaseTransfer(*fetch);
      Start(id);
    }
  }

  void ReleaseTransfer(Fetch& fetch) {
    if (fetch.easy != nullptr) {
      curl_multi_remove_handle(multi_, fetch.easy);
      curl_easy_cleanup(fetch.easy);
      fetch.easy = nullptr;
    }
    curl_slist_free_all(fetch.connect_to);
    fetch.connect_to = nullptr;
    curl_slist_free_all(fetch.headers);
    fetch.headers = nullptr;
  }

  void Complete(uint64_t id, v1::ProbeOutcome outcome, std::string error) {
    HttpFetchResult result;
    result.outcome = outcome;
    result.error = std::move(error);
    Finish(id, std::move(result));
  }

  void Finish(uint64_t id, HttpFetchResult result) {
    auto it = fetches_.find(id);
    if (it == fetches_.end()) {
      return;
    }
    std::unique_ptr<Fetch> fetch = std::move(it->second);
    fetches_.erase(it);
    if (fetch->timer != 0) {
      loop_->CancelTimer(fetch->timer);
    }
    ReleaseTransfer(*fetch);
    if (result.final_url.empty()) {
      result.final_url = fetch->url;
    }
    fetch->done(std::move(result));
  }

  EventLoop* loop_;
  DnsResolver* resolver_;
  const net::AddressPolicy* policy_;
  Options options_;
  CURLM* multi_ = nullptr;
  EventLoop::TimerId curl_timer_ = 0;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Fetch>> fetches_;
  // Dropped first in the destructor: DNS answers and posted starts that
  // arrive later find it gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

absl::StatusOr<std::unique_ptr<HttpFetcher>> HttpFetcher::Create(EventLoop* loop,
                                                                 DnsResolver* resolver,
                                                                 const net::AddressPolicy* policy,
                                                                 Options options) {
  if (options.max_bytes < 1 || options.max_redirects < 0) {
    return absl::InvalidArgumentError("HTTP fetch caps must be positive");
  }
  auto impl = std::make_unique<Impl>(loop, resolver, policy, options);
  if (absl::Status status = impl->Init(); !status.ok()) {
    return status;
  }
  return std::unique_ptr<HttpFetcher>(new HttpFetcher(std::move(impl)));
}

HttpFetcher::HttpFetcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpFetcher::~HttpFetcher() = default;

void HttpFetcher::Get(const std::string& url, absl::Time deadline, Done done) {
  HttpRequest request;
  request.url = url;
  impl_->Send(std::move(request), deadline, [done = std::move(done)](HttpFetchResult result) {
    // Get wants the document itself: any other answer is an error.
    if (result.outcome == v1::PROBE_OUTCOME_OK && result.http_status != 200) {
      result.outcome = v1::PROBE_OUTCOME_ERROR;
      result.error = absl::StrCat("GET ", result.final_url, ": HTTP status ", result.http_status);
      result.body.clear();
    }
    done(std::move(result));
  });
}

void HttpFetcher::Send(HttpRequest request, absl::Time deadline, Done done) {
  impl_->Send(std::move(request), deadline, std::move(done));
}

}  // namespace apptrust::probe
