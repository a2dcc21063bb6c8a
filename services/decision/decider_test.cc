// The Decider, where every refresh's fate is decided, over fakes of the
// prober and the store (their real counterparts are tested against real
// servers and the real store process). Each row of kRows is one situation
// between a patient's approval and a refresh: what the row changes, then
// what the refresh must answer, how many probes it may make, and the state
// the grant is left in.
#include "services/decision/decider.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/cache/observation_cache.h"
#include "common/policy/testing/example_app.h"
#include "common/probe/testing/fake_prober.h"
#include "common/time/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/decision/testing/fake_store_client.h"

namespace apptrust::decision {
namespace {

using apptrust::testing::FakeClock;
using apptrust::testing::FakeProber;
using apptrust::testing::FakeStoreClient;
using ::testing::Contains;
using ::testing::HasSubstr;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 28, 12, 0, 0), absl::UTCTimeZone());
constexpr char kTenant[] = "tenant-a";
constexpr char kClient[] = "app-1";
constexpr char kGrant[] = "grant-1";
constexpr char kRedirectUri[] = "https://app.example.com/callback";

google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// The app as the patient approved it: an OV certificate for "Example Health
// Inc" valid for months, TLS 1.3, and this client's TXT entry.
probe::EndpointObservation HealthyEndpoint(absl::Time now) {
  probe::EndpointObservation o;
  o.addresses = {"192.0.2.10"};
  o.address_outcome = v1::PROBE_OUTCOME_OK;
  o.tls = apptrust::testing::ExampleHealthOvTls(now);
  o.observed_at = now;
  return o;
}

probe::TxtObservation HealthyTxt(absl::Time now) {
  probe::TxtObservation o;
  o.outcome = v1::PROBE_OUTCOME_OK;
  o.entries = {absl::StrCat("cerner-client-id=", kClient)};
  o.observed_at = now;
  return o;
}

probe::EndpointObservation ExpiredEndpoint(absl::Time now) {
  probe::EndpointObservation o = HealthyEndpoint(now);
  *o.tls.mutable_not_after() = Ts(now - absl::Hours(1));
  o.tls.set_leaf_sha256(std::string(64, 'c'));
  return o;
}

v1::Suspension OtherReplicasSuspension(const std::string& id) {
  v1::Suspension s;
  s.set_suspension_id(id);
  s.set_tenant_id(kTenant);
  s.set_grant_id(kGrant);
  s.set_client_id(kClient);
  s.set_reason(v1::REASON_TLS_CERT_EXPIRED);
  s.set_error_uri(absl::StrCat("https://apptrust.example/errors/x/instances/", id));
  s.set_error_description("The app's TLS certificate has expired.");
  v1::Finding* f = s.add_findings();
  f->set_reason(v1::REASON_TLS_CERT_EXPIRED);
  f->set_suspends(true);
  return s;
}

template <typename T>
class Answer {
 public:
  std::function<void(absl::StatusOr<T>)> Callback() {
    return [this](absl::StatusOr<T> r) {
      absl::MutexLock lock(&mu_);
      ++calls_;
      result_ = std::move(r);
    };
  }
  // The one answer given (the Decider answers exactly once).
  absl::StatusOr<T> Get() const {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(calls_, 1) << "answered " << calls_ << " times";
    return result_.value_or(absl::InternalError("no answer"));
  }
  bool answered() const {
    absl::MutexLock lock(&mu_);
    return calls_ > 0;
  }

 private:
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::StatusOr<T>> result_ ABSL_GUARDED_BY(mu_);
};

// The fakes and the Decider under test, with the grant enrolled.
class World {
 public:
  World(const std::string& policy_text, v1::Persona enrolled_persona,
        absl::Duration cache_ttl = absl::ZeroDuration()) {
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(policy_text, &policy_));
    prober.AnswerEndpointsWith(HealthyEndpoint(kNow));
    prober.AnswerTxtWith(HealthyTxt(kNow));
    cache::ObservationCacheOptions cache_options;
    cache_options.clock = [this] { return clock.Now(); };
    cache_options.ttl = cache_ttl;
    cache_options.probe_timeout = absl::Seconds(5);
    cache_ = std::make_unique<cache::ObservationCache>(prober, cache_options);
    DeciderOptions options;
    options.policy = policy_;
    options.clock = [this] { return clock.Now(); };
    options.new_suspension_id = [this] { return absl::StrCat("ours-", ++suspensions_made_); };
    decider_ = std::make_unique<Decider>(options, store, *cache_);
    absl::StatusOr<v1::EnrollResponse> enrolled = Enroll(enrolled_persona);
    EXPECT_TRUE(enrolled.ok()) << enrolled.status();
    probes_at_enrollment_ = prober.endpoint_calls();
  }

  absl::StatusOr<v1::EnrollResponse> Enroll(v1::Persona persona) {
    v1::EnrollRequest enroll;
    enroll.set_tenant_id(kTenant);
    enroll.set_client_id(kClient);
    enroll.set_grant_id(kGrant);
    enroll.set_redirect_uri(kRedirectUri);
    enroll.set_application_name("Example Health App");
    enroll.set_persona(persona);
    Answer<v1::EnrollResponse> enrolled;
    decider_->Enroll(enroll, clock.Now() + absl::Seconds(10), enrolled.Callback());
    return enrolled.Get();
  }

  v1::CheckRefreshRequest Request() const {
    v1::CheckRefreshRequest request;
    request.set_tenant_id(kTenant);
    request.set_client_id(kClient);
    request.set_grant_id(kGrant);
    return request;
  }

  void Check(const v1::CheckRefreshRequest& request, absl::Duration deadline,
             Answer<v1::CheckRefreshResponse>& answer) {
    decider_->CheckRefresh(request, clock.Now() + deadline, answer.Callback());
  }

  // Re-approval, as the store would record it through any replica.
  void ReApprove() {
    v1::Grant grant = *store.Get(kTenant, kGrant);
    store.Put(grant);
  }

  int probes_since_enrollment() const { return prober.endpoint_calls() - probes_at_enrollment_; }
  v1::GrantState state() { return store.Get(kTenant, kGrant)->state(); }

  FakeClock clock{kNow};
  FakeProber prober{[this] { return clock.Now(); }};
  FakeStoreClient store;

 private:
  v1::PolicyConfig policy_;
  std::unique_ptr<cache::ObservationCache> cache_;
  std::unique_ptr<Decider> decider_;
  int suspensions_made_ = 0;
  int probes_at_enrollment_ = 0;
};

struct Row {
  std::string name;
  // Policy text (apptrust.v1.PolicyConfig) and the persona of the approval.
  std::string policy = "";
  v1::Persona enrolled_persona = v1::PERSONA_PATIENT;
  // What changes between the approval and the refresh.
  std::function<void(World&, v1::CheckRefreshRequest&)> arrange = nullptr;
  // Run after the refresh was asked, before it is answered (probes held).
  std::function<void(World&)> while_probing = nullptr;
  // What the refresh answers.
  absl::StatusCode code = absl::StatusCode::kOk;
  v1::Verdict verdict = v1::VERDICT_ALLOW;
  bool enforced = true;
  v1::Reason reason = v1::REASON_UNSPECIFIED;  // a finding the answer must carry
  std::string suspension_id = "";              // when it must be this one
  int probes = 1;                              // endpoint probes the refresh made
  v1::GrantState state_after = v1::GRANT_STATE_ACTIVE;
};

void ServeExpired(World& w, v1::CheckRefreshRequest&) {
  w.prober.AnswerEndpointsWith(ExpiredEndpoint(kNow));
}

const Row kRows[] = {
    {.name = "unchanged app is allowed"},
    {.name = "expired certificate suspends",
     .arrange = ServeExpired,
     .verdict = v1::VERDICT_SUSPEND,
     .reason = v1::REASON_TLS_CERT_EXPIRED,
     .suspension_id = "ours-1",
     .state_after = v1::GRANT_STATE_SUSPENDED},
    {.name = "already suspended answers the stored suspension without probing",
     .arrange =
         [](World& w, v1::CheckRefreshRequest&) {
           ASSERT_TRUE(
               w.store.SuspendDirectly(kTenant, kGrant, 1, OtherReplicasSuspension("s-9")).ok());
         },
     .verdict = v1::VERDICT_SUSPEND,
     .reason = v1::REASON_ALREADY_SUSPENDED,
     .suspension_id = "s-9",
     .probes = 0,
     .state_after = v1::GRANT_STATE_SUSPENDED},
    {.name = "a persona out of scope is allowed without probing",
     .enrolled_persona = v1::PERSONA_PROVIDER,
     .arrange = ServeExpired,
     .probes = 0},
    {.name = "a refresh naming another persona than the enrolled one is refused",
     .arrange =
         [](World& w, v1::CheckRefreshRequest& r) {
           ServeExpired(w, r);
           r.set_persona(v1::PERSONA_PROVIDER);
         },
     .code = absl::StatusCode::kInvalidArgument,
     .probes = 0},
    {.name = "the enrolled persona may be repeated",
     .arrange =
         [](World& w, v1::CheckRefreshRequest& r) {
           ServeExpired(w, r);
           r.set_persona(v1::PERSONA_PATIENT);
         },
     .verdict = v1::VERDICT_SUSPEND,
     .reason = v1::REASON_TLS_CERT_EXPIRED,
     .state_after = v1::GRANT_STATE_SUSPENDED},
    {.name = "a registered redirect URI on another domain suspends without probing",
     .arrange =
         [](World&, v1::CheckRefreshRequest& r) {
           r.set_redirect_uri("https://app.elsewhere.example.net/cb");
         },
     .verdict = v1::VERDICT_SUSPEND,
     .reason = v1::REASON_REDIRECT_DOMAIN_CHANGED,
     .probes = 0,
     .state_after = v1::GRANT_STATE_SUSPENDED},
    {.name = "shadow mode allows, unenforced, with the findings",
     .policy = "enforcement: ENFORCEMENT_SHADOW",
     .arrange = ServeExpired,
     .enforced = false,
     .reason = v1::REASON_TLS_CERT_EXPIRED},
    {.name = "a version conflict re-reads and decides again on the re-approved grant",
     .arrange =
         [](World& w, v1::CheckRefreshRequest& r) {
           ServeExpired(w, r);
           // The patient re-approves while the refresh is being decided, and
           // the app fixed its certificate.
           w.store.BeforeNextSuspend([&w] {
             w.ReApprove();
             w.prober.AnswerEndpointsWith(HealthyEndpoint(kNow));
           });
         },
     .probes = 2},
    {.name = "a second version conflict is ABORTED for the gateway to retry",
     .arrange =
         [](World& w, v1::CheckRefreshRequest& r) {
           ServeExpired(w, r);
           w.store.BeforeNextSuspend([&w] {
             w.ReApprove();
             w.store.BeforeNextSuspend([&w] { w.ReApprove(); });
           });
         },
     .code = absl::StatusCode::kAborted,
     .probes = 2},
    {.name = "another replica's suspension is adopted",
     .arrange =
         [](World& w, v1::CheckRefreshRequest& r) {
           ServeExpired(w, r);
           w.store.BeforeNextSuspend([&w] {
             ASSERT_TRUE(
                 w.store.SuspendDirectly(kTenant, kGrant, 1, OtherReplicasSuspension("theirs"))
                     .ok());
           });
         },
     .verdict = v1::VERDICT_SUSPEND,
     .reason = v1::REASON_TLS_CERT_EXPIRED,
     .suspension_id = "theirs",
     .state_after = v1::GRANT_STATE_SUSPENDED},
    {.name = "a store that cannot be read is UNAVAILABLE, never ALLOW",
     .arrange =
         [](World& w, v1::CheckRefreshRequest&) {
           w.store.FailNextGets({absl::UnavailableError("store 127.0.0.1:1 unreachable")});
         },
     .code = absl::StatusCode::kUnavailable,
     .probes = 0},
    {.name = "a store read past its deadline is DEADLINE_EXCEEDED, never ALLOW",
     .arrange =
         [](World& w, v1::CheckRefreshRequest&) {
           w.store.FailNextGets({absl::DeadlineExceededError("store read")});
         },
     .code = absl::StatusCode::kDeadlineExceeded,
     .probes = 0},
    {.name = "a suspension the store could not write is UNAVAILABLE, never ALLOW",
     .arrange =
         [](World& w, v1::CheckRefreshRequest& r) {
           ServeExpired(w, r);
           w.store.FailNextSuspends({absl::UnavailableError("store 127.0.0.1:1 unreachable")});
         },
     .code = absl::StatusCode::kUnavailable},
    {.name = "an unknown grant is NOT_FOUND",
     .arrange = [](World&, v1::CheckRefreshRequest& r) { r.set_grant_id("grant-unknown"); },
     .code = absl::StatusCode::kNotFound,
     .probes = 0},
    {.name = "another client's grant is refused",
     .arrange = [](World&, v1::CheckRefreshRequest& r) { r.set_client_id("app-2"); },
     .code = absl::StatusCode::kInvalidArgument,
     .probes = 0},
    {.name = "a probe failure under SUSPEND suspends",
     .policy = "on_probe_failure: PROBE_FAILURE_SUSPEND",
     .arrange =
         [](World& w, v1::CheckRefreshRequest&) {
           probe::EndpointObservation refused = HealthyEndpoint(kNow);
           refused.tls.Clear();
           refused.tls.set_outcome(v1::PROBE_OUTCOME_CONNECTION_REFUSED);
           w.prober.AnswerEndpointsWith(refused);
         },
     .verdict = v1::VERDICT_SUSPEND,
     .reason = v1::REASON_PROBE_FAILED,
     .state_after = v1::GRANT_STATE_SUSPENDED},
    {.name = "a probe this process could not make is UNAVAILABLE, never judged on a stale one",
     // Default STALE_OK, with a good observation seconds old: an attacker who
     // exhausts our descriptors must not get a hijacked app judged on it.
     .arrange =
         [](World& w, v1::CheckRefreshRequest&) {
           probe::EndpointObservation no_fd = ExpiredEndpoint(kNow);
           no_fd.tls.Clear();
           no_fd.tls.set_outcome(v1::PROBE_OUTCOME_LOCAL_ERROR);
           no_fd.tls.set_error("socket: Too many open files");
           w.prober.AnswerEndpointsWith(no_fd);
         },
     .code = absl::StatusCode::kUnavailable},
    {.name = "the caller's deadline passing while probing is DEADLINE_EXCEEDED",
     .arrange =
         [](World& w, v1::CheckRefreshRequest& r) {
           ServeExpired(w, r);
           w.prober.AnswerEndpointsWith(std::nullopt);  // held until completed
         },
     .while_probing =
         [](World& w) {
           w.clock.Advance(absl::Seconds(11));  // past the caller's 10 s
           w.prober.CompleteEndpoint(w.prober.endpoint_calls() - 1, ExpiredEndpoint(kNow));
         },
     .code = absl::StatusCode::kDeadlineExceeded},
};

class DeciderTableTest : public ::testing::TestWithParam<Row> {};

TEST_P(DeciderTableTest, RefreshIsDecidedAsTheRowSays) {
  const Row& row = GetParam();
  World world(row.policy, row.enrolled_persona);
  v1::CheckRefreshRequest request = world.Request();
  if (row.arrange) row.arrange(world, request);
  Answer<v1::CheckRefreshResponse> answer;
  world.Check(request, absl::Seconds(10), answer);
  if (row.while_probing) {
    EXPECT_FALSE(answer.answered()) << "answered before the probe completed";
    row.while_probing(world);
  }
  absl::StatusOr<v1::CheckRefreshResponse> got = answer.Get();
  EXPECT_EQ(got.status().code(), row.code) << got.status();
  EXPECT_EQ(world.probes_since_enrollment(), row.probes);
  EXPECT_EQ(world.state(), row.state_after);
  if (!got.ok()) return;
  EXPECT_EQ(got->verdict(), row.verdict);
  EXPECT_EQ(got->enforced(), row.enforced);
  std::vector<v1::Reason> reasons;
  for (const v1::Finding& f : got->findings()) reasons.push_back(f.reason());
  if (row.reason != v1::REASON_UNSPECIFIED) {
    EXPECT_THAT(reasons, Contains(row.reason));
  }
  if (row.verdict == v1::VERDICT_SUSPEND) {
    EXPECT_EQ(got->error(), "invalid_grant");
    EXPECT_FALSE(got->error_uri().empty());
    EXPECT_EQ(got->suspension_id(), world.store.Get(kTenant, kGrant)->suspension().suspension_id())
        << "the answer is the suspension the store holds";
  } else {
    EXPECT_TRUE(got->error_uri().empty());
  }
  if (!row.suspension_id.empty()) {
    EXPECT_EQ(got->suspension_id(), row.suspension_id);
    EXPECT_THAT(got->error_uri(), HasSubstr(row.suspension_id));
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, DeciderTableTest, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           std::string name;
                           for (char c : info.param.name) {
                             if (std::isalnum(static_cast<unsigned char>(c))) name += c;
                           }
                           return name;
                         });

// Defect: a refresh with a 150 ms deadline started the probe of a slow host
// (handshake after 600 ms) and ended it at its own deadline; the timeout was
// cached and served to the next patient, whose deadline was 15 s, and under
// PROBE_FAILURE_SUSPEND that grant was suspended although the host is fine.
TEST(DeciderDeadlineTest, AShortCallerDeadlineNeverDecidesForAnotherPatient) {
  World world("on_probe_failure: PROBE_FAILURE_SUSPEND", v1::PERSONA_PATIENT,
              /*cache_ttl=*/absl::Minutes(5));
  world.clock.Advance(absl::Minutes(6));  // the enrollment's observation expired
  world.prober.AnswerEndpointsWith(std::nullopt);
  world.prober.AnswerTxtWith(std::nullopt);
  const int first_probe = world.prober.endpoint_calls();
  const int first_txt = world.prober.txt_calls();

  Answer<v1::CheckRefreshResponse> hurried, patient;
  world.Check(world.Request(), absl::Milliseconds(150), hurried);
  world.Check(world.Request(), absl::Seconds(15), patient);  // joins the probe
  ASSERT_EQ(world.prober.endpoint_calls(), first_probe + 1) << "one probe for both";

  world.clock.Advance(absl::Milliseconds(600));  // the slow host answers
  world.prober.CompleteEndpoint(first_probe, HealthyEndpoint(world.clock.Now()));
  world.prober.CompleteTxt(first_txt, HealthyTxt(world.clock.Now()));

  EXPECT_EQ(hurried.Get().status().code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(patient.Get().ok()) << patient.Get().status();
  EXPECT_EQ(patient.Get()->verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(world.state(), v1::GRANT_STATE_ACTIVE);

  // What was cached is the good observation: the next refresh is allowed
  // without a probe.
  Answer<v1::CheckRefreshResponse> next;
  world.Check(world.Request(), absl::Seconds(15), next);
  ASSERT_TRUE(next.Get().ok()) << next.Get().status();
  EXPECT_EQ(next.Get()->verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(world.prober.endpoint_calls(), first_probe + 1);
}

TEST(DeciderEnrollTest, AnAppThatCannotBeObservedIsNotEnrolled) {
  World world("", v1::PERSONA_PATIENT);
  probe::EndpointObservation timeout = HealthyEndpoint(kNow);
  timeout.tls.Clear();
  timeout.tls.set_outcome(v1::PROBE_OUTCOME_TIMEOUT);
  world.prober.AnswerEndpointsWith(timeout);
  const int puts = world.store.puts();
  absl::StatusOr<v1::EnrollResponse> again = world.Enroll(v1::PERSONA_PATIENT);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable) << again.status();
  EXPECT_THAT(again.status().message(), HasSubstr("TLS handshake: timeout"));
  EXPECT_EQ(world.store.puts(), puts) << "nothing stored without a definitive observation";
}

TEST(DeciderEnrollTest, ReApprovalReactivatesASuspendedGrant) {
  World world("", v1::PERSONA_PATIENT);
  world.prober.AnswerEndpointsWith(ExpiredEndpoint(kNow));
  Answer<v1::CheckRefreshResponse> suspended;
  world.Check(world.Request(), absl::Seconds(10), suspended);
  ASSERT_TRUE(suspended.Get().ok());
  ASSERT_EQ(world.state(), v1::GRANT_STATE_SUSPENDED);
  world.prober.AnswerEndpointsWith(HealthyEndpoint(kNow));
  absl::StatusOr<v1::EnrollResponse> again = world.Enroll(v1::PERSONA_PATIENT);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->grant_version(), 3);  // enrolled 1, suspended 2, re-approved 3
  Answer<v1::CheckRefreshResponse> allowed;
  world.Check(world.Request(), absl::Seconds(10), allowed);
  ASSERT_TRUE(allowed.Get().ok());
  EXPECT_EQ(allowed.Get()->verdict(), v1::VERDICT_ALLOW);
}

}  // namespace
}  // namespace apptrust::decision
