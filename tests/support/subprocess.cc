#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace apptrust::testing {

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(std::vector<std::string> argv) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The test binary may block signals; the child must start with none blocked.
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> c_argv;
  for (std::string& arg : argv) c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);

  std::unique_ptr<Subprocess> process(new Subprocess());
  const int rc =
      posix_spawnp(&process->pid_, c_argv[0], &actions, &attributes, c_argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  Subprocess* raw = process.get();
  process->readers_.emplace_back(
      [raw, fd = out_pipe[0], name] { raw->ReadLoop(fd, &raw->stdout_, name + " out| "); });
  process->readers_.emplace_back(
      [raw, fd = err_pipe[0], name] { raw->ReadLoop(fd, &raw->stderr_, name + " err| "); });
  return process;
}

Subprocess::~Subprocess() {
  if (running()) {
    Signal(SIGKILL);
    (void)Wait(absl::Seconds(10));
  }
  for (std::thread& reader : readers_) reader.join();
}

void Subprocess::ReadLoop(int fd, std::string* sink, std::string prefix) {
  char buffer[4096];
  std::string line;
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    {
      absl::MutexLock lock(&mutex_);
      sink->append(buffer, static_cast<size_t>(n));
    }
    line.append(buffer, static_cast<size_t>(n));
    size_t newline;
    while ((newline = line.find('\n')) != std::string::npos) {
      std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.substr(0, newline).c_str());
      line.erase(0, newline + 1);
    }
  }
  if (!line.empty()) std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.c_str());
  close(fd);
  absl::MutexLock lock(&mutex_);
  ++readers_done_;
}

void Subprocess::ReapLocked() {
  if (exited_ || pid_ <= 0) return;
  int status = 0;
  const pid_t rc = waitpid(pid_, &status, WNOHANG);
  if (rc == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
}

bool Subprocess::running() {
  absl::MutexLock lock(&mutex_);
  ReapLocked();
  return !exited_ && pid_ > 0;
}

absl::StatusOr<std::string> Subprocess::WaitForListener(absl::string_view name,
                                                        absl::Duration timeout) {
  const std::string marker = absl::StrCat(": ", name, " listening on ");
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&mutex_);
      const size_t at = stdout_.find(marker);
      if (at != std::string::npos) {
        const size_t start = at + marker.size();
        const size_t end = stdout_.find('\n', start);
        if (end != std::string::npos) return stdout_.substr(start, end - start);
      }
      ReapLocked();
      if (exited_) {
        return absl::FailedPreconditionError(absl::StrCat("process exited with ", exit_code_,
                                                          " before announcing '", name,
                                                          "'; stderr: ", stderr_));
      }
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat("no '", name, "' listener announced"));
}

bool Subprocess::WaitForOutput(absl::string_view needle, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&mutex_);
      if (absl::StrContains(stdout_, needle) || absl::StrContains(stderr_, needle)) return true;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

void Subprocess::Signal(int signal_number) {
  absl::MutexLock lock(&mutex_);
  ReapLocked();
  if (!exited_ && pid_ > 0) kill(pid_, signal_number);
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      ReapLocked();
      if (exited_) {
        // Its output is whole once both pipes reached EOF: a caller that
        // reads stderr_text() right after Wait must not race the readers.
        // Bounded, in case a grandchild keeps a pipe open.
        auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
          return readers_done_ >= static_cast<int>(readers_.size());
        };
        mutex_.AwaitWithDeadline(absl::Condition(&drained),
                                 std::min(deadline, absl::Now() + absl::Seconds(5)));
        return exit_code_;
      }
    }
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("process still running");
    absl::SleepFor(absl::Milliseconds(5));
  }
}

std::string Subprocess::stdout_text() {
  absl::MutexLock lock(&mutex_);
  return stdout_;
}

std::string Subprocess::stderr_text() {
  absl::MutexLock lock(&mutex_);
  return stderr_;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/apptrust-test-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::File(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

std::string ReadProcFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string contents;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return contents;
}

absl::Status StopProcess(pid_t pid, absl::Duration timeout) {
  if (kill(pid, SIGSTOP) != 0) {
    return absl::InternalError(absl::StrCat("kill(", pid, ", SIGSTOP): ", std::strerror(errno)));
  }
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    bool all_stopped = true;
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
      // /proc/PID/task/TID/stat: "TID (comm) STATE ..."; comm may hold spaces.
      const std::string stat = ReadProcFile(task.path() / "stat");
      const size_t end_of_comm = stat.rfind(')');
      if (end_of_comm == std::string::npos || end_of_comm + 2 >= stat.size()) continue;
      const char state = stat[end_of_comm + 2];
      if (state != 'T' && state != 't') all_stopped = false;
    }
    if (error) return absl::InternalError(absl::StrCat(tasks, ": ", error.message()));
    if (all_stopped) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::DeadlineExceededError(absl::StrCat("process ", pid, " did not stop"));
}

}  // namespace apptrust::testing
