// SqliteBackend on real temporary files: opening (fresh directory, empty file,
// reopening, files that are not databases, schemas from the future), the
// semantics every GrantBackend keeps (grant_backend.h), and group commit
// (concurrent writes sharing a COMMIT, each behaving as if alone).
#include "services/store/sqlite_backend.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <latch>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/store/audit_sweeper.h"
#include "services/store/sqlite_schema.h"
#include "services/store/testing/grant_backend_conformance.h"

namespace apptrust::store {
namespace {

using apptrust::v1::Grant;
using apptrust::v1::Suspension;
using google::protobuf::util::TimeUtil;
using testing::AllAuditEntries;
using testing::At;
using testing::Deadline;
using ::testing::HasSubstr;
using testing::kAudit;
using testing::MakeGrant;
using testing::MakeSuspension;
using testing::Micros;

class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sqlite_backend_XXXXXX");
    path_ = mkdtemp(pattern.data());
  }
  ~TempDirectory() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs one query on the file with the plain sqlite3 API, returning column 0
// of the first row as text.
std::string QueryFile(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string result = "<error>";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    } else if (rc == SQLITE_DONE) {
      result = "";
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

// Holds SQLite's write lock from a connection of its own, as another process
// would, until Release(): the store's writes queue up behind it meanwhile.
// That makes batches deterministic: a test waits until the writes it started
// are all queued (WaitForPendingWrites), then releases the lock.
class ForeignWriteLock {
 public:
  explicit ForeignWriteLock(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ~ForeignWriteLock() {
    Release();
    sqlite3_close(db_);
  }
  ForeignWriteLock(const ForeignWriteLock&) = delete;
  ForeignWriteLock& operator=(const ForeignWriteLock&) = delete;

  void Release() {
    if (held_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    held_ = false;
  }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = true;
};

// Waits until `count` write calls are queued or running in `backend`; false
// if they never are (a generous deadline, not a timing assumption).
bool WaitForPendingWrites(const SqliteBackend& backend, int64_t count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (backend.write_stats().pending_writes < count) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Long enough that a write queued behind a ForeignWriteLock never times out
// while the test gathers the others.
SqliteOptions PatientOptions() {
  SqliteOptions options;
  options.busy_timeout = absl::Seconds(50);
  return options;
}

class SqliteBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = SqliteBackend::Open(dir_.File("store.db"), PatientOptions());
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = std::move(*backend);
  }

  TempDirectory dir_;
  std::unique_ptr<SqliteBackend> backend_;
};

// Every GrantBackend case (testing/grant_backend_conformance.h), each on a
// new file; "again" opens a second backend on the same file, as a second
// process would.
class SqliteFactory : public testing::BackendFactory {
 public:
  absl::StatusOr<std::unique_ptr<GrantBackend>> OpenFresh() override {
    path_ = dir_.File(absl::StrCat("store-", ++files_, ".db"));
    return OpenAgain();
  }
  absl::StatusOr<std::unique_ptr<GrantBackend>> OpenAgain() override {
    auto backend = SqliteBackend::Open(path_, PatientOptions());
    if (!backend.ok()) return backend.status();
    return std::unique_ptr<GrantBackend>(std::move(*backend));
  }

 private:
  TempDirectory dir_;
  std::string path_;
  int files_ = 0;
};

std::unique_ptr<testing::BackendFactory> MakeSqliteFactory() {
  return std::make_unique<SqliteFactory>();
}

using testing::GrantBackendConformance;
INSTANTIATE_TEST_SUITE_P(Sqlite, GrantBackendConformance, ::testing::Values(&MakeSqliteFactory),
                         [](const auto&) { return std::string("Sqlite"); });

// --- Opening -------------------------------------------------------------

TEST(SqliteBackendOpenTest, CreatesMissingDirectoriesAndMigratesToLatestSchema) {
  TempDirectory dir;
  const std::string path = dir.File("a/b/c/store.db");
  {
    auto backend = SqliteBackend::Open(path);
    ASSERT_TRUE(backend.ok()) << backend.status();
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(QueryFile(path, "PRAGMA user_version"), std::to_string(LatestSchemaVersion()));
  EXPECT_EQ(QueryFile(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryFile(path, "SELECT name FROM sqlite_master WHERE name = 'suspensions'"),
            "suspensions");
}

TEST(SqliteBackendOpenTest, MigratesAnEmptyExistingFile) {
  TempDirectory dir;
  const std::string path = dir.File("empty.db");
  std::ofstream(path).close();
  ASSERT_EQ(std::filesystem::file_size(path), 0u);
  auto backend = SqliteBackend::Open(path);
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  EXPECT_EQ(QueryFile(path, "PRAGMA user_version"), std::to_string(LatestSchemaVersion()));
}

TEST(SqliteBackendOpenTest, ReopeningKeepsGrantsSuspensionsAndSchema) {
  TempDirectory dir;
  const std::string path = dir.File("store.db");
  {
    auto backend = SqliteBackend::Open(path);
    ASSERT_TRUE(backend.ok()) << backend.status();
    ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g1"), At(0), kAudit, Deadline()).ok());
    ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g2"), At(0), kAudit, Deadline()).ok());
    ASSERT_TRUE(
        (*backend)
            ->SuspendGrant("t", "g2", 1, MakeSuspension("s2", At(5)), At(5), kAudit, Deadline())
            .ok());
  }
  auto backend = SqliteBackend::Open(path);
  ASSERT_TRUE(backend.ok()) << backend.status();
  auto g1 = (*backend)->GetGrant("t", "g1", Deadline());
  ASSERT_TRUE(g1.ok()) << g1.status();
  EXPECT_EQ(g1->version(), 1);
  auto g2 = (*backend)->GetGrant("t", "g2", Deadline());
  ASSERT_TRUE(g2.ok()) << g2.status();
  EXPECT_EQ(g2->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(g2->suspension().suspension_id(), "s2");
  EXPECT_EQ(QueryFile(path, "PRAGMA user_version"), std::to_string(LatestSchemaVersion()));
}

TEST(SqliteBackendOpenTest, RefusesAFileThatIsNotADatabase) {
  TempDirectory dir;
  const std::string path = dir.File("notes.txt");
  {
    std::ofstream out(path);
    for (int i = 0; i < 200; ++i) out << "these are notes, not an SQLite database\n";
  }
  auto backend = SqliteBackend::Open(path);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("not an SQLite database"));
}

TEST(SqliteBackendOpenTest, RefusesASchemaNewerThanTheBinary) {
  TempDirectory dir;
  const std::string path = dir.File("future.db");
  QueryFile(path, "PRAGMA user_version = 999");  // creates the file
  auto backend = SqliteBackend::Open(path);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("newer than this binary"));
}

TEST(SqliteBackendOpenTest, NamesTheDirectoryWhenItCannotBeCreated) {
  TempDirectory dir;
  std::ofstream(dir.File("plain-file")).close();
  auto backend = SqliteBackend::Open(dir.File("plain-file/sub/store.db"));
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("cannot create directory"));
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("plain-file/sub"));
}

TEST(SqliteBackendOpenTest, RefusesAWriteProtectedFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  TempDirectory dir;
  const std::string path = dir.File("ro.db");
  { ASSERT_TRUE(SqliteBackend::Open(path).ok()); }
  ASSERT_EQ(chmod(path.c_str(), 0444), 0);
  auto backend = SqliteBackend::Open(path);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(backend.status().message()), HasSubstr("not writable"));
}

TEST(SqliteBackendOpenTest, SetsFullSynchronousOnTheWriter) {
  // synchronous is per connection; the only way to observe it is through a
  // write that survives, which the durability test does. Here: WAL files exist
  // while the backend is open (the WAL is in use).
  TempDirectory dir;
  const std::string path = dir.File("store.db");
  auto backend = SqliteBackend::Open(path);
  ASSERT_TRUE(backend.ok()) << backend.status();
  ASSERT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
}

// --- Concurrency with other processes and group commit --------------------------

TEST_F(SqliteBackendTest, AnotherProcessHoldingTheLockBrieflyIsWaitedFor) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  // A foreign connection (think: the sqlite3 CLI) holds the write lock while
  // the store writes; the busy timeout makes the store wait instead of failing.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("store.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::thread releaser([other] {
    absl::SleepFor(absl::Milliseconds(300));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto put = backend_->PutGrant(MakeGrant("t", "g"), At(1), kAudit, Deadline());
  releaser.join();
  sqlite3_close(other);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->grant.version(), 2);
}

// --- Group commit ---------------------------------------------------------------

TEST_F(SqliteBackendTest, ALoneWriterCommitsEachWriteByItself) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "g"), At(1), kAudit, Deadline()).ok());
  ASSERT_TRUE(
      backend_->SuspendGrant("t", "g", 2, MakeSuspension("s", At(2)), At(2), kAudit, Deadline())
          .ok());
  // Failed writes commit nothing.
  EXPECT_EQ(backend_->DeleteGrant("t", "missing", At(0), kAudit, Deadline()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      backend_
          ->SuspendGrant("t", "other", 1, MakeSuspension("s2", At(3)), At(3), kAudit, Deadline())
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  const SqliteWriteStats stats = backend_->write_stats();
  EXPECT_EQ(stats.committed_writes, 3);
  EXPECT_EQ(stats.commits, 3);
  EXPECT_EQ(stats.pending_writes, 0);
}

TEST_F(SqliteBackendTest, ManyConcurrentWritersAllSucceedAndSurviveReopening) {
  constexpr int kThreads = 32;
  constexpr int kPerThread = 50;
  constexpr int kSharedPerThread = 5;  // puts of one grant every thread re-puts
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<std::string> errors[kThreads];
  std::vector<int64_t> shared_versions[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        auto put = backend_->PutGrant(MakeGrant("t", absl::StrCat("g-", t, "-", i)), At(i), kAudit,
                                      Deadline());
        if (!put.ok()) {
          errors[t].push_back(put.status().ToString());
        } else if (put->grant.version() != 1) {
          errors[t].push_back(absl::StrCat("g-", t, "-", i, " at version ", put->grant.version()));
        }
        if (i % (kPerThread / kSharedPerThread) == 0) {
          auto shared = backend_->PutGrant(MakeGrant("t", "shared"), At(i), kAudit, Deadline());
          if (shared.ok()) {
            shared_versions[t].push_back(shared->grant.version());
          } else {
            errors[t].push_back(shared.status().ToString());
          }
        }
      }
      // A re-put of this thread's first grant.
      auto again = backend_->PutGrant(MakeGrant("t", absl::StrCat("g-", t, "-0")), At(100), kAudit,
                                      Deadline());
      if (!again.ok() || again->grant.version() != 2) {
        errors[t].push_back(absl::StrCat("re-put of g-", t, "-0: ", again.status().ToString()));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_THAT(errors[t], ::testing::IsEmpty());

  // Every put of the shared grant saw all the ones before it: versions 1..N,
  // each returned once.
  std::vector<int64_t> versions;
  for (const auto& of_thread : shared_versions) {
    versions.insert(versions.end(), of_thread.begin(), of_thread.end());
  }
  std::sort(versions.begin(), versions.end());
  std::vector<int64_t> expected(size_t{kThreads} * kSharedPerThread);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(versions, expected);

  const SqliteWriteStats stats = backend_->write_stats();
  EXPECT_EQ(stats.committed_writes, kThreads * (kPerThread + kSharedPerThread + 1));
  EXPECT_LE(stats.commits, stats.committed_writes);
  EXPECT_EQ(stats.pending_writes, 0);

  auto check = [&](SqliteBackend& backend) {
    std::vector<std::string> wrong;
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrCat("g-", t, "-", i);
        auto got = backend.GetGrant("t", id, Deadline());
        const int64_t want = i == 0 ? 2 : 1;
        if (!got.ok() || got->version() != want) {
          wrong.push_back(absl::StrCat(
              id, ": ",
              got.ok() ? absl::StrCat("version ", got->version()) : got.status().ToString()));
        }
      }
    }
    EXPECT_THAT(wrong, ::testing::IsEmpty());
    auto shared = backend.GetGrant("t", "shared", Deadline());
    ASSERT_TRUE(shared.ok()) << shared.status();
    EXPECT_EQ(shared->version(), kThreads * kSharedPerThread);
    auto counts = backend.CountGrants(Deadline());
    ASSERT_TRUE(counts.ok()) << counts.status();
    EXPECT_EQ(counts->active, kThreads * kPerThread + 1);
  };
  check(*backend_);
  backend_.reset();
  auto reopened = SqliteBackend::Open(dir_.File("store.db"));
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  check(**reopened);
}

TEST_F(SqliteBackendTest, ConcurrentWritersShareCommits) {
  constexpr int kWriters = 32;
  ForeignWriteLock lock(dir_.File("store.db"));
  std::latch start(kWriters);
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      start.arrive_and_wait();
      results[w] =
          backend_->PutGrant(MakeGrant("t", absl::StrCat("g", w)), At(w), kAudit, Deadline())
              .status();
    });
  }
  // The first leader waits for the lock with whatever was queued when it
  // took its batch; the writes queued behind it go in the next batch.
  const bool all_queued = WaitForPendingWrites(*backend_, kWriters);
  lock.Release();
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(all_queued);
  for (int w = 0; w < kWriters; ++w) EXPECT_TRUE(results[w].ok()) << w << ": " << results[w];
  const SqliteWriteStats stats = backend_->write_stats();
  EXPECT_EQ(stats.committed_writes, kWriters);
  EXPECT_LE(stats.commits, 2);
  EXPECT_LT(stats.commits, stats.committed_writes);
}

TEST_F(SqliteBackendTest, AFailedWriteLeavesTheOthersOfItsBatchCommitted) {
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "victim"), At(0), kAudit, Deadline()).ok());
  ASSERT_TRUE(backend_->PutGrant(MakeGrant("t", "to-suspend"), At(0), kAudit, Deadline()).ok());
  const SqliteWriteStats before = backend_->write_stats();

  ForeignWriteLock lock(dir_.File("store.db"));
  // A first write leads a batch of its own and waits for the lock, so that
  // all the writes below queue behind it and form the next batch together.
  absl::Status plug;
  std::thread leader([&] {
    plug = backend_->PutGrant(MakeGrant("t", "plug"), At(1), kAudit, Deadline()).status();
  });
  const bool leader_queued = WaitForPendingWrites(*backend_, 1);

  constexpr int kWriters = 16;
  std::latch start(kWriters);
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      start.arrive_and_wait();
      switch (w) {
        case 0:  // a stale version
          results[w] = backend_
                           ->SuspendGrant("t", "victim", 7, MakeSuspension("s-stale", At(2)), At(2),
                                          kAudit, Deadline())
                           .status();
          break;
        case 1:
          results[w] = backend_->DeleteGrant("t", "missing", At(0), kAudit, Deadline()).status();
          break;
        case 2:
          results[w] = backend_
                           ->SuspendGrant("t", "to-suspend", 1, MakeSuspension("s-ok", At(2)),
                                          At(2), kAudit, Deadline())
                           .status();
          break;
        default:
          results[w] =
              backend_->PutGrant(MakeGrant("t", absl::StrCat("new", w)), At(2), kAudit, Deadline())
                  .status();
      }
    });
  }
  const bool all_queued = WaitForPendingWrites(*backend_, 1 + kWriters);
  lock.Release();
  leader.join();
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(leader_queued);
  ASSERT_TRUE(all_queued);

  EXPECT_TRUE(plug.ok()) << plug;
  EXPECT_EQ(results[0].code(), absl::StatusCode::kFailedPrecondition) << results[0];
  EXPECT_EQ(results[1].code(), absl::StatusCode::kNotFound) << results[1];
  for (int w = 2; w < kWriters; ++w) EXPECT_TRUE(results[w].ok()) << w << ": " << results[w];
  // One commit for the leader's write, one for the batch of all the others,
  // the failed ones included.
  const SqliteWriteStats after = backend_->write_stats();
  EXPECT_EQ(after.commits - before.commits, 2);
  EXPECT_EQ(after.committed_writes - before.committed_writes, 1 + kWriters - 2);

  auto victim = backend_->GetGrant("t", "victim", Deadline());
  ASSERT_TRUE(victim.ok()) << victim.status();
  EXPECT_EQ(victim->state(), v1::GRANT_STATE_ACTIVE);
  EXPECT_EQ(victim->version(), 1);
  EXPECT_EQ(backend_->GetSuspension("s-stale", Deadline()).status().code(),
            absl::StatusCode::kNotFound);
  auto suspended = backend_->GetGrant("t", "to-suspend", Deadline());
  ASSERT_TRUE(suspended.ok()) << suspended.status();
  EXPECT_EQ(suspended->state(), v1::GRANT_STATE_SUSPENDED);
  EXPECT_EQ(suspended->version(), 2);
  EXPECT_EQ(suspended->suspension().suspension_id(), "s-ok");
  for (int w = 3; w < kWriters; ++w) {
    auto got = backend_->GetGrant("t", absl::StrCat("new", w), Deadline());
    ASSERT_TRUE(got.ok()) << w << ": " << got.status();
    EXPECT_EQ(got->version(), 1);
  }
  EXPECT_TRUE(backend_->GetGrant("t", "plug", Deadline()).ok());
}

TEST(SqliteBackendBusyTest, ALockHeldPastTheTimeoutFailsEveryQueuedWrite) {
  TempDirectory dir;
  SqliteOptions options;
  options.busy_timeout = absl::Milliseconds(100);
  auto backend = SqliteBackend::Open(dir.File("store.db"), options);
  ASSERT_TRUE(backend.ok()) << backend.status();
  constexpr int kWriters = 8;
  std::vector<absl::Status> results(kWriters);
  {
    // Held until every write has returned: each batch's BEGIN times out.
    ForeignWriteLock lock(dir.File("store.db"));
    std::latch start(kWriters);
    std::vector<std::thread> writers;
    writers.reserve(kWriters);
    writers.reserve(kWriters);
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        start.arrive_and_wait();
        results[w] = (*backend)
                         ->PutGrant(MakeGrant("t", absl::StrCat("g", w)), At(w), kAudit, Deadline())
                         .status();
      });
    }
    for (auto& writer : writers) writer.join();
  }
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(results[w].code(), absl::StatusCode::kUnavailable) << w << ": " << results[w];
    EXPECT_EQ((*backend)->GetGrant("t", absl::StrCat("g", w), Deadline()).status().code(),
              absl::StatusCode::kNotFound);
  }
  const SqliteWriteStats stats = (*backend)->write_stats();
  EXPECT_EQ(stats.committed_writes, 0);
  EXPECT_EQ(stats.commits, 0);
  EXPECT_EQ(stats.pending_writes, 0);
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g0"), At(9), kAudit, Deadline()).ok());
}

TEST(SqliteBackendBusyTest, ALockHeldPastTheTimeoutIsUnavailableNotLocked) {
  TempDirectory dir;
  SqliteOptions options;
  options.busy_timeout = absl::Milliseconds(100);
  auto backend = SqliteBackend::Open(dir.File("store.db"), options);
  ASSERT_TRUE(backend.ok()) << backend.status();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("store.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto put = (*backend)->PutGrant(MakeGrant("t", "g"), At(1), kAudit, Deadline());
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable);
  // The writer is usable again once the lock is gone.
  EXPECT_TRUE((*backend)->PutGrant(MakeGrant("t", "g"), At(2), kAudit, Deadline()).ok());
}

// --- Audit log ----------------------------------------------------------------

// The entry is written in the savepoint of its change: when it cannot be
// written, the change is rolled back too, and the other writes of the same
// group-commit batch are untouched (they commit with their own entries).
TEST_F(SqliteBackendTest, AChangeWhoseAuditEntryFailsIsRolledBackAloneInItsBatch) {
  const std::string path = dir_.File("store.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_log"
                           " WHEN NEW.grant_id = 'poison' BEGIN SELECT RAISE(ABORT, 'no'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  ForeignWriteLock lock(path);
  // "plug" leads a batch of its own and waits for the lock, so that the
  // three after it queue behind it and form the next batch together.
  const std::vector<std::string> ids = {"plug", "before", "poison", "after"};
  std::vector<absl::Status> results(ids.size());
  std::vector<std::thread> writers;
  for (size_t i = 0; i < ids.size(); ++i) {
    writers.emplace_back([&, i] {
      results[i] = backend_->PutGrant(MakeGrant("t", ids[i]), At(0), kAudit, Deadline()).status();
    });
    // Queued in this order.
    ASSERT_TRUE(WaitForPendingWrites(*backend_, static_cast<int64_t>(i + 1)));
  }
  lock.Release();
  for (auto& writer : writers) writer.join();
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_TRUE(results[1].ok()) << results[1];
  EXPECT_FALSE(results[2].ok());
  EXPECT_TRUE(results[3].ok()) << results[3];
  EXPECT_EQ(backend_->write_stats().commits, 2);
  EXPECT_EQ(backend_->GetGrant("t", "poison", Deadline()).status().code(),
            absl::StatusCode::kNotFound);
  const std::vector<v1::AuditEntry> entries = AllAuditEntries(*backend_, "t");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].grant_id(), "plug");
  EXPECT_EQ(entries[1].grant_id(), "before");
  EXPECT_EQ(entries[2].grant_id(), "after");
}

}  // namespace
}  // namespace apptrust::store
