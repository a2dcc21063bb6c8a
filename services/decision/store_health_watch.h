// Readiness follows the store: the decision service cannot answer a single
// refresh without the grant's state, so while apptrust-store does not answer
// its health check, the decision service reports NOT_SERVING (Kubernetes then
// takes the pod out of rotation) and reports SERVING again once it does.
#ifndef APPTRUST_SERVICES_DECISION_STORE_HEALTH_WATCH_H_
#define APPTRUST_SERVICES_DECISION_STORE_HEALTH_WATCH_H_

#include <functional>
#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace apptrust::decision {

class StoreHealthWatch {
 public:
  // Calls `on_change(serving)` on its own thread at the first check and each
  // time the store's health changes; checks every `interval`.
  StoreHealthWatch(std::shared_ptr<grpc::Channel> store_channel, absl::Duration interval,
                   std::function<void(bool serving)> on_change);
  ~StoreHealthWatch();

 private:
  void Run();

  std::shared_ptr<grpc::Channel> channel_;
  absl::Duration interval_;
  std::function<void(bool)> on_change_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_STORE_HEALTH_WATCH_H_
