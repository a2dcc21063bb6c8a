// Headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands on fd 3, answers on fd 4, each message a
// NUL-terminated JSON object). No driver and no network: the browser is
// Debian's `chromium` package, started with a fresh profile and everything
// that phones home switched off. Used by the explanation page's browser test.
#ifndef APPTRUST_TESTS_WEB_HEADLESS_CHROMIUM_H_
#define APPTRUST_TESTS_WEB_HEADLESS_CHROMIUM_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"

namespace apptrust::testing {

class HeadlessChromium {
 public:
  // The binary: $APPTRUST_CHROMIUM, else `default_binary` (a path or a name
  // looked up in PATH). The profile lives in `profile_dir` (must be fresh);
  // the browser's own output goes to `log_path`.
  static absl::StatusOr<std::unique_ptr<HeadlessChromium>> Start(const std::string& default_binary,
                                                                 const std::string& profile_dir,
                                                                 const std::string& log_path);
  // Closes the browser; kills its process group if it does not exit.
  ~HeadlessChromium();
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  // How a tab is opened.
  struct PageOptions {
    // The viewport in CSS pixels.
    int width = 1280;
    int height = 800;
    // Phone emulation: the viewport meta tag applies.
    bool mobile = false;
    // Device pixels per CSS pixel. A 1280-pixel window zoomed to 200% is a
    // 640-CSS-pixel viewport at scale 2.
    double scale = 1;
    // Sent as Accept-Language with every request of the tab (when not empty).
    std::string accept_language;
  };

  // Opens a fresh tab with a `width`×`height` CSS-pixel viewport (`mobile`:
  // phone emulation, the viewport meta tag applies), loads `url` and waits
  // for its load event.
  absl::Status Open(const std::string& url, int width, int height, bool mobile);
  absl::Status Open(const std::string& url, const PageOptions& options);
  // Loads `url` in the open tab (as following a link would) and waits for
  // its load event.
  absl::Status Navigate(const std::string& url);
  // Evaluates `expression` in the open tab and returns its value (by value);
  // with `await_promise`, the value the promise it returns resolves to.
  absl::StatusOr<google::protobuf::Value> Evaluate(const std::string& expression,
                                                   bool await_promise = false);
  // Presses and releases a key as a keyboard user would ("Tab", "Enter"),
  // with Shift held when `shift`.
  absl::Status PressKey(const std::string& key, bool shift = false);
  // A PNG of the viewport, or of the whole page (`full_page`, same width).
  absl::StatusOr<std::string> ScreenshotPng(bool full_page = false);
  // Names of the events received so far ("Page.javascriptDialogOpening", ...).
  const std::vector<std::string>& events() const { return events_; }

 private:
  HeadlessChromium() = default;
  // Sends a command (to the open tab unless `browser_level`) and waits for its
  // answer's "result".
  absl::StatusOr<google::protobuf::Struct> Call(const std::string& method,
                                                const google::protobuf::Struct& params,
                                                bool browser_level = false,
                                                absl::Duration timeout = absl::Seconds(30));
  // Reads one message, waiting at most until `deadline`.
  absl::StatusOr<google::protobuf::Struct> Read(absl::Time deadline);
  absl::Status WaitForEvent(const std::string& method, absl::Time deadline);

  pid_t pid_ = -1;
  int to_browser_ = -1;
  int from_browser_ = -1;
  std::string buffer_;
  int next_id_ = 1;
  std::string session_id_;
  std::string target_id_;
  std::vector<std::string> events_;
  std::vector<std::string> pending_events_;
};

}  // namespace apptrust::testing

#endif  // APPTRUST_TESTS_WEB_HEADLESS_CHROMIUM_H_
