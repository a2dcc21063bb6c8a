#include "services/decision/store_health_watch.h"

#include "common/logging/json_log.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace apptrust::decision {

StoreHealthWatch::StoreHealthWatch(std::shared_ptr<grpc::Channel> store_channel,
                                   absl::Duration interval,
                                   std::function<void(bool serving)> on_change)
    : channel_(std::move(store_channel)),
      interval_(interval),
      on_change_(std::move(on_change)),
      thread_([this] { Run(); }) {}

StoreHealthWatch::~StoreHealthWatch() {
  stop_.Notify();
  thread_.join();
}

void StoreHealthWatch::Run() {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  int last = -1;
  do {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = stub->Check(&context, {}, &response);
    const bool serving =
        status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    if (static_cast<int>(serving) != last) {
      if (serving) {
        logging::Info("store reachable; serving");
      } else {
        logging::Warning("store unreachable; not serving")
            .Field("error", status.ok() ? "store not serving" : status.error_message());
      }
      on_change_(serving);
      last = serving;
    }
  } while (!stop_.WaitForNotificationWithTimeout(interval_));
}

}  // namespace apptrust::decision
