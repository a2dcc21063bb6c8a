// A real HTTP/1.1 server on loopback (civetweb) for tests that need the
// probe to download something: CRLs at the URLs a test PKI writes into its
// leaves. Each path answers with a status, a body and an optional Location
// header, settable while the server runs; it counts the requests per path so
// a test can say how many downloads happened.
//
// Thread-safe.
#ifndef APPTRUST_TESTS_SUPPORT_HTTP_TEST_SERVER_H_
#define APPTRUST_TESTS_SUPPORT_HTTP_TEST_SERVER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct mg_context;
struct mg_connection;

namespace apptrust::testing {

struct HttpTestResponse {
  int status = 200;
  std::string body;
  std::string location;  // sent as Location when not empty
  // Waits this long before answering (a slow CRL server).
  absl::Duration delay = absl::ZeroDuration();
};

class HttpTestServer {
 public:
  // Listens on 127.0.0.1, on a port the kernel picks.
  static absl::StatusOr<std::unique_ptr<HttpTestServer>> Start();
  ~HttpTestServer();

  // "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path) const;
  uint16_t port() const { return port_; }

  // What `path` answers from now on (unknown paths answer 404).
  void Serve(const std::string& path, HttpTestResponse response);
  // GET requests received for `path` so far.
  int Requests(const std::string& path) const;

 private:
  HttpTestServer() = default;
  static int Handle(mg_connection* connection, void* self);

  mg_context* context_ = nullptr;
  uint16_t port_ = 0;
  mutable absl::Mutex mutex_;
  std::map<std::string, HttpTestResponse> responses_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, int> requests_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_HTTP_TEST_SERVER_H_
