#include "services/store/read_gate.h"

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace apptrust::store {
namespace {

constexpr absl::Duration kLong = absl::Seconds(60);

TEST(ReadGateTest, AReadPastItsDeadlineIsNotRun) {
  ReadGate gate({.max_running = 4, .max_waiting = 4});
  EXPECT_EQ(gate.Enter(absl::Now() - absl::Milliseconds(1)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(gate.running(), 0);
}

TEST(ReadGateTest, AtMostMaxRunningRunAndAtMostMaxWaitingWait) {
  ReadGate gate({.max_running = 2, .max_waiting = 3});
  std::optional<ReadGate::Turn> first(*gate.Enter(absl::Now() + kLong));
  std::optional<ReadGate::Turn> second(*gate.Enter(absl::Now() + kLong));
  EXPECT_EQ(gate.running(), 2);

  // Three wait for a turn...
  std::vector<std::thread> waiters;
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      auto turn = gate.Enter(absl::Now() + kLong);
      if (turn.ok()) ++ran;
    });
  }
  while (gate.waiting() < 3) absl::SleepFor(absl::Milliseconds(1));
  // ... and one more is refused at once, without waiting.
  auto refused = gate.Enter(absl::Now() + kLong);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_EQ(ran.load(), 0);

  first.reset();  // a turn ends: the waiters run, each in its turn
  second.reset();
  for (std::thread& t : waiters) t.join();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_EQ(gate.running(), 0);
  EXPECT_EQ(gate.waiting(), 0);
}

// A caller without a deadline (or one that went away) does not hold a store
// thread for ever: its wait is bounded by max_wait.
TEST(ReadGateTest, AWaitIsBoundedWhateverTheDeadline) {
  ReadGate gate({.max_running = 1, .max_waiting = 4, .max_wait = absl::Milliseconds(50)});
  std::optional<ReadGate::Turn> running(*gate.Enter(absl::InfiniteFuture()));
  absl::StatusOr<ReadGate::Turn> waited = gate.Enter(absl::InfiniteFuture());
  EXPECT_EQ(waited.status().code(), absl::StatusCode::kUnavailable) << waited.status();
  EXPECT_EQ(gate.waiting(), 0);
  EXPECT_EQ(gate.running(), 1);
}

TEST(ReadGateTest, AWaitingReadWhoseDeadlinePassesIsNotRun) {
  ReadGate gate({.max_running = 1, .max_waiting = 4});
  auto held = gate.Enter(absl::Now() + kLong);
  ASSERT_TRUE(held.ok());
  auto late = gate.Enter(absl::Now() + absl::Milliseconds(20));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded) << late.status();
  EXPECT_EQ(gate.waiting(), 0);
  EXPECT_EQ(gate.running(), 1);
}

}  // namespace
}  // namespace apptrust::store
