#include "common/probe/event_loop.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace apptrust::probe {

EventLoop::EventLoop() { wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

EventLoop::~EventLoop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) {
    thread_.join();
  }
  if (wake_fd_ >= 0) {
    close(wake_fd_);
  }
}

absl::Status EventLoop::Start() {
  if (wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  if (thread_.joinable()) {
    return absl::FailedPreconditionError("event loop already started");
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void EventLoop::Post(std::function<void()> task) {
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) {
      return;
    }
    posted_.push_back(std::move(task));
  }
  Wake();
}

void EventLoop::Wake() {
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
}

void EventLoop::WatchFd(int fd, bool want_read, bool want_write, FdCallback callback) {
  Watch& watch = watches_[fd];
  watch.want_read = want_read;
  watch.want_write = want_write;
  watch.generation = next_generation_++;
  watch.callback = std::move(callback);
}

void EventLoop::UpdateFd(int fd, bool want_read, bool want_write) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) {
    return;
  }
  it->second.want_read = want_read;
  it->second.want_write = want_write;
}

void EventLoop::UnwatchFd(int fd) { watches_.erase(fd); }

EventLoop::TimerId EventLoop::AddTimer(absl::Time when, std::function<void()> callback) {
  TimerId id = next_timer_++;
  timers_.emplace(std::make_pair(when, id), std::move(callback));
  timer_index_.emplace(id, when);
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) {
    return;
  }
  timers_.erase(std::make_pair(it->second, id));
  timer_index_.erase(it);
}

void EventLoop::DrainPosted() {
  std::vector<std::function<void()>> tasks;
  {
    absl::MutexLock lock(&mutex_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) {
    task();
  }
}

void EventLoop::Run() {
  // A write to a socket the peer reset raises SIGPIPE in the writing thread;
  // blocked here, the write fails with EPIPE instead and the probe reports it.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  std::vector<pollfd> fds;
  std::vector<std::pair<int, uint64_t>> order;
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) {
        break;
      }
    }
    DrainPosted();

    // Due timers (a timer callback may add or cancel timers).
    absl::Time now = absl::Now();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
      auto node = timers_.extract(timers_.begin());
      timer_index_.erase(node.key().second);
      node.mapped()();
    }

    fds.clear();
    order.clear();
    fds.push_back(pollfd{wake_fd_, POLLIN, 0});
    for (const auto& [fd, watch] : watches_) {
      short events = (watch.want_read ? POLLIN : 0) | (watch.want_write ? POLLOUT : 0);
      if (events == 0) {
        continue;
      }
      fds.push_back(pollfd{fd, events, 0});
      order.emplace_back(fd, watch.generation);
    }
    int timeout_ms = -1;
    if (!timers_.empty()) {
      absl::Duration wait = timers_.begin()->first.first - absl::Now();
      timeout_ms = wait <= absl::ZeroDuration()
                       ? 0
                       : static_cast<int>(absl::ToInt64Milliseconds(wait + absl::Milliseconds(1)));
      if (timeout_ms > 60000) {
        timeout_ms = 60000;
      }
    }
    int ready = poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;  // cannot happen with valid arguments; stop rather than spin
    }
    if (fds[0].revents != 0) {
      uint64_t count;
      ssize_t ignored = read(wake_fd_, &count, sizeof(count));
      (void)ignored;
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      auto [fd, generation] = order[i - 1];
      auto it = watches_.find(fd);
      // Unregistered or re-registered by an earlier callback this round.
      if (it == watches_.end() || it->second.generation != generation) {
        continue;
      }
      bool failed = (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
      bool readable = failed || (fds[i].revents & POLLIN) != 0;
      bool writable = failed || (fds[i].revents & POLLOUT) != 0;
      FdCallback callback = it->second.callback;  // may unregister itself
      callback(readable, writable);
    }
  }
}

}  // namespace apptrust::probe
