#include "common/probe/local_resource_error.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace apptrust::probe {

bool IsLocalResourceErrno(int error) {
  switch (error) {
    case EMFILE:         // this process has no descriptor left
    case ENFILE:         // the system has no descriptor left
    case ENOMEM:         // no kernel memory for the socket
    case ENOBUFS:        // no socket buffer space
    case EADDRNOTAVAIL:  // connect: no free local port
      return true;
    default:
      return false;
  }
}

v1::ProbeOutcome OutcomeForErrno(int error, v1::ProbeOutcome otherwise) {
  return IsLocalResourceErrno(error) ? v1::PROBE_OUTCOME_LOCAL_ERROR : otherwise;
}

bool CanOpenSocket(int* error) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  const int saved = errno;
  if (!IsLocalResourceErrno(saved)) return true;  // not a shortage (e.g. no IPv4)
  *error = saved;
  return false;
}

}  // namespace apptrust::probe
