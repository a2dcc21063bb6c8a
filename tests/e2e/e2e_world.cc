#include "tests/e2e/e2e_world.h"

#include <signal.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace apptrust::testing {

namespace {

std::string NameOf(StoreSetup setup) {
  switch (setup) {
    case StoreSetup::kSqlite:
      return "Sqlite";
    case StoreSetup::kPostgres:
      return "Postgres";
    case StoreSetup::kTwoPostgresReplicas:
      return "TwoPostgresReplicas";
  }
  return "Unknown";
}

}  // namespace

std::string StoreSetupName(const ::testing::TestParamInfo<StoreSetup>& info) {
  return NameOf(info.param);
}

void PrintTo(StoreSetup setup, std::ostream* out) { *out << NameOf(setup); }

absl::StatusOr<std::unique_ptr<E2eWorld>> E2eWorld::Create(StoreSetup setup) {
  std::unique_ptr<E2eWorld> world(new E2eWorld());
  auto pki = TestPki::Create();
  if (!pki.ok()) return pki.status();
  world->pki_ = std::move(*pki);
  auto dns = Dnsmasq::Start(world->records_);
  if (!dns.ok()) return dns.status();
  world->dns_ = std::move(*dns);
  world->database_ = setup == StoreSetup::kSqlite
                         ? StoreDatabase{world->dir_.File("var/apptrust.db"), {}}
                         : NewStoreDatabase(StoreBackend::kPostgres, world->dir_);
  const int replicas = setup == StoreSetup::kTwoPostgresReplicas ? 2 : 1;
  for (int replica = 0; replica < replicas; ++replica) {
    auto store = StartStore(world->database_.db, world->database_.flags);
    if (!store.ok()) return store.status();
    world->stores_.push_back(std::move(*store));
  }
  for (const RunningService& store : world->stores_) {
    if (!WaitServing(store.channel)) {
      return absl::UnavailableError(absl::StrCat("store not serving at ", store.grpc_address));
    }
  }
  return world;
}

absl::Status E2eWorld::PublishDns() { return dns_->Restart(records_); }

absl::StatusOr<TestApp*> E2eWorld::AddApp(const std::string& name, LeafOptions leaf,
                                          bool keep_names) {
  const std::string domain = absl::StrCat(name, ".test");
  const std::string host = absl::StrCat("app.", domain);
  if (!keep_names) leaf.dns_names = {host};
  return AddAppAt(name, host, domain, host, std::move(leaf));
}

absl::StatusOr<TestApp*> E2eWorld::AddAppAt(const std::string& name, const std::string& host,
                                            const std::string& domain, const std::string& uri_host,
                                            LeafOptions leaf) {
  auto app = std::make_unique<TestApp>();
  app->name = name;
  app->domain = domain;
  app->host = host;
  app->client_id = absl::StrCat("client-", name);
  auto cert = pki_->Issue(leaf);
  if (!cert.ok()) return cert.status();
  auto server = TlsTestServer::Start(*cert);
  if (!server.ok()) return server.status();
  app->server = std::move(*server);
  app->redirect_uri = absl::StrCat("https://", uri_host, ":", app->server->port(), "/callback");
  records_.AddHost(app->host, {"127.0.0.1"});
  records_.AddTxt(app->domain, {absl::StrCat("cerner-client-id=", app->client_id)});
  if (absl::Status s = PublishDns(); !s.ok()) return s;
  apps_.push_back(std::move(app));
  return apps_.back().get();
}

absl::Status E2eWorld::ServeCertificate(TestApp& app, LeafOptions leaf, bool keep_names) {
  if (!keep_names) leaf.dns_names = {app.host};
  auto cert = pki_->Issue(leaf);
  if (!cert.ok()) return cert.status();
  return app.server->SetCertificate(*cert);
}

std::vector<std::string> E2eWorld::DefaultDecisionFlags() const {
  return {
      absl::StrCat("--dns_servers=", dns_->server()),
      absl::StrCat("--trust_store=", pki_->root_pem_path()),
      "--probe_allow_cidrs=127.0.0.0/8,::1/128",
      "--cache_ttl=0s",
      "--probe_timeout=3s",
  };
}

absl::StatusOr<RunningService*> E2eWorld::Decision(std::vector<std::string> extra_flags) {
  std::vector<std::string> flags = DefaultDecisionFlags();
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  return DecisionWithExactFlags(std::move(flags));
}

absl::StatusOr<RunningService*> E2eWorld::DecisionWithExactFlags(std::vector<std::string> flags) {
  const std::string name = absl::StrJoin(flags, " ");
  return FindOrStartDecision(name, store(0), std::move(flags));
}

absl::StatusOr<RunningService*> E2eWorld::DecisionReplica(int replica) {
  if (replica == 0) return Decision();
  return FindOrStartDecision(absl::StrCat("replica ", replica), stores_.back(),
                             DefaultDecisionFlags());
}

absl::StatusOr<RunningService*> E2eWorld::FindOrStartDecision(const std::string& name,
                                                              const RunningService& store,
                                                              std::vector<std::string> flags) {
  auto found = decisions_.find(name);
  if (found != decisions_.end()) return found->second.get();
  auto decision = StartDecision(store.grpc_address, flags);
  if (!decision.ok()) return decision.status();
  if (!WaitServing(decision->channel)) return absl::UnavailableError("decision not serving");
  auto owned = std::make_unique<RunningService>(std::move(*decision));
  RunningService* raw = owned.get();
  decisions_[name] = std::move(owned);
  return raw;
}

absl::StatusOr<RunningService*> E2eWorld::DecisionOn(int store_replica,
                                                     std::vector<std::string> extra_flags) {
  std::vector<std::string> flags = DefaultDecisionFlags();
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  return FindOrStartDecision(
      absl::StrCat("on store ", store_replica, ": ", absl::StrJoin(flags, " ")),
      stores_.at(store_replica), std::move(flags));
}

absl::Status E2eWorld::RestartStore(int replica, const std::function<void()>& while_down) {
  RunningService& store = stores_.at(replica);
  store.process->Signal(SIGKILL);
  if (auto waited = store.process->Wait(absl::Seconds(10)); !waited.ok()) return waited.status();
  if (while_down) while_down();
  std::vector<std::string> flags = database_.flags;
  flags.push_back("--listen=" + store.grpc_address);
  flags.push_back("--metrics_listen=" + store.metrics_address);
  // The old process's port may linger briefly; retry the start.
  absl::Status last = absl::UnavailableError("not started");
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto restarted = StartStore(database_.db, flags);
    if (restarted.ok()) {
      store = std::move(*restarted);
      if (!WaitServing(store.channel)) {
        return absl::UnavailableError(absl::StrCat("store not serving at ", store.grpc_address));
      }
      return absl::OkStatus();
    }
    last = restarted.status();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return last;
}

absl::StatusOr<E2eWorld*> WorldsBySetup::Get(StoreSetup setup) {
  std::unique_ptr<E2eWorld>& world = worlds_[setup];
  if (world == nullptr) {
    auto created = E2eWorld::Create(setup);
    if (!created.ok()) return created.status();
    world = std::move(*created);
  }
  return world.get();
}

std::string E2eWorld::WriteFile(const std::string& name, const std::string& text) {
  const std::string path = dir_.File(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace apptrust::testing
