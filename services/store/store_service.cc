#include "services/store/store_service.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging/json_log.h"
#include "common/server/grpc_status.h"
#include "common/time/proto_time.h"
#include "google/protobuf/util/time_util.h"
#include "services/store/audit_caller.h"
#include "services/store/change_log.h"
#include "services/store/page_token.h"
#include "services/store/suspension_id.h"
#include "services/store/validation.h"

namespace apptrust::store {
namespace {

using apptrust::v1::Grant;

// Moves `items` into `out` in order until about `max_bytes` (at least one
// item always goes): a listing's answer stays under the reader's fixed
// receive limit whatever the rows hold. True when an item was left behind,
// so the page ends early and another follows.
template <typename T>
bool MoveBounded(std::vector<T>& items, google::protobuf::RepeatedPtrField<T>* out,
                 size_t max_bytes) {
  size_t bytes = 0;
  for (T& item : items) {
    const size_t size = item.ByteSizeLong();
    if (!out->empty() && bytes + size > max_bytes) return true;
    bytes += size;
    *out->Add() = std::move(item);
  }
  return false;
}

// Codes that mean the caller asked for something the store cannot give; the
// others mean the store itself is in trouble and are logged as errors.
bool IsCallerError(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
    // WatchGrants: a resume point the store cannot serve; the client
    // resynchronises.
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return grpc::Status(grpc::StatusCode::INTERNAL, std::string(status.message()));
  }
  return server::ToGrpcStatus(status);
}

StoreService::StoreService(StoreMetrics* metrics, Clock clock, StoreLimits limits)
    : metrics_(metrics), clock_(std::move(clock)), limits_(limits), read_gate_(limits.reads) {}

absl::StatusOr<ReadGate::Turn> StoreService::EnterRead(grpc::ServerContext* context) {
  if (context == nullptr) return read_gate_.Enter(absl::InfiniteFuture());
  // A call that sat in the kernel's buffers while the store was stalled gets
  // its deadline counted from when the store read it; a client that gave up
  // has cancelled it meanwhile, which is what tells.
  if (context->IsCancelled()) return absl::CancelledError("the caller cancelled the call");
  auto turn = read_gate_.Enter(DeadlineOf(context));
  // The caller may have given up while this read waited.
  if (turn.ok() && context->IsCancelled()) {
    return absl::CancelledError("the caller cancelled the call");
  }
  return turn;
}

absl::Time DeadlineOf(const grpc::ServerContext* context) {
  if (context == nullptr) return absl::InfiniteFuture();
  const auto deadline = context->deadline();
  return deadline == std::chrono::system_clock::time_point::max() ? absl::InfiniteFuture()
                                                                  : absl::FromChrono(deadline);
}

absl::Status StoreService::AttachBackend(GrantBackend* backend) {
  auto counts = backend->CountGrants(absl::Now() + absl::Seconds(30));
  if (!counts.ok()) return counts.status();
  if (metrics_ != nullptr) metrics_->SetGrantCounts(*counts);
  backend_.store(backend, std::memory_order_release);
  logging::Info("grants counted")
      .Field("active", counts->active)
      .Field("suspended", counts->suspended);
  return absl::OkStatus();
}

absl::StatusOr<GrantBackend*> StoreService::Backend() const {
  GrantBackend* backend = backend_.load(std::memory_order_acquire);
  if (backend == nullptr) return absl::UnavailableError("the database is not open yet");
  return backend;
}

grpc::Status StoreService::Finish(const char* method, absl::Time start,
                                  const absl::Status& status) {
  grpc::Status result = ToGrpcStatus(status);
  if (metrics_ != nullptr) metrics_->RecordRpc(method, result.error_code(), absl::Now() - start);
  if (!IsCallerError(status.code())) {
    logging::Error("store rpc failed")
        .Field("method", method)
        .Field("code", GrpcCodeName(result.error_code()))
        .Field("error", status.message());
  }
  return result;
}

grpc::Status StoreService::PutGrant(grpc::ServerContext* context,
                                    const v1::PutGrantRequest* request, Grant* response) {
  const absl::Time start = absl::Now();
  return Finish("PutGrant", start,
                DoPutGrant(*request, AuditContextFor(context), response, DeadlineOf(context)));
}

grpc::Status StoreService::GetGrant(grpc::ServerContext* context,
                                    const v1::GetGrantRequest* request, Grant* response) {
  const absl::Time start = absl::Now();
  auto turn = EnterRead(context);
  if (!turn.ok()) return Finish("GetGrant", start, turn.status());
  return Finish("GetGrant", start, DoGetGrant(*request, response, DeadlineOf(context)));
}

grpc::Status StoreService::BatchGetGrants(grpc::ServerContext* context,
                                          const v1::BatchGetGrantsRequest* request,
                                          v1::BatchGetGrantsResponse* response) {
  const absl::Time start = absl::Now();
  auto turn = EnterRead(context);
  if (!turn.ok()) return Finish("BatchGetGrants", start, turn.status());
  return Finish("BatchGetGrants", start,
                DoBatchGetGrants(*request, context, response, DeadlineOf(context)));
}

grpc::Status StoreService::SuspendGrant(grpc::ServerContext* context,
                                        const v1::SuspendGrantRequest* request, Grant* response) {
  const absl::Time start = absl::Now();
  return Finish("SuspendGrant", start,
                DoSuspendGrant(*request, AuditContextFor(context), response, DeadlineOf(context)));
}

grpc::Status StoreService::GetSuspension(grpc::ServerContext* context,
                                         const v1::GetSuspensionRequest* request,
                                         v1::Suspension* response) {
  const absl::Time start = absl::Now();
  auto turn = EnterRead(context);
  if (!turn.ok()) return Finish("GetSuspension", start, turn.status());
  return Finish("GetSuspension", start, DoGetSuspension(*request, response, DeadlineOf(context)));
}

void StoreService::NotifyWrite() {
  absl::MutexLock lock(&writes_mutex_);
  ++writes_;
}

grpc::Status StoreService::DeleteGrant(grpc::ServerContext* context,
                                       const v1::DeleteGrantRequest* request,
                                       google::protobuf::Empty*) {
  const absl::Time start = absl::Now();
  int64_t revision = 0;
  const absl::Status status =
      DoDeleteGrant(*request, AuditContextFor(context), &revision, DeadlineOf(context));
  if (status.ok() && context != nullptr) {
    context->AddTrailingMetadata("apptrust-revision", std::to_string(revision));
  }
  return Finish("DeleteGrant", start, status);
}

grpc::Status StoreService::ListGrants(grpc::ServerContext* context,
                                      const v1::ListGrantsRequest* request,
                                      v1::ListGrantsResponse* response) {
  const absl::Time start = absl::Now();
  auto turn = EnterRead(context);
  if (!turn.ok()) return Finish("ListGrants", start, turn.status());
  return Finish("ListGrants", start, DoListGrants(*request, response, DeadlineOf(context)));
}

absl::Status StoreService::DoPutGrant(const v1::PutGrantRequest& request, const AuditContext& audit,
                                      Grant* response, absl::Time deadline) {
  if (absl::Status status = ValidatePutGrant(request); !status.ok()) return status;
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  auto result = (*backend)->PutGrant(request.grant(), clock_(), audit, deadline);
  if (!result.ok()) return result.status();
  NotifyWrite();
  if (metrics_ != nullptr) metrics_->GrantMoved(result->previous_state, result->grant.state());
  logging::Info("grant put")
      .Field("tenant_id", result->grant.tenant_id())
      .Field("grant_id", result->grant.grant_id())
      .Field("client_id", result->grant.client_id())
      .Field("version", result->grant.version())
      .Field("replaced", result->previous_state != v1::GRANT_STATE_UNSPECIFIED)
      .Field("caller", audit.caller);
  *response = std::move(result->grant);
  return absl::OkStatus();
}

absl::Status StoreService::DoGetGrant(const v1::GetGrantRequest& request, Grant* response,
                                      absl::Time deadline) {
  if (absl::Status status = ValidateGetGrant(request); !status.ok()) return status;
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  auto grant = (*backend)->GetGrant(request.tenant_id(), request.grant_id(), deadline);
  if (!grant.ok()) return grant.status();
  *response = std::move(*grant);
  return absl::OkStatus();
}

absl::Status StoreService::DoBatchGetGrants(const v1::BatchGetGrantsRequest& request,
                                            grpc::ServerContext* context,
                                            v1::BatchGetGrantsResponse* response,
                                            absl::Time deadline) {
  if (absl::Status status = ValidateBatchGetGrants(request); !status.ok()) return status;
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  // Lookups go to the backend in chunks (one round trip each on a server
  // database), so that an answer full after a few large grants reads little
  // more than it returns.
  constexpr int kChunk = 64;
  size_t response_bytes = 0;
  for (int first = 0; first < request.requests_size(); first += kChunk) {
    // Full: the caller asks again for the rest (documented in store.proto).
    if (response_bytes >= limits_.max_batch_response_bytes) break;
    // Nobody is waiting for the rest of this answer.
    if (context != nullptr && context->IsCancelled()) {
      return absl::CancelledError("the caller cancelled the call");
    }
    std::vector<GrantKey> keys;
    for (int i = first; i < std::min(first + kChunk, request.requests_size()); ++i) {
      keys.push_back({request.requests(i).tenant_id(), request.requests(i).grant_id()});
    }
    // The database failing is the call's failure, as for GetGrant.
    auto grants = (*backend)->GetGrants(keys, deadline);
    if (!grants.ok()) return grants.status();
    for (absl::StatusOr<Grant>& grant : *grants) {
      if (response_bytes >= limits_.max_batch_response_bytes) break;
      v1::GetGrantResult* result = response->add_results();
      if (grant.ok()) {
        *result->mutable_grant() = std::move(*grant);
      } else {
        result->set_code(static_cast<int>(grant.status().code()));
        result->set_message(std::string(grant.status().message()));
      }
      // A repeated message field costs its size plus a tag and a length.
      response_bytes += result->ByteSizeLong() + 8;
    }
  }
  return absl::OkStatus();
}

absl::Status StoreService::DoSuspendGrant(const v1::SuspendGrantRequest& request,
                                          const AuditContext& audit, Grant* response,
                                          absl::Time deadline) {
  if (absl::Status status = ValidateSuspendGrant(request); !status.ok()) return status;
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  const absl::Time now = clock_();
  v1::Suspension suspension = request.suspension();
  if (suspension.suspension_id().empty()) suspension.set_suspension_id(NewSuspensionId());
  if (!suspension.has_suspended_at()) {
    *suspension.mutable_suspended_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  }
  auto result =
      (*backend)->SuspendGrant(request.tenant_id(), request.grant_id(), request.expected_version(),
                               suspension, now, audit, deadline);
  if (!result.ok()) return result.status();
  if (result->newly_suspended) {
    NotifyWrite();
    if (metrics_ != nullptr) {
      metrics_->GrantMoved(v1::GRANT_STATE_ACTIVE, v1::GRANT_STATE_SUSPENDED);
    }
    logging::Info("grant suspended")
        .Field("tenant_id", request.tenant_id())
        .Field("grant_id", request.grant_id())
        .Field("suspension_id", result->grant.suspension().suspension_id())
        .Field("reason", v1::Reason_Name(result->grant.suspension().reason()))
        .Field("version", result->grant.version())
        .Field("caller", audit.caller);
  } else {
    logging::Info("grant already suspended")
        .Field("tenant_id", request.tenant_id())
        .Field("grant_id", request.grant_id())
        .Field("suspension_id", result->grant.suspension().suspension_id());
  }
  *response = std::move(result->grant);
  return absl::OkStatus();
}

absl::Status StoreService::DoGetSuspension(const v1::GetSuspensionRequest& request,
                                           v1::Suspension* response, absl::Time deadline) {
  if (absl::Status status = ValidateGetSuspension(request); !status.ok()) return status;
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  auto suspension = (*backend)->GetSuspension(request.suspension_id(), deadline);
  if (!suspension.ok()) return suspension.status();
  if (!request.tenant_id().empty() && suspension->tenant_id() != request.tenant_id()) {
    // The same answer as an unknown id: another tenant's ids are not confirmed.
    return absl::NotFoundError(absl::StrCat("suspension ", request.suspension_id(), " not found"));
  }
  *response = std::move(*suspension);
  return absl::OkStatus();
}

absl::Status StoreService::DoDeleteGrant(const v1::DeleteGrantRequest& request,
                                         const AuditContext& audit, int64_t* revision,
                                         absl::Time deadline) {
  if (absl::Status status = ValidateDeleteGrant(request); !status.ok()) return status;
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  auto previous =
      (*backend)->DeleteGrant(request.tenant_id(), request.grant_id(), clock_(), audit, deadline);
  if (!previous.ok()) return previous.status();
  NotifyWrite();
  *revision = previous->revision;
  if (metrics_ != nullptr) {
    metrics_->GrantMoved(previous->previous_state, v1::GRANT_STATE_UNSPECIFIED);
  }
  logging::Info("grant deleted")
      .Field("tenant_id", request.tenant_id())
      .Field("grant_id", request.grant_id())
      .Field("caller", audit.caller);
  return absl::OkStatus();
}

absl::Status StoreService::DoListGrants(const v1::ListGrantsRequest& request,
                                        v1::ListGrantsResponse* response, absl::Time deadline) {
  if (absl::Status status = ValidateListGrants(request); !status.ok()) return status;
  auto after = DecodePageToken(request.page_token(), request.tenant_id(), request.client_id());
  if (!after.ok()) return after.status();
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  ListGrantsQuery query;
  query.tenant_id = request.tenant_id();
  query.client_id = request.client_id();
  query.after_grant_id = std::move(*after);
  query.limit = EffectivePageSize(request.page_size());
  auto page = (*backend)->ListGrants(query, deadline);
  if (!page.ok()) return page.status();
  if (page->more && !page->grants.empty()) {
    response->set_next_page_token(
        EncodePageToken(request.tenant_id(), request.client_id(), page->grants.back().grant_id()));
  }
  for (Grant& grant : page->grants) *response->add_grants() = std::move(grant);
  return absl::OkStatus();
}

grpc::Status StoreService::ListAuditEntries(grpc::ServerContext* context,
                                            const v1::ListAuditEntriesRequest* request,
                                            v1::ListAuditEntriesResponse* response) {
  const absl::Time start = absl::Now();
  auto turn = EnterRead(context);
  if (!turn.ok()) return Finish("ListAuditEntries", start, turn.status());
  return Finish("ListAuditEntries", start,
                DoListAuditEntries(*request, response, DeadlineOf(context)));
}

absl::Status StoreService::DoListAuditEntries(const v1::ListAuditEntriesRequest& request,
                                              v1::ListAuditEntriesResponse* response,
                                              absl::Time deadline) {
  if (absl::Status status = ValidateListAuditEntries(request); !status.ok()) return status;
  auto after = DecodeAuditPageToken(request.page_token(), request.tenant_id(), request.grant_id());
  if (!after.ok()) return after.status();
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  AuditQuery query;
  query.tenant_id = request.tenant_id();
  query.grant_id = request.grant_id();
  query.after_seq = *after;
  query.limit = EffectivePageSize(request.page_size());
  auto page = (*backend)->ListAuditEntries(query, deadline);
  if (!page.ok()) return page.status();
  // A page ends early at about max_batch_response_bytes: an entry carries
  // findings an app's bytes shaped, and the reader's receive limit is fixed.
  const bool more =
      MoveBounded(page->entries, response->mutable_entries(), limits_.max_batch_response_bytes) ||
      page->more;
  if (more && response->entries_size() > 0) {
    response->set_next_page_token(
        EncodeAuditPageToken(request.tenant_id(), request.grant_id(),
                             response->entries(response->entries_size() - 1).seq()));
  }
  return absl::OkStatus();
}

}  // namespace apptrust::store

namespace apptrust::store {
namespace {

// Heartbeats a stream's reader thread has received, for its writer.
// Heartbeats a stream keeps while their echo is due: the newest ones. An
// echo of a later heartbeat proves everything an earlier one would, so a
// client that sends faster than the database answers loses nothing, and a
// stream held back (a database down, a long transaction) holds no more.
constexpr size_t kMaxHeartbeatsKept = 64;

class HeartbeatInbox {
 public:
  void Add(int64_t id) {
    absl::MutexLock lock(&mutex_);
    ids_.push_back(id);
    if (ids_.size() > kMaxHeartbeatsKept) ids_.erase(ids_.begin());
  }
  // Everything received so far (it arrived before the caller's next poll).
  std::vector<int64_t> Take() {
    absl::MutexLock lock(&mutex_);
    return std::exchange(ids_, {});
  }

 private:
  absl::Mutex mutex_;
  std::vector<int64_t> ids_ ABSL_GUARDED_BY(mutex_);
};

// Holds one of the replica's --max_watchers slots.
class WatcherSlot {
 public:
  WatcherSlot(std::atomic<int>& watchers, int max) : watchers_(watchers) {
    taken_ = watchers_.fetch_add(1) < max;
  }
  ~WatcherSlot() { watchers_.fetch_sub(1); }
  bool taken() const { return taken_; }

 private:
  std::atomic<int>& watchers_;
  bool taken_ = false;
};

}  // namespace

grpc::Status StoreService::WatchGrants(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WatchGrantsResponse, v1::WatchGrantsRequest>* stream) {
  const absl::Time start = absl::Now();
  return Finish("WatchGrants", start, DoWatchGrants(context, stream));
}

// One stream: the start message is read and checked on this thread; then a
// reader thread takes heartbeats while this thread polls and writes. The
// promise of store.proto (an echo follows every change committed before its
// heartbeat) holds because a heartbeat taken from the inbox gets, as its
// target, the highest revision handed out when the next poll's first read
// began (ChangePage::allocated), and is echoed once the stream has sent
// everything up to that target: on PostgreSQL a transaction still open
// below it delays the echo, never the other way round. A failed poll (the
// database away) is retried at the next interval without ending the stream:
// the client notices from the missing progress and echoes.
absl::Status StoreService::DoWatchGrants(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WatchGrantsResponse, v1::WatchGrantsRequest>* stream) {
  const WatchLimits& limits = limits_.watch;
  WatcherSlot slot(watchers_, limits.max_watchers);
  if (!slot.taken()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "this store replica serves ", limits.max_watchers, " watchers already (--max_watchers)"));
  }
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  v1::WatchGrantsRequest first;
  if (!stream->Read(&first)) return absl::CancelledError("the client ended the stream");
  if (!first.has_start()) {
    return absl::InvalidArgumentError("start: the first message must be a start");
  }
  auto state = (*backend)->GetChangeLogState(absl::Now() + absl::Seconds(10));
  if (!state.ok()) return state.status();
  int64_t position = state->revision;
  if (!first.start().resume_token().empty()) {
    auto point = DecodeResumeToken(first.start().resume_token(), "start.resume_token");
    if (!point.ok()) return point.status();
    if (point->store_id != state->store_id) {
      return absl::OutOfRangeError(
          absl::StrCat("start.resume_token: from another database (store id ", point->store_id,
                       "; this store's is ", state->store_id,
                       "): drop cached grants and watch again without a token"));
    }
    if (absl::Status status =
            CheckResumable(point->revision, state->oldest_resumable, state->allocated);
        !status.ok()) {
      return absl::Status(status.code(), absl::StrCat("start.", status.message()));
    }
    position = point->revision;
  }
  const std::string store_id = state->store_id;

  HeartbeatInbox inbox;
  std::atomic<bool> reader_done{false};
  absl::Status reader_error;  // written by the reader before reader_done
  std::thread reader([&] {
    v1::WatchGrantsRequest request;
    while (stream->Read(&request)) {
      if (request.has_heartbeat()) {
        inbox.Add(request.heartbeat().id());
        absl::MutexLock lock(&writes_mutex_);
        ++writes_;  // wakes the writer: a heartbeat is answered after one poll
        continue;
      }
      reader_error = absl::InvalidArgumentError(
          "start: only the first message may be a start; later ones are heartbeats");
      break;
    }
    reader_done = true;
    absl::MutexLock lock(&writes_mutex_);
    ++writes_;
  });

  const auto respond = [&](v1::WatchGrantsResponse& response, int64_t revision) {
    response.set_revision(revision);
    response.set_resume_token(EncodeResumeToken({store_id, revision}));
    response.set_store_id(store_id);
    return stream->Write(response);
  };

  absl::Status result = absl::OkStatus();
  {
    v1::WatchGrantsResponse hello;
    if (!respond(hello, position)) result = absl::CancelledError("the client went away");
  }
  absl::Time last_sent = absl::Now();
  int64_t seen_writes = 0;
  struct Echo {
    int64_t id;
    int64_t target;
  };
  std::vector<Echo> targeted;
  while (result.ok() && !context->IsCancelled()) {
    if (reader_done) {
      if (!reader_error.ok()) result = reader_error;
      break;
    }
    // Everything received up to here gets its target from this poll.
    std::vector<int64_t> untargeted = inbox.Take();
    {
      absl::MutexLock lock(&writes_mutex_);
      seen_writes = writes_;
    }
    bool first_page = true;
    while (true) {
      auto page = (*backend)->ReadChanges(position, limits.changes_per_read,
                                          absl::Now() + absl::Seconds(5));
      if (!page.ok()) {
        if (page.status().code() == absl::StatusCode::kOutOfRange) {
          result = page.status();
        } else {
          logging::Warning("watch poll failed").Field("error", page.status().message());
        }
        break;
      }
      if (first_page) {
        for (int64_t id : untargeted) targeted.push_back({id, page->allocated});
        untargeted.clear();
        if (targeted.size() > kMaxHeartbeatsKept) {
          targeted.erase(
              targeted.begin(),
              targeted.begin() + static_cast<ptrdiff_t>(targeted.size() - kMaxHeartbeatsKept));
        }
        first_page = false;
      }
      // Cut into messages of at most max_message_bytes (at least one change).
      size_t next = 0;
      do {
        v1::WatchGrantsResponse response;
        size_t bytes = 0;
        while (next < page->changes.size() &&
               (response.changes_size() == 0 || bytes < limits.max_message_bytes)) {
          bytes += page->changes[next].ByteSizeLong();
          *response.add_changes() = std::move(page->changes[next]);
          ++next;
        }
        const bool last = next == page->changes.size();
        const int64_t revision = last ? std::max(position, page->revision)
                                      : response.changes(response.changes_size() - 1).revision();
        const bool news = response.changes_size() > 0 || revision > position;
        std::vector<Echo> still_waiting;
        for (const Echo& echo : targeted) {
          if (echo.target <= revision) {
            response.add_heartbeat_ids(echo.id);
          } else {
            still_waiting.push_back(echo);
          }
        }
        targeted = std::move(still_waiting);
        if (news || response.heartbeat_ids_size() > 0 ||
            absl::Now() - last_sent >= limits.progress_interval) {
          if (!respond(response, revision)) {
            result = absl::CancelledError("the client went away");
            break;
          }
          last_sent = absl::Now();
        }
        position = revision;
      } while (next < page->changes.size() && result.ok());
      if (!result.ok() || !page->more) break;
    }
    if (!result.ok()) break;
    // Not targeted (the poll failed): they wait for one that succeeds.
    for (int64_t id : untargeted) inbox.Add(id);
    // Until the next poll is due, a write through this replica, a heartbeat,
    // or the end of the stream.
    absl::MutexLock lock(&writes_mutex_);
    const auto woken = [this, seen = seen_writes]()
                           ABSL_EXCLUSIVE_LOCKS_REQUIRED(writes_mutex_) { return writes_ != seen; };
    writes_mutex_.AwaitWithTimeout(absl::Condition(&woken), limits.poll_interval);
  }
  if (!reader_done) context->TryCancel();
  reader.join();
  return result;
}

// The sweep (see store.proto). Reads go through the read gate like every
// other read; the two writes are small and rare (one per page of a pass).

grpc::Status StoreService::AcquireLease(grpc::ServerContext* context,
                                        const v1::AcquireLeaseRequest* request,
                                        v1::AcquireLeaseResponse* response) {
  const absl::Time start = absl::Now();
  return Finish("AcquireLease", start, DoAcquireLease(*request, response, DeadlineOf(context)));
}

absl::Status StoreService::DoAcquireLease(const v1::AcquireLeaseRequest& request,
                                          v1::AcquireLeaseResponse* response, absl::Time deadline) {
  if (absl::Status status = ValidateAcquireLease(request); !status.ok()) return status;
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  const absl::Duration ttl = timeconv::FromProto(request.ttl());
  auto lease = (*backend)->AcquireLease(request.name(), request.holder(), ttl, clock_(), deadline);
  if (!lease.ok()) return lease.status();
  response->set_granted(lease->granted);
  response->set_holder(lease->holder);
  *response->mutable_expires_at() = timeconv::ToProto(lease->expires_at);
  response->set_epoch(lease->epoch);
  return absl::OkStatus();
}

grpc::Status StoreService::ListActiveApps(grpc::ServerContext* context,
                                          const v1::ListActiveAppsRequest* request,
                                          v1::ListActiveAppsResponse* response) {
  const absl::Time start = absl::Now();
  auto turn = EnterRead(context);
  if (!turn.ok()) return Finish("ListActiveApps", start, turn.status());
  return Finish("ListActiveApps", start, DoListActiveApps(*request, response, DeadlineOf(context)));
}

absl::Status StoreService::DoListActiveApps(const v1::ListActiveAppsRequest& request,
                                            v1::ListActiveAppsResponse* response,
                                            absl::Time deadline) {
  if (absl::Status status = ValidateListActiveApps(request); !status.ok()) return status;
  auto after = DecodeAppPageToken(request.page_token(), "apps", request.tenant_id());
  if (!after.ok()) return after.status();
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  ActiveAppsQuery query;
  query.tenant_id = request.tenant_id();
  query.after = {after->first, after->second};
  query.limit = EffectivePageSize(request.page_size());
  auto page = (*backend)->ListActiveApps(query, deadline);
  if (!page.ok()) return page.status();
  // Bounded in bytes like ListAuditEntries: each app carries a grant.
  const bool more =
      MoveBounded(page->apps, response->mutable_apps(), limits_.max_batch_response_bytes) ||
      page->more;
  if (more && response->apps_size() > 0) {
    const v1::ActiveApp& last = response->apps(response->apps_size() - 1);
    response->set_next_page_token(
        EncodeAppPageToken("apps", request.tenant_id(), last.tenant_id(), last.client_id()));
  }
  return absl::OkStatus();
}

grpc::Status StoreService::PutSweepResults(grpc::ServerContext* context,
                                           const v1::PutSweepResultsRequest* request,
                                           v1::PutSweepResultsResponse* response) {
  const absl::Time start = absl::Now();
  return Finish("PutSweepResults", start,
                DoPutSweepResults(*request, response, DeadlineOf(context)));
}

absl::Status StoreService::DoPutSweepResults(const v1::PutSweepResultsRequest& request,
                                             v1::PutSweepResultsResponse* response,
                                             absl::Time deadline) {
  if (absl::Status status = ValidatePutSweepResults(request); !status.ok()) return status;
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  SweepWrite write;
  write.lease_name = request.lease_name();
  write.holder = request.holder();
  write.epoch = request.epoch();
  write.results.assign(request.results().begin(), request.results().end());
  write.pass_started_at = timeconv::FromProto(request.pass_started_at());
  write.pass_complete = request.pass_complete();
  auto removed = (*backend)->PutSweepResults(write, clock_(), deadline);
  if (!removed.ok()) return removed.status();
  response->set_removed(*removed);
  return absl::OkStatus();
}

grpc::Status StoreService::ListSweepResults(grpc::ServerContext* context,
                                            const v1::ListSweepResultsRequest* request,
                                            v1::ListSweepResultsResponse* response) {
  const absl::Time start = absl::Now();
  auto turn = EnterRead(context);
  if (!turn.ok()) return Finish("ListSweepResults", start, turn.status());
  return Finish("ListSweepResults", start,
                DoListSweepResults(*request, response, DeadlineOf(context)));
}

absl::Status StoreService::DoListSweepResults(const v1::ListSweepResultsRequest& request,
                                              v1::ListSweepResultsResponse* response,
                                              absl::Time deadline) {
  if (absl::Status status = ValidateListSweepResults(request); !status.ok()) return status;
  const std::string filter =
      absl::StrCat(request.tenant_id(), request.at_risk_only() ? "/at-risk" : "/all");
  auto after = DecodeAppPageToken(request.page_token(), "sweep", filter);
  if (!after.ok()) return after.status();
  auto backend = Backend();
  if (!backend.ok()) return backend.status();
  SweepResultsQuery query;
  query.tenant_id = request.tenant_id();
  query.at_risk_only = request.at_risk_only();
  query.after = {after->first, after->second};
  query.limit = EffectivePageSize(request.page_size());
  auto page = (*backend)->ListSweepResults(query, deadline);
  if (!page.ok()) return page.status();
  const bool more =
      MoveBounded(page->results, response->mutable_results(), limits_.max_batch_response_bytes) ||
      page->more;
  if (more && response->results_size() > 0) {
    const v1::SweepResult& last = response->results(response->results_size() - 1);
    response->set_next_page_token(
        EncodeAppPageToken("sweep", filter, last.tenant_id(), last.client_id()));
  }
  return absl::OkStatus();
}

}  // namespace apptrust::store
