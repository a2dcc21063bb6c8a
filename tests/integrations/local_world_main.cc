// apptrust-local-world: the world a token gateway needs to be tried against
// AppTrust on one machine, offline, on loopback only. It makes a test PKI
// (tests/support/test_pki.h), issues the app's certificate into files its TLS
// server reads, starts a dnsmasq serving the app's A and TXT records, and the
// real apptrust-store and apptrust-decision (probing loopback, trusting the
// test root, no observation cache so a change shows at the next refresh).
// The reference gateway's integration test and scripts/demo drive it.
//
// On start it prints one JSON line on stdout describing the world, then reads
// commands on stdin, one per line, answering "ok <command>" when done:
//   expire   the app's certificate files now hold an expired certificate
//   renew    ... a valid one again (same organization: nothing to re-approve)
//   stop-decision   stops apptrust-decision (SIGTERM): the gateway's
//                   fail-closed path
//   start-decision  starts it again on the same addresses
// End of input (or SIGTERM) stops everything and removes the files.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/logging/json_log.h"
#include "tests/operability/prometheus_fixture.h"
#include "tests/support/dnsmasq.h"
#include "tests/support/services.h"
#include "tests/support/test_pki.h"

ABSL_FLAG(std::string, app_domain, "heart.test", "the app's registrable domain (eTLD+1)");
ABSL_FLAG(std::string, client_id, "heart-helper",
          "the app's client id, published in its TXT record");
ABSL_FLAG(std::string, tenant, "demo", "the tenant whose page settings the policy holds");
ABSL_FLAG(std::string, support_contact, "Demo Health help desk, 555-0100",
          "shown on the explanation page");
ABSL_FLAG(std::string, manage_url, "", "the tenant's authorization-management page, if any");
ABSL_FLAG(int, web_port, 0, "port of the explanation page (0: a free one)");

namespace apptrust::testing {
namespace {

absl::Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out.good()) return absl::InternalError(absl::StrCat("cannot write ", temporary));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename to ", path));
  }
  return absl::OkStatus();
}

std::string Json(const std::string& text) {
  std::string out;
  logging::AppendJsonString(out, text);
  return out;
}

class LocalWorld {
 public:
  absl::Status Start() {
    auto pki = TestPki::Create();
    if (!pki.ok()) return pki.status();
    pki_ = std::move(*pki);
    domain_ = absl::GetFlag(FLAGS_app_domain);
    host_ = absl::StrCat("app.", domain_);
    if (absl::Status s = ServeCertificate(/*expired=*/false); !s.ok()) return s;

    DnsRecords records;
    records.local_zones = {domain_.substr(domain_.rfind('.') + 1)};
    records.AddHost(host_, {"127.0.0.1"});
    records.AddTxt(domain_, {absl::StrCat("cerner-client-id=", absl::GetFlag(FLAGS_client_id))});
    auto dns = Dnsmasq::Start(records);
    if (!dns.ok()) return dns.status();
    dns_ = std::move(*dns);

    auto store = StartStore(dir_.File("var/apptrust.db"));
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    if (!WaitServing(store_.channel)) return absl::UnavailableError("apptrust-store not serving");

    // The explanation page's address must be known before the decision
    // service starts, since every error_uri names it. A port taken between
    // the pick and the decision service's bind fails its start: try another.
    absl::Status started = absl::UnavailableError("not started");
    for (int attempt = 0; attempt < 3 && !started.ok(); ++attempt) {
      int port = absl::GetFlag(FLAGS_web_port);
      if (port == 0) {
        auto free_port = PickFreeLoopbackPort();
        if (!free_port.ok()) return free_port.status();
        port = *free_port;
      }
      started = StartDecision(port, "127.0.0.1:0");
    }
    return started;
  }

  // The app's certificate files: valid, or expired since yesterday.
  absl::Status ServeCertificate(bool expired) {
    LeafOptions leaf = ExampleHealthOv({host_});
    if (expired) {
      leaf.not_before = absl::Now() - absl::Hours(24 * 90);
      leaf.not_after = absl::Now() - absl::Hours(24);
    }
    auto cert = pki_->Issue(leaf);
    if (!cert.ok()) return cert.status();
    if (absl::Status s = WriteAtomically(key_path(), cert->key_pem); !s.ok()) return s;
    return WriteAtomically(chain_path(), cert->chain_pem);
  }

  // Starts apptrust-decision again on the addresses it had: the gateway and
  // every error_uri name them.
  absl::Status RestartDecision() { return StartDecision(web_port_, decision_.grpc_address); }

  absl::Status StopDecision() {
    decision_.process->Signal(SIGTERM);
    auto code = decision_.process->Wait(absl::Seconds(20));
    return code.ok() ? absl::OkStatus() : code.status();
  }

  std::string Describe() const {
    return absl::StrCat(
        "{\"decision\":", Json(decision_.grpc_address), ",\"store\":", Json(store_.grpc_address),
        ",\"web\":", Json(web_base_), ",\"dns\":", Json(dns_->server()),
        ",\"trust_root\":", Json(pki_->root_pem_path()), ",\"app_host\":", Json(host_),
        ",\"app_domain\":", Json(domain_), ",\"client_id\":", Json(absl::GetFlag(FLAGS_client_id)),
        ",\"tenant\":", Json(absl::GetFlag(FLAGS_tenant)), ",\"app_cert\":", Json(chain_path()),
        ",\"app_key\":", Json(key_path()), "}");
  }

 private:
  std::string chain_path() const { return dir_.File("app-chain.pem"); }
  std::string key_path() const { return dir_.File("app-key.pem"); }

  absl::Status StartDecision(int port, const std::string& listen) {
    web_port_ = port;
    web_base_ = absl::StrCat("http://127.0.0.1:", port);
    std::string policy = absl::StrCat("error_base_url: ", Json(web_base_), "\n");
    absl::StrAppend(
        &policy, "tenants {\n  key: ", Json(absl::GetFlag(FLAGS_tenant)),
        "\n  value {\n    support_contact: ", Json(absl::GetFlag(FLAGS_support_contact)));
    if (!absl::GetFlag(FLAGS_manage_url).empty()) {
      absl::StrAppend(&policy, "\n    manage_url: ", Json(absl::GetFlag(FLAGS_manage_url)));
    }
    absl::StrAppend(&policy, "\n  }\n}\n");
    const std::string policy_path = dir_.File("policy.textproto");
    if (absl::Status s = WriteAtomically(policy_path, policy); !s.ok()) return s;
    auto decision = apptrust::testing::StartDecision(
        store_.grpc_address,
        {absl::StrCat("--listen=", listen), absl::StrCat("--web_listen=127.0.0.1:", port),
         absl::StrCat("--dns_servers=", dns_->server()),
         absl::StrCat("--trust_store=", pki_->root_pem_path()), "--probe_allow_cidrs=127.0.0.0/8",
         "--cache_ttl=0s", "--probe_timeout=3s", absl::StrCat("--policy=", policy_path)});
    if (!decision.ok()) return decision.status();
    if (!WaitServing(decision->channel)) {
      return absl::UnavailableError("apptrust-decision not serving");
    }
    decision_ = std::move(*decision);
    return absl::OkStatus();
  }

  TempDir dir_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<Dnsmasq> dns_;
  RunningService store_;
  RunningService decision_;
  std::string domain_, host_, web_base_;
  int web_port_ = 0;
};

}  // namespace
}  // namespace apptrust::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // SIGTERM and SIGINT end the command loop like end of input, so the
  // destructors stop the services and remove the files.
  struct sigaction action {};
  action.sa_handler = [](int) { close(STDIN_FILENO); };
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  apptrust::testing::LocalWorld world;
  if (absl::Status s = world.Start(); !s.ok()) {
    std::cerr << "apptrust-local-world: " << s << "\n";
    return 1;
  }
  std::cout << world.Describe() << std::endl;
  for (std::string command; std::getline(std::cin, command);) {
    absl::Status done = absl::InvalidArgumentError(
        "unknown command (expire, renew, stop-decision, start-decision)");
    if (command == "expire" || command == "renew") {
      done = world.ServeCertificate(command == "expire");
    } else if (command == "stop-decision") {
      done = world.StopDecision();
    } else if (command == "start-decision") {
      done = world.RestartDecision();
    }
    if (done.ok()) {
      std::cout << "ok " << command << std::endl;
    } else {
      std::cout << "error " << command << ": " << done.message() << std::endl;
    }
  }
  return 0;
}
