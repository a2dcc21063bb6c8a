#include "bench/world_process.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace apptrust::bench {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

void StopSignals::Wait() {
  int signal_number = 0;
  sigwait(&signals_, &signal_number);
}

void PrintFigure(const std::string& name, const std::string& value) {
  std::printf("figure %s %s\n", name.c_str(), value.c_str());
  std::fflush(stdout);
}

void WriteReadyFile(const std::string& path, const std::string& contents) {
  if (path.empty()) return;
  {
    std::ofstream out(path + ".tmp");
    out << contents;
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}

void ExitWithError(const char* program, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", program, status.ToString().c_str());
  std::exit(1);
}

}  // namespace apptrust::bench
