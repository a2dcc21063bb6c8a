// A child process for multi-process tests: the real service binaries,
// dnsmasq, openssl. stdout and stderr are captured (and echoed to the test's
// stderr with a prefix, so a failing test shows what the child said). The
// destructor kills a child that is still running.
#ifndef APPTRUST_TESTS_SUPPORT_SUBPROCESS_H_
#define APPTRUST_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace apptrust::testing {

class Subprocess {
 public:
  // Starts argv[0] (a path, or a name looked up in PATH).
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(std::vector<std::string> argv);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for the line "<program>: <name> listening on <address>" that the
  // services print on start, and returns <address>. Fails when the process
  // exits first or the timeout passes.
  absl::StatusOr<std::string> WaitForListener(absl::string_view name,
                                              absl::Duration timeout = absl::Seconds(20));
  // Waits until `needle` appears in stdout or stderr.
  bool WaitForOutput(absl::string_view needle, absl::Duration timeout);

  void Signal(int signal_number);
  // The exit code, or 128 + signal when killed by a signal. DeadlineExceeded
  // when still running after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  bool running();

  std::string stdout_text();
  std::string stderr_text();

 private:
  Subprocess() = default;
  void ReadLoop(int fd, std::string* sink, std::string prefix);
  void ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  pid_t pid_ = -1;
  absl::Mutex mutex_;
  std::string stdout_ ABSL_GUARDED_BY(mutex_);
  std::string stderr_ ABSL_GUARDED_BY(mutex_);
  bool exited_ ABSL_GUARDED_BY(mutex_) = false;
  int exit_code_ ABSL_GUARDED_BY(mutex_) = -1;
  int readers_done_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::thread> readers_;
};

// A fresh directory under $TMPDIR (or /tmp) that is removed with its contents
// when the object goes away.
// The contents of a /proc file, or "" when it cannot be read: the process
// may exit while it is read, and std::ifstream then throws from its buffer
// (ESRCH).
std::string ReadProcFile(const std::string& path);

// Sends SIGSTOP to `pid` and returns once every thread of it is stopped
// (kill() returns before the process has taken the signal: a busy process
// may still answer a request meanwhile). SIGCONT resumes it.
absl::Status StopProcess(pid_t pid, absl::Duration timeout = absl::Seconds(10));

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(absl::string_view name) const;

 private:
  std::string path_;
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_SUPPORT_SUBPROCESS_H_
