// SweepNotifier: how a sweep tells an app's developer that their app is at
// risk. The sweeper calls it once per app at risk per pass, after the
// result is stored; what it does with it (a signed webhook to the
// developer's endpoint, per the tenant's configuration) is its own affair.
#ifndef APPTRUST_SERVICES_DECISION_SWEEP_NOTIFIER_H_
#define APPTRUST_SERVICES_DECISION_SWEEP_NOTIFIER_H_

#include <string>

#include "apptrust/v1/store.pb.h"

namespace apptrust::decision {

class SweepNotifier {
 public:
  virtual ~SweepNotifier() = default;
  // `result` is WOULD_SUSPEND or WILL_SUSPEND_SOON. `event_id` is the same
  // for the same (pass, tenant, client) and differs between passes, so a
  // receiver can drop a retried delivery. Called on the sweeper's thread:
  // must not block (queue and return).
  virtual void Notify(const v1::SweepResult& result, const std::string& event_id) = 0;
};

}  // namespace apptrust::decision

#endif  // APPTRUST_SERVICES_DECISION_SWEEP_NOTIFIER_H_
