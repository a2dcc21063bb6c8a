#include "services/decision/decider.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config/policy_config.h"
#include "common/logging/json_log.h"
#include "common/net/redirect_uri.h"
#include "common/policy/display_identity.h"
#include "common/policy/error_uri.h"
#include "common/policy/policy.h"
#include "common/policy/probe_outcome.h"
#include "common/time/proto_time.h"
#include "services/decision/request_validation.h"

namespace apptrust::decision {
namespace {

using timeconv::FromProto;
using timeconv::ToProto;

std::string RandomSuspensionId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

const v1::Finding* FirstSuspending(const std::vector<v1::Finding>& findings) {
  for (const v1::Finding& finding : findings) {
    if (finding.suspends()) return &finding;
  }
  return nullptr;
}

absl::Status WithField(absl::string_view field, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(field, ": ", status.message()));
}

// The caller's deadline passed while the observation ran (to its own bound,
// see ObservationCache): gRPC has already ended the call, so nothing is
// decided or written for it.
bool CallerDeadlinePassed(absl::Time caller_deadline, absl::Time now) {
  return now >= caller_deadline;
}

// "TLS handshake: timeout; TXT lookup: servfail", for an Enroll that could not
// observe the app.
std::string ProbeFailureText(const v1::Fingerprint& fp) {
  std::vector<std::string> parts;
  auto add = [&parts](const char* what, v1::ProbeOutcome outcome, const std::string& error) {
    if (!policy::IsProbeFailure(outcome)) return;
    std::string name = v1::ProbeOutcome_Name(outcome).substr(sizeof("PROBE_OUTCOME_") - 1);
    parts.push_back(absl::StrCat(what, ": ", absl::AsciiStrToLower(name),
                                 error.empty() ? "" : absl::StrCat(" (", error, ")")));
  };
  add("address lookup", fp.dns().address_outcome(), fp.dns().error());
  add("TLS handshake", fp.tls().outcome(), fp.tls().error());
  add("CRL", fp.tls().revocation_outcome(), fp.tls().revocation_error());
  add("TXT lookup", fp.dns().txt_outcome(), "");
  return absl::StrJoin(parts, "; ");
}

// An observation this process could not make for lack of its own resources
// (descriptors, memory, ports: common/policy/probe_outcome.h) is no evidence
// about the app either way: no verdict and no description rests on it, and
// the gateway retries.
absl::Status NoEvidence(const v1::Fingerprint& fp) {
  return absl::UnavailableError(
      absl::StrCat("the app could not be observed for lack of a local resource (",
                   ProbeFailureText(fp), "); retry"));
}

}  // namespace

struct Decider::RefreshCall {
  v1::CheckRefreshRequest request;
  absl::Time deadline;
  absl::Time started;
  config::EffectivePolicy policy;
  // The redirect URI the gateway registered, when it sent one.
  absl::StatusOr<net::Target> registered;
  // As read (shared with the grant cache, never changed).
  std::shared_ptr<const v1::Grant> grant;
  // Set once the grant has been read again after a version conflict.
  bool reread = false;
  Callback<v1::CheckRefreshResponse> done;
};

Decider::Decider(DeciderOptions options, StoreClient& store, cache::ObservationCache& cache)
    : options_(std::move(options)), store_(store), cache_(cache) {
  if (!options_.new_suspension_id) options_.new_suspension_id = RandomSuspensionId;
}

void Decider::Record(DecisionRpc rpc, DecisionVerdict verdict, v1::Reason reason,
                     absl::Time started) const {
  if (options_.metrics != nullptr) {
    options_.metrics->RecordDecision(rpc, verdict, reason, options_.clock() - started);
  }
}

void Decider::Inspect(const v1::InspectRequest& request, absl::Time deadline,
                      Callback<v1::InspectResponse> done) {
  const absl::Time started = options_.clock();
  auto finish = [this, started, done = std::move(done)](absl::StatusOr<v1::InspectResponse> r) {
    Record(DecisionRpc::kInspect, r.ok() ? DecisionVerdict::kAllow : DecisionVerdict::kError,
           v1::REASON_UNSPECIFIED, started);
    done(std::move(r));
  };
  if (absl::Status s = ValidateInspect(request); !s.ok()) return finish(s);
  auto target = net::ParseRedirectUri(request.redirect_uri());
  if (!target.ok()) return finish(WithField("redirect_uri", target.status()));
  const config::EffectivePolicy policy = config::ResolvePolicy(options_.policy, "");
  // A preview describes the site as it is: no stale stand-in for a failure.
  cache_.Observe(
      *target, request.client_id(), policy.txt_key, absl::ZeroDuration(),
      [this, request, policy, deadline, finish = std::move(finish)](cache::Observation seen) {
        const absl::Time now = options_.clock();
        if (CallerDeadlinePassed(deadline, now)) {
          return finish(absl::DeadlineExceededError("deadline passed while probing"));
        }
        if (policy::ProbeFailedLocally(seen.fingerprint))
          return finish(NoEvidence(seen.fingerprint));
        v1::InspectResponse response;
        *response.mutable_identity() = policy::ComputeIdentity(
            seen.fingerprint, request.application_name(), /*validated=*/false, now);
        for (v1::Finding& f : policy::DescribeApp(seen.fingerprint, now, policy)) {
          *response.add_findings() = std::move(f);
        }
        *response.mutable_fingerprint() = std::move(seen.fingerprint);
        finish(std::move(response));
      });
}

void Decider::Enroll(const v1::EnrollRequest& request, absl::Time deadline,
                     Callback<v1::EnrollResponse> done) {
  const absl::Time started = options_.clock();
  auto finish = [this, started, done = std::move(done)](absl::StatusOr<v1::EnrollResponse> r) {
    Record(DecisionRpc::kEnroll, r.ok() ? DecisionVerdict::kAllow : DecisionVerdict::kError,
           v1::REASON_UNSPECIFIED, started);
    if (r.ok() && options_.metrics != nullptr) {
      options_.metrics->RecordEnrollment(r->identity().label());
    }
    done(std::move(r));
  };
  if (absl::Status s = ValidateEnroll(request); !s.ok()) return finish(s);
  auto target = net::ParseRedirectUri(request.redirect_uri());
  if (!target.ok()) return finish(WithField("redirect_uri", target.status()));
  const config::EffectivePolicy policy =
      config::ResolvePolicy(options_.policy, request.tenant_id());
  // The patient approves what the site shows now: a failed probe is not
  // replaced by an older observation.
  cache_.Observe(
      *target, request.client_id(), policy.txt_key, absl::ZeroDuration(),
      [this, request, policy, deadline, finish = std::move(finish)](cache::Observation seen) {
        const absl::Time now = options_.clock();
        if (CallerDeadlinePassed(deadline, now)) {
          return finish(absl::DeadlineExceededError("deadline passed while probing"));
        }
        if (policy::ProbeFailed(seen.fingerprint)) {
          // Without a definitive observation there is nothing to compare
          // later refreshes with; the gateway may retry.
          return finish(
              absl::UnavailableError(absl::StrCat("could not observe ", request.redirect_uri(),
                                                  ": ", ProbeFailureText(seen.fingerprint))));
        }
        v1::Grant grant;
        grant.set_tenant_id(request.tenant_id());
        grant.set_grant_id(request.grant_id());
        grant.set_client_id(request.client_id());
        grant.set_redirect_uri(request.redirect_uri());
        grant.set_persona(request.persona() == v1::PERSONA_UNSPECIFIED ? v1::PERSONA_PATIENT
                                                                       : request.persona());
        grant.set_application_name(request.application_name());
        grant.set_validated(request.validated());
        *grant.mutable_identity() = policy::ComputeIdentity(
            seen.fingerprint, request.application_name(), request.validated(), now);
        *grant.mutable_fingerprint() = seen.fingerprint;
        v1::EnrollResponse response;
        *response.mutable_identity() = grant.identity();
        for (v1::Finding& f : policy::DescribeApp(seen.fingerprint, now, policy)) {
          *response.add_findings() = std::move(f);
        }
        *response.mutable_fingerprint() = std::move(seen.fingerprint);
        store_.PutGrant(grant, deadline,
                        [response = std::move(response),
                         finish = std::move(finish)](absl::StatusOr<v1::Grant> stored) mutable {
                          if (!stored.ok()) return finish(stored.status());
                          response.set_grant_version(stored->version());
                          response.set_store_revision(stored->revision());
                          finish(std::move(response));
                        });
      });
}

void Decider::CheckRefresh(const v1::CheckRefreshRequest& request, absl::Time deadline,
                           Callback<v1::CheckRefreshResponse> done) {
  auto call = std::make_shared<RefreshCall>();
  call->request = request;
  call->deadline = deadline;
  call->started = options_.clock();
  // The call owns `done`, so it is alive whenever `done` runs.
  call->done = [this, raw = call.get(), call_started = call->started,
                done = std::move(done)](absl::StatusOr<v1::CheckRefreshResponse> r) {
    if (r.ok() && r->store_revision() == 0 && raw->grant != nullptr) {
      r->set_store_revision(raw->grant->revision());
    }
    DecisionVerdict verdict = DecisionVerdict::kError;
    v1::Reason reason = v1::REASON_UNSPECIFIED;
    if (r.ok()) {
      verdict =
          r->verdict() == v1::VERDICT_SUSPEND ? DecisionVerdict::kSuspend : DecisionVerdict::kAllow;
      for (const v1::Finding& f : r->findings()) {
        if (f.suspends()) {
          reason = f.reason();
          break;
        }
      }
    }
    Record(DecisionRpc::kCheckRefresh, verdict, reason, call_started);
    done(std::move(r));
  };
  if (absl::Status s = ValidateCheckRefresh(request); !s.ok()) return call->done(s);
  // A malformed registered redirect URI is the gateway's input error.
  if (!request.redirect_uri().empty()) {
    call->registered = net::ParseRedirectUri(request.redirect_uri());
    if (!call->registered.ok()) {
      return call->done(WithField("redirect_uri", call->registered.status()));
    }
  }
  call->policy = config::ResolvePolicy(options_.policy, request.tenant_id());
  ReadAndDecide(std::move(call));
}

void Decider::ReadAndDecide(std::shared_ptr<RefreshCall> call) {
  // After a version conflict the grant is read from the store itself: a
  // cached copy may still be the version that conflicted.
  const int64_t min_revision =
      call->reread ? std::numeric_limits<int64_t>::max() : call->request.min_store_revision();
  store_.GetSharedGrant(
      call->request.tenant_id(), call->request.grant_id(), min_revision, call->deadline,
      [this, call](absl::StatusOr<std::shared_ptr<const v1::Grant>> grant) {
        if (!grant.ok()) return call->done(grant.status());
        call->grant = *std::move(grant);
        const v1::Grant& g = *call->grant;
        if (g.client_id() != call->request.client_id()) {
          return call->done(absl::InvalidArgumentError(
              "client_id: does not match the client the grant was issued to"));
        }
        if (g.state() == v1::GRANT_STATE_SUSPENDED) {
          v1::CheckRefreshResponse response;
          response.set_verdict(v1::VERDICT_SUSPEND);
          response.set_enforced(true);
          v1::Finding* already = response.add_findings();
          already->set_reason(v1::REASON_ALREADY_SUSPENDED);
          already->set_suspends(true);
          already->set_message(
              "Access was already paused; the patient must approve the app again.");
          already->set_detail(absl::StrCat("suspension_id: ", g.suspension().suspension_id()));
          for (const v1::Finding& f : g.suspension().findings()) *response.add_findings() = f;
          response.set_error("invalid_grant");
          response.set_error_description(g.suspension().error_description());
          response.set_error_uri(g.suspension().error_uri());
          response.set_suspension_id(g.suspension().suspension_id());
          *response.mutable_observed_at() = g.suspension().suspended_at();
          return call->done(std::move(response));
        }
        // The persona the patient approved the app under decides scope: a
        // refresh cannot talk its way out of the check by naming another.
        if (call->request.persona() != v1::PERSONA_UNSPECIFIED &&
            call->request.persona() != g.persona()) {
          return call->done(absl::InvalidArgumentError(
              absl::StrCat("persona: ", v1::Persona_Name(call->request.persona()),
                           " differs from the persona the grant was enrolled with (",
                           v1::Persona_Name(g.persona()), "); send it unset or the same")));
        }
        if (!config::InScope(call->policy, g.persona())) {
          v1::CheckRefreshResponse response;
          response.set_verdict(v1::VERDICT_ALLOW);
          response.set_enforced(true);
          return call->done(std::move(response));
        }
        if (call->registered.ok() && call->registered->domain != g.fingerprint().domain()) {
          v1::Finding finding = policy::RedirectDomainChangedFinding(
              g.fingerprint().domain(), call->registered->domain, call->policy);
          if (finding.suspends()) return Suspend(call, {finding}, options_.clock());
          v1::CheckRefreshResponse response;
          response.set_verdict(v1::VERDICT_ALLOW);
          response.set_enforced(true);
          *response.add_findings() = std::move(finding);
          *response.mutable_observed_at() = ToProto(options_.clock());
          return call->done(std::move(response));
        }
        auto target = net::ParseRedirectUri(g.redirect_uri());
        if (!target.ok()) {
          return call->done(absl::InternalError(
              absl::StrCat("stored redirect_uri does not parse: ", target.status().message())));
        }
        cache_.ObserveShared(
            *target, g.client_id(), call->policy.txt_key, config::StaleAllowance(call->policy),
            [this, call](cache::Observation seen) {
              const absl::Time now = options_.clock();
              if (CallerDeadlinePassed(call->deadline, now)) {
                return call->done(absl::DeadlineExceededError("deadline passed while probing"));
              }
              const v1::Fingerprint& observed = *seen.shared_fingerprint;
              if (policy::ProbeFailedLocally(observed)) {
                return call->done(NoEvidence(observed));
              }
              std::vector<v1::Finding> findings = policy::Evaluate(
                  policy::EnrolledFromGrant(*call->grant), observed, now, call->policy);
              const absl::Time observed_at = FromProto(observed.captured_at());
              if (FirstSuspending(findings) != nullptr) {
                return Suspend(call, std::move(findings), observed_at);
              }
              v1::CheckRefreshResponse response;
              response.set_verdict(v1::VERDICT_ALLOW);
              response.set_enforced(true);
              for (v1::Finding& f : findings) *response.add_findings() = std::move(f);
              *response.mutable_observed_at() = ToProto(observed_at);
              call->done(std::move(response));
            });
      });
}

void Decider::Suspend(std::shared_ptr<RefreshCall> call, std::vector<v1::Finding> findings,
                      absl::Time observed_at) {
  const v1::Finding* primary = FirstSuspending(findings);
  if (call->policy.enforcement == v1::ENFORCEMENT_SHADOW) {
    // Logged before the findings are moved into the answer.
    logging::Info("would suspend (shadow mode)")
        .Field("tenant_id", call->request.tenant_id())
        .Field("grant_id", call->request.grant_id())
        .Field("reason", policy::ReasonSlug(primary->reason()));
    v1::CheckRefreshResponse response;
    response.set_verdict(v1::VERDICT_ALLOW);
    response.set_enforced(false);
    for (v1::Finding& f : findings) *response.add_findings() = std::move(f);
    *response.mutable_observed_at() = ToProto(observed_at);
    return call->done(std::move(response));
  }
  const v1::Grant& g = *call->grant;
  v1::Suspension suspension;
  suspension.set_suspension_id(options_.new_suspension_id());
  suspension.set_tenant_id(g.tenant_id());
  suspension.set_grant_id(g.grant_id());
  suspension.set_client_id(g.client_id());
  suspension.set_reason(primary->reason());
  suspension.set_error_uri(policy::BuildErrorUri(call->policy.error_base_url, primary->reason(),
                                                 suspension.suspension_id(), g.client_id(),
                                                 g.tenant_id()));
  suspension.set_error_description(policy::ErrorDescription(findings));
  *suspension.mutable_suspended_at() = ToProto(options_.clock());
  *suspension.mutable_identity() = g.identity();
  suspension.set_redirect_uri(g.redirect_uri());
  for (const v1::Finding& f : findings) *suspension.add_findings() = f;

  store_.SuspendGrant(
      g.tenant_id(), g.grant_id(), g.version(), suspension, call->deadline,
      [this, call, our_id = suspension.suspension_id(),
       observed_at](absl::StatusOr<v1::Grant> stored) {
        if (!stored.ok()) {
          if (stored.status().code() == absl::StatusCode::kFailedPrecondition) {
            // Re-approved between our read and our write (or, with the grant
            // cache, before a read this replica reused): the observation was
            // judged against a fingerprint that is no longer current. Decide
            // again on the grant as it is now, once.
            if (!call->reread) {
              call->reread = true;
              return ReadAndDecide(call);
            }
            return call->done(absl::AbortedError(
                "the grant changed while it was being checked (re-approved?); retry the refresh"));
          }
          return call->done(stored.status());
        }
        // Another replica may have suspended first: its suspension is the one.
        const v1::Suspension& s = stored->suspension();
        v1::CheckRefreshResponse response;
        response.set_verdict(v1::VERDICT_SUSPEND);
        response.set_enforced(true);
        for (const v1::Finding& f : s.findings()) *response.add_findings() = f;
        response.set_error("invalid_grant");
        response.set_error_description(s.error_description());
        response.set_error_uri(s.error_uri());
        response.set_suspension_id(s.suspension_id());
        *response.mutable_observed_at() = ToProto(observed_at);
        response.set_store_revision(stored->revision());
        // Counted once: by the replica whose suspension was stored.
        if (options_.metrics != nullptr && s.suspension_id() == our_id) {
          options_.metrics->RecordSuspension(s.reason());
        }
        logging::Info("grant suspended")
            .Field("tenant_id", s.tenant_id())
            .Field("grant_id", s.grant_id())
            .Field("client_id", s.client_id())
            .Field("suspension_id", s.suspension_id())
            .Field("reason", policy::ReasonSlug(s.reason()));
        call->done(std::move(response));
      });
}

}  // namespace apptrust::decision
