#include "services/decision/grant_watch.h"

#include <algorithm>
#include <random>
#include <string>
#include <utility>

#include "common/logging/json_log.h"
#include "common/server/grpc_status.h"

namespace apptrust::decision {

GrantWatch::GrantWatch(std::shared_ptr<grpc::Channel> store_channel, CoherentGrantCache& cache,
                       GrantWatchOptions options)
    : stub_(v1::FingerprintStore::NewStub(store_channel)),
      cache_(cache),
      options_(std::move(options)) {
  reader_ = std::thread([this] { Read(); });
  heart_ = std::thread([this] { Beat(); });
}

GrantWatch::~GrantWatch() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  reader_.join();
  heart_.join();
}

bool GrantWatch::WaitOrStop(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), duration);
  return stopping_;
}

void GrantWatch::Read() {
  std::mt19937_64 random(std::random_device{}());
  absl::Duration backoff = options_.min_backoff;
  bool logged_down = false;
  while (true) {
    bool answered = false;
    const grpc::Status status = RunStream(&answered);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (options_.on_stream_end) options_.on_stream_end(status);
    if (answered) {
      backoff = options_.min_backoff;
      logged_down = false;
    }
    if (!logged_down) {
      logging::Warning("grant change stream ended; refreshes read the store until it resumes")
          .Field("code", static_cast<int>(status.error_code()))
          .Field("error", status.error_message());
      logged_down = true;
    }
    const absl::Duration wait =
        status.error_code() == grpc::StatusCode::UNIMPLEMENTED ? options_.max_backoff : backoff;
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    if (WaitOrStop(wait * jitter(random))) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

grpc::Status GrantWatch::RunStream(bool* answered) {
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return grpc::Status::CANCELLED;
    context_ = &context;
    last_response_ = MonotonicNow();  // silence is counted from the opening
  }
  std::unique_ptr<Stream> stream = stub_->WatchGrants(&context);
  v1::WatchGrantsRequest start;
  start.mutable_start()->set_resume_token(cache_.StreamStarting());
  if (stream->Write(start)) {
    {
      absl::MutexLock lock(&write_mu_);
      stream_ = stream.get();
    }
    v1::WatchGrantsResponse response;
    while (stream->Read(&response)) {
      if (absl::Status applied = cache_.OnResponse(response); !applied.ok()) {
        logging::Error("grant change stream out of order; reconnecting")
            .Field("error", applied.message());
        context.TryCancel();
        break;
      }
      {
        absl::MutexLock lock(&mu_);
        last_response_ = MonotonicNow();
      }
      if (!*answered) {
        logging::Info("grant change stream open").Field("revision", response.revision());
        *answered = true;
      }
    }
  }
  {
    absl::MutexLock lock(&write_mu_);
    stream_ = nullptr;
  }
  const grpc::Status status = stream->Finish();
  cache_.OnStreamEnded(server::FromGrpcStatus(status));
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  return status;
}

void GrantWatch::Beat() {
  while (!WaitOrStop(options_.heartbeat_interval)) {
    {
      absl::MutexLock lock(&mu_);
      if (context_ != nullptr && MonotonicNow() - last_response_ > options_.stall_timeout) {
        logging::Warning("grant change stream silent; reconnecting")
            .Field("silent_ms", absl::ToInt64Milliseconds(MonotonicNow() - last_response_));
        context_->TryCancel();
      }
    }
    {
      absl::MutexLock lock(&write_mu_);
      if (stream_ != nullptr) {
        v1::WatchGrantsRequest heartbeat;
        heartbeat.mutable_heartbeat()->set_id(cache_.NextHeartbeat());
        stream_->Write(heartbeat);
      }
    }
    if (options_.on_tick) options_.on_tick();
  }
}

}  // namespace apptrust::decision
