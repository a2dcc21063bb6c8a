// The world an end-to-end test changes: a test PKI, a dnsmasq serving the
// test zone, one real TLS server per app, and the real store and decision
// processes wired to them. An "app" is a redirect URI on its own eTLD+1
// (app.<name>.test) with its own TLS server and TXT record, so scenarios do
// not disturb each other.
#ifndef APPTRUST_TESTS_E2E_E2E_WORLD_H_
#define APPTRUST_TESTS_E2E_E2E_WORLD_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/services.h"
#include "tests/support/test_pki.h"
#include "tests/support/tls_test_server.h"

namespace apptrust::testing {

struct TestApp {
  std::string name;          // "expired"
  std::string host;          // "app.expired.test"
  std::string domain;        // "expired.test"
  std::string client_id;     // "client-expired"
  std::string redirect_uri;  // "https://app.expired.test:PORT/callback"
  std::unique_ptr<TlsTestServer> server;
};

class E2eWorld {
 public:
  static absl::StatusOr<std::unique_ptr<E2eWorld>> Create();

  TestPki& pki() { return *pki_; }
  Dnsmasq& dns() { return *dns_; }
  DnsRecords& records() { return records_; }
  // Applies records() to dnsmasq (restart).
  absl::Status PublishDns();

  // A new app served with a certificate issued from `leaf` (its dns_names are
  // set to the app's host unless `keep_names`), an A record to 127.0.0.1 and
  // the TXT entry "cerner-client-id=<client_id>" at its domain.
  absl::StatusOr<TestApp*> AddApp(const std::string& name, LeafOptions leaf,
                                  bool keep_names = false);
  // Like AddApp for an app whose host name in DNS and in its certificate is
  // `host` (A-labels) on `domain`, spelled `uri_host` in its redirect URI
  // (e.g. the same name in U-labels).
  absl::StatusOr<TestApp*> AddAppAt(const std::string& name, const std::string& host,
                                    const std::string& domain, const std::string& uri_host,
                                    LeafOptions leaf);
  // Issues a new certificate for the app from `leaf` and serves it.
  absl::Status ServeCertificate(TestApp& app, LeafOptions leaf, bool keep_names = false);

  // The store, and a decision service started with `flags` on top of the
  // defaults (dnsmasq, the PKI's root as trust store, loopback allowed,
  // cache_ttl=0s). Decision services are started once per distinct flag set.
  RunningService& store() { return store_; }
  absl::StatusOr<RunningService*> Decision(std::vector<std::string> extra_flags = {});
  // A decision service with exactly `flags` after the store address.
  absl::StatusOr<RunningService*> DecisionWithExactFlags(std::vector<std::string> flags);
  // Writes `text` to a file in the world's directory and returns its path.
  std::string WriteFile(const std::string& name, const std::string& text);
  const std::string& dir() const { return dir_.path(); }

 private:
  E2eWorld() = default;
  TempDir dir_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<Dnsmasq> dns_;
  DnsRecords records_;
  RunningService store_;
  std::map<std::string, std::unique_ptr<RunningService>> decisions_;
  std::vector<std::unique_ptr<TestApp>> apps_;
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_E2E_E2E_WORLD_H_
