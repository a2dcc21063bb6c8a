// Durability: clients write to the real apptrust-store as fast as they can,
// the process is killed with SIGKILL mid-stream, and a new process on the
// same file must have every write that was acknowledged before the kill.
// The file must also pass PRAGMA integrity_check, read with the plain sqlite3
// API once no store process has it open.
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/store/grant_fixtures.h"
#include "tests/support/services.h"

namespace apptrust::testing {
namespace {

using apptrust::v1::Grant;

// What a writer thread had acknowledged: grant id → version and, for
// suspended grants, the suspension id.
struct Acknowledged {
  int64_t version = 0;
  std::string suspension_id;
};

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open";
  }
  std::string result;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      if (!result.empty()) result += "; ";
      result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
  } else {
    result = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

TEST(StoreDurabilityTest, EveryAcknowledgedWriteSurvivesSigkill) {
  constexpr int kWriters = 4;
  constexpr int kAcksBeforeKill = 400;
  TempDir dir;
  const std::string db = dir.File("durable/store.db");
  auto store = StartStore(db);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(WaitServing(store->channel));

  absl::Mutex mutex;
  std::map<std::string, Acknowledged> acked;  // guarded by mutex
  std::atomic<int> ack_count{0};
  std::atomic<bool> stop{false};
  absl::Notification enough;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto stub = NewStoreStub(store->channel);
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = absl::StrFormat("w%d-%06d", w, i);
        Grant put;
        if (!Put(*stub, MakeGrant("durable", id), &put).ok()) break;  // the store is gone
        {
          absl::MutexLock lock(&mutex);
          acked[id] = Acknowledged{put.version(), ""};
        }
        // Every other grant is also suspended: a second, dependent write.
        if (i % 2 == 1) {
          Grant suspended;
          if (!Suspend(*stub, "durable", id, put.version(), MakeSuspension(""), &suspended).ok()) {
            break;
          }
          absl::MutexLock lock(&mutex);
          acked[id] = Acknowledged{suspended.version(), suspended.suspension().suspension_id()};
        }
        if (ack_count.fetch_add(1) + 1 == kAcksBeforeKill) enough.Notify();
      }
    });
  }
  // Kill while the writers are still mid-stream (they never stop by themselves).
  ASSERT_TRUE(enough.WaitForNotificationWithTimeout(absl::Seconds(60)))
      << "only " << ack_count.load() << " writes acknowledged";
  store->process->Signal(SIGKILL);
  auto code = store->process->Wait(absl::Seconds(10));
  stop.store(true);
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 128 + SIGKILL);

  // No process has the file open now: check it as SQLite sees it.
  EXPECT_EQ(IntegrityCheck(db), "ok");

  auto restarted = StartStore(db);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ASSERT_TRUE(WaitServing(restarted->channel));
  auto stub = NewStoreStub(restarted->channel);
  std::map<std::string, Acknowledged> snapshot;
  {
    absl::MutexLock lock(&mutex);
    snapshot = acked;
  }
  ASSERT_GE(snapshot.size(), static_cast<size_t>(kAcksBeforeKill / 2));
  int missing = 0;
  for (const auto& [id, ack] : snapshot) {
    Grant grant;
    const grpc::Status status = Get(*stub, "durable", id, &grant);
    if (!status.ok()) {
      ++missing;
      ADD_FAILURE() << id << " was acknowledged but is gone: " << Describe(status);
      continue;
    }
    // A write in flight at the kill may have landed after its ack was
    // recorded (a suspension), never before: the version is at least the
    // acknowledged one.
    EXPECT_GE(grant.version(), ack.version) << id;
    if (!ack.suspension_id.empty()) {
      EXPECT_EQ(grant.state(), v1::GRANT_STATE_SUSPENDED) << id;
      EXPECT_EQ(grant.suspension().suspension_id(), ack.suspension_id) << id;
    }
  }
  EXPECT_EQ(missing, 0);
  std::cerr << "durability: " << snapshot.size() << " grants acknowledged before SIGKILL, "
            << (snapshot.size() - missing) << " present after restart\n";

  // The restarted store keeps working on the recovered file.
  EXPECT_TRUE(Put(*stub, MakeGrant("durable", "after-restart"), nullptr).ok());
}

}  // namespace
}  // namespace apptrust::testing
