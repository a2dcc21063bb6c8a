#include "services/decision/grpc_store_client.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace apptrust::decision {
namespace {

absl::Status FromGrpc(const grpc::Status& status, const std::string& address) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  if (code == absl::StatusCode::kUnavailable) {
    return absl::UnavailableError(
        absl::StrCat("store unavailable at ", address, ": ", status.error_message()));
  }
  return absl::Status(code, absl::StrCat("store: ", status.error_message()));
}

}  // namespace

std::shared_ptr<grpc::Channel> GrpcStoreClient::MakeChannel(const std::string& address,
                                                            const server::TlsClientOptions& tls) {
  grpc::ChannelArguments args;
  // Without these the channel backs off for up to two minutes after the
  // store restarts; refreshes would fail long after the store is back.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  // Said explicitly rather than left at gRPC's 4 MiB default: the store's
  // batched answers are bounded well below this (about 1 MiB plus one grant).
  args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  std::shared_ptr<grpc::ChannelCredentials> credentials = server::MakeChannelCredentials(tls, args);
  return grpc::CreateCustomChannel(address, credentials, args);
}

GrpcStoreClient::GrpcStoreClient(std::shared_ptr<grpc::Channel> channel, std::string address,
                                 StoreCallObserver observer)
    : channel_(std::move(channel)),
      stub_(v1::FingerprintStore::NewStub(channel_)),
      address_(std::move(address)),
      observer_(std::move(observer)) {}

template <typename Request>
void GrpcStoreClient::Call(const char* method, Request request, absl::Time deadline,
                           GrantCallback done) {
  struct State {
    grpc::ClientContext context;
    Request request;
    v1::Grant response;
    absl::Time started;
  };
  auto state = std::make_shared<State>();
  state->request = std::move(request);
  state->context.set_deadline(absl::ToChronoTime(deadline));
  state->started = absl::Now();
  auto on_done = [this, method, state, done = std::move(done)](grpc::Status status) {
    if (observer_) observer_(method, status.error_code(), absl::Now() - state->started);
    absl::Status result = FromGrpc(status, address_);
    if (result.ok()) {
      done(std::move(state->response));
    } else {
      done(std::move(result));
    }
  };
  auto* async = stub_->async();
  if constexpr (std::is_same_v<Request, v1::GetGrantRequest>) {
    async->GetGrant(&state->context, &state->request, &state->response, std::move(on_done));
  } else if constexpr (std::is_same_v<Request, v1::PutGrantRequest>) {
    async->PutGrant(&state->context, &state->request, &state->response, std::move(on_done));
  } else {
    async->SuspendGrant(&state->context, &state->request, &state->response, std::move(on_done));
  }
}

void GrpcStoreClient::GetGrant(const std::string& tenant_id, const std::string& grant_id,
                               absl::Time deadline, GrantCallback done) {
  PendingRead read{tenant_id, grant_id, deadline, std::move(done)};
  {
    absl::MutexLock lock(&reads_mu_);
    if (read_calls_in_flight_ >= kMaxReadCallsInFlight) {
      waiting_reads_.push_back(std::move(read));
      return;
    }
    ++read_calls_in_flight_;
  }
  std::vector<PendingRead> reads;
  reads.push_back(std::move(read));
  SendReads(std::move(reads));
}

void GrpcStoreClient::ReadCallFinished() {
  std::vector<PendingRead> next;
  {
    absl::MutexLock lock(&reads_mu_);
    if (waiting_reads_.empty()) {
      --read_calls_in_flight_;
      return;
    }
    const size_t take = std::min(waiting_reads_.size(), static_cast<size_t>(kMaxReadsPerBatch));
    next.assign(std::make_move_iterator(waiting_reads_.begin()),
                std::make_move_iterator(waiting_reads_.begin() + static_cast<ptrdiff_t>(take)));
    waiting_reads_.erase(waiting_reads_.begin(),
                         waiting_reads_.begin() + static_cast<ptrdiff_t>(take));
  }
  SendReads(std::move(next));
}

void GrpcStoreClient::SendReads(std::vector<PendingRead> reads, bool singly) {
  // A read whose caller has given up is answered now, not sent.
  const absl::Time now = absl::Now();
  std::vector<PendingRead> live;
  live.reserve(reads.size());
  for (PendingRead& read : reads) {
    if (read.deadline <= now) {
      read.done(absl::DeadlineExceededError("deadline passed before the store was asked"));
    } else {
      live.push_back(std::move(read));
    }
  }
  if (live.empty()) return ReadCallFinished();
  if (!singly && live.size() > 1 && batch_supported_.load(std::memory_order_relaxed)) {
    return SendBatch(std::move(live));
  }
  // One call per read: the first one carries the slot; the others (only
  // when batching is unsupported) are plain concurrent calls.
  for (size_t i = 0; i < live.size(); ++i) {
    v1::GetGrantRequest request;
    request.set_tenant_id(live[i].tenant_id);
    request.set_grant_id(live[i].grant_id);
    const bool carries_slot = i == 0;
    Call("GetGrant", std::move(request), live[i].deadline,
         [this, carries_slot, done = std::move(live[i].done)](absl::StatusOr<v1::Grant> grant) {
           if (carries_slot) ReadCallFinished();
           done(std::move(grant));
         });
  }
}

void GrpcStoreClient::SendBatch(std::vector<PendingRead> reads) {
  struct State {
    grpc::ClientContext context;
    v1::BatchGetGrantsRequest request;
    v1::BatchGetGrantsResponse response;
    std::vector<PendingRead> reads;
    // reads[i] is answered by response.results(index[i]), which answers
    // uses[index[i]] reads (the last one may take it).
    std::vector<int> index;
    std::vector<int> uses;
    absl::Time started;
  };
  auto state = std::make_shared<State>();
  absl::Time deadline = absl::InfinitePast();
  absl::flat_hash_map<std::pair<std::string, std::string>, int> seen;
  for (const PendingRead& read : reads) {
    auto [it, inserted] = seen.try_emplace(std::make_pair(read.tenant_id, read.grant_id),
                                           state->request.requests_size());
    if (inserted) {
      v1::GetGrantRequest* one = state->request.add_requests();
      one->set_tenant_id(read.tenant_id);
      one->set_grant_id(read.grant_id);
      state->uses.push_back(0);
    }
    state->index.push_back(it->second);
    ++state->uses[static_cast<size_t>(it->second)];
    deadline = std::max(deadline, read.deadline);
  }
  state->reads = std::move(reads);
  state->context.set_deadline(absl::ToChronoTime(deadline));
  state->started = absl::Now();
  stub_->async()->BatchGetGrants(
      &state->context, &state->request, &state->response, [this, state](grpc::Status status) {
        if (observer_) {
          observer_("BatchGetGrants", status.error_code(), absl::Now() - state->started);
        }
        if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
          // An older store: read these (and all later reads) one by one.
          batch_supported_.store(false, std::memory_order_relaxed);
          return SendReads(std::move(state->reads));
        }
        if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
            state->request.requests_size() > 1) {
          // The answer was too big (a store that does not bound its answers)
          // or the store is busy: each grant on its own call, so one grant's
          // size can fail only its own read.
          return SendReads(std::move(state->reads), /*singly=*/true);
        }
        const absl::Status failed = FromGrpc(status, address_);
        const int answered = failed.ok() ? state->response.results_size() : 0;
        const bool valid =
            failed.ok() && answered >= 1 && answered <= state->request.requests_size();
        // A full answer holds the first `answered` results: the reads of the
        // others go out again, ahead of the reads that queued meanwhile.
        std::vector<PendingRead> again;
        if (valid && answered < state->request.requests_size()) {
          for (size_t i = 0; i < state->reads.size(); ++i) {
            if (state->index[i] >= answered) again.push_back(std::move(state->reads[i]));
          }
          absl::MutexLock lock(&reads_mu_);
          waiting_reads_.insert(waiting_reads_.begin(), std::make_move_iterator(again.begin()),
                                std::make_move_iterator(again.end()));
        }
        ReadCallFinished();
        const absl::Time now = absl::Now();
        for (size_t i = 0; i < state->reads.size(); ++i) {
          PendingRead& read = state->reads[i];
          if (!failed.ok()) {
            read.done(failed);
          } else if (!valid) {
            read.done(
                absl::InternalError("store: BatchGetGrants answered the wrong number of "
                                    "results"));
          } else if (state->index[i] >= answered) {
            continue;  // asked again above
          } else if (now > read.deadline) {
            read.done(absl::DeadlineExceededError("deadline passed while reading the grant"));
          } else {
            const int at = state->index[i];
            v1::GetGrantResult& result = state->response.mutable_results()->at(at);
            if (result.code() != 0) {
              read.done(absl::Status(static_cast<absl::StatusCode>(result.code()),
                                     absl::StrCat("store: ", result.message())));
            } else if (--state->uses[static_cast<size_t>(at)] == 0) {
              read.done(std::move(*result.mutable_grant()));
            } else {
              read.done(result.grant());
            }
          }
        }
      });
}

void GrpcStoreClient::PutGrant(const v1::Grant& grant, absl::Time deadline, GrantCallback done) {
  v1::PutGrantRequest request;
  *request.mutable_grant() = grant;
  Call("PutGrant", std::move(request), deadline, std::move(done));
}

void GrpcStoreClient::SuspendGrant(const std::string& tenant_id, const std::string& grant_id,
                                   int64_t expected_version, const v1::Suspension& suspension,
                                   absl::Time deadline, GrantCallback done) {
  v1::SuspendGrantRequest request;
  request.set_tenant_id(tenant_id);
  request.set_grant_id(grant_id);
  request.set_expected_version(expected_version);
  *request.mutable_suspension() = suspension;
  Call("SuspendGrant", std::move(request), deadline, std::move(done));
}

}  // namespace apptrust::decision
