// The explanation page's multi-process fixture: the real apptrust-store and
// apptrust-decision on ephemeral loopback ports, and a suspended grant whose
// error_uri points at the decision service's web listener.
//
// Today the grant is suspended directly through the store's gRPC API
// (PutGrant, then SuspendGrant with a hand-made Suspension), so the page is
// tested independently of probing and policy. A test that suspends end to end
// (Enroll, break the site, CheckRefresh) can take the error_uri from the
// CheckRefresh response instead and use the same checks.
#ifndef APPTRUST_TESTS_WEB_SUSPENDED_GRANT_FIXTURE_H_
#define APPTRUST_TESTS_WEB_SUSPENDED_GRANT_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apptrust/v1/types.pb.h"
#include "tests/support/services.h"
#include "tests/support/subprocess.h"

namespace apptrust::testing {

inline constexpr char kLongClientId[] = "heartHelper7f3c9a2e4b1d4e8f9a6c2d5b8e1f0c3a7f3c9a2e";

// What to suspend. Defaults describe an app whose certificate expired, whose
// organization name is an XSS attempt (the page must render it as text).
struct SuspensionSpec {
  std::string tenant_id = "tenant-north";
  std::string grant_id = "grant-0001";
  // Long and unbreakable on purpose: the page must wrap it on a phone.
  std::string client_id = kLongClientId;
  std::string redirect_uri =
      "https://app.heart-helper.example/oauth2/patient-portal/callback/7f3c9a2e4b1d4e8f9a6c";
  v1::Reason reason = v1::REASON_TLS_CERT_EXPIRED;
  v1::DisplayIdentity identity;
  std::vector<v1::Finding> findings;
  std::string error_description = "The app's website certificate expired.";
};

// The expired-certificate spec described above, with
// organization_name "<script>alert(1)</script>" and domain
// "heart-helper.example".
SuspensionSpec ExpiredCertificateSpec();

// The expired-certificate spec with one finding of every Reason the API
// defines (suspending first, as the policy orders them, under the strict
// profile, with details in the policy's form): the page at its longest.
SuspensionSpec EveryKindOfFindingSpec();

// The sentence of the expired-certificate finding, as a patient reads it.
inline constexpr char kExpiredSentence[] =
    "The website's security certificate expired on 1 November 2026.";

class SuspendedGrantFixture {
 public:
  // Starts the store on a fresh SQLite file, then the decision service
  // (with `decision_flags` added, e.g. --policy=...) talking to it, and waits
  // for the decision service's "web listening on" line.
  static absl::StatusOr<std::unique_ptr<SuspendedGrantFixture>> Start(
      std::vector<std::string> decision_flags = {});

  RunningService& store() { return store_; }
  RunningService& decision() { return decision_; }
  // host:port of the explanation page listener.
  const std::string& web_address() const { return web_address_; }
  // "http://<web_address>": the error_base_url matching the listener.
  std::string web_base_url() const { return "http://" + web_address_; }
  const TempDir& dir() const { return dir_; }

  // PutGrant, then SuspendGrant with a Suspension built from `spec` (a fresh
  // random suspension id, error_uri = BuildErrorUri(web_base_url(), ...)).
  // Returns the suspension as the store answered it.
  absl::StatusOr<v1::Suspension> Suspend(const SuspensionSpec& spec);

 private:
  SuspendedGrantFixture() = default;
  TempDir dir_;
  RunningService store_;
  RunningService decision_;
  std::string web_address_;
};

// Writes `text` to `path` (e.g. a policy.textproto for --policy).
absl::Status WriteFile(const std::string& path, const std::string& text);

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_WEB_SUSPENDED_GRANT_FIXTURE_H_
