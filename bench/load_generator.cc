// apptrust-loadgen: an asynchronous gRPC load generator for the decision
// service and the store. Each of --threads threads owns a channel and a CompletionQueue and
// keeps its share of --concurrency calls in flight (a closed loop) for
// --duration after a --warmup that is not recorded. With --rate, calls are
// sent on a fixed schedule instead (at most --concurrency outstanding) and
// latency is measured from the scheduled send time, so a stall is not hidden
// (no coordinated omission).
//
// Against the store (apptrust.v1.FingerprintStore): get_grant reads grants
// "g<i>" of tenant "bench" with i uniformly random below --grant_count (the
// keys bench/bench_grants.h loads); put_grant writes a new grant per call
// ("<id_prefix><ticket>"), so every call is a durable insert. Give each
// put_grant run its own --id_prefix.
//
//   apptrust-loadgen --target=127.0.0.1:PORT --rpc=health|check|get_grant|put_grant
//       [--grants=FILE (lines "tenant client grant")] [--keys=hot|uniform]
//       [--grant_count=N] [--id_prefix=P]
//       [--concurrency=64] [--threads=2] [--duration=10s] [--warmup=2s]
//       [--rate=0 (calls/s, 0 = closed loop)] [--json]
//
// A program that prints figures, not a test: nothing asserts on time.
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "apptrust/v1/decision.grpc.pb.h"
#include "apptrust/v1/store.grpc.pb.h"
#include "bench/bench_grants.h"
#include "bench/latency_histogram.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/alarm.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

ABSL_FLAG(std::string, target, "", "host:port of the decision service");
ABSL_FLAG(std::string, rpc, "health",
          "health (grpc.health.v1 Check), check (CheckRefresh), or the store's get_grant "
          "(GetGrant) or put_grant (PutGrant of a new grant)");
ABSL_FLAG(std::string, grants, "", "File of grants for --rpc=check: lines 'tenant client grant'");
ABSL_FLAG(std::string, keys, "hot", "hot: every call for the first grant; uniform: round robin");
ABSL_FLAG(int, concurrency, 64, "Calls in flight (closed loop) or most outstanding (--rate)");
ABSL_FLAG(int, threads, 2, "Client threads, each with its own channel and completion queue");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measured time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "Unrecorded time before measuring");
ABSL_FLAG(double, rate, 0, "Fixed send rate in calls/s over all threads; 0 = closed loop");
ABSL_FLAG(int, grant_count, 1000000, "get_grant: read random grants g0..g<N-1> of tenant bench");
ABSL_FLAG(std::string, id_prefix, "new-", "put_grant: ids of the new grants start with this");
ABSL_FLAG(bool, json, false, "Print one JSON object instead of text");

namespace {

using apptrust::bench::LatencyHistogram;

struct Grant {
  std::string tenant, client, grant;
};

struct Shared {
  std::string rpc;
  std::vector<Grant> grants;
  bool hot = true;
  absl::Time start;         // first scheduled send (rate mode) / warmup start
  absl::Time measure_from;  // completions after this are recorded
  absl::Time stop;          // no call is started after this
  double rate = 0;          // calls/s; 0 = closed loop
  int grant_count = 1;      // get_grant: keys drawn below this
  std::string id_prefix;    // put_grant
  std::atomic<uint64_t> next_ticket{0};
};

struct Result {
  LatencyHistogram latency;
  uint64_t ok = 0;
  uint64_t errors = 0;
  uint64_t late_sends = 0;  // rate mode: sent after their scheduled time
};

// One outstanding call (or the alarm before it). The tag is the Call itself.
struct Call {
  enum class State { kWaiting, kInFlight } state = State::kWaiting;
  std::unique_ptr<grpc::ClientContext> context;
  grpc::Status status;
  grpc::health::v1::HealthCheckResponse health_response;
  apptrust::v1::CheckRefreshResponse check_response;
  apptrust::v1::Grant grant_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::health::v1::HealthCheckResponse>> health;
  std::unique_ptr<grpc::ClientAsyncResponseReader<apptrust::v1::CheckRefreshResponse>> check;
  std::unique_ptr<grpc::ClientAsyncResponseReader<apptrust::v1::Grant>> grant;
  grpc::Alarm alarm;
  absl::Time scheduled;  // latency is measured from here
  uint64_t ticket = 0;
};

class Worker {
 public:
  Worker(Shared& shared, int index, int slots)
      : shared_(shared), slots_(slots), random_(static_cast<uint64_t>(index) + 1) {
    grpc::ChannelArguments args;
    args.SetInt("apptrust.bench.channel", index);  // distinct args: own connection
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel_ = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target),
                                         grpc::InsecureChannelCredentials(), args);
    health_ = grpc::health::v1::Health::NewStub(channel_);
    decision_ = apptrust::v1::DecisionService::NewStub(channel_);
    store_ = apptrust::v1::FingerprintStore::NewStub(channel_);
  }

  void Run() {
    std::vector<std::unique_ptr<Call>> calls;
    int outstanding = 0;
    for (int i = 0; i < slots_; ++i) {
      calls.push_back(std::make_unique<Call>());
      if (Next(*calls.back())) {
        ++outstanding;
      }
    }
    void* tag = nullptr;
    bool ok = false;
    while (outstanding > 0 && cq_.Next(&tag, &ok)) {
      Call& call = *static_cast<Call*>(tag);
      if (call.state == Call::State::kWaiting) {
        Send(call);
        continue;
      }
      const absl::Time done = absl::Now();
      if (done > shared_.measure_from &&
          call.scheduled >= shared_.measure_from - absl::Seconds(1)) {
        if (call.status.ok()) {
          ++result_.ok;
          result_.latency.Record(
              static_cast<uint64_t>(absl::ToInt64Nanoseconds(done - call.scheduled)));
        } else {
          ++result_.errors;
          if (result_.errors <= 3) {
            std::fprintf(stderr, "apptrust-loadgen: call failed: %d %s\n", call.status.error_code(),
                         call.status.error_message().c_str());
          }
        }
      }
      if (!Next(call)) {
        --outstanding;
      }
    }
  }

  const Result& result() const { return result_; }

 private:
  // Starts the call's next attempt (now, or at its scheduled time). False
  // when the run is over.
  bool Next(Call& call) {
    const absl::Time now = absl::Now();
    if (now >= shared_.stop) {
      return false;
    }
    call.ticket = shared_.next_ticket.fetch_add(1);
    if (shared_.rate <= 0) {
      call.scheduled = now;
      Send(call);
      return true;
    }
    call.scheduled = shared_.start + absl::Seconds(static_cast<double>(call.ticket) / shared_.rate);
    if (call.scheduled >= shared_.stop) {
      return false;
    }
    if (call.scheduled <= now) {
      if (now - call.scheduled > absl::Milliseconds(1)) {
        ++result_.late_sends;
      }
      Send(call);
    } else {
      call.state = Call::State::kWaiting;
      call.alarm.Set(&cq_, absl::ToChronoTime(call.scheduled), &call);
    }
    return true;
  }

  void Send(Call& call) {
    call.state = Call::State::kInFlight;
    call.context = std::make_unique<grpc::ClientContext>();
    call.context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (shared_.rpc == "health") {
      grpc::health::v1::HealthCheckRequest request;
      call.health = health_->PrepareAsyncCheck(call.context.get(), request, &cq_);
      call.health->StartCall();
      call.health->Finish(&call.health_response, &call.status, &call);
    } else if (shared_.rpc == "get_grant") {
      apptrust::v1::GetGrantRequest request;
      request.set_tenant_id(apptrust::bench::kBenchTenant);
      request.set_grant_id(apptrust::bench::BenchGrantId(
          static_cast<int>(random_() % static_cast<uint64_t>(shared_.grant_count))));
      call.grant = store_->PrepareAsyncGetGrant(call.context.get(), request, &cq_);
      call.grant->StartCall();
      call.grant->Finish(&call.grant_response, &call.status, &call);
    } else if (shared_.rpc == "put_grant") {
      apptrust::v1::PutGrantRequest request;
      *request.mutable_grant() =
          apptrust::bench::MakeBenchGrant(absl::StrCat(shared_.id_prefix, call.ticket));
      call.grant = store_->PrepareAsyncPutGrant(call.context.get(), request, &cq_);
      call.grant->StartCall();
      call.grant->Finish(&call.grant_response, &call.status, &call);
    } else {
      const Grant& grant = shared_.grants[shared_.hot ? 0 : call.ticket % shared_.grants.size()];
      apptrust::v1::CheckRefreshRequest request;
      request.set_tenant_id(grant.tenant);
      request.set_client_id(grant.client);
      request.set_grant_id(grant.grant);
      request.set_persona(apptrust::v1::PERSONA_PATIENT);
      call.check = decision_->PrepareAsyncCheckRefresh(call.context.get(), request, &cq_);
      call.check->StartCall();
      call.check->Finish(&call.check_response, &call.status, &call);
    }
  }

 public:
  grpc::CompletionQueue cq_;

 private:
  Shared& shared_;
  int slots_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::unique_ptr<apptrust::v1::DecisionService::Stub> decision_;
  std::unique_ptr<apptrust::v1::FingerprintStore::Stub> store_;
  std::mt19937_64 random_;
  Result result_;
};

double Ms(uint64_t nanos) { return static_cast<double>(nanos) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As in the services (common/server/grpc_server.h): Debian's Abseil checks
  // lock order on every contended lock, a cost the client need not add.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Shared shared;
  shared.rpc = absl::GetFlag(FLAGS_rpc);
  shared.hot = absl::GetFlag(FLAGS_keys) == "hot";
  shared.rate = absl::GetFlag(FLAGS_rate);
  shared.grant_count = std::max(1, absl::GetFlag(FLAGS_grant_count));
  shared.id_prefix = absl::GetFlag(FLAGS_id_prefix);
  if (absl::GetFlag(FLAGS_target).empty() ||
      (shared.rpc != "health" && shared.rpc != "check" && shared.rpc != "get_grant" &&
       shared.rpc != "put_grant")) {
    std::fprintf(stderr,
                 "apptrust-loadgen: need --target and --rpc=health|check|get_grant|put_grant\n");
    return 2;
  }
  if (shared.rpc == "check") {
    std::ifstream in(absl::GetFlag(FLAGS_grants));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      Grant grant;
      if (fields >> grant.tenant >> grant.client >> grant.grant) {
        shared.grants.push_back(grant);
      }
    }
    if (shared.grants.empty()) {
      std::fprintf(stderr, "apptrust-loadgen: --rpc=check needs a non-empty --grants file\n");
      return 2;
    }
  }
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int concurrency = std::max(threads, absl::GetFlag(FLAGS_concurrency));
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);

  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    const int slots = concurrency / threads + (t < concurrency % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(shared, t, slots));
  }
  shared.start = absl::Now();
  shared.measure_from = shared.start + warmup;
  shared.stop = shared.measure_from + duration;
  std::vector<std::thread> running;
  running.reserve(workers.size());
  for (auto& worker : workers) {
    running.emplace_back([&worker] { worker->Run(); });
  }
  for (auto& thread : running) {
    thread.join();
  }
  const absl::Time ended = absl::Now();
  for (auto& worker : workers) {
    worker->cq_.Shutdown();
  }

  Result total;
  for (auto& worker : workers) {
    total.latency.Merge(worker->result().latency);
    total.ok += worker->result().ok;
    total.errors += worker->result().errors;
    total.late_sends += worker->result().late_sends;
  }
  // Calls still completing after `stop` are recorded too; divide by the time
  // from measure start to the last completion.
  const double seconds = absl::ToDoubleSeconds(ended - shared.measure_from);
  const double throughput = static_cast<double>(total.ok) / seconds;
  const LatencyHistogram& h = total.latency;
  // The store's calls choose their own keys: random reads, new writes.
  const std::string keys = shared.rpc == "get_grant"   ? "random"
                           : shared.rpc == "put_grant" ? "new"
                                                       : absl::GetFlag(FLAGS_keys);
  if (absl::GetFlag(FLAGS_json)) {
    std::printf(
        "{\"rpc\":\"%s\",\"keys\":\"%s\",\"concurrency\":%d,\"threads\":%d,\"rate\":%.1f,"
        "\"seconds\":%.3f,\"ok\":%llu,\"errors\":%llu,\"late_sends\":%llu,"
        "\"throughput\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
        "\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
        shared.rpc.c_str(), keys.c_str(), concurrency, threads, shared.rate, seconds,
        static_cast<unsigned long long>(total.ok), static_cast<unsigned long long>(total.errors),
        static_cast<unsigned long long>(total.late_sends), throughput, Ms(h.Quantile(0.5)),
        Ms(h.Quantile(0.9)), Ms(h.Quantile(0.99)), Ms(h.Quantile(0.999)), Ms(h.max()));
  } else {
    std::printf("rpc=%s keys=%s concurrency=%d threads=%d rate=%s\n", shared.rpc.c_str(),
                keys.c_str(), concurrency, threads,
                shared.rate > 0 ? absl::StrFormat("%.0f/s", shared.rate).c_str() : "closed-loop");
    std::printf("ok=%llu errors=%llu late_sends=%llu in %.2f s\n",
                static_cast<unsigned long long>(total.ok),
                static_cast<unsigned long long>(total.errors),
                static_cast<unsigned long long>(total.late_sends), seconds);
    std::printf("throughput %.0f calls/s\n", throughput);
    std::printf("latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
                Ms(h.Quantile(0.5)), Ms(h.Quantile(0.9)), Ms(h.Quantile(0.99)),
                Ms(h.Quantile(0.999)), Ms(h.max()));
  }
  return total.errors == 0 ? 0 : 1;
}
