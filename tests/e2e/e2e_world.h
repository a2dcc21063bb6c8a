// The world an end-to-end test changes: a test PKI, a dnsmasq serving the
// test zone, one real TLS server per app, and the real store and decision
// processes wired to them. An "app" is a redirect URI on its own eTLD+1
// (app.<name>.test) with its own TLS server and TXT record, so scenarios do
// not disturb each other.
//
// The store runs on SQLite (a file in the world's directory), or on a
// database of its own on the test binary's PostgreSQL server
// (tests/store/store_backends.h), served by one or by two store processes:
// replicas that share nothing but that database, as in the `postgres`
// Kubernetes overlay.
#ifndef APPTRUST_TESTS_E2E_E2E_WORLD_H_
#define APPTRUST_TESTS_E2E_E2E_WORLD_H_

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/store/store_backends.h"
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

// What the store of a world runs on.
enum class StoreSetup {
  kSqlite,               // one store on an SQLite file
  kPostgres,             // one store on a PostgreSQL database
  kTwoPostgresReplicas,  // two stores on one PostgreSQL database
};

// For INSTANTIATE_TEST_SUITE_P: "Sqlite", "Postgres", "TwoPostgresReplicas".
std::string StoreSetupName(const ::testing::TestParamInfo<StoreSetup>& info);
// The same name in GoogleTest's messages.
void PrintTo(StoreSetup setup, std::ostream* out);

class E2eWorld {
 public:
  // Starts PostgreSQL (SharedPostgres()) on first use: call it from the
  // test body's thread or the suite set-up, never from a thread that ends
  // before the test binary does.
  static absl::StatusOr<std::unique_ptr<E2eWorld>> Create(StoreSetup setup = StoreSetup::kSqlite);

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

  // A store replica (0 or, with kTwoPostgresReplicas, 1), and a decision
  // service on replica 0 started with `flags` on top of the defaults
  // (dnsmasq, the PKI's root as trust store, loopback allowed,
  // cache_ttl=0s). Decision services are started once per distinct flag set.
  RunningService& store(int replica = 0) { return stores_.at(replica); }
  int store_replicas() const { return static_cast<int>(stores_.size()); }
  absl::StatusOr<RunningService*> Decision(std::vector<std::string> extra_flags = {});
  // A decision service with exactly `flags` after the store address.
  absl::StatusOr<RunningService*> DecisionWithExactFlags(std::vector<std::string> flags);
  // Two decision replicas with the default flags: 0 is Decision(); 1 is a
  // process of its own, on the last store replica (the other one with
  // kTwoPostgresReplicas, the same store otherwise).
  absl::StatusOr<RunningService*> DecisionReplica(int replica);
  // A decision service on store replica `store_replica` with `extra_flags`
  // on top of the defaults, started once per distinct (replica, flags).
  absl::StatusOr<RunningService*> DecisionOn(int store_replica,
                                             std::vector<std::string> extra_flags);
  // SIGKILLs store replica `replica`, runs `while_down`, and starts it again
  // on the same address and database; returns once it is serving.
  absl::Status RestartStore(int replica, const std::function<void()>& while_down = {});
  // Writes `text` to a file in the world's directory and returns its path.
  std::string WriteFile(const std::string& name, const std::string& text);
  const std::string& dir() const { return dir_.path(); }

 private:
  E2eWorld() = default;
  std::vector<std::string> DefaultDecisionFlags() const;
  // The decision service `name` (flags and replica) on `store`, started on
  // first use.
  absl::StatusOr<RunningService*> FindOrStartDecision(const std::string& name,
                                                      const RunningService& store,
                                                      std::vector<std::string> flags);
  TempDir dir_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<Dnsmasq> dns_;
  DnsRecords records_;
  StoreDatabase database_;
  std::vector<RunningService> stores_;
  std::map<std::string, std::unique_ptr<RunningService>> decisions_;
  std::vector<std::unique_ptr<TestApp>> apps_;
};

// One world per store setup, for a suite parameterised over StoreSetup:
// made by the first test that asks (call Get from the test body's thread,
// which outlives the PostgreSQL server it starts), kept until Clear()
// (TearDownTestSuite).
class WorldsBySetup {
 public:
  absl::StatusOr<E2eWorld*> Get(StoreSetup setup);
  void Clear() { worlds_.clear(); }

 private:
  std::map<StoreSetup, std::unique_ptr<E2eWorld>> worlds_;
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_E2E_E2E_WORLD_H_
