// What a bench "world" program (apptrust-bench-world,
// apptrust-bench-store-world) does around the services it starts: it blocks
// the stop signals before any thread starts, prints its figures as
// "figure NAME VALUE" lines, hands bench/run its addresses as a KEY=VALUE
// file that appears whole (bench/run waits for the file), and serves until
// SIGTERM or SIGINT.
#ifndef APPTRUST_BENCH_WORLD_PROCESS_H_
#define APPTRUST_BENCH_WORLD_PROCESS_H_

#include <signal.h>

#include <string>

#include "absl/status/status.h"

namespace apptrust::bench {

// Blocks SIGTERM and SIGINT in the calling thread, and so in every thread it
// starts later; Wait() returns when one arrives. Construct it first in main.
class StopSignals {
 public:
  StopSignals();
  void Wait();

 private:
  sigset_t signals_;
};

// Prints "figure <name> <value>" and flushes.
void PrintFigure(const std::string& name, const std::string& value);

// Writes `contents` to `path` through a temporary file and a rename, so a
// reader never sees part of it. Nothing when `path` is empty.
void WriteReadyFile(const std::string& path, const std::string& contents);

// Prints "<program>: <status>" to stderr and exits with 1.
[[noreturn]] void ExitWithError(const char* program, const absl::Status& status);

}  // namespace apptrust::bench

#endif  // APPTRUST_BENCH_WORLD_PROCESS_H_
