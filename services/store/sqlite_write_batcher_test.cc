// Group commit on its own, over a plain table: shared commits, a failed
// write rolled back alone, nothing answered OK before its COMMIT.
#include "services/store/sqlite_write_batcher.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace apptrust::store {
namespace {

class SqliteWriteBatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "write_batcher_XXXXXX");
    dir_ = mkdtemp(pattern.data());
    path_ = dir_ + "/batcher.db";
    auto writer = SqliteConnection::Open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                         absl::Seconds(60));
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->Exec("PRAGMA journal_mode=WAL").ok());
    ASSERT_TRUE((*writer)->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)").ok());
    batcher_ = std::make_unique<SqliteWriteBatcher>(
        *std::move(writer), [this](int64_t writes) { commit_sizes_.push_back(writes); });
  }
  void TearDown() override {
    batcher_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Column 0 of the first row, from a connection of its own (what is
  // committed), or "" without a row.
  std::string Query(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

  static absl::Status Insert(SqliteConnection& db, const std::string& key, int value) {
    return db.Exec(absl::StrCat("INSERT INTO t VALUES ('", key, "', ", value, ")"));
  }

  // Waits until `count` writes are queued or running (a generous deadline,
  // not a timing assumption).
  bool WaitForPending(int64_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (batcher_->stats().pending_writes < count) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SqliteWriteBatcher> batcher_;
  std::vector<int64_t> commit_sizes_;  // written by the committing thread only
};

TEST_F(SqliteWriteBatcherTest, ALoneWriteIsATransactionOfOne) {
  EXPECT_TRUE(batcher_->Run([](SqliteConnection& db) { return Insert(db, "a", 1); }).ok());
  EXPECT_EQ(Query("SELECT v FROM t WHERE k = 'a'"), "1");
  const SqliteWriteStats stats = batcher_->stats();
  EXPECT_EQ(stats.commits, 1);
  EXPECT_EQ(stats.committed_writes, 1);
  EXPECT_EQ(stats.pending_writes, 0);
  EXPECT_EQ(commit_sizes_, std::vector<int64_t>{1});
}

TEST_F(SqliteWriteBatcherTest, TransactionReturnsTheBodysValueOrItsError) {
  absl::StatusOr<int> value =
      batcher_->Transaction([](SqliteConnection& db) -> absl::StatusOr<int> {
        if (absl::Status s = Insert(db, "b", 2); !s.ok()) return s;
        return 42;
      });
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 42);
  absl::StatusOr<int> failed =
      batcher_->Transaction([](SqliteConnection& db) -> absl::StatusOr<int> {
        if (absl::Status s = Insert(db, "c", 3); !s.ok()) return s;
        return absl::FailedPreconditionError("changed my mind");
      });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Query("SELECT count(*) FROM t WHERE k = 'c'"), "0") << "rolled back";
}

// Writes that queue while one waits for the lock go out together: one
// COMMIT, and a failed write among them is rolled back to its savepoint
// without taking the others with it.
TEST_F(SqliteWriteBatcherTest, QueuedWritesShareOneCommitAndAFailureStaysAlone) {
  sqlite3* foreign = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &foreign), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(foreign, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  absl::Status leader_status;
  std::thread leader([&] {
    leader_status = batcher_->Run([](SqliteConnection& db) { return Insert(db, "leader", 0); });
  });
  const bool leader_waits = WaitForPending(1);

  constexpr int kWriters = 12;
  std::latch start(kWriters);
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      start.arrive_and_wait();
      results[w] = batcher_->Run([w](SqliteConnection& db) -> absl::Status {
        if (absl::Status s = Insert(db, absl::StrCat("w", w), w); !s.ok()) return s;
        // Writer 3 changes a row, then fails: its change must not survive.
        if (w == 3) return absl::AbortedError("writer 3 gives up");
        return absl::OkStatus();
      });
    });
  }
  const bool all_queued = WaitForPending(1 + kWriters);
  ASSERT_EQ(sqlite3_exec(foreign, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(foreign);
  leader.join();
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(leader_waits);
  ASSERT_TRUE(all_queued);

  EXPECT_TRUE(leader_status.ok()) << leader_status;
  for (int w = 0; w < kWriters; ++w) {
    if (w == 3) {
      EXPECT_EQ(results[w].code(), absl::StatusCode::kAborted);
    } else {
      EXPECT_TRUE(results[w].ok()) << w << ": " << results[w];
    }
  }
  EXPECT_EQ(Query("SELECT count(*) FROM t WHERE k = 'w3'"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM t"), std::to_string(kWriters));  // leader + 11
  // The leader's own transaction, then one for every write that queued.
  EXPECT_EQ(commit_sizes_, (std::vector<int64_t>{1, kWriters - 1}));
  EXPECT_EQ(batcher_->stats().commits, 2);
}

// A lock held past the busy timeout fails the writes that waited for it, and
// none of them is in the file.
TEST_F(SqliteWriteBatcherTest, AWriteWhoseCommitCannotHappenIsNotAnsweredOk) {
  auto writer = SqliteConnection::Open(path_, SQLITE_OPEN_READWRITE, absl::Milliseconds(50));
  ASSERT_TRUE(writer.ok()) << writer.status();
  SqliteWriteBatcher impatient(*std::move(writer), nullptr);
  sqlite3* foreign = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &foreign), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(foreign, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const absl::Status status =
      impatient.Run([](SqliteConnection& db) { return Insert(db, "locked-out", 1); });
  sqlite3_exec(foreign, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(foreign);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(Query("SELECT count(*) FROM t WHERE k = 'locked-out'"), "0");
  EXPECT_EQ(impatient.stats().committed_writes, 0);
}

}  // namespace
}  // namespace apptrust::store
