#include "tests/web/headless_chromium.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace apptrust::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

Value StringValue(const std::string& text) {
  Value value;
  value.set_string_value(text);
  return value;
}

Value NumberValue(double number) {
  Value value;
  value.set_number_value(number);
  return value;
}

Value BoolValue(bool flag) {
  Value value;
  value.set_bool_value(flag);
  return value;
}

std::string FieldString(const Struct& message, const std::string& key) {
  auto it = message.fields().find(key);
  return it == message.fields().end() ? "" : it->second.string_value();
}

bool WaitChild(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HeadlessChromium>> HeadlessChromium::Start(
    const std::string& default_binary, const std::string& profile_dir,
    const std::string& log_path) {
  const char* override_binary = std::getenv("APPTRUST_CHROMIUM");
  const std::string binary =
      override_binary != nullptr && *override_binary != '\0' ? override_binary : default_binary;
  std::vector<std::string> args = {binary,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-extensions",
                                   "--disable-dev-shm-usage",
                                   "--hide-scrollbars",
                                   "--mute-audio",
                                   "--force-color-profile=srgb",
                                   "--user-data-dir=" + profile_dir,
                                   "--remote-debugging-pipe",
                                   "about:blank"};
  int to_child[2];
  int from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log_path));

  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Own process group, so teardown can reach the renderer and GPU helpers.
    setpgid(0, 0);
    const int read_end = fcntl(to_child[0], F_DUPFD_CLOEXEC, 10);
    const int write_end = fcntl(from_child[1], F_DUPFD_CLOEXEC, 10);
    if (read_end < 0 || write_end < 0 || dup2(read_end, 3) < 0 || dup2(write_end, 4) < 0 ||
        dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
      _exit(126);
    }
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  close(log_fd);
  std::unique_ptr<HeadlessChromium> browser(new HeadlessChromium());
  browser->pid_ = pid;
  browser->to_browser_ = to_child[1];
  browser->from_browser_ = from_child[0];
  // The first answer proves the pipe works (or that the binary is missing).
  auto version = browser->Call("Browser.getVersion", Struct(), /*browser_level=*/true);
  if (!version.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot drive ", binary, " (see ", log_path,
                                               "): ", version.status().message()));
  }
  return browser;
}

HeadlessChromium::~HeadlessChromium() {
  if (pid_ > 0) {
    (void)Call("Browser.close", Struct(), /*browser_level=*/true, absl::Seconds(5));
    if (!WaitChild(pid_, absl::Seconds(10))) {
      kill(-pid_, SIGKILL);
      WaitChild(pid_, absl::Seconds(10));
    }
    kill(-pid_, SIGKILL);  // helpers left in the browser's own group, if any
  }
  if (to_browser_ >= 0) close(to_browser_);
  if (from_browser_ >= 0) close(from_browser_);
}

absl::StatusOr<Struct> HeadlessChromium::Read(absl::Time deadline) {
  while (true) {
    const size_t end = buffer_.find('\0');
    if (end != std::string::npos) {
      const std::string json = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      Struct message;
      const auto status = google::protobuf::util::JsonStringToMessage(json, &message);
      if (!status.ok()) {
        return absl::DataLossError(absl::StrCat("unparsable DevTools message: ", json));
      }
      return message;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("no DevTools message");
    pollfd fd{from_browser_, POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[65536];
    const ssize_t n = read(from_browser_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("the browser closed the DevTools pipe");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<Struct> HeadlessChromium::Call(const std::string& method, const Struct& params,
                                              bool browser_level, absl::Duration timeout) {
  const int id = next_id_++;
  Struct command;
  (*command.mutable_fields())["id"] = NumberValue(id);
  (*command.mutable_fields())["method"] = StringValue(method);
  *(*command.mutable_fields())["params"].mutable_struct_value() = params;
  if (!browser_level && !session_id_.empty()) {
    (*command.mutable_fields())["sessionId"] = StringValue(session_id_);
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(command, &json).ok()) {
    return absl::InternalError("cannot encode a DevTools command");
  }
  json.push_back('\0');
  for (size_t sent = 0; sent < json.size();) {
    const ssize_t n = write(to_browser_, json.data() + sent, json.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("cannot write to the DevTools pipe");
    sent += static_cast<size_t>(n);
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    auto message = Read(deadline);
    if (!message.ok())
      return absl::Status(message.status().code(),
                          absl::StrCat(method, ": ", message.status().message()));
    const auto& fields = message->fields();
    auto id_field = fields.find("id");
    if (id_field == fields.end()) {
      const std::string event = FieldString(*message, "method");
      events_.push_back(event);
      pending_events_.push_back(absl::StrCat(FieldString(*message, "sessionId"), "|", event));
      continue;
    }
    if (static_cast<int>(id_field->second.number_value()) != id) continue;
    auto error = fields.find("error");
    if (error != fields.end()) {
      std::string text;
      (void)google::protobuf::util::MessageToJsonString(error->second, &text);
      return absl::InternalError(absl::StrCat(method, " failed: ", text));
    }
    auto result = fields.find("result");
    return result == fields.end() ? Struct() : result->second.struct_value();
  }
}

absl::Status HeadlessChromium::WaitForEvent(const std::string& method, absl::Time deadline) {
  const std::string wanted = absl::StrCat(session_id_, "|", method);
  while (true) {
    for (auto it = pending_events_.begin(); it != pending_events_.end(); ++it) {
      if (*it == wanted) {
        pending_events_.erase(pending_events_.begin(), it + 1);
        return absl::OkStatus();
      }
    }
    pending_events_.clear();
    auto message = Read(deadline);
    if (!message.ok()) {
      return absl::Status(message.status().code(),
                          absl::StrCat("waiting for ", method, ": ", message.status().message()));
    }
    if (message->fields().count("id") == 0) {
      const std::string event = FieldString(*message, "method");
      events_.push_back(event);
      pending_events_.push_back(absl::StrCat(FieldString(*message, "sessionId"), "|", event));
    }
  }
}

absl::Status HeadlessChromium::Open(const std::string& url, int width, int height, bool mobile) {
  PageOptions options;
  options.width = width;
  options.height = height;
  options.mobile = mobile;
  return Open(url, options);
}

absl::Status HeadlessChromium::Open(const std::string& url, const PageOptions& options) {
  if (!target_id_.empty()) {
    Struct close;
    (*close.mutable_fields())["targetId"] = StringValue(target_id_);
    (void)Call("Target.closeTarget", close, /*browser_level=*/true);
    target_id_.clear();
    session_id_.clear();
  }
  Struct create;
  (*create.mutable_fields())["url"] = StringValue("about:blank");
  auto created = Call("Target.createTarget", create, /*browser_level=*/true);
  if (!created.ok()) return created.status();
  target_id_ = FieldString(*created, "targetId");
  Struct attach;
  (*attach.mutable_fields())["targetId"] = StringValue(target_id_);
  (*attach.mutable_fields())["flatten"] = BoolValue(true);
  auto attached = Call("Target.attachToTarget", attach, /*browser_level=*/true);
  if (!attached.ok()) return attached.status();
  session_id_ = FieldString(*attached, "sessionId");

  if (auto enabled = Call("Page.enable", Struct()); !enabled.ok()) return enabled.status();
  Struct metrics;
  (*metrics.mutable_fields())["width"] = NumberValue(options.width);
  (*metrics.mutable_fields())["height"] = NumberValue(options.height);
  (*metrics.mutable_fields())["deviceScaleFactor"] = NumberValue(options.scale);
  (*metrics.mutable_fields())["mobile"] = BoolValue(options.mobile);
  if (auto set = Call("Emulation.setDeviceMetricsOverride", metrics); !set.ok()) {
    return set.status();
  }
  if (!options.accept_language.empty()) {
    if (auto enabled = Call("Network.enable", Struct()); !enabled.ok()) return enabled.status();
    Struct headers;
    Struct values;
    (*values.mutable_fields())["Accept-Language"] = StringValue(options.accept_language);
    *(*headers.mutable_fields())["headers"].mutable_struct_value() = values;
    if (auto set = Call("Network.setExtraHTTPHeaders", headers); !set.ok()) return set.status();
  }
  return Navigate(url);
}

absl::Status HeadlessChromium::Navigate(const std::string& url) {
  pending_events_.clear();
  Struct navigate;
  (*navigate.mutable_fields())["url"] = StringValue(url);
  auto navigated = Call("Page.navigate", navigate);
  if (!navigated.ok()) return navigated.status();
  const std::string error_text = FieldString(*navigated, "errorText");
  if (!error_text.empty()) return absl::UnavailableError(absl::StrCat(url, ": ", error_text));
  return WaitForEvent("Page.loadEventFired", absl::Now() + absl::Seconds(30));
}

absl::Status HeadlessChromium::PressKey(const std::string& key, bool shift) {
  // DevTools wants the Windows virtual key code for keys without text.
  const int code = key == "Tab" ? 9 : key == "Enter" ? 13 : 0;
  for (const char* type : {"rawKeyDown", "keyUp"}) {
    Struct event;
    (*event.mutable_fields())["type"] = StringValue(type);
    (*event.mutable_fields())["key"] = StringValue(key);
    (*event.mutable_fields())["code"] = StringValue(key);
    (*event.mutable_fields())["windowsVirtualKeyCode"] = NumberValue(code);
    (*event.mutable_fields())["modifiers"] = NumberValue(shift ? 8 : 0);
    if (auto sent = Call("Input.dispatchKeyEvent", event); !sent.ok()) return sent.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> HeadlessChromium::Evaluate(const std::string& expression,
                                                 bool await_promise) {
  Struct params;
  (*params.mutable_fields())["expression"] = StringValue(expression);
  (*params.mutable_fields())["returnByValue"] = BoolValue(true);
  (*params.mutable_fields())["awaitPromise"] = BoolValue(await_promise);
  auto result = Call("Runtime.evaluate", params, /*browser_level=*/false, absl::Seconds(60));
  if (!result.ok()) return result.status();
  auto exception = result->fields().find("exceptionDetails");
  if (exception != result->fields().end()) {
    std::string text;
    (void)google::protobuf::util::MessageToJsonString(exception->second, &text);
    return absl::InvalidArgumentError(absl::StrCat("the expression threw: ", text));
  }
  auto inner = result->fields().find("result");
  if (inner == result->fields().end()) return absl::InternalError("no result");
  auto value = inner->second.struct_value().fields().find("value");
  if (value == inner->second.struct_value().fields().end()) return Value();
  return value->second;
}

absl::StatusOr<std::string> HeadlessChromium::ScreenshotPng(bool full_page) {
  Struct params;
  (*params.mutable_fields())["format"] = StringValue("png");
  if (full_page) {
    auto layout = Call("Page.getLayoutMetrics", Struct());
    if (!layout.ok()) return layout.status();
    const auto& viewport = layout->fields().at("cssLayoutViewport").struct_value().fields();
    const auto& content = layout->fields().at("cssContentSize").struct_value().fields();
    Struct clip;
    (*clip.mutable_fields())["x"] = NumberValue(0);
    (*clip.mutable_fields())["y"] = NumberValue(0);
    (*clip.mutable_fields())["width"] = viewport.at("clientWidth");
    (*clip.mutable_fields())["height"] = content.at("height");
    (*clip.mutable_fields())["scale"] = NumberValue(1);
    *(*params.mutable_fields())["clip"].mutable_struct_value() = clip;
    (*params.mutable_fields())["captureBeyondViewport"] = BoolValue(true);
  }
  auto result = Call("Page.captureScreenshot", params);
  if (!result.ok()) return result.status();
  std::string png;
  if (!absl::Base64Unescape(FieldString(*result, "data"), &png)) {
    return absl::DataLossError("screenshot is not base64");
  }
  return png;
}

}  // namespace apptrust::testing
